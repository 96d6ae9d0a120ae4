"""``symprop derive --latex``: the derivation and the worked example, to paste into a document.

The snippet goes into a plain ``article`` as it is: its first line names the packages it
needs, every equation is broken to the article's text width, and each part is its own
``align*`` inside a group that allows page breaks between rows, so nothing runs off a page.
"""

from __future__ import annotations

from typing import Any

from .breaking import fit_lines
from .lines import Line, lines_latex
from .steps import derivation_lines, perceptron_lines
from .worked import SlideExample

PACKAGES = "amsmath,amssymb,xcolor"
#: an article's 345 pt \textwidth, less a margin for the width model's error
ARTICLE_WIDTH = 310.0


def _display(lines: list[Line]) -> str:
    return lines_latex(fit_lines(lines, ARTICLE_WIDTH), env="align*")


def _heading(text: str) -> str:
    return rf"\par\noindent\textbf{{{text}}}\par"


def latex_snippet(network: Any, derivation: Any, example: bool) -> str:
    """The derivation, then (with ``example``) the worked example part by part."""
    parts = [f"% symprop: needs \\usepackage{{{PACKAGES}}}; paste into the document body",
             r"\begingroup\allowdisplaybreaks",
             _heading("The chain rule"), _display(derivation_lines(derivation))]
    if example:
        slide = SlideExample(network)
        parts += [_heading("Worked example"), "Given: " + slide.given_text() + ".",
                  "Each quantity is computed from the rounded values before it, as on a "
                  "slide; grey: the exact value where rounding changed a digit."]
        for heading, group in slide.groups():
            lines = [line for nl in group for line in nl.lines(ARTICLE_WIDTH)]
            parts += [_heading(heading[:1].upper() + heading[1:]), _display(lines)]
        parts.append(slide.comparison())
    parts.append(r"\endgroup")
    return "\n".join(parts)


def perceptron_snippet(network: Any) -> str:
    """Threshold units: the perceptron's prediction and learning rule."""
    return "\n".join([f"% symprop: needs \\usepackage{{{PACKAGES}}}; paste into the document "
                      "body", _display(perceptron_lines(network))])
