"""``symprop exercise SPEC --roster students.csv --out DIR`` and
``symprop check --class DIR|sheets/ --out gradebook.csv [--responses lms.csv]``.

Exit codes: 0 done · 1 something needs attention (a PDF that did not compile; a sheet that
could not be marked, has unreadable values, claims nothing or looks copied; a student without
a sheet) · 2 bad input (one line, from `SpecError`).
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import SpecError
from ..io import write_atomic


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


def _folders(path: Path) -> tuple[Path, Path]:
    """(exercise folder, sheets folder) from what the user named."""
    from .exercise import MANIFEST

    if not path.is_dir():
        raise SpecError("not a folder", file=str(path), key="--class",
                        expected="an exercise folder or its sheets/ folder")
    if (path / MANIFEST).is_file():
        return path, path / "sheets"
    if (path.parent / MANIFEST).is_file():
        return path.parent, path
    raise SpecError("no exercise.json here or in the folder above", file=str(path),
                    key="--class", expected="the --out folder of `symprop exercise`, or a "
                    "folder of sheets inside it")


def run_class(args: argparse.Namespace) -> int:
    from . import latex
    from .gradebook import attention_list, gradebook_csv, mistake_chart, summary_markdown
    from .marking import load_class, mark_class, missing_sheets
    from .moodle import sheets_from_responses

    if getattr(args, "class_dir", None) is None:
        raise SpecError("nothing to check", key="FILE",
                        expected="a spec file with [claims], or --class DIR")
    exercise, sheets_dir = _folders(Path(args.class_dir))
    context = load_class(exercise)
    out = Path(args.class_out) if args.class_out else exercise / "gradebook.csv"
    if out.suffix.lower() != ".csv":
        raise SpecError("not a CSV file name", key="--out", expected="a file ending in .csv",
                        got=str(out))
    if args.responses:
        sheets_dir = out.parent / "responses"
        sheets = sheets_from_responses(args.responses, context.asked, sheets_dir)
    else:
        sheets = sorted(p for p in sheets_dir.glob("*.toml") if p.is_file()) \
            if sheets_dir.is_dir() else []
    if not sheets:
        raise SpecError("no sheets to mark", file=str(sheets_dir), key="--class",
                        expected="filled-in claims files (*.toml)")
    marked = mark_class(context, sheets, workers=args.class_workers)
    missing = missing_sheets(context, marked)
    reports = out.parent / "reports"
    write_atomic(out, gradebook_csv(marked, missing, context))
    chart = mistake_chart(marked, out.parent / "mistakes.png")
    write_atomic(out.parent / "summary.md", summary_markdown(
        marked, missing, context, chart.name if chart else None))
    done = [m for m in marked if not m.problem]
    for m in done:
        write_atomic(reports / f"{m.folder}.md", m.report)
    failed: list[str] = []
    if not args.class_no_pdf and latex.pdflatex() is not None:
        def compile_one(m) -> None:
            try:
                latex.compile_pdf(m.report_tex, reports / f"{m.folder}.pdf")
            except latex.LatexFailed as exc:
                failed.append(f"{reports / m.folder}.pdf: {exc}")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(compile_one, [m for m in done if m.report_tex]))
    attention = attention_list(marked, missing)
    print(f"marked {len(done)} of {len(marked)} sheets against {len(context.students)} variants;"
          f" gradebook {out}, reports in {reports}, summary {out.parent / 'summary.md'}")
    for item in attention + failed:
        print(f"needs attention: {item}")
    return 1 if attention or failed else 0
