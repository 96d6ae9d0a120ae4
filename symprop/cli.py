"""The ``symprop`` command line: one verb per job, each verb in the module that owns the job.

Exit codes: 0 success · 1 a check found something wrong · 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import SpecError, TrainingError

# verb -> (module with add_arguments(parser) and run(args) -> int, one-line help)
VERBS = {
    "derive": ("symprop.derive.cli", "derive exact gradients (index or expanded form)"),
    "slides": ("symprop.render.cli", "write a beamer deck of the derivation [--pdf]"),
    "check": ("symprop.check.cli", "check a student's hand calculation"),
    "codegen": ("symprop.codegen.cli", "write the generated numba kernel module"),
    "train": ("symprop.runtime.cli", "train a network with the generated kernels"),
    "predict": ("symprop.runtime.predict_cli", "predict with a saved model (labels and "
                "probabilities)"),
    "sweep": ("symprop.sweep.cli", "run a grid of trainings on Dask"),
    "exercise": ("symprop.classroom.cli", "per-student exercise variants, sheets and answer keys"),
    "serve": ("symprop.serve.cli", "the Playground page: the math, live training, check numbers"),
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_missing", None):
        print(f"symprop: {args._missing}", file=sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except SpecError as exc:
        print(f"symprop: error: {exc}", file=sys.stderr)
        return 2
    except TrainingError as exc:
        print(f"symprop: training stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("symprop: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
