"""Marking a class: every filled-in sheet matched to its student's variant and judged by the
same checker as ``symprop check``, in parallel on all cores.

A sheet is a TOML file: ``[student] id = "…"`` and ``[claims]`` (address = "value as written",
"" for a value not computed). Its verdicts come from `symprop.check.check` on the student's own
variant; this module only sorts them into scoring categories, scores them with the
``[marking]`` rules and looks for copying. A sheet that cannot be read (broken TOML, no or an
unknown student id, an address the network does not have) becomes a row with its reason; the
other sheets are marked as usual.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..addresses import Address
from ..errors import SpecError
from .config import MarkingRules, Student, load_network, marking_rules, read_toml
from .copying import Suspicion, suspect
from .exercise import FORMAT, MANIFEST
from .safe import markdown_text
from .variants import derivation_of, numbers_of, variant_network

#: verdicts a careful marker scores without a second look
SCORED = ("correct", "consistent", "wrong")


@dataclass
class Answer:
    address: str
    claimed: str                   # as written; "" when left blank
    verdict: str                   # the checker's verdict, "blank" or "unreadable"
    category: str                  # correct · consistent · carried_forward · wrong · blank · …
    points: Fraction
    earned: Fraction = Fraction(0)
    mistake: str | None = None
    departs_at: str | None = None
    explanation: str = ""


@dataclass
class Marked:
    """One sheet's marking (or the reason it could not be marked)."""

    sheet: str
    student_id: str | None = None
    name: str = ""
    folder: str = ""
    code: str = ""
    answers: list[Answer] = field(default_factory=list)
    problem: str | None = None            # a bad sheet: why
    attention: list[str] = field(default_factory=list)
    copied: Suspicion | None = None
    report: str = ""                       # Markdown to hand back
    report_tex: str = ""                   # the same as a LaTeX document

    @property
    def score(self) -> Fraction:
        return sum((a.earned for a in self.answers), Fraction(0))

    @property
    def total(self) -> Fraction:
        return sum((a.points for a in self.answers), Fraction(0))

    @property
    def needs_attention(self) -> bool:
        return bool(self.problem or self.attention)


@dataclass
class ClassContext:
    """What every sheet is marked against: the exercise folder's manifest, spec and rules."""

    folder: Path
    base: Any
    derivation: Any
    asked: list[str]
    decimals: int
    title: str
    rules: MarkingRules
    students: dict[str, dict[str, Any]]
    answers: dict[str, dict[str, Decimal]]
    networks: dict[str, Any] = field(default_factory=dict)

    def network(self, student_id: str):
        if student_id not in self.networks:
            self.networks[student_id] = variant_network(
                self.base, self.students[student_id]["params"])
        return self.networks[student_id]

    def roster(self) -> list[Student]:
        return [Student(s["id"], s["name"], s["folder"]) for s in self.students.values()]


def load_class(folder: str | Path) -> ClassContext:
    """Read an exercise folder written by ``symprop exercise``."""
    folder = Path(folder)
    where = str(folder / MANIFEST)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("not an exercise folder (no exercise.json)", file=str(folder),
                        expected="the --out folder of `symprop exercise`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"cannot read the manifest ({exc})", file=where) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SpecError("unknown manifest format", file=where, key="format",
                        expected=FORMAT, got=manifest.get("format")
                        if isinstance(manifest, dict) else None)
    spec = folder / str(manifest.get("spec", "spec.toml"))
    data = read_toml(spec)
    base = load_network(spec, data)
    asked = [str(base.address(a)) for a in manifest["ask"]]
    rules = marking_rules(data, base, str(spec), tuple(asked))
    derivation = derivation_of(base)
    students, answers = {}, {}
    for entry in manifest["students"]:
        students[entry["id"]] = entry
    context = ClassContext(folder, base, derivation, asked, int(manifest["decimals"]),
                           str(manifest.get("title", "")), rules, students, answers)
    for sid in students:   # recomputed, not trusted from the file
        numbers = numbers_of(context.network(sid), derivation)
        answers[sid] = {a: numbers[base.address(a)] for a in asked}
    return context


