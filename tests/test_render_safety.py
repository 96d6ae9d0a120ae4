"""No local file reaches a deck or a snippet through LaTeX (issue 17, part 1).

Each way in: a [notation] symbol (refused unless it is a whitelisted symbol), input display
names, a label, the deck's title (escaped), and TeX itself (pdflatex runs with
openin_any=p, so even LaTeX written by hand cannot read a file outside its build folder).
A secret file's content must appear in no output.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from symprop.cli import main
from symprop.errors import SpecError
from symprop.notation import check_notation, check_symbol
from symprop.render.pdf import LatexError, compile_pdf, pdflatex

SECRET = "TOPSECRET-7f3a91"
SPEC = """
[network]
inputs = {inputs}
loss = "sse"
[[network.layers]]
units = 1
activation = "sigmoid"
bias = false
[weights]
W1 = [[0.1, 0.2]]
[example]
input = [1, 0.5]
target = [1]
learning_rate = 1
{extra}
"""

needs_tex = pytest.mark.skipif(pdflatex() is None or shutil.which("pdftotext") is None,
                               reason="needs pdflatex and pdftotext")


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def write_spec(tmp_path: Path, inputs: str = '["A", "B"]', extra: str = "") -> Path:
    spec = tmp_path / "net.toml"
    spec.write_text(SPEC.format(inputs=inputs, extra=extra), encoding="utf-8")
    return spec


def toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\") + '"'


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("value", [
    r"\text{\input{FILE}}", r"\input{FILE}", r"\mathrm{\input{FILE}}", "x^^5cinput{FILE}",
    r"\def\x{1}", r"\catcode`\@=0", "a$b", "a%b", "a#1", "}", r"\hat{y", r"\openin",
    r"\csname input\endcsname", r"\\", "", "x" * 61,
])
def test_notation_outside_the_whitelist_is_refused_naming_the_key(tmp_path, capsys, secret,
                                                                  value):
    value = value.replace("FILE", str(secret))
    spec = write_spec(tmp_path, extra=f"[notation]\nx = {toml(value)}\n")
    for argv in (["slides", str(spec), "-o", str(tmp_path / "deck.tex"), "--pdf"],
                 ["derive", str(spec), "--latex"]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert "notation.x" in captured.err and len(captured.err.strip().splitlines()) == 1
        assert SECRET not in captured.out + captured.err
    assert not (tmp_path / "deck.tex").exists()


@pytest.mark.parametrize("value", [
    "x", r"\hat{y}", r"\mathbf{w}", r"\varepsilon", "w'", r"x_{0}", r"\tilde{\theta}^{*}",
    r"\mathrm{net}", r"\bar{h}_{t}", r"\boldsymbol{\delta}", r"\mathcal{E}",
])
def test_symbols_on_the_whitelist_pass(value):
    assert check_symbol(value, "notation.x") == value


def test_index_letters_must_be_letters():
    with pytest.raises(SpecError, match=r"notation.indices\[1\]"):
        check_notation({"indices": ["k", r"\input{x}"]})
    with pytest.raises(SpecError, match="notation.input_index"):
        check_notation({"input_index": "mm"})
    with pytest.raises(SpecError, match="notation.indices"):
        check_notation({"indices": 5})


@needs_tex
def test_input_names_labels_and_titles_are_text_not_latex(tmp_path, capsys, secret):
    evil = rf"\input{{{secret}}}"
    spec = write_spec(tmp_path, inputs=f'["A", {toml(evil)}]',
                      extra=f'[labels]\n{toml(evil)} = "w1[1,1]"\n')
    assert main(["derive", str(spec), "--latex"]) in (0, 2)
    captured = capsys.readouterr()
    assert SECRET not in captured.out and r"\input{" not in captured.out
    deck = tmp_path / "deck.tex"
    code = main(["slides", str(spec), "-o", str(deck), "--pdf", "--title", evil])
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    if code == 2:           # the spec reader may refuse such a label name: also safe
        assert len(captured.err.strip().splitlines()) == 1
        return
    assert code == 0, captured.err
    text = pdf_text(deck.with_suffix(".pdf"))
    assert SECRET not in text and "input" in text       # shown as the text it is
    assert r"\input{" not in deck.read_text().replace(r"\textbackslash{}input", "")


@needs_tex
def test_pdflatex_cannot_read_outside_its_build_folder(tmp_path, secret):
    for body in (rf"\input{{{secret}}}",
                 rf"\newread\r\openin\r={secret} \read\r to\line \line\closein\r",
                 r"\input{../" + secret.name + "}"):
        doc = ("\\documentclass{article}\\begin{document}X " + body + "\\end{document}\n")
        try:
            result = compile_pdf(doc, tmp_path / "leak.pdf", boxes=False)
        except LatexError:
            continue                          # refused outright: nothing was read
        assert SECRET not in pdf_text(result.pdf), body
