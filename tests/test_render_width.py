"""The width model against pdflatex's own measurements, and the breaking that relies on it."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

import symprop
from symprop.render.breaking import break_line, fit_lines
from symprop.render.lines import Line
from symprop.render.pdf import compile_pdf, pdflatex
from symprop.render.slides import build_deck
from symprop.render.width import FRAME_WIDTH, width

ROOT = Path(__file__).resolve().parent.parent
BEAMER_TEXTWIDTH = 398.3


def math_rows(spec: Path) -> list[str]:
    rows = []

    def walk(blocks):
        for b in blocks:
            if b["kind"] == "math" and b["size"] == r"\small":
                rows.extend(r["lhs"] + "{}" + r["rhs"] for r in b["rows"])
            elif b["kind"] == "columns":
                for col in b["columns"]:
                    walk(col["blocks"])
    for f in build_deck(symprop.load(spec)).frames:
        walk(f["blocks"])
    return list(dict.fromkeys(rows))


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex not installed")
def test_the_model_never_underestimates_by_more_than_the_frames_margin(tmp_path):
    rows = math_rows(ROOT / "tests" / "decks" / "n4553.toml") + \
        math_rows(ROOT / "tests" / "decks" / "notation.toml")
    measure = "\n".join(rf"\setbox0\hbox{{\small$\displaystyle {r}$}}\typeout{{W{i}:\the\wd0}}"
                        for i, r in enumerate(rows))
    doc = ("\\documentclass[aspectratio=169,11pt]{beamer}\\usepackage{amsmath,amssymb}\n"
           "\\begin{document}\\begin{frame}\\typeout{TW:\\the\\textwidth}\n" + measure
           + "\n\\end{frame}\\end{document}\n")
    log = compile_pdf(doc, tmp_path / "w.pdf", max_runs=1, boxes=False).log
    assert float(re.search(r"TW:([\d.]+)pt", log)[1]) == pytest.approx(BEAMER_TEXTWIDTH, 0.01)
    real = {int(m[1]): float(m[2]) for m in re.finditer(r"W(\d+):([\d.]+)pt", log)}
    ratios = [width(rows[i]) / w for i, w in real.items() if w > 40]
    assert len(ratios) > 200
    # a line the model puts at FRAME_WIDTH must still fit \textwidth
    assert min(ratios) >= FRAME_WIDTH / BEAMER_TEXTWIDTH
    assert 0.92 <= statistics.median(ratios) <= 1.1


def test_breaks_come_after_equals_then_between_terms_then_factors():
    rhs = (r"= a_{1} b_{1} + a_{2} b_{2} = 0.25 \times 0.5 + 0.75 \times 0.125 + 0.5 \times 0.5"
           r" + 0.125 \times 0.25 \approx 0.5")
    rows = break_line(rhs, 150, level=0)
    assert rows[0] == r"= a_{1} b_{1} + a_{2} b_{2}"
    assert all(width(r) <= 150 for r in rows)
    assert rows[1].startswith("= 0.25") and rows[2].startswith(r"\quad + ")
    assert all(r.startswith(("=", r"\approx", r"\quad +")) for r in rows[1:])
    assert " ".join(r.replace(r"\quad ", "") for r in rows) == rhs
    product = r"= 0.1 \times 0.2 \times 0.3 \times 0.4 \times 0.5 \times 0.6 \times 0.7"
    assert all(width(r) <= 60 for r in break_line(product, 60, level=0))


def test_a_long_sum_in_parentheses_breaks_inside_them():
    rhs = "= (1 - 0.5^{2}) \\times (" + " + ".join(f"0.{i} \\times 0.{i}" for i in range(1, 9)) \
        + ") \\approx 0.1"
    rows = fit_lines([Line(r"\delta_{1}^{(1)}", rhs)], 250)
    assert len(rows) > 2 and all(width(r.lhs) + width(r.rhs) <= 250 for r in rows)
    assert rows[0].lhs and not any(r.lhs for r in rows[1:])


def test_a_wide_softmax_layer_is_shortened_and_every_line_fits(tmp_path):
    units = 12
    weights = [[round(0.1 * ((k * j) % 7) - 0.3, 1) for j in (1, 2)] for k in range(1, units + 1)]
    spec = tmp_path / "wide.toml"
    spec.write_text(
        '[network]\ninputs = 2\nloss = "cross-entropy"\n[[network.layers]]\n'
        f'units = {units}\nactivation = "softmax"\nbias = false\n[weights]\nW1 = {weights}\n'
        f"[example]\ninput = [1, 0.5]\ntarget = {[1] + [0] * (units - 1)}\n"
        "learning_rate = 0.5\n")
    from symprop.render.worked import SlideExample

    slide = SlideExample(symprop.load(spec))
    outputs = [nl for nl in slide.forward if nl.address.kind == "out"]
    assert len(outputs) == units and all(r"\cdots" in nl.numbers[0] for nl in outputs)
    for _, group in slide.groups():
        for nl in group:
            for line in nl.lines():
                assert width(nl.lhs) + width(line.rhs) <= FRAME_WIDTH + 1, line
