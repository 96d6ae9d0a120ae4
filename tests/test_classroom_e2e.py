"""The proof of issue 21: a class of 30 simulated students, marked by ``check --class``, gets
exactly the grades a careful marker gives (the simulation's own 50-digit verdicts)."""

from __future__ import annotations

import argparse
import csv
import json
import random
from fractions import Fraction
from pathlib import Path

import pytest

from symprop.classroom import simulate as S
from symprop.classroom.cli import add_class_arguments, run_class
from symprop.classroom.config import load_network, read_roster, read_toml
from symprop.classroom.exercise import make_exercise
from symprop.classroom.moodle import response_header, sheets_from_responses

SPEC = """\
# A class exercise: one backpropagation step of a 2-2-1 sigmoid network with biases.
[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "sigmoid"
bias = true
[[network.layers]]
units = 1
activation = "sigmoid"
bias = true
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
b1 = [0.1, -0.1]
W2 = [[0.3, 0.9]]
b2 = [0.2]
[example]
input = [0.35, 0.9]
target = [0.5]
learning_rate = 0.5
[exercise]
seed = "test-course-2026"
decimals = 4
ask = ["h1[1]", "h1[2]", "y[1]", "E", "delta2[1]", "delta1[1]", "delta1[2]", "w2[1,1]+",
       "b2[1]+", "w1[1,1]+", "w1[2,1]+", "b1[1]+", "E+"]
[exercise.draw]
weights = [-1.0, 1.0, 1]
biases = [-0.5, 0.5, 1]
input = [0.1, 0.9, 1]
target = [0.1, 0.9, 1]
learning_rate = [0.2, 0.8, 1]
[marking]
consistent = 0.75
carried_forward = 0.5
[marking.points]
"w2[1,1]+" = 2
"w1[1,1]+" = 2
"""

# the test's own scoring table, written out independently of the product's
CREDIT = {"correct": Fraction(1), "consistent": Fraction(3, 4),
          "carried_forward": Fraction(1, 2), "wrong": Fraction(0), "blank": Fraction(0)}
POINTS = {"w2[1,1]+": 2, "w1[1,1]+": 2}
COPIERS = {"s14": "s15", "s21": "s22", "s27": "s28"}      # copier → the neighbour copied
BROKEN = "s30"


def expected_score(verdicts: list[S.Verdict]) -> Fraction:
    return sum((POINTS.get(v.address, 1) * CREDIT[v.category] for v in verdicts), Fraction(0))


def _class(tmp_path: Path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC, encoding="utf-8")
    roster = tmp_path / "students.csv"
    rows = ["id,name"] + [f"s{i:02d},Student {i}" for i in range(1, 31)]
    rows[3] = 's03,"=HYPERLINK(""http://x"") & {Tables} $\\\\input"'   # hostile, on purpose
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    made = make_exercise(spec, roster, tmp_path / "class", pdf=False, documents=False)
    return spec, roster, made


def _simulate(made, spec: Path) -> dict[str, S.Simulated]:
    """Each mistake of the rule table on the first student whose numbers show it, the usual
    roundings on others, blanks, copiers, and a random mix for the rest."""
    network = load_network(spec)
    shape = S.Shape.of(network)
    asked = json.loads((made.out / "exercise.json").read_text())["ask"]
    params = {v.student.id: v.params for v in made.variants}
    ids = sorted(params)
    sims: dict[str, S.Simulated] = {}
    free = [i for i in ids if i not in COPIERS and i not in COPIERS.values() and i != BROKEN]
    for mistake in S.MISTAKES:
        for sid in free:
            if sid in sims:
                continue
            sim = S.simulate_student(shape, params[sid], asked, sid, decimals=4, mistake=mistake)
            if any(v.category == "wrong" for v in sim.verdicts):
                sims[sid] = sim
                break
        else:
            pytest.fail(f"no variant shows {mistake} at 4 decimal places")
    rng = random.Random(21)
    for sid in ids:
        if sid in sims or sid in COPIERS or sid == BROKEN:
            continue
        kind = rng.choice(["careful", "carry4", "carry3", "carry2", "blank", "mistake"])
        mistake = rng.choice(S.MISTAKES) if kind == "mistake" else None
        decimals = {"carry3": 3, "carry2": 2}.get(kind, 4)
        blank = tuple(rng.sample(asked, 3)) if kind == "blank" else ()
        # a student who leaves values out works from unrounded values (a student who rounds
        # what they do not write is explained by the checker's rounding search, which this
        # marker does not repeat)
        sims[sid] = S.simulate_student(shape, params[sid], asked, sid, decimals=decimals,
                                       mistake=mistake, carry=kind not in ("careful", "blank"),
                                       leave_blank=blank)
    for sid, neighbour in COPIERS.items():
        sims[sid] = S.copier(shape, params[sid], asked, sid, sims[neighbour])
    return sims


