"""Formulas from users' own rows rewritten so that exp cannot overflow into inf/inf or 0·inf.

A formula that is a rational function of E = exp(a) (swish z/(1 + e^−z), its derivative, a
sigmoid written out) is evaluated with e = exp(−|a|) ≤ 1 instead: E = e where a < 0 and E = 1/e
elsewhere, each side cancelled to a fraction of e. When the two sides share a denominator only
the numerator is selected (the built-in sigmoid's form: one select, one division). Exponentials
that cannot overflow (exp(−z²/2)) are left alone, and so is anything that is not rational in E;
``log(1 + exp(a))`` is the printer's own case.
"""

from __future__ import annotations

import sympy as sp


def overflow_safe(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each overflow-prone exponential family evaluated through exp(−|a|)."""
    for a in _exponents(expr):
        expr = _through_small_exp(expr, a)
    return expr


def _exponents(expr: sp.Expr) -> list[sp.Expr]:
    """The distinct arguments a (up to sign) of exp(±a) in ``expr`` that can be large."""
    found: dict[sp.Expr, None] = {}
    for atom in expr.atoms(sp.exp):
        arg = atom.args[0]
        if arg.is_nonpositive:          # exp(−z²/2) ≤ 1 never overflows
            continue
        found.setdefault(-arg if arg.could_extract_minus_sign() else arg, None)
    return sorted(found, key=sp.default_sort_key)


def _through_small_exp(expr: sp.Expr, a: sp.Expr) -> sp.Expr:
    big = sp.Dummy("E", positive=True)
    small = sp.Dummy("e", positive=True)
    replaced = expr.xreplace({sp.exp(a): big, sp.exp(-a): 1 / big})
    if any(e.args[0].has(*a.free_symbols) for e in replaced.atoms(sp.exp)) \
            or replaced.has(sp.Piecewise, sp.Heaviside):
        return expr             # exp(2a) or pieces: left as written
    num, den = sp.fraction(sp.together(replaced))
    if not (num.is_polynomial(big) and den.is_polynomial(big)):
        return expr
    below = sp.factor(sp.cancel(replaced.xreplace({big: small})), small)      # a < 0: E = e
    above = sp.factor(sp.cancel(replaced.xreplace({big: 1 / small})), small)  # a ≥ 0: E = 1/e
    n_below, d_below = sp.fraction(below)
    n_above, d_above = sp.fraction(above)
    e = sp.exp(-sp.Abs(a))
    if sp.expand(d_below - d_above) == 0:
        safe = sp.Piecewise((n_below, a < 0), (n_above, True)) / d_below
    else:
        safe = sp.Piecewise((below, a < 0), (above, True))
    return safe.xreplace({small: e})