# -- one sheet -------------------------------------------------------------------------------
def _sheet_claims(data: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    student = data.get("student")
    if not isinstance(student, dict) or not isinstance(student.get("id"), str | int) \
            or isinstance(student.get("id"), bool) or str(student.get("id")).strip() == "":
        raise SpecError("missing student id", file=path, key="student.id",
                        expected='a [student] table with id = "…"')
    claims = data.get("claims", {})
    if not isinstance(claims, dict):
        raise SpecError("not a table", file=path, key="claims",
                        expected='a [claims] table: address = "value as written"')
    extra = sorted(set(data) - {"student", "claims"})
    if extra:
        raise SpecError("unknown table", file=path, key=extra[0],
                        expected="only [student] and [claims]")
    return str(student["id"]).strip(), claims


def _categories(network, derivation, result, given: dict[Address, Decimal]
                ) -> dict[Address, str]:
    """correct · consistent · carried_forward · wrong per claim: a consistent value whose own
    earlier values go back to a wrong one is an error carried forward, one that only rounded
    correct values is consistent. Which claimed values a value was computed from is the
    checker's own replay's answer (a claimed value ends the trail, as it does there)."""
    from ..check.replay import Plan, Replay

    plan = Plan(network, derivation)
    replay = Replay(plan, given=given).run()
    index = {a: i for i, a in enumerate(plan.order)}
    tainted: dict[Address, bool] = {}
    out: dict[Address, str] = {}
    for r in sorted(result.claims, key=lambda r: index.get(r.claim.address, -1)):
        a = r.claim.address
        if r.verdict == "wrong":
            tainted[a], out[a] = True, "wrong"
        elif r.verdict == "consistent":
            above = [u for u in replay.ancestors(a) if u in given]
            tainted[a] = any(tainted.get(u, False) for u in above)
            out[a] = "carried_forward" if tainted[a] else "consistent"
        else:
            tainted[a], out[a] = r.verdict != "correct", r.verdict
    return out


def mark_sheet(context: ClassContext, path: str | Path) -> Marked:
    """Judge one sheet against its student's variant; never raises for a bad sheet."""
    path = str(path)
    marked = Marked(path)
    try:
        _mark(context, path, marked)
    except SpecError as exc:
        marked.problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - one sheet must never stop the class
        marked.problem = f"{path}: could not be marked ({type(exc).__name__}: {exc})"
    if marked.problem:
        marked.answers = []
        marked.report = f"# {Path(path).name}\n\nThis sheet could not be marked: " \
            f"{marked.problem}\n"
    return marked


def _mark(context: ClassContext, path: str, marked: Marked) -> None:
    from ..check import check
    from ..check.claims import parse_value
    from ..check.report import to_latex, to_markdown

    student_id, raw_claims = _sheet_claims(read_toml(path), path)
    marked.student_id = student_id
    if student_id not in context.students:
        raise SpecError("unknown student id", file=path, key="student.id",
                        expected="an id of the exercise's roster", got=student_id)
    entry = context.students[student_id]
    marked.name, marked.folder, marked.code = entry["name"], entry["folder"], entry["code"]
    network = context.network(student_id)
    written: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    parsed: dict[str, tuple[Decimal, Decimal]] = {}
    for key, value in raw_claims.items():
        try:
            address = str(network.address(str(key)))
        except SpecError:
            raise SpecError("unknown address", file=path, key=f"claims.{key}",
                            expected="an address of the exercise, like " +
                            ", ".join(context.asked[:3])) from None
        if address in written or address in unreadable:
            raise SpecError("claimed twice", file=path, key=f"claims.{key}",
                            expected="each quantity once")
        text = value if isinstance(value, str) else repr(value) \
            if isinstance(value, int | float) and not isinstance(value, bool) else None
        if text is None:
            unreadable[address] = f"not a value: {value!r}"
            continue
        if not text.strip():
            continue
        try:
            number, _, tolerance, _, _ = parse_value(text, file=path, key=f"claims.{key}")
        except SpecError as exc:
            unreadable[address] = str(exc).split(": ", 2)[-1]
            continue
        written[address] = text.strip()
        parsed[address] = (number, tolerance)
    results: dict[str, Any] = {}
    result = None
    if written:
        result = check(network.with_(claims=written, source=path))
        given = {r.claim.address: r.claim.value for r in result.claims}
        categories = _categories(network, context.derivation, result, given)
        results = {str(r.claim.address): (r, categories[r.claim.address])
                   for r in result.claims}
    rules = context.rules
    from ..check.display import render

    for address in context.asked:
        points = rules.points_for(address)
        if address in results:
            r, category = results[address]
            answer = Answer(address, r.claim.text, r.verdict, category, points,
                            mistake=r.mistake,
                            departs_at=None if r.departs_at is None else str(r.departs_at),
                            explanation=render(r.explanation, network))
            if r.verdict not in SCORED:
                marked.attention.append(f"{address}: {r.verdict}")
        elif address in unreadable:
            answer = Answer(address, str(raw_claims.get(address, "")), "unreadable",
                            "unreadable", points, explanation=unreadable[address])
            marked.attention.append(f"{address}: unreadable ({unreadable[address]})")
        else:
            answer = Answer(address, "", "blank", "blank", points)
        answer.earned = points * rules.credit_for(answer.category)
        marked.answers.append(answer)
    if not written:
        marked.attention.insert(0, "nothing claimed")
    marked.copied = suspect(parsed, student_id, context.answers)
    if marked.copied:
        other = context.students[marked.copied.other_id]
        marked.attention.append(marked.copied.sentence(other["code"]))
    header = _header(marked, context)
    if result is not None:
        marked.report = header + "\n" + to_markdown(result)
        tex = to_latex(result)
        marked.report_tex = tex.replace(r"\begin{document}",
                                        r"\begin{document}" + "\n" + _header_tex(marked), 1)
    else:
        marked.report = header + "\nNo values were claimed on this sheet.\n"


def _fraction(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.2f}".rstrip("0")


def _header(marked: Marked, context: ClassContext) -> str:
    lines = [f"# {markdown_text(context.title)}: {markdown_text(marked.name)} "
             f"({markdown_text(marked.student_id or '')})", "",
             f"Variant `{marked.code}` · score **{_fraction(marked.score)} / "
             f"{_fraction(marked.total)}**", ""]
    if marked.attention:
        lines += ["To be looked at by the teacher: " + "; ".join(marked.attention), ""]
    lines += ["| question | you wrote | verdict | points |", "|---|---|---|---|"]
    for i, a in enumerate(marked.answers, start=1):
        verdict = a.category.replace("_", " ") + (f" ({a.mistake})" if a.mistake else "")
        lines.append(f"| {i}. `{a.address}` | `{a.claimed or '—'}` | {verdict} | "
                     f"{_fraction(a.earned)} / {_fraction(a.points)} |")
    return "\n".join(lines) + "\n"


def _header_tex(marked: Marked) -> str:
    from . import latex

    rows = "\n".join(
        rf"{i}. & \texttt{{{latex.text(a.address)}}} & \texttt{{{latex.text(a.claimed) or '--'}}}"
        rf" & {latex.text(a.category.replace('_', ' '))}"
        rf"{' (' + latex.text(a.mistake) + ')' if a.mistake else ''} & "
        rf"{_fraction(a.earned)} / {_fraction(a.points)} \\"
        for i, a in enumerate(marked.answers, start=1))
    return (rf"\section*{{{latex.text(marked.name)} ({latex.text(marked.student_id)})}}"
            "\n" rf"Score: \textbf{{{_fraction(marked.score)} / {_fraction(marked.total)}}}"
            r"\par\medskip" "\n" r"\begin{tabular}{rllll}" "\n" r"\hline" "\n"
            r" & question & you wrote & verdict & points \\ \hline" "\n" + rows + "\n"
            r"\hline\end{tabular}\par\bigskip" "\n")


# -- the class, in parallel ------------------------------------------------------------------
_WORKER: ClassContext | None = None


def _init_worker(folder: str) -> None:
    global _WORKER
    _WORKER = load_class(folder)


def _mark_in_worker(path: str) -> Marked:
    assert _WORKER is not None
    return mark_sheet(_WORKER, path)


def mark_class(context: ClassContext, sheets: list[Path], *, workers: int | None = None
               ) -> list[Marked]:
    """Every sheet marked (in parallel when there are several cores and sheets), in the order
    given; a second sheet for the same student is a bad sheet."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(sheets)))
    if workers == 1:
        marked = [mark_sheet(context, p) for p in sheets]
    else:
        try:
            with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                     initargs=(str(context.folder),)) as pool:
                marked = list(pool.map(_mark_in_worker, [str(p) for p in sheets]))
        except BrokenProcessPool:      # a worker died (memory, a signal): finish here
            marked = [mark_sheet(context, p) for p in sheets]
    seen: dict[str, str] = {}
    for m in marked:
        if m.student_id and not m.problem:
            if m.student_id in seen:
                m.problem = (f"{m.sheet}: a second sheet for student {m.student_id!r} (the "
                             f"first is {seen[m.student_id]}); only the first is marked")
                m.answers = []
            else:
                seen[m.student_id] = m.sheet
    return marked


def missing_sheets(context: ClassContext, marked: list[Marked]) -> list[Student]:
    have = {m.student_id for m in marked if not m.problem}
    return [s for s in context.roster() if s.id not in have]
