"""A class of 5 for ``make demo``: variants, sheets and keys, five simulated students (one
careful, one who rounds to 2 places, two with a usual mistake, one who copies), their marking,
gradebook, reports and class summary."""

from __future__ import annotations

import json
from pathlib import Path

from ..io import write_atomic

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

#: (what the student does, keyword arguments of `simulate.simulate_student`)
STUDENTS = (
    ("works carefully at 4 decimal places", {"decimals": 4, "carry": False}),
    ("rounds everything to 2 decimal places and goes on from it", {"decimals": 2}),
    ("adds the gradient instead of subtracting it", {"decimals": 4,
                                                     "mistake": "flipped-update-sign"}),
    ("forgets the activation's derivative in δ", {"decimals": 4,
                                                  "mistake": "missing-activation-derivative"}),
)


def write_class(out_dir: str | Path, *, pdf: bool = True) -> list[tuple[str, str]]:
    """Run the whole class workflow into ``out_dir``; the files made, with what each is
    (paths relative to ``out_dir``), for the demo's index."""
    from . import simulate as S
    from .config import load_network
    from .exercise import make_exercise
    from .gradebook import mark_folder

    out = Path(out_dir)
    made = make_exercise(EXAMPLES / "exercise_lecture_221.toml", EXAMPLES / "students.csv",
                         out, pdf=pdf)
    network = load_network(out / "spec.toml")
    shape = S.Shape.of(network)
    asked = json.loads((out / "exercise.json").read_text(encoding="utf-8"))["ask"]
    sims = []
    for variant, (what, kwargs) in zip(made.variants, STUDENTS, strict=False):
        sims.append((what, S.simulate_student(shape, variant.params, asked, variant.student.id,
                                              **kwargs)))
    last = made.variants[len(STUDENTS)]
    sims.append((f"hands in {made.variants[0].student.name}'s answers",
                 S.copier(shape, last.params, asked, last.student.id, sims[0][1])))
    for _, sim in sims:
        write_atomic(out / "sheets" / f"{sim.student_id}.toml", S.claims_toml(sim))
    mark_folder(out, pdf=pdf)
    from .marking import load_class

    rules = load_class(out).rules
    lines = ["# The simulated students", "", "The careful marker's points come from the "
             "simulation's own verdicts (50-digit mpmath, independent of the checker) scored "
             "with the spec's [marking] table; symprop's from `check --class`.", "",
             "| student | what they do | careful marker | symprop |", "|---|---|---|---|"]
    for what, sim in sims:
        careful = sum(rules.points_for(v.address) * rules.credit_for(v.category)
                      for v in sim.verdicts)
        lines.append(f"| {sim.student_id} | {what} | {float(careful):g} | "
                     f"{_points(sim, out)} |")
    write_atomic(out / "students.md", "\n".join(lines) + "\n")
    files = [("exercise.json", "the exercise: seed, questions, every student's variant"),
             ("variants.csv", "each student's numbers and rounded answers"),
             ("moodle.xml", "the variants as a Moodle XML quiz"),
             ("students.md", "what each simulated student does"),
             ("sheets/", "the five filled-in sheets (claims TOML)"),
             ("gradebook.csv", "the gradebook: scores, per-question verdicts and mistakes"),
             ("summary.md", "the class summary: sheets needing a look, mistakes by step"),
             ("reports/", "a report per student to hand back (Markdown"
              + (" and PDF)" if pdf else ")"))]
    if (out / "mistakes.png").exists():
        files.append(("mistakes.png", "students per mistake"))
    if pdf:
        files += [("keys.pdf", "every variant's answer key, for the teacher"),
                  ("students/", "per student: sheet.pdf, claims.toml, key.pdf, key.json")]
    return files


def _points(sim, out: Path) -> str:
    import csv

    with open(out / "gradebook.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["student"].lstrip("'") == sim.student_id:
                return f"{row['score']} / {row['out_of']}"
    return "not marked"
