"""Plain-text formulas for the terminal and JSON, with the addresses' names.

``y[k]`` for the last layer's outputs, ``h1[j]`` for hidden ones, ``w2[k,j]``, ``delta2[k]``…,
in the lecture's factor order: ``(y[k] - d[k]) * y[k]*(1 - y[k]) * h1[j]``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from ..derive import symbols as S
from ..derive.chain import Chain, SumOver, Terms


def lecture_terms(expr: sp.Add) -> list[tuple[str, sp.Expr]]:
    """A sum's terms, positive ones first (y − d, 1 − y; SymPy would write −d + y), each with
    the sign text that goes before it and the term without its minus sign."""
    terms = list(expr.as_ordered_terms())
    terms = [t for t in terms if not t.could_extract_minus_sign()] + \
        [t for t in terms if t.could_extract_minus_sign()]
    signed = []
    for i, term in enumerate(terms):
        if term.could_extract_minus_sign():
            signed.append((" - " if i else "-", -term))
        else:
            signed.append((" + " if i else "", term))
    return signed


class PlainPrinter(StrPrinter):
    """SymPy's str printer with address names and the lecture's factor order."""

    printmethod = "_symprop_plain"     # not "_sympystr": Indexed would print itself

    def __init__(self, network: Any) -> None:
        super().__init__()
        self.network = network

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        name = str(expr.base)
        kind, layer = S.split_base(name) or (None, None)
        if kind == "out":
            name = "y" if layer == self.network.depth else f"h{layer}"
        return f"{name}[{','.join(self._print(i) for i in expr.indices)}]"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return expr.name[:-1] + "'" if expr.name.endswith("_") else expr.name

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        out = ""
        for sign, term in lecture_terms(expr):
            text = self._print(term)
            out += sign + (f"({text})" if term.is_Add else text)
        return out

    def _print_Mul(self, expr: sp.Mul) -> str:
        num, den = sp.fraction(expr, exact=True)
        if den != 1:
            return super()._print_Mul(expr)
        coeff, factors = expr.as_coeff_mul()
        sign = ""
        if coeff < 0:
            sign, coeff = "-", -coeff
        # weights first (w_{k,j} h_j, as in Σ_j w_{k,j} h_j), then other factors, then sums
        ordered = sorted((f for f in factors if not f.is_Add), key=lambda f: not (
            isinstance(f, sp.Indexed) and str(f.base)[0] in "wb")) + \
            [f for f in factors if f.is_Add]
        parts = [self._print(coeff)] if coeff != 1 else []
        for f in ordered:
            text = self._print(f)
            parts.append(f"({text})" if f.is_Add else text)
        return sign + "*".join(parts)

    def _print_Sum(self, expr: sp.Sum) -> str:
        coeff, rest = expr.function.as_coeff_Mul()
        head = "" if coeff == 1 else "-" if coeff == -1 else f"{self._print(coeff)} * "
        index = ",".join(self._print(lim[0]) for lim in expr.limits)
        return f"{head}sum_{index}({self._print(rest)})"

    def _print_Heaviside(self, expr: sp.Expr) -> str:
        rel = ">=" if len(expr.args) > 1 and expr.args[1] == 1 else ">"
        return f"[{self._print(expr.args[0])} {rel} 0]"


def chain_text(chain: Chain, printer: PlainPrinter) -> str:
    """An ordered product as text: factors joined by `` * ``, Σ as ``sum_k[...]``."""
    pieces = []
    several = len(chain.parts) > 1
    for part in chain.parts:
        if isinstance(part, SumOver):
            pieces.append(f"sum_{printer._print(part.index)}[{chain_text(part.chain, printer)}]")
        elif isinstance(part, Terms):
            text = " + ".join(chain_text(c, printer) for c in part.chains)
            pieces.append(f"({text})" if several and len(part.chains) > 1 else text)
        else:
            text = printer._print(part)
            pieces.append(f"({text})" if several and part.is_Add else text)
    return " * ".join(pieces)
