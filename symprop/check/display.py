"""Names and hand-written arithmetic for the checker's explanations, in plain text and LaTeX.

Explanations are lists of segments: prose (``str``), a quantity's name (`Address`) and a
worked expression (`Math`, numbers and operators as a student writes them). Each output
(terminal, Markdown, LaTeX) renders the segments its own way; nothing is formatted twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..addresses import Address
from .quantities import address_of_symbol

SUM, PRODUCT, ATOM = 0, 1, 2
_SUB = str.maketrans("0123456789+-()", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎")
_SUP = str.maketrans("0123456789+-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾")


@dataclass(frozen=True)
class Math:
    """Worked arithmetic in the plain form ``0.3 − 0.0406 × 0.68`` (``latex`` when the
    plain form holds names that only a LaTeX rendering of its own can show)."""

    text: str
    latex: str | None = None


Segment = str | Address | Math


# -- names ------------------------------------------------------------------------------------
def _parts(network, addr: Address) -> tuple[str, str, str]:
    """(base, subscript, layer) of a quantity in the lecture's notation."""
    depth = network.depth
    sub = ",".join(map(str, addr.index))
    layer = "" if addr.layer is None else str(addr.layer)
    if addr.kind == "out":
        if addr.layer == depth:
            return "y", sub, ""
        return "h", sub, layer
    return {"x": "x", "d": "d", "net": "net", "delta": "δ", "w": "w", "b": "b",
            "E": "E", "dE/dw": "∂E/∂w", "dE/db": "∂E/∂b"}[addr.kind], sub, layer


def name(network, addr: Address) -> str:
    """``y₁``, ``h₁⁽¹⁾``, ``δ₁⁽²⁾``, ``w₁‚₁⁽²⁾⁺``, ``∂E/∂w₁‚₁⁽²⁾`` …"""
    if addr.kind == "x" and isinstance(network.inputs, tuple):
        return network.inputs[addr.index[0] - 1]
    base, sub, layer = _parts(network, addr)
    text = base + sub.translate(_SUB)
    if layer:
        text += f"({layer})".translate(_SUP)
    return text + ("⁺" if addr.after else "")


def latex_name(network, addr: Address) -> str:
    r"""``y_{1}``, ``h_{1}^{(1)}``, ``\delta_{1}^{(2)}``, ``w_{1,1}^{(2)+}`` … (math mode)."""
    if addr.kind == "x" and isinstance(network.inputs, tuple):
        return r"\mathrm{" + latex_escape(network.inputs[addr.index[0] - 1]) + "}"
    base, sub, layer = _parts(network, addr)
    base = {"net": r"\mathrm{net}", "δ": r"\delta", "∂E/∂w": "w", "∂E/∂b": "b"}.get(base, base)
    sup = f"({layer})" if layer else ""
    sup += "+" if addr.after else ""
    text = base + (f"_{{{sub}}}" if sub else "") + (f"^{{{sup}}}" if sup else "")
    if addr.kind in ("dE/dw", "dE/db"):
        return rf"\frac{{\partial E}}{{\partial {text}}}"
    return text


