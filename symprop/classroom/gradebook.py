"""The class's results: a gradebook CSV, a report per student, and a class summary (what needs
a human look first, then how many students made each mistake and at which step, as a table and
a bar chart)."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import SpecError
from ..io import write_atomic
from .config import Student
from .marking import ClassContext, Marked, load_class, mark_class, missing_sheets
from .safe import cell, markdown_text

CATEGORIES = ("correct", "consistent", "carried_forward", "wrong", "blank")


def _number(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.4g}"


def gradebook_csv(marked: list[Marked], missing: list[Student], context: ClassContext) -> str:
    """One row per student of the roster and per sheet that could not be marked."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    total = sum((context.rules.points_for(a) for a in context.asked), Fraction(0))
    header = ["student", "name", "score", "out_of", "status", "copied_from", "sheet", "note"]
    for a in context.asked:
        header += [f"{a} verdict", f"{a} mistake"]
    writer.writerow(header)
    rows = []
    for m in marked:
        status = "bad sheet" if m.problem else "needs attention" if m.attention else "marked"
        row = [cell(m.student_id or ""), cell(m.name), _number(m.score), _number(total),
               status, cell(m.copied.other_id) if m.copied else "", cell(m.sheet),
               cell(m.problem or "; ".join(m.attention))]
        by_address = {a.address: a for a in m.answers}
        for a in context.asked:
            answer = by_address.get(a)
            row += [answer.category if answer else "", (answer.mistake or "") if answer else ""]
        rows.append(row)
    for s in missing:
        rows.append([cell(s.id), cell(s.name), "0", _number(total), "no sheet", "", "",
                     "no sheet handed in", *([""] * (2 * len(context.asked)))])
    rows.sort(key=lambda r: (r[0] == "", r[0].lstrip("'")))
    writer.writerows(rows)
    return buffer.getvalue()


def attention_list(marked: list[Marked], missing: list[Student]) -> list[str]:
    """The sheets that need a human look, bad sheets first."""
    out = [m.problem for m in marked if m.problem]
    out += [f"{markdown_text(m.student_id or '')} ({Path(m.sheet).name}): "
            + "; ".join(m.attention)
            for m in marked if not m.problem and m.attention]
    out += [f"{markdown_text(s.id)}: no sheet handed in" for s in missing]
    return out


def mistake_counts(marked: list[Marked]) -> dict[str, tuple[int, Counter]]:
    """mistake → (students who made it, Counter of the step where it first shows)."""
    out: dict[str, tuple[set, Counter]] = {}
    for m in marked:
        for a in m.answers:
            if a.mistake:
                students, steps = out.setdefault(a.mistake, (set(), Counter()))
                if m.student_id not in students:
                    students.add(m.student_id)
                    steps[a.departs_at or a.address] += 1
    return {k: (len(v[0]), v[1]) for k, v in sorted(out.items(), key=lambda kv: -len(kv[1][0]))}


