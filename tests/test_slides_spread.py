"""Decks and ``derive --latex`` snippets for a spread of networks fit their pages.

The networks (``tests/decks/*.toml``): 2-2-1 and 2-2-2 with and without biases, 3-3-2 softmax
with cross-entropy, 4-5-5-3 tanh, 1-6-1 ReLU, long input display names, a [notation] table;
plus the perceptron example. Every deck is compiled with the real pdflatex (two at a time) and
its log must hold no overfull or underfull box; pdftotext must find every number of the worked
example. The snippets are pasted into one plain ``article`` with the packages their first line
names. Compiling is the slow part: one test, all decks compiled once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import symprop
from symprop.render.pdf import box_warnings, compile_pdf, pdflatex
from symprop.render.slides import render_deck
from symprop.render.snippet import latex_snippet
from symprop.render.worked import SlideExample

ROOT = Path(__file__).resolve().parent.parent
SPREAD = sorted((ROOT / "tests" / "decks").glob("*.toml"))

pytestmark = pytest.mark.skipif(
    pdflatex() is None or shutil.which("pdftotext") is None,
    reason="needs pdflatex (TeX Live with beamer) and pdftotext (poppler-utils)")


def pdf_text(pdf: Path, pages: tuple[int, int] | None = None) -> str:
    only = ["-f", str(pages[0]), "-l", str(pages[1])] if pages else []
    text = subprocess.run(["pdftotext", *only, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return " ".join(text.replace("\u2212", "-").split())


def example_numbers(network) -> set[str]:
    """Every number the worked example writes as a result (the oracle is SlideExample's own
    rounding; test_render checks those against exact arithmetic)."""
    slide = SlideExample(network)
    shown = {nl.shown.text for _, group in slide.groups() for nl in group}
    return shown | {v.text for v in slide.before.values()}


def one_document(decks: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    """All decks as one beamer document (they share their preamble), and each deck's pages:
    one pdflatex run instead of one per deck."""
    preamble = next(iter(decks.values())).split("\\begin{document}")[0]
    bodies, pages, first = [], {}, 1
    for name, tex in decks.items():
        body = tex.split("\\begin{document}")[1].split("\\end{document}")[0]
        count = body.count("\\begin{frame}")
        pages[name] = (first, first + count - 1)
        first += count
        bodies.append(body)
    return preamble + "\\begin{document}\n" + "".join(bodies) + "\\end{document}\n", pages


def test_every_deck_and_snippet_fits_and_shows_every_number(tmp_path):
    networks = {spec.stem: symprop.load(spec) for spec in SPREAD}
    assert len(networks) == 9
    decks = {name: render_deck(net, output=f"{name}.tex") for name, net in networks.items()}
    perceptron = symprop.load(ROOT / "examples" / "perceptron.toml")
    decks["perceptron"] = render_deck(perceptron, output="perceptron.tex", data="and")
    slides, pages = one_document(decks)
    snippets = [latex_snippet(net, net.derive(), example=True) for net in networks.values()]
    packages = {re.search(r"\\usepackage\{([^}]*)\}", s.splitlines()[0])[1] for s in snippets}
    assert len(packages) == 1
    article = ("\\documentclass{article}\n\\usepackage{" + packages.pop() + "}\n"
               "\\begin{document}\n" + "\n\\clearpage\n".join(snippets)
               + "\n\\end{document}\n")

    def build(item):
        name, tex = item
        # an overfull box raises LatexError naming the frame: the test fails with that line
        return name, compile_pdf(tex, tmp_path / f"{name}.pdf", max_runs=1)

    with ThreadPoolExecutor(2) as pool:
        built = dict(pool.map(build, {"slides": slides, "article": article}.items()))
    for name, result in built.items():
        assert box_warnings(result.log) == [], name
    article_text = pdf_text(built["article"].pdf)
    for name, net in networks.items():
        deck_text = pdf_text(built["slides"].pdf, pages[name])
        numbers = example_numbers(net)
        missing = sorted(n for n in numbers if n not in deck_text)
        assert not missing, f"{name}: the deck lacks {missing}"
        missing = sorted(n for n in numbers if n not in article_text)
        assert not missing, f"{name}: the snippet lacks {missing}"
    long_names = pdf_text(built["slides"].pdf, pages["long_names"])
    assert "& 100% #1 {x}" in long_names and "Pressure" in long_names
    assert "Temperature of the reactor core in degrees Celsius" in long_names
    assert "Converged after" in pdf_text(built["slides"].pdf, pages["perceptron"])
