"""Decks compile with the real pdflatex, fit their frames, and carry the lecture's numbers.

Compiling is the slow part (a few seconds a deck): every deck is compiled once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symprop
from symprop.cli import main
from symprop.render.slides import (
    LatexError,
    compile_pdf,
    explain_log,
    pdflatex,
    png_previews,
    render_deck,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DECKS = {
    "lecture_221": ("lecture_221_slides.toml", None),
    "two_layer_two_neuron": ("two_layer_two_neuron.toml", None),
    "activations": ("activations.toml", None),
    "perceptron": ("perceptron.toml", "and"),
    "xor": ("xor.toml", "xor"),
    "deep_softmax": ("deep_softmax.toml", None),   # 4 layers, tanh with biases, softmax
    "own_activations": ("own_activations.toml", None),   # a formula row, Huber: two cases
}

needs_pdflatex = pytest.mark.skipif(
    pdflatex() is None,
    reason="pdflatex not installed: install TeX Live with beamer (texlive-latex-recommended) "
           "to compile the decks")


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """Compile each deck once; the result (or the error) per deck name."""
    out = tmp_path_factory.mktemp("decks")
    cache: dict = {}

    def get(name):
        if name not in cache:
            spec, data = DECKS[name]
            tex = render_deck(symprop.load(EXAMPLES / spec), output=f"{name}.tex", data=data)
            cache[name] = compile_pdf(tex, out / f"{name}.pdf")
        return cache[name]
    return get


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils): cannot read the PDF's text")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.replace("\u2212", "-").split())


@needs_pdflatex
@pytest.mark.parametrize("name", sorted(DECKS))
def test_every_deck_compiles_and_fits_its_frames(compiled, name):
    result = compiled(name)
    assert result.pdf.stat().st_size > 10_000
    assert result.overfull == [], f"{name}: lines run past their frames: {result.overfull}"
    assert "! " not in result.log


@needs_pdflatex
def test_the_lectures_numbers_are_in_the_pdf(compiled):
    text = pdf_text(compiled("lecture_221").pdf)
    for number in ("0.755", "0.68", "0.6637", "0.80133", "0.801444", "0.69", "0.0406",
                   "0.272392", "0.2723259", "0.87305", "0.09907", "0.7976", "0.3971",
                   "0.5927", "0.0181", "0.0166"):
        assert number in text, number
    assert "the error decreased" in text
    for k in range(1, 7):                                   # all six, with the slide's names
        assert re.search(rf"w\s*{k}\s*\+", text), f"w{k}+"


@needs_pdflatex
def test_perceptron_and_xor_decks_say_what_happened(compiled):
    perceptron = pdf_text(compiled("perceptron").pdf)
    assert "Converged after" in perceptron and "perceptron rule" in perceptron
    xor = pdf_text(compiled("xor").pdf)
    assert "not linearly separable" in xor and "Every row matches" in xor
    assert "McCulloch-Pitts" in xor


@needs_pdflatex
def test_latex_snippet_and_jupyter_output_compile(tmp_path, capsys):
    assert main(["derive", str(EXAMPLES / "lecture_221_slides.toml"), "--latex"]) == 0
    snippet = capsys.readouterr().out
    net = symprop.load(EXAMPLES / "activations.toml")
    jupyter = net.derive()._repr_latex_().strip("$")
    doc = ("\\documentclass{article}\\usepackage[margin=1cm,paperwidth=40cm]{geometry}"
           "\\usepackage{amsmath,amssymb,xcolor}\\begin{document}\n" + snippet
           + "\n\\[" + jupyter + "\\]\n\\end{document}\n")
    result = compile_pdf(doc, tmp_path / "snippet.pdf")
    assert "0.80133" in pdf_text(result.pdf)


@needs_pdflatex
def test_slides_cli_writes_tex_pdf_and_previews(tmp_path, capsys):
    out = tmp_path / "deck.tex"
    code = main(["slides", str(EXAMPLES / "xor.toml"), "-o", str(out), "--pdf", "--data",
                 "xor", "--png", str(tmp_path / "png")])
    assert code == 0
    assert out.exists() and out.with_suffix(".pdf").exists()
    if shutil.which("pdftoppm"):
        assert len(list((tmp_path / "png").glob("*.png"))) >= 5


@needs_pdflatex
def test_pdflatex_errors_in_plain_words(tmp_path):
    doc = ("\\documentclass{article}\n\\begin{document}\n"
           "$\\nosuchmacro$\n\\end{document}\n")
    with pytest.raises(LatexError) as err:
        compile_pdf(doc, tmp_path / "bad.pdf")
    message = str(err.value)
    assert message.startswith("pdflatex failed: Undefined control sequence \\nosuchmacro")
    assert "bad.tex line 3" in message and "\n" not in message
    assert not (tmp_path / "bad.pdf").exists()


def test_unknown_macros_in_notation_are_refused_before_latex(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text((EXAMPLES / "two_layer_two_neuron.toml").read_text()
                    .replace("[notation]", "[notation]\ny = '\\nosuchmacro'"))
    code = main(["slides", str(spec), "-o", str(tmp_path / "bad.tex"), "--pdf"])
    err = capsys.readouterr().err
    assert code == 2 and "notation.y" in err and "\\nosuchmacro" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad.tex").exists()


def test_without_pdflatex_the_tex_is_still_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "deck.tex"
    code = main(["slides", str(EXAMPLES / "perceptron.toml"), "-o", str(out), "--pdf",
                 "--data", "and"])
    assert code == 0 and out.exists() and not out.with_suffix(".pdf").exists()
    assert "pdflatex is not installed" in capsys.readouterr().err
    with pytest.raises(LatexError, match="not installed"):
        compile_pdf("x", tmp_path / "x.pdf")


def test_explain_log_finds_the_first_error_and_its_line():
    log = ("This is pdfTeX\n(./deck.tex\n! Missing $ inserted.\n<inserted text>\n"
           "                $\nl.42 a_b\n\n! Emergency stop.\n")
    assert explain_log(log) == "pdflatex failed: Missing $ inserted at deck.tex line 42 " \
        "(near 'a_b')"


def test_png_previews_without_pdftoppm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert png_previews(tmp_path / "x.pdf", tmp_path / "png") == []
    assert os.environ["PATH"] == str(tmp_path)


@needs_pdflatex
def test_handout_puts_four_frames_a_page_and_blanks_the_worked_numbers(tmp_path, capsys):
    out = tmp_path / "handout.tex"
    assert main(["slides", str(EXAMPLES / "lecture_221_slides.toml"), "-o", str(out), "--pdf",
                 "--handout"]) == 0
    tex = out.read_text()
    assert "--handout" in tex.splitlines()[1] and r"\pgfpagesuselayout{4 on 1}" in tex
    frames = tex.count(r"\begin{frame}")
    info = subprocess.run(["pdfinfo", str(out.with_suffix(".pdf"))], capture_output=True,
                          text=True).stdout if shutil.which("pdfinfo") else ""
    if info:
        assert int(re.search(r"Pages:\s+(\d+)", info)[1]) == -(-frames // 4)
    text = pdf_text(out.with_suffix(".pdf"))
    assert "0.35" in text and "0.9" in text                      # the given numbers stay
    for worked in ("0.80133", "0.6637", "0.272392", "0.0166", "the error decreased"):
        assert worked not in text, worked
    assert "did the step lower the error" in text


@needs_pdflatex
def test_animate_reveals_the_chain_rule_one_step_at_a_time(tmp_path):
    net = symprop.load(EXAMPLES / "lecture_221_slides.toml")
    tex = render_deck(net, animate=True)
    chain = re.search(r"\\begin\{frame\}\{Output layer: the chain rule\}(.*?)\\end\{frame\}",
                      tex, re.S)[1]
    steps = chain.count(r"\\")  + 1
    assert all(rf"\uncover<{i}->" in chain for i in range(1, steps + 1))
    assert r"\uncover" not in tex.split("Worked example")[1]      # only the chain rule
    assert render_deck(net) == render_deck(net, animate=False) and r"\uncover" not in \
        render_deck(net)
    result = compile_pdf(tex, tmp_path / "animated.pdf")
    assert result.overfull == []
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(result.pdf)], capture_output=True,
                              text=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info)[1]) > tex.count(r"\begin{frame}")