def summary_markdown(marked: list[Marked], missing: list[Student], context: ClassContext,
                     chart: str | None) -> str:
    scored = [m for m in marked if not m.problem]
    total = sum((context.rules.points_for(a) for a in context.asked), Fraction(0))
    lines = [f"# Class summary: {markdown_text(context.title)}", "",
             f"{len(scored)} sheets marked, {len(marked) - len(scored)} could not be marked, "
             f"{len(missing)} students without a sheet; {len(context.asked)} questions, "
             f"{_number(total)} points.", ""]
    attention = attention_list(marked, missing)
    lines += ["## Needs a human look", ""]
    lines += [f"- {item}" for item in attention] or ["- nothing"]
    lines.append("")
    if scored:
        scores = sorted(float(m.score) for m in scored)
        mean = sum(scores) / len(scores)
        median = scores[len(scores) // 2] if len(scores) % 2 else \
            (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2
        lines += ["## Scores", "", f"mean {mean:.2f}, median {median:.2f}, lowest "
                  f"{scores[0]:.2f}, highest {scores[-1]:.2f} (out of {_number(total)})", ""]
    lines += ["## Per question", "",
              "| question | " + " | ".join(c.replace("_", " ") for c in CATEGORIES) + " |",
              "|---|" + "---|" * len(CATEGORIES)]
    for a in context.asked:
        counts = Counter(ans.category for m in scored for ans in m.answers if ans.address == a)
        lines.append(f"| `{a}` | " + " | ".join(str(counts.get(c, 0)) for c in CATEGORIES)
                     + " |")
    lines += ["", "## Mistakes", ""]
    counts = mistake_counts(scored)
    if counts:
        lines += ["| mistake | students | where it first shows |", "|---|---|---|"]
        for mistake, (n, steps) in counts.items():
            where = ", ".join(f"`{s}` ({c})" for s, c in steps.most_common())
            lines.append(f"| {mistake} | {n} | {where} |")
        if chart:
            lines += ["", f"![students per mistake]({chart})"]
    else:
        lines.append("No named mistake.")
    return "\n".join(lines) + "\n"


def mistake_chart(marked: list[Marked], path: str | Path) -> Path | None:
    """A horizontal bar chart of students per mistake (None when nobody made one)."""
    counts = mistake_counts([m for m in marked if not m.problem])
    if not counts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(counts)[::-1]
    values = [counts[n][0] for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    ax.barh(names, values, color="#1f4e8c")
    ax.set_xlabel("students")
    ax.set_title("Students per mistake")
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return write_atomic(path, buffer.getvalue())


# -- a folder of sheets, marked and written up ---------------------------------------------------
@dataclass
class ClassRun:
    marked: list[Marked]
    variants: int
    gradebook: Path
    reports: Path
    summary: Path
    attention: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)       # report PDFs that did not compile

    @property
    def marked_count(self) -> int:
        return sum(not m.problem for m in self.marked)


def find_exercise(path: Path) -> tuple[Path, Path]:
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


def mark_folder(path: str | Path, *, out: str | Path | None = None,
                responses: str | Path | None = None, pdf: bool = True,
                workers: int | None = None) -> ClassRun:
    """Mark every sheet of an exercise (or an LMS response export) and write the gradebook,
    a report per student (Markdown, and PDF when ``pdf``), the summary and its chart."""
    from . import latex
    from .moodle import sheets_from_responses

    exercise, sheets_dir = find_exercise(Path(path))
    context = load_class(exercise)
    book = Path(out) if out else exercise / "gradebook.csv"
    if book.suffix.lower() != ".csv":
        raise SpecError("not a CSV file name", key="--out", expected="a file ending in .csv",
                        got=str(book))
    if responses:
        sheets_dir = book.parent / "responses"
        sheets = sheets_from_responses(responses, context.asked, sheets_dir)
    else:
        sheets = sorted(p for p in sheets_dir.glob("*.toml") if p.is_file()) \
            if sheets_dir.is_dir() else []
    if not sheets:
        raise SpecError("no sheets to mark", file=str(sheets_dir), key="--class",
                        expected="filled-in claims files (*.toml)")
    marked = mark_class(context, sheets, workers=workers)
    missing = missing_sheets(context, marked)
    reports, summary = book.parent / "reports", book.parent / "summary.md"
    write_atomic(book, gradebook_csv(marked, missing, context))
    chart = mistake_chart(marked, book.parent / "mistakes.png")
    write_atomic(summary, summary_markdown(marked, missing, context,
                                           chart.name if chart else None))
    done = [m for m in marked if not m.problem]
    for m in done:
        write_atomic(reports / f"{m.folder}.md", m.report)
    run = ClassRun(marked, len(context.students), book, reports, summary,
                   attention_list(marked, missing))
    if pdf and latex.pdflatex() is not None:
        def compile_one(m: Marked) -> None:
            try:
                latex.compile_pdf(m.report_tex, reports / f"{m.folder}.pdf")
            except latex.LatexFailed as exc:
                run.failed.append(f"{reports / m.folder}.pdf: {exc}")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(compile_one, [m for m in done if m.report_tex]))
    return run
