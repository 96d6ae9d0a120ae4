"""One notation in every deck: the deck's symbols everywhere, ⁺ after the update, no zero
terms, no tool names; and render's layering (no import circle, nothing from downstream)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import symprop
from symprop.cli import main
from symprop.render.slides import build_deck, render_deck
from symprop.render.worked import SlideExample

ROOT = Path(__file__).resolve().parent.parent
DECKS = ROOT / "tests" / "decks"


@pytest.fixture(scope="module")
def tex():
    cache: dict[str, str] = {}

    def get(name: str) -> str:
        if name not in cache:
            cache[name] = render_deck(symprop.load(DECKS / f"{name}.toml"))
        return cache[name]
    return get


def body(deck: str) -> str:
    """The deck's LaTeX without its comment lines."""
    return "\n".join(ln for ln in deck.splitlines() if not ln.startswith("%"))


def frames(deck: str) -> dict[str, str]:
    found = re.findall(r"\\begin\{frame\}\{(.*?)\}\n(.*?)\\end\{frame\}", deck, re.S)
    return dict(found)


def test_activation_slides_use_the_decks_symbol(tex):
    deck = frames(tex("n4553"))
    tanh = deck["Activation: tanh and its derivative"]
    assert "f(z)" in tanh and "g(z)" not in tanh
    notation = frames(tex("notation"))["Activation: sigmoid and its derivative"]
    assert r"\varphi(z)" in notation and "f(z)" not in notation


def test_quantities_after_the_update_carry_their_plus():
    slide = SlideExample(symprop.load(DECKS / "n222.toml"))
    assert "y_{1}^{+}" in slide.error_after.formula and "y_{2}^{+}" in slide.error_after.formula
    assert re.search(r"y_\{\d\}(?!\^)", slide.error_after.formula) is None
    net = next(nl for nl in slide.forward_after if nl.lhs == r"\mathrm{net}_{1}^{(2)+}")
    assert "w_{1,1}^{(2)+} h_{1}^{(1)+}" in net.formula
    assert slide.comparison().count("^{+}") == 1


def test_terms_that_are_zero_are_left_out(tex):
    deck = tex("n332")                                # cross-entropy, target (0, 1)
    assert r"-0 \times" not in deck and r"0 \times \ln" not in deck
    error = SlideExample(symprop.load(DECKS / "n332.toml")).error
    assert error.numbers == (r"-\ln 0.4543",) or error.numbers[0].startswith(r"-\ln")
    log_loss = SlideExample(symprop.load(DECKS / "n222b.toml")).error   # targets 0 and 1
    assert r"0 \times" not in log_loss.numbers[0] and r"1 \times" not in log_loss.numbers[0]


def test_input_names_that_repeat_the_symbol_are_not_repeated():
    net = symprop.load(DECKS / "n221.toml").with_(inputs=("x1", "X_2"))
    slide = SlideExample(net)
    assert "(x1)" not in slide.given_text() and "(X" not in slide.given_text()
    named = SlideExample(net.with_(inputs=("Age", "x1")))
    assert "(Age)" in named.given_text() and "(x1)" in named.given_text()


def test_update_headers_name_the_layers_own_source(tex):
    deck = frames(tex("n4553"))
    hidden1 = next(v for k, v in deck.items() if k.startswith("Worked example: new weights, "
                                                              "hidden layer 1"))
    hidden2 = next(v for k, v in deck.items() if k.startswith("Worked example: new weights, "
                                                              "hidden layer 2"))
    assert r"\delta\,x$" in hidden1 and r"\delta\,h$" in hidden2
    notation = frames(tex("notation"))
    output = next(v for k, v in notation.items() if "new weights, output" in k)
    assert r"\theta^{+} = \theta - \alpha\,\varepsilon\,\hat{h}$" in output


@pytest.mark.parametrize("name", ["n221b", "n332", "n161", "notation"])
def test_no_tool_names_and_only_the_decks_symbols(tex, name):
    deck = body(tex(name))
    assert re.search(r"symprop|sympy|\\texttt", deck, re.I) is None
    if name == "notation":
        for default in (r"\eta", r"\delta", "E =", r"\partial E"):
            assert default not in deck, default
        for mine in (r"\alpha", r"\varepsilon", r"\mathcal{E}", r"\theta", r"\hat{h}"):
            assert mine in deck, mine


def test_wide_first_layers_are_shown_shortened_with_their_sizes():
    deck = build_deck(symprop.load(DECKS / "n4553.toml"))
    frame = next(f for f in deck.frames if f["title"] == "Where the transpose comes from")
    rows = [r["lhs"] + r["rhs"] for b in frame["blocks"] if b["kind"] == "math"
            for r in b["rows"]]
    tex = " ".join(rows)
    assert r"\cdots" in tex and r"\vdots" in tex
    assert "_{(1,4)}" in tex and "_{(4,5)}" in tex and "_{(1,5)}" in tex
    assert "w_{5,4}^{(1)}" in tex and "w_{3,3}^{(1)}" not in tex


def test_an_overfull_frame_fails_the_build_naming_it(tmp_path, capsys, monkeypatch):
    from symprop.render import slides
    from symprop.render.pdf import pdflatex

    if pdflatex() is None:
        pytest.skip("pdflatex not installed")
    wide = ("\\documentclass{beamer}\n\\begin{document}\n\\begin{frame}\nok\n\\end{frame}\n"
            "\\begin{frame}{Too wide}\n\\[ \\rule{30cm}{1pt} \\]\n\\end{frame}\n"
            "\\end{document}\n")
    monkeypatch.setattr(slides, "render_deck", lambda *a, **k: wide)
    out = tmp_path / "deck.tex"
    code = main(["slides", str(DECKS / "n221.toml"), "-o", str(out), "--pdf"])
    err = capsys.readouterr().err
    assert code == 1
    assert "frame 2 'Too wide'" in err and "runs past the right edge" in err
    assert len(err.strip().splitlines()) == 1 and not out.with_suffix(".pdf").exists()


# -- layering ---------------------------------------------------------------------------------
def _imports(path: Path, package: str) -> set[str]:
    """Every symprop module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name.startswith("symprop"):
                found.add(name)
                found.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("symprop"))
    return found


def test_render_has_no_import_circle_and_imports_nothing_downstream():
    folder = ROOT / "symprop" / "render"
    modules = {f"symprop.render.{p.stem}": p for p in folder.glob("*.py")}
    graph = {name: {m for m in _imports(path, "symprop.render") if m in modules}
             for name, path in modules.items()}
    for name, path in modules.items():
        downstream = [m for m in _imports(path, "symprop.render") if m.split(".")[1] in (
            "runtime", "check", "codegen", "sweep", "demo", "estimator")]
        assert not downstream, f"{name} imports {downstream}"

    def visit(node: str, trail: list[str]) -> None:
        assert node not in trail, "import circle: " + " -> ".join(trail + [node])
        for nxt in graph[node]:
            visit(nxt, trail + [node])
    for name in graph:
        visit(name, [])
