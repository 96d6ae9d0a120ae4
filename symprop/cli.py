"""The ``symprop`` command line: one verb per job, each verb in the module that owns the job.

Exit codes: 0 success · 1 a check found something wrong · 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import SpecError, TrainingError
from .outputs import check_outputs

# verb -> (module with add_arguments(parser) and run(args) -> int, one-line help)
VERBS = {
    "derive": ("symprop.derive.cli", "derive exact gradients (index or expanded form)"),
    "slides": ("symprop.render.cli", "write a beamer deck of the derivation [--pdf]"),
    "check": ("symprop.check.cli", "check a student's hand calculation"),
    "codegen": ("symprop.codegen.cli", "write the generated numba kernel module"),
    "train": ("symprop.runtime.cli", "train a network with the generated kernels"),
    "sweep": ("symprop.sweep.cli", "run a grid of trainings on Dask"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symprop", description="Neural networks as exact mathematics and fast kernels.")
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, (module_name, help_text) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:   # a verb whose optional dependency is missing
            p.set_defaults(_missing=f"'{verb}' is unavailable: {exc}")
            continue
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; every failure ends as one line on stderr and an exit code, never a
    traceback: 2 for bad input (and anything the machine refused, such as a full disk), 1 for
    a training that stopped or, as a last resort, an error we did not expect."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_missing", None):
        print(f"symprop: {args._missing}", file=sys.stderr)
        return 2
    try:
        check_outputs(args)          # before any work, so a finished job is never lost
        return int(args._run(args) or 0)
    except SpecError as exc:
        return _say(f"error: {exc}", 2)
    except TrainingError as exc:
        return _say(f"training stopped: {exc}", 1)
    except KeyboardInterrupt:
        return _say("interrupted", 130)
    except OSError as exc:
        name = f"{exc.filename}: " if exc.filename else ""
        return _say(f"error: {name}{exc.strerror or exc}", 2)
    except MemoryError:
        return _say(f"error: out of memory; the input is too large for {args.verb} "
                    "on this machine (see symprop.limits)", 2)
    except RecursionError:
        return _say("error: the input is nested too deeply", 2)
    except Exception as exc:     # a bug: still one line, and a way to report it
        return _say(f"internal error ({type(exc).__name__}: {exc}); please report it with "
                    "the command line and input that caused it", 1)


def _say(text: str, code: int) -> int:
    """One line on stderr (control characters escaped, so a hostile name cannot add lines)."""
    line = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in f"symprop: {text}")
    print(line, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
