"""What the checker reads from the rule table (`symprop.derive.rules`), derived, never typed in.

Each activation's derivative written in the unit's output (σ′ = y(1 − y), tanh′ = 1 − y²), the
plain name of its function for worked arithmetic, and a loss's constant factor (the ½ of SSE,
the minus sign of cross-entropy): the mistake rows are built from these, so a new row of the
rule table brings its own mistakes.
"""

from __future__ import annotations

import re
from functools import cache

import sympy as sp

from ..derive.derivatives import D, K, Y, Z, output_derivative
from ..derive.rules import ACTIVATIONS, LOSSES, Activation

# LaTeX names of functions → how a student writes them in plain text
_LATEX_PLAIN = {r"\sigma": "σ", r"\varphi": "φ", r"\theta": "θ", r"\tanh": "tanh"}


def function_name(row: Activation) -> str:
    """The function's name in worked arithmetic (``σ``, ``tanh``, ``ReLU``); empty for the
    identity, which is not written."""
    if not row.layerwise and sp.simplify(row.definition(Z) - Z) == 0:
        return ""
    latex = row.latex.strip()
    if latex in _LATEX_PLAIN:
        return _LATEX_PLAIN[latex]
    m = re.fullmatch(r"\\(?:mathrm|operatorname|text)\{([^{}]+)\}", latex)
    if m:
        return m[1]
    return latex.lstrip("\\") or row.name


@cache
def derivative_forms(relu_at_zero: sp.Rational = sp.S.Zero) -> dict[str, sp.Expr]:
    """Activation name → f′ written in the output y (in `Y`), for every differentiable row
    with such a form that is not a constant (a constant f′ is the "left out" mistake)."""
    forms: dict[str, sp.Expr] = {}
    for name, row in ACTIVATIONS.items():
        if not row.differentiable or row.layerwise:
            continue
        g = output_derivative(name, relu_at_zero).in_output
        if g is None or not g.has(Y):
            continue
        if any(sp.expand(g - other) == 0 for other in forms.values()):
            continue        # two rows with one f′: the first names it
        forms[name] = g
    return forms


def derivative_text(g: sp.Expr) -> str:
    """``y(1 − y)``, ``1 − y²``: a derivative form as a student writes it."""
    text = str(g).replace("**2", "²").replace("*", "").replace("-", "−")
    return text.replace("Heaviside(y, 0)", "step(y)").replace("Heaviside(y)", "step(y)")


def loss_factor(loss: str, outputs: int) -> sp.Rational:
    """The constant factor in front of a loss's term (½ for SSE, −1 for cross-entropy, 1/K for
    MSE with K outputs); 1 when there is none."""
    term = sp.factor_terms(LOSSES[loss].term(Y, D, K).subs(K, outputs))
    coeff, _ = term.as_coeff_Mul()
    return sp.Rational(coeff) if coeff.is_Rational else sp.S.One
