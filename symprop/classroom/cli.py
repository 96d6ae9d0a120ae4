"""``symprop exercise SPEC --roster students.csv --out DIR`` and
``symprop check --class DIR|sheets/ --out gradebook.csv [--responses lms.csv]``.

Exit codes: 0 done · 1 something needs attention (a PDF that did not compile; a sheet that
could not be marked, has unreadable values, claims nothing or looks copied; a student without
a sheet) · 2 bad input (one line, from `SpecError`).
"""

from __future__ import annotations

import argparse

from ..errors import SpecError


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of workers, got {text!r}")
    return value


# -- symprop exercise ------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="spec with [exercise] (and optionally [marking]) tables")
    parser.add_argument("--roster", required=True, metavar="CSV",
                        help="students: a CSV with an id and a name column")
    parser.add_argument("--out", required=True, metavar="DIR", help="the exercise folder")
    parser.add_argument("--no-pdf", action="store_true", help="write .tex files only")
    parser.add_argument("--workers", type=_workers, default=None,
                        help="processes (default: all cores)")


def run(args: argparse.Namespace) -> int:
    from .exercise import make_exercise

    made = make_exercise(args.spec, args.roster, args.out, pdf=not args.no_pdf,
                         workers=args.workers)
    print(f"{len(made.variants)} variants written to {made.out} (sheets, claims templates, "
          "answer keys, keys.tex, variants.csv, moodle.xml); fill-in sheets go to "
          f"{made.out / 'sheets'}")
    for problem in made.problems:
        print(f"symprop: {problem}")
    return 1 if any("pdflatex is not installed" not in p for p in made.problems) else 0


# -- symprop check --class -------------------------------------------------------------------
def add_class_arguments(parser: argparse.ArgumentParser) -> None:
    """The class options of ``symprop check`` (the check verb adds these to its parser)."""
    group = parser.add_argument_group("a whole class")
    group.add_argument("--class", dest="class_dir", metavar="DIR|SHEETS", default=None,
                       help="an exercise folder (its sheets/ are marked) or a folder of sheets "
                       "inside one")
    group.add_argument("--out", dest="class_out", metavar="GRADEBOOK.csv", default=None,
                       help="the gradebook (default: DIR/gradebook.csv); reports/ and "
                       "summary.md go beside it")
    group.add_argument("--responses", metavar="LMS.csv", default=None,
                       help="an LMS response export (Moodle 'Responses' CSV) to mark instead "
                       "of sheets")
    group.add_argument("--no-pdf", dest="class_no_pdf", action="store_true",
                       help="per-student reports in Markdown only")
    group.add_argument("--workers", dest="class_workers", type=_workers, default=None,
                       help="processes (default: all cores)")


def run_class(args: argparse.Namespace) -> int:
    from .gradebook import mark_folder

    if getattr(args, "class_dir", None) is None:
        raise SpecError("nothing to check", key="FILE",
                        expected="a spec file with [claims], or --class DIR")
    run = mark_folder(args.class_dir, out=args.class_out, responses=args.responses,
                      pdf=not args.class_no_pdf, workers=args.class_workers)
    print(f"marked {run.marked_count} of {len(run.marked)} sheets against {run.variants} "
          f"variants; gradebook {run.gradebook}, reports in {run.reports}, summary "
          f"{run.summary}")
    for item in run.attention + run.failed:
        print(f"needs attention: {item}")
    return 1 if run.attention or run.failed else 0
