"""symprop.classroom: the spec tables, the roster, sheets and keys that compile, the Moodle
export, copy detection and the sheets that need a human look."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from symprop.classroom import latex
from symprop.classroom import simulate as S
from symprop.classroom.config import (
    exercise_config,
    load_network,
    marking_rules,
    read_roster,
    read_toml,
)
from symprop.classroom.copying import suspect
from symprop.classroom.exercise import make_exercise
from symprop.classroom.marking import load_class, mark_class, mark_sheet
from symprop.cli import main
from symprop.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "exercise_lecture_221.toml"
HOSTILE = 'Bob & {Tables} $\\input{/etc/passwd}$ 100% #1 ~_^ Zoë'


def _roster(path: Path, rows: list[tuple[str, str]]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name"])
        writer.writerows(rows)
    return path


def _spec_with(tmp_path: Path, edit) -> Path:
    text = edit(SPEC.read_text(encoding="utf-8"))
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the spec tables and the roster --------------------------------------------------------------
@pytest.mark.parametrize("old, new, key", [
    ('ask = ["h1[1]"', 'ask = ["h1[9]"', "h1[9]"),
    ('ask = ["h1[1]"', 'ask = ["w1[1,1]"', "exercise.ask[1]"),
    ("weights = [-1.0, 1.0, 1]", "weights = [1.0, -1.0, 1]", "exercise.draw.weights"),
    ("weights = [-1.0, 1.0, 1]", "weights = [-1.0, 1.0]", "exercise.draw.weights"),
    ("weights = [-1.0, 1.0, 1]", "slopes = [-1.0, 1.0, 1]", "exercise.draw.slopes"),
    ("decimals = 4 ", "decimals = 0 ", "exercise.decimals"),
    ("seed = 2026", "seed = true", "exercise.seed"),
    ("consistent = 1 ", "consistent = 1.5 ", "marking.consistent"),
    ("consistent = 1 ", "generosity = 1 ", "marking.generosity"),
    ('"w1[1,1]+" = 2', '"w1[1,2]+" = 2', "marking.points.w1[1,2]+"),
    ("default = 1", "default = -1", "marking.points.default"),
])
def test_bad_exercise_and_marking_tables_name_the_key(tmp_path, old, new, key):
    spec = _spec_with(tmp_path, lambda t: t.replace(old, new, 1))
    assert spec.read_text() != SPEC.read_text()
    data = read_toml(spec)
    network = load_network(spec, data)
    with pytest.raises(SpecError) as err:
        config = exercise_config(data, network, str(spec))
        marking_rules(data, network, str(spec), config.ask)
    assert str(spec) in str(err.value) and key in str(err.value)


def test_marking_defaults_are_what_a_teacher_expects(tmp_path):
    spec = _spec_with(tmp_path, lambda t: t.split("\n[marking]")[0])
    data = read_toml(spec)
    rules = marking_rules(data, load_network(spec, data), str(spec))
    assert rules.points_for("E") == 1
    assert {k: float(v) for k, v in rules.credit.items()} == {
        "correct": 1, "consistent": 1, "carried_forward": 0.5, "wrong": 0, "blank": 0}


@pytest.mark.parametrize("text, message", [
    ("name\nAda\n", "no id column"),
    ("id,name\na1,Ada\na1,Alan\n", "student id listed twice"),
    ("id,name\n,Ada\n", "missing student id"),
    ("id,name\n", "no students"),
    ("", "empty roster"),
])
def test_bad_rosters_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=message):
        read_roster(path)


def test_roster_ids_become_safe_distinct_folders(tmp_path):
    students = read_roster(_roster(tmp_path / "r.csv", [
        ("../../etc", "A"), ("a b", "B"), ("a/b", "C"), (".hidden", "D")]))
    folders = [s.folder for s in students]
    assert len(set(folders)) == 4
    assert all("/" not in f and not f.startswith(".") and f for f in folders)


def test_exercise_cli_bad_input_exits_2_with_one_line(tmp_path, capsys):
    code = main(["exercise", str(SPEC), "--roster", str(tmp_path / "missing.csv"),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "missing.csv" in err[0]
    spec = _spec_with(tmp_path, lambda t: t.split("\n[exercise]")[0])
    roster = _roster(tmp_path / "r.csv", [("a1", "Ada")])
    code = main(["exercise", str(spec), "--roster", str(roster), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "[exercise]" in err[0]
    assert not (tmp_path / "o").exists()


# -- text that reaches LaTeX -----------------------------------------------------------------------
def test_latex_text_leaves_no_command_of_the_user():
    import re

    tex = latex.text(HOSTILE + "\n\\write18{rm}")
    known = r"\\textbackslash\{\}|\\textasciitilde\{\}|\\textasciicircum\{\}|\\[&{}$%#_]"
    bare = re.sub(known, "", tex)
    assert not set(bare) & set("\\$&%#{}~^_\n"), bare
    assert "input" in bare and "Zoë" in bare


# -- sheets and keys, compiled -------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                    reason="needs pdflatex and pdftotext")
def test_sheets_and_keys_compile_and_keys_agree_with_an_independent_step(tmp_path):
    roster = _roster(tmp_path / "r.csv", [("x<1>&", HOSTILE)])
    made = make_exercise(SPEC, roster, tmp_path / "class")
    assert made.problems == []
    out = made.out
    for student in read_roster(roster):
        folder = out / "students" / student.folder
        for name in ("sheet.pdf", "key.pdf", "sheet.tex", "key.tex", "claims.toml"):
            assert (folder / name).is_file(), name
        text = subprocess.run(["pdftotext", str(folder / "sheet.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert student.name.split()[0] in text and "variant" in text
        key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
        # the oracle: the same step written out by hand in 50-digit mpmath
        network = load_network(out / "spec.toml")
        asked = [a["address"] for a in key["answers"]]
        raw = S.run_step(S.Shape.of(network), key["params"], asked).raw
        for answer in key["answers"]:
            exact = S._dec(raw[answer["address"]])
            assert abs(Decimal(answer["value"]) - exact) < Decimal("1e-40")
            assert answer["rounded"] == S.write(raw[answer["address"]], 4)
            assert answer["exact"]                        # SymPy's exact expression
        assert any("proven" in c for c in key["checks"])
        template = read_toml(folder / "claims.toml")
        assert template["student"]["id"] == student.id
        assert list(template["claims"]) == asked and set(template["claims"].values()) == {""}
    assert (out / "keys.pdf").stat().st_size > 10_000
    pages = subprocess.run(["pdftotext", str(out / "keys.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Answer key" in pages and "Bob & {Tables}" in pages and "Worked example" in pages


# -- Moodle XML --------------------------------------------------------------------------------
def test_moodle_quiz_is_well_formed_with_numerical_questions(tmp_path):
    roster = _roster(tmp_path / "r.csv", [("a<b&c", HOSTILE), ("a102", "Alan Turing")])
    made = make_exercise(SPEC, roster, tmp_path / "class", pdf=False, documents=False)
    text = (made.out / "moodle.xml").read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    quiz = ET.fromstring(text.encode("utf-8"))
    manifest = json.loads((made.out / "exercise.json").read_text(encoding="utf-8"))
    asked = manifest["ask"]
    categories = quiz.findall("question[@type='category']")
    numerical = quiz.findall("question[@type='numerical']")
    assert len(categories) == 2 and len(numerical) == 2 * len(asked)
    assert categories[0].findtext("category/text").endswith("/a<b&c")
    assert {q.attrib["type"] for q in quiz} == {"category", "numerical"}
    for n, q in enumerate(numerical):
        student = manifest["students"][n // len(asked)]
        address = asked[n % len(asked)]
        assert q.findtext("name/text") and q.find("questiontext").attrib["format"] == "html"
        answers = q.findall("answer")
        assert len(answers) == 1 and answers[0].attrib["fraction"] == "100"
        value = Decimal(student["answers"][address])
        rounded = value.quantize(Decimal("0.0001"), rounding="ROUND_HALF_UP")
        assert Decimal(answers[0].findtext("text")) == rounded
        assert Decimal(answers[0].findtext("tolerance")) == Decimal("0.00005")
        grade = 2 if address in ("w2[1,1]+", "w1[1,1]+") else 1
        assert float(q.findtext("defaultgrade")) == grade
        assert address in ET.tostring(q.find("questiontext"), encoding="unicode")


# -- copying, bad sheets ----------------------------------------------------------------------
def test_copy_detection_needs_answers_that_tell_variants_apart():
    tol = Decimal("0.00005")
    answers = {"a": {"q1": Decimal("0.1"), "q2": Decimal("0.2"), "q3": Decimal("0.3")},
               "b": {"q1": Decimal("0.1"), "q2": Decimal("0.25"), "q3": Decimal("0.35")},
               "c": {"q1": Decimal("0.5"), "q2": Decimal("0.6"), "q3": Decimal("0.7")}}
    copied = {"q1": (Decimal("0.1"), tol), "q2": (Decimal("0.25"), tol),
              "q3": (Decimal("0.35"), tol)}
    found = suspect(copied, "a", answers)
    assert found and found.other_id == "b" and (found.matches, found.compared) == (2, 2)
    honest = {"q1": (Decimal("0.1"), tol), "q2": (Decimal("0.2"), tol),
              "q3": (Decimal("0.9"), tol)}
    assert suspect(honest, "a", answers) is None
    one = {"q2": (Decimal("0.25"), tol)}                  # one match is not evidence
    assert suspect(one, "a", answers) is None


def test_bad_sheets_are_listed_and_never_stop_the_rest(tmp_path):
    roster = _roster(tmp_path / "r.csv", [("a101", "Ada"), ("a102", "Alan"), ("a103", "Grace")])
    made = make_exercise(SPEC, roster, tmp_path / "class", pdf=False, documents=False)
    context = load_class(made.out)
    sheets = made.out / "sheets"

    def answers(n: int, leave_out: str = "") -> str:
        raw = S.run_step(S.Shape.of(context.base), made.variants[n].params, context.asked).raw
        return "\n".join(f'"{a}" = "{S.write(raw[a], 4)}"' for a in context.asked
                         if a != leave_out)

    files = {
        "good.toml": f'[student]\nid = "a101"\n[claims]\n{answers(0)}\n',
        "again.toml": f'[student]\nid = "a101"\n[claims]\n{answers(0)}\n',
        "noid.toml": '[claims]\n"y[1]" = "0.5"\n',
        "broken.toml": "[student\n",
        "address.toml": '[student]\nid = "a102"\n[claims]\n"y[3]" = "0.5"\n',
        "empty.toml": '[student]\nid = "a102"\n[claims]\n"y[1]" = ""\n',
        "unreadable.toml": f'[student]\nid = "a103"\n[claims]\n"E" = "0,5"\n'
                           f'{answers(2, leave_out="E")}\n',
    }
    for name, text in files.items():
        (sheets / name).write_text(text, encoding="utf-8")
    marked = {Path(m.sheet).name: m for m in mark_class(
        context, [sheets / n for n in files], workers=1)}
    assert marked["good.toml"].score == marked["good.toml"].total > 0
    assert not marked["good.toml"].needs_attention
    assert "second sheet" in marked["again.toml"].problem
    assert "student.id" in marked["noid.toml"].problem
    assert "not valid TOML" in marked["broken.toml"].problem
    assert "claims.y[3]" in marked["address.toml"].problem
    assert marked["empty.toml"].attention == ["nothing claimed"]
    bad = marked["unreadable.toml"]
    assert bad.problem is None and bad.attention[0].startswith("E: unreadable")
    assert [a.category for a in bad.answers if a.address == "E"] == ["unreadable"]
    assert sum(a.category == "correct" for a in bad.answers) == len(context.asked) - 1
    assert mark_sheet(context, sheets / "missing.toml").problem     # no file: a reason


@pytest.mark.parametrize("example, message", [
    ("deep_softmax.toml", "too large for a hand calculation"),
    ("perceptron.toml", "threshold units"),
])
def test_networks_that_are_no_hand_exercise_are_refused(tmp_path, example, message):
    spec = tmp_path / example
    spec.write_text((ROOT / "examples" / example).read_text(encoding="utf-8")
                    + '\n[exercise]\nseed = 1\nask = ["E"]\n', encoding="utf-8")
    data = read_toml(spec)
    with pytest.raises(SpecError, match=message):
        exercise_config(data, load_network(spec, data), str(spec))


def test_check_class_bad_input_is_one_spec_error(tmp_path):
    import argparse

    from symprop.classroom.cli import add_class_arguments, run_class

    made = make_exercise(SPEC, _roster(tmp_path / "r.csv", [("a1", "Ada")]),
                         tmp_path / "class", pdf=False, documents=False)
    parser = argparse.ArgumentParser()
    add_class_arguments(parser)
    cases = [([], "nothing to check"),
             (["--class", str(tmp_path / "nope")], "not a folder"),
             (["--class", str(tmp_path)], "no exercise.json"),
             (["--class", str(made.out)], "no sheets to mark"),
             (["--class", str(made.out / "sheets"), "--out", str(tmp_path / "g.xlsx")],
              "ending in .csv"),
             (["--class", str(made.out), "--responses", str(tmp_path / "r.csv")],
              "no answer columns")]
    for argv, message in cases:
        with pytest.raises(SpecError, match=message):
            run_class(parser.parse_args(argv))
    assert not (made.out / "gradebook.csv").exists()
