"""Golden decks: reports/decks/*.tex are regenerated and must not change.

A change in the generated LaTeX shows up here as a readable diff. To accept one on purpose,
rewrite the golden files (and their PDFs, when pdflatex is installed) and review the diff:

    make golden        # = SYMPROP_UPDATE_GOLDEN=1 pytest -q tests -k golden
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

import symprop
from symprop.io import write_atomic
from symprop.render.slides import compile_pdf, pdflatex, render_deck

ROOT = Path(__file__).resolve().parent.parent
DECKS_DIR = ROOT / "reports" / "decks"
# deck name -> (spec, --data)
DECKS = {
    "lecture_221": ("examples/lecture_221_slides.toml", None),
    "two_layer_two_neuron": ("examples/two_layer_two_neuron.toml", None),
    "activations": ("examples/activations.toml", None),
    "perceptron": ("examples/perceptron.toml", "and"),
    "xor": ("examples/xor.toml", "xor"),
    "softmax_332": ("tests/decks/n332.toml", None),     # its pages: reports/decks/softmax_332/
}
UPDATE = os.environ.get("SYMPROP_UPDATE_GOLDEN") == "1"


def regenerate(name: str) -> str:
    spec, data = DECKS[name]
    return render_deck(symprop.load(ROOT / spec), output=f"{name}.tex", data=data)


@pytest.mark.parametrize("name", sorted(DECKS))
def test_golden_deck(name):
    tex = regenerate(name)
    golden = DECKS_DIR / f"{name}.tex"
    if UPDATE:
        write_atomic(golden, tex)
        if pdflatex():
            compile_pdf(tex, golden.with_suffix(".pdf"))
        return
    assert golden.exists(), f"{golden} is missing: run `make golden`"
    expected = golden.read_text(encoding="utf-8")
    if tex != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), tex.splitlines(True),
                                            f"{golden.name} (golden)", "regenerated", n=1))
        pytest.fail(f"{golden.name} changed; review and run `make golden`:\n{diff[:4000]}")


def test_golden_decks_have_their_pdfs():
    for name in DECKS:
        pdf = DECKS_DIR / f"{name}.pdf"
        assert pdf.exists() and pdf.stat().st_size > 10_000, f"{pdf} missing: `make golden`"


def test_generated_tex_is_deterministic():
    assert regenerate("xor") == regenerate("xor")
    tex = regenerate("lecture_221")
    assert r"\date{}" in tex and "\\today" not in tex
    assert str(ROOT) not in tex