# -- worked arithmetic -------------------------------------------------------------------------
_FUNCTIONS = {sp.exp: "exp", sp.log: "ln", sp.tanh: "tanh", sp.Abs: "abs"}
_POWERS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: sp.Rational) -> str:
    """An exact rational as a student writes it: ``0.3``, ``1/3``, ``−0.5``."""
    value = sp.Rational(value)
    q = int(value.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q == 1:   # a terminating decimal
        text = format(sp.Float(value, 30), "f") if value.q != 1 else str(value.p)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{value.p}/{value.q}"
    return text.replace("-", "−")


def expr_parts(expr: sp.Expr, leaf) -> tuple[tuple, int]:
    """Render ``expr`` as template parts (strings and whatever ``leaf(symbol)`` returns) with
    the lecture's layout: ``y(1 − y)`` rather than SymPy's ``-y*(y - 1)``."""
    expr = sp.sympify(expr)
    if expr.is_Rational:
        text = number(expr)
        return (text,), SUM if text.startswith("−") or "/" in text else ATOM
    if expr.is_Number:
        return (str(expr),), ATOM
    if isinstance(expr, sp.Indexed | sp.Symbol):
        return (leaf(expr),), ATOM
    if isinstance(expr, sp.Add):
        terms = sorted(expr.args, key=lambda t: (_negative(t), sp.default_sort_key(t)))
        # lecture order: the variable first, then the constant ("y − d", "1 − y")
        if len(terms) == 2 and terms[0].is_Number and not _negative(terms[1]):
            terms = [terms[1], terms[0]]
        out: list = []
        for i, t in enumerate(terms):
            neg = _negative(t)
            parts, prec = expr_parts(-t if neg else t, leaf)
            if neg:
                out += [" − " if i else "−", *_wrap(parts, prec, PRODUCT)]
            else:
                out += ([" + "] if i else []) + list(parts)
        return tuple(out), SUM
    if isinstance(expr, sp.Mul):
        coeff, factors = expr.as_coeff_mul()
        if coeff < 0:
            parts, prec = expr_parts(sp.Mul(-coeff, *factors), leaf)
            return ("−", *_wrap(parts, prec, PRODUCT)), SUM
        num = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        den = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        if coeff != 1:
            if coeff.q != 1:
                num = ([] if coeff.p == 1 else [sp.Integer(coeff.p)]) + num
                den = [sp.Integer(coeff.q), *den]
            else:
                num = [coeff, *num]
        # atoms before sums: "y × (1 − y)"
        for group in (num, den):
            group.sort(key=lambda f: (not f.is_Number, isinstance(f, sp.Add)))
        top = _product(num or [sp.Integer(1)], leaf)
        if not den:
            return top, PRODUCT
        bottom = _product(den, leaf)
        bottom_prec = ATOM if len(den) == 1 and expr_parts(den[0], leaf)[1] == ATOM else SUM
        return (*_wrap(top, PRODUCT, PRODUCT), " / ", *_wrap(bottom, bottom_prec, ATOM)), PRODUCT
    if isinstance(expr, sp.Pow):
        if expr.exp.is_negative:
            return ("1 / ", *_wrap(*expr_parts(1 / expr, leaf), ATOM)), PRODUCT
        base = _wrap(*expr_parts(expr.base, leaf), ATOM)
        exp = expr.exp
        if exp.is_Integer and 0 < exp < 10:
            return (*base, str(exp).translate(_POWERS)), ATOM
        if exp == sp.Rational(1, 2):
            return ("√", *base), ATOM
        return (*base, "^", *_wrap(*expr_parts(exp, leaf), ATOM)), ATOM
    for func, fname in _FUNCTIONS.items():
        if isinstance(expr, func):
            return (f"{fname}(", *expr_parts(expr.args[0], leaf)[0], ")"), ATOM
    if isinstance(expr, sp.Max | sp.Min):
        inner: list = []
        for i, a in enumerate(expr.args):
            inner += ([", "] if i else []) + list(expr_parts(a, leaf)[0])
        return (f"{'max' if isinstance(expr, sp.Max) else 'min'}(", *inner, ")"), ATOM
    if isinstance(expr, sp.Heaviside):
        return ("step(", *expr_parts(expr.args[0], leaf)[0], ")"), ATOM
    return (str(expr),), ATOM


def _negative(term: sp.Expr) -> bool:
    return term.could_extract_minus_sign()


def _wrap(parts: tuple, prec: int, need: int) -> tuple:
    return ("(", *parts, ")") if prec < need else tuple(parts)


def _product(factors: list, leaf) -> tuple:
    out: list = []
    for i, f in enumerate(factors):
        parts, prec = expr_parts(f, leaf)
        out += ([" × "] if i else []) + list(_wrap(parts, prec, PRODUCT))
    return tuple(out)


def _leaf(sym, network, latex: bool) -> str:
    addr = address_of_symbol(sym)
    if addr is None:
        return {"eta": r"\eta" if latex else "η"}.get(str(sym), str(sym))
    return latex_name(network, addr) if latex else name(network, addr)


def chain_math(parts, network, prefix: tuple = ()) -> Math:
    """A derived chain in the lecture's order, ``(y₁ − d₁) × y₁ × (1 − y₁) × h₁⁽¹⁾``, as plain
    text and LaTeX; ``prefix`` parts (strings and SymPy symbols) come first (``w − η ×``)."""

    def one(part, latex: bool) -> tuple[str, int]:
        if hasattr(part, "chains"):          # Terms: chain + chain + …
            return " + ".join(product(c.parts, latex) for c in part.chains), SUM
        p, prec = expr_parts(part, lambda s: _leaf(s, network, latex))
        return "".join(p), prec

    def product(items, latex: bool) -> str:
        out = []
        for part in items:
            text, prec = one(part, latex)
            out.append(f"({text})" if prec < PRODUCT and len(items) > 1 else text)
        return " × ".join(out)

    def full(latex: bool) -> str:
        head = "".join(p if isinstance(p, str) else _leaf(p, network, latex) for p in prefix)
        return head + product(parts, latex)

    return Math(full(False), latex_math(full(True)))


def symbolic(expr: sp.Expr, network) -> Math:
    """A formula in the lecture's names, as plain text and LaTeX."""
    return chain_math((expr,), network)


# -- LaTeX -------------------------------------------------------------------------------------
_LATEX_TEXT = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
               "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}"}
