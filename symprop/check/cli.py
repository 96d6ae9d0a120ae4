"""``symprop check FILE [--json] [--report out.md|out.tex]``: judge a hand calculation;
``symprop check --class DIR --out gradebook.csv``: a whole class (`symprop.classroom`).

Exit codes: 0 every claim correct or consistent (and every formula equivalent), 1 something is
wrong, 2 bad input (the CLI turns a `SpecError` into one line).
"""

from __future__ import annotations

import argparse
import json
import sys

from .. import load
from ..errors import SpecError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..classroom.cli import add_class_arguments

    parser.add_argument("file", nargs="?",
                        help="spec file with [claims] and/or [formulas] tables")
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.add_argument("--report", metavar="OUT.md|OUT.tex",
                        help="write a marked-up report to hand back (Markdown or LaTeX)")
    add_class_arguments(parser)      # --class DIR --out gradebook.csv: a whole class


def run(args: argparse.Namespace) -> int:
    if args.class_dir is not None or args.file is None:
        from ..classroom.cli import run_class
        return run_class(args)
    from .judge import check
    from .report import to_json, to_text, use_colour, write_report

    if args.report and not args.report.lower().endswith((".md", ".markdown", ".tex")):
        raise SpecError("unknown report type", key="--report",
                        expected="a file ending in .md or .tex", got=args.report)
    result = check(load(args.file))
    if args.json:
        print(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(to_text(result, colour=use_colour()))
    if args.report:
        path = write_report(result, args.report)
        if not args.json:
            print(f"report written to {path}")
    return result.exit_code
