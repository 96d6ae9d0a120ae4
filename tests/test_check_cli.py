"""``symprop check``: terminal text, JSON contract, reports, exit codes 0/1/2."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symprop
from symprop.check.judge import check
from symprop.check.report import to_latex, to_markdown, to_text, use_colour
from symprop.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SLIDE = EXAMPLES / "check_lecture_slide.toml"
MISTAKES = EXAMPLES / "check_student_mistakes.toml"
LECTURE = (EXAMPLES / "lecture_221.toml").read_text()
CLAIM_KEYS = {"name", "address", "claimed", "exact", "verdict", "expected_from_your_values",
              "explanation", "mistake"}


def write(tmp_path: Path, text: str, name: str = "student.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_contract(capsys):
    assert main(["check", str(SLIDE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"claims", "summary"} <= set(data)
    assert all(CLAIM_KEYS <= set(c) for c in data["claims"])
    assert data["summary"]["correct"] == 3 and data["summary"]["consistent"] == 3
    assert data["summary"]["wrong"] == 0
    w1 = next(c for c in data["claims"] if c["name"] == "w1")
    assert w1 == w1 | {"address": "w2[1,1]+", "claimed": "0.272392", "verdict": "consistent",
                       "mistake": None}
    assert w1["exact"].startswith("0.27232596")
    assert w1["expected_from_your_values"] == "0.27236412"
    assert "rounded to 0.0406" in w1["explanation"]
    assert [f["equivalent"] for f in data["formulas"]] == [True, True]


def test_exit_code_1_names_the_mistakes(capsys):
    assert main(["check", str(MISTAKES), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    mistakes = {c["name"]: c["mistake"] for c in data["claims"] if c["verdict"] == "wrong"}
    assert mistakes == {"w3": "updated-weights-in-backprop", "w4": "flipped-update-sign"}
    assert data["summary"]["formulas_different"] == 1


@pytest.mark.parametrize("claims, words", [
    ('nope = "0.5"', "claims.nope"),
    ('"y[1]" = "about 0.7"', "claims.y[1]"),
    ('"y[1]" = true', "claims.y[1]"),
])
def test_exit_code_2_for_bad_input(tmp_path, capsys, claims, words):
    path = write(tmp_path, LECTURE + f"\n[claims]\n{claims}\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and str(path) in err and len(err.strip().splitlines()) == 1


def test_a_formula_that_is_code_is_unreadable_and_the_rest_is_judged(tmp_path, capsys):
    marker = tmp_path / "pwned"
    formula = f"__import__(\\\"os\\\").system(\\\"touch {marker}\\\")"
    path = write(tmp_path, LECTURE + f'\n[formulas]\n"dE/dw2[1,1]" = "{formula}"\n'
                 '"dE/dw2[1,2]" = "(y - d) y (1 - y) h2"\n')
    assert main(["check", str(path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    first, second = out["formulas"]
    assert first["verdict"] == "unreadable" and "position 1" in first["reason"]
    assert second["verdict"] == "equivalent"
    assert out["summary"]["formulas_unreadable"] == 1
    assert not marker.exists()


def test_exit_code_2_for_a_bad_report_name(capsys):
    assert main(["check", str(SLIDE), "--report", "out.pdf"]) == 2
    assert "--report" in capsys.readouterr().err


def test_reports(tmp_path, capsys):
    md, tex = tmp_path / "r" / "report.md", tmp_path / "report.tex"
    assert main(["check", str(MISTAKES), "--report", str(md)]) == 1
    assert main(["check", str(MISTAKES), "--report", str(tex), "--json"]) == 1
    capsys.readouterr()
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Hand-calculation check: check_student_mistakes")
    assert "| ✗ | w3 = w₁,₁⁽¹⁾⁺ | `0.099158` |" in text
    assert "updated-weights-in-backprop" in text and "## How this was judged" in text
    latex = tex.read_text(encoding="utf-8")
    assert latex.startswith(r"\documentclass") and latex.rstrip().endswith(r"\end{document}")
    assert r"\delta_{1}^{(1)}" in latex
    assert all(ord(c) < 128 for c in latex)            # pdflatex-safe
    assert not list(tmp_path.rglob(".*.tmp"))          # atomic: no temp files left


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_report_compiles(tmp_path):
    result = check(symprop.load(MISTAKES))
    (tmp_path / "r.tex").write_text(to_latex(result), encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "r.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "r.pdf").exists()


def test_terminal_text_and_colour(monkeypatch):
    result = check(symprop.load(SLIDE))
    plain = to_text(result)
    assert "\033[" not in plain
    assert "~ consistent  w1 = w₁,₁⁽²⁾⁺" in plain and "exact 0.2723259651" in plain
    assert "rounded to 0.0406" in plain
    assert "\033[32m" in to_text(result, colour=True)
    assert not use_colour(io.StringIO())

    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(TTY())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(TTY())


def test_markdown_is_a_table_per_claim():
    md = to_markdown(check(symprop.load(SLIDE)))
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 6


def test_command_line_process():
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "symprop", "check", str(SLIDE)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "6 claims: 3 correct, 3 consistent, 0 wrong" in proc.stdout
    assert "\033[" not in proc.stdout
