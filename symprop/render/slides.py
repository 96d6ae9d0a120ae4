"""Beamer decks in the lecture's notation, one idea per frame.

``build_deck`` picks the deck (backpropagation, or threshold units and the perceptron) and
``render_deck`` lays its frames out with the templates. The frames come from
:mod:`.backprop_deck` and :mod:`.perceptron_deck`, blocks and paging from :mod:`.blocks`,
pdflatex from :mod:`.pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .backprop_deck import backprop_frames
from .blocks import environment
from .pdf import LatexError, compile_pdf, explain_log, pdflatex, png_previews
from .perceptron_deck import perceptron_frames
from .printer import escape

__all__ = ["Deck", "LatexError", "build_deck", "compile_pdf", "explain_log",
           "pdflatex", "png_previews", "render_deck", "spec_title"]


# -- the decks -------------------------------------------------------------------------------
@dataclass
class Deck:
    title: str
    subtitle: str
    frames: list[dict] = field(default_factory=list)


def build_deck(network: Any, *, data: str | None = None, title: str | None = None,
               precision: Any = None, handout: bool = False, animate: bool = False) -> Deck:
    """Every frame of the deck for ``network`` (see the module docstring)."""
    name = title or spec_title(network)
    if network.is_perceptron:
        deck = Deck(escape(name, breakable=True), "McCulloch-Pitts units and the perceptron")
        deck.frames = perceptron_frames(network, data)
        return deck
    if data is not None:
        raise SpecError("--data is for threshold (perceptron) networks", key="--data",
                        expected="no --data for a network trained by backpropagation")
    deck = Deck(escape(name, breakable=True), "Backpropagation in the lecture's notation")
    deck.frames = backprop_frames(network, precision, handout, animate)
    return deck


def spec_title(network: Any) -> str:
    """The spec file's opening comment up to its first colon, else the network's name."""
    try:
        first = Path(network.source).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, TypeError):
        first = ""
    if first.startswith("#"):
        heading = first.lstrip("#").strip().split(":")[0].strip().rstrip(".")
        if heading:
            return heading
    return network.name.replace("_", " ")


def render_deck(network: Any, *, output: str = "deck.tex", data: str | None = None,
                title: str | None = None, precision: Any = None, handout: bool = False,
                animate: bool = False) -> str:
    """The deck's LaTeX source (deterministic: no dates, no absolute paths). A ``handout``
    puts four frames on a page and blanks the worked example's numbers as exercises;
    ``animate`` reveals the chain rule one step at a time."""
    deck = build_deck(network, data=data, title=title, precision=precision, handout=handout,
                      animate=animate)
    source = Path(network.source).name if network.source else "<python>"
    extra = (f" --data {data}" if data else "") + (" --handout" if handout else "") + (
        " --animate" if animate else "")
    template = environment().get_template("deck.tex.jinja")
    return template.render(title=deck.title, subtitle=deck.subtitle, frames=deck.frames,
                           source=escape(source), output=escape(Path(output).name),
                           extra_args=extra, handout=handout)
