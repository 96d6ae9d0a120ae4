"""LaTeX of a derivation and of a worked example, for Jupyter and ``derive --latex``.

The printer itself lives in :mod:`.printer`; its public names are re-exported here, so that
``symprop.render.latex`` stays the one place to import LaTeX helpers from.
"""

from __future__ import annotations

from typing import Any

from .lines import lines_latex
from .printer import (
    EXTRA_NOTATION,
    LecturePrinter,
    chain_latex,
    escape,
    label_latex,
    notation,
    paren,
    partial,
    times_chain,
)
from .steps import derivation_lines
from .worked import SlideExample

__all__ = ["EXTRA_NOTATION", "LecturePrinter", "chain_latex", "derivation_latex", "escape",
           "label_latex", "notation", "paren", "partial", "times_chain",
           "worked_example_latex"]


def derivation_latex(derivation: Any) -> str:
    """The chain-rule derivation as math-mode LaTeX (an ``aligned`` block, no ``$$``)."""
    return lines_latex(derivation_lines(derivation), env="aligned")


def worked_example_latex(example: Any) -> str:
    """A worked example as math-mode LaTeX (an ``aligned`` block, no ``$$``)."""
    slide = SlideExample(example.network, example=example)
    return lines_latex(slide.all_lines(), env="aligned")


def _register() -> None:
    """derive's objects show themselves in Jupyter through these printers."""
    from ..derive import display
    from ..derive.backprop import Derivation
    from ..derive.example import WorkedExample

    display.register_latex(Derivation, derivation_latex)
    display.register_latex(WorkedExample, worked_example_latex)


_register()