def _mark(folder: Path, *extra: str) -> tuple[int, dict[str, dict[str, str]], list[dict]]:
    parser = argparse.ArgumentParser()
    add_class_arguments(parser)
    args = parser.parse_args(["--class", str(folder), "--no-pdf", "--workers", "2", *extra])
    rc = run_class(args)
    out = Path(args.class_out) if args.class_out else folder / "gradebook.csv"
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rc, {r["student"].lstrip("'"): r for r in rows if r["student"]}, rows


def test_a_class_of_30_gets_the_careful_markers_grades(tmp_path):
    spec, roster, made = _class(tmp_path)
    sims = _simulate(made, spec)
    sheets = made.out / "sheets"
    for sid, sim in sims.items():
        (sheets / f"{sid}.toml").write_text(S.claims_toml(sim), encoding="utf-8")
    (sheets / f"{BROKEN}.toml").write_text('[student]\nid = "s30"\n[claims\n', encoding="utf-8")

    rc, book, rows = _mark(made.out)
    assert rc == 1                                    # a broken sheet, copiers: attention
    assert len(book) == 30
    for sid, sim in sims.items():
        row = book[sid]
        assert Fraction(row["score"]) == expected_score(sim.verdicts), (sid, sim.kind, row)
        for v in sim.verdicts:
            assert row[f"{v.address} verdict"] == v.category, (sid, sim.kind, v, row)
        if sim.kind in S.MISTAKES:     # every wrong answer has a named mistake, theirs among them
            named = {row[f"{v.address} mistake"] for v in sim.verdicts if v.category == "wrong"}
            assert sim.kind in named and "" not in named, (sid, sim.kind, named)
        assert row["copied_from"] == COPIERS.get(sid, ""), (sid, row["note"])
    assert book[BROKEN]["status"] == "no sheet"
    assert book["s03"]["name"].startswith("'=HYPERLINK")      # never a spreadsheet formula
    broken = [r for r in rows if r["sheet"].endswith(f"{BROKEN}.toml")]
    assert broken[0]["status"] == "bad sheet" and "not valid TOML" in broken[0]["note"]
    # every mistake of the rule table was named for somebody
    asked = json.loads((made.out / "exercise.json").read_text())["ask"]
    assert set(S.MISTAKES) <= {r[f"{a} mistake"] for r in rows for a in asked}
    summary = (made.out / "summary.md").read_text(encoding="utf-8")
    attention = summary.split("## Needs a human look")[1].split("##")[0]
    assert attention.strip().startswith(f"- {sheets / BROKEN}.toml")
    assert all(f"{c} (" in attention and COPIERS[c] in attention for c in COPIERS)
    assert all(m in summary for m in S.MISTAKES)
    assert (made.out / "mistakes.png").stat().st_size > 1000
    report = (made.out / "reports" / "s01.md").read_text(encoding="utf-8")
    assert f"score **{book['s01']['score']} /" in report

    # the same answers through an LMS response export come back as the same claims
    export = tmp_path / "moodle-responses.csv"
    with open(export, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(response_header(asked))
        for sid in ("s01", "s02", "s14"):
            writer.writerow(["X", "Y", sid, "Finished", "-",
                             *(sims[sid].written.get(a, "-") for a in asked)])
    back = sheets_from_responses(export, asked, tmp_path / "lms")
    for path, sid in zip(back, ("s01", "s02", "s14"), strict=True):
        data = read_toml(path)
        assert data["student"]["id"] == sid
        assert {a: v for a, v in data["claims"].items() if v} == sims[sid].written


def test_variants_are_reproducible_from_roster_and_seed(tmp_path):
    from symprop.classroom.config import exercise_config
    from symprop.classroom.variants import draw_variants

    spec, roster, made = _class(tmp_path)
    data = read_toml(spec)
    network = load_network(spec, data)
    students = read_roster(roster)
    again = draw_variants(network, exercise_config(data, network, str(spec)),
                          list(reversed(students)))
    assert {v.student.id: v.params for v in again} == {v.student.id: v.params
                                                       for v in made.variants}
    data["exercise"]["seed"] = "another-year"
    other = draw_variants(network, exercise_config(data, network, str(spec)), students[:5])
    assert [v.params for v in other] != [v.params for v in made.variants[:5]]
    assert len({json.dumps(v.params, sort_keys=True) for v in made.variants}) == 30