_MATH_CHARS = {"×": r" \times ", "−": "-", "·": r" \cdot ", "σ": r"\sigma ", "η": r"\eta ",
               "δ": r"\delta ", "√": r"\sqrt ", "⁺": "^{+}", "∂": r"\partial "}
_MATH_WORDS = re.compile(r"\b(exp|ln|tanh|max|min)\(")
_LATEX_UNICODE = {"−": "-", "×": r"$\times$", "≈": r"$\approx$", "η": r"$\eta$",
                  "δ": r"$\delta$", "σ": r"$\sigma$", "→": r"$\to$", "…": r"\ldots{}",
                  "½": r"$\frac12$", "✓": "", "✗": "", "′": "'", "—": "---", "–": "--",
                  "·": r"$\cdot$", "∂": r"$\partial$", "Σ": r"$\Sigma$", "²": r"$^2$",
                  "⁺": r"$^+$"}


def latex_escape(text: str) -> str:
    """Plain prose for LaTeX: specials escaped, the few unicode symbols we use made math."""
    out = "".join(_LATEX_TEXT.get(c, c) for c in text)
    for char, tex in _LATEX_UNICODE.items():
        out = out.replace(char, tex)
    # anything else outside ASCII would stop pdflatex: show a placeholder instead
    return "".join(c if ord(c) < 128 else "?" for c in out)


def latex_math(text: str) -> str:
    """Worked arithmetic (``0.3 − 0.0406 × 0.68``) in LaTeX math."""
    text = _MATH_WORDS.sub(lambda m: "\\" + m[1] + "(", text)
    text = "".join(_MATH_CHARS.get(c, c) for c in text)
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)",
                  lambda m: "^{" + m[1].translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
                  + "}", text)
    return re.sub(r"\s+", " ", text).strip()


def render(segments, network, target: str = "text") -> str:
    """Join explanation segments for ``text`` (terminal, Markdown, JSON) or ``latex``."""
    out = []
    for seg in segments:
        if isinstance(seg, Address):
            out.append(f"${latex_name(network, seg)}$" if target == "latex" else name(network, seg))
        elif isinstance(seg, Math):
            if target == "latex":
                out.append(f"${seg.latex or latex_math(seg.text)}$")
            elif target == "markdown":
                out.append(f"`{seg.text}`")
            else:
                out.append(seg.text)
        else:
            out.append(latex_escape(seg) if target == "latex" else seg)
    return "".join(out)
