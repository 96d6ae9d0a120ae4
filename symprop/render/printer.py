"""The lecture's LaTeX printer: a `LatexPrinter` subclass and ordered chain printing.

The canonical symbols (``out2[k]``, ``w1[j, m]``, ``net1[j]``…) print as the lecture writes
them — ``y_k``, ``w_{j,m}^{(1)}``, ``\\mathrm{net}_j^{(1)}``, ``h_j^{(1)}`` — following
``network.notation`` (symbols for x h y d net f η E w b δ, index letters, weight index order).
Factors keep the lecture's order: chains are printed part by part (SymPy would sort them),
a product prints its plain factors before its sums (``y_k (1 - y_k)``) and a sum its positive
terms first (``y_k - d_k``). With ``values`` the printer writes numbers in place of symbols and
joins factors with ``\\times``: the slide-style ``(0.69 - 0.5) \\times 0.69 \\times (1 - 0.69)``.

Extra notation keys read here (defaults in :data:`EXTRA_NOTATION`): ``g`` (an activation in the
derivative slides; by default the deck's ``f``), ``T`` (a McCulloch-Pitts threshold), ``phi``
(the perceptron's activation), ``yhat`` (its prediction), ``precision`` (see
:mod:`symprop.render.numbers`).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from ..derive import symbols as S
from ..derive.chain import Chain, SumOver, Terms
from ..notation import check_notation
from .plain import lecture_terms

EXTRA_NOTATION: dict[str, str] = {"T": "T", "phi": r"\varphi", "yhat": r"\hat{y}"}


def notation(network: Any) -> dict[str, Any]:
    """The network's symbols, each checked against the whitelist (the one way in)."""
    symbols = {**EXTRA_NOTATION, **network.notation}
    symbols.setdefault("g", symbols["f"])      # the activation slides use the deck's f
    return check_notation(symbols, getattr(network, "source", None))


class LecturePrinter(LatexPrinter):
    """SymPy's LaTeX printer with the lecture's names and factor order.

    ``values`` maps symbols (``out1[1]``…) to number text; ``joiner`` separates the factors of
    a product (``" "``, ``r" \\times "`` for numbers, ``r" \\odot "`` for vectors); ``vector``
    prints indexed quantities without their index (``h^{(1)}`` for the whole layer);
    ``raw`` maps symbols to LaTeX written as is (``g(z)``); ``after`` marks every quantity
    the update changes with a ⁺ (``w^{(2)+}``, ``y^{+}``, ``E^{+}``): the further forward pass.
    """

    printmethod = "_lecture_latex"

    def __init__(self, network: Any, *, values: dict | None = None, joiner: str | None = None,
                 vector: bool = False, raw: dict | None = None, after: bool = False) -> None:
        super().__init__({"ln_notation": True})
        self.network = network
        self.notation = notation(network)
        self.values = values or {}
        self.joiner = joiner if joiner is not None else (r" \times " if values else " ")
        self.vector = vector
        self.raw = raw or {}
        self.after = after

    # -- names -------------------------------------------------------------------------------
    def quantity(self, kind: str, layer: int | None, indices: tuple[str, ...]) -> str:
        """LaTeX of one quantity, e.g. ``quantity("out", 1, ("j",))`` → ``h_{j}^{(1)}``."""
        tex = self._quantity(kind, layer, indices)
        changed = kind in ("out", "net", "w", "b") and not (kind == "out" and layer == 0)
        return plus(tex) if self.after and changed else tex

    def _quantity(self, kind: str, layer: int | None, indices: tuple[str, ...]) -> str:
        n = self.notation
        depth = self.network.depth
        sub = ",".join(indices)
        sub = f"_{{{sub}}}" if sub and not self.vector else ""
        sup = f"^{{({layer})}}" if layer is not None else ""
        if kind == "out" and layer == 0:
            kind, sup = "x", ""
        if kind == "out":
            if layer == depth:
                return f"{n['y']}{sub}"
            return f"{n['h']}{sub}{sup}"
        if kind == "w" and len(indices) == 2 and n["weight_order"] == "jk":
            sub = f"_{{{indices[1]},{indices[0]}}}" if not self.vector else ""
        if kind == "w" and self.vector:
            return f"W{sup}"
        name = {"x": n["x"], "d": n["d"], "net": n["net"], "delta": n["delta"], "w": n["w"],
                "b": n["b"]}[kind]
        return f"{name}{sub}{sup}"

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        if expr in self.values:
            text = str(self.values[expr])
            return f"({text})" if text.startswith("-") else text
        parts = S.split_base(str(expr.base))
        if parts is None:
            return super()._print_Indexed(expr)
        return self.quantity(*parts, tuple(self._print(i) for i in expr.indices))

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        parts = S.split_base(str(expr))
        return self.quantity(*parts, ()) if parts else super()._print_IndexedBase(expr)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        """With numbers in place of symbols only the piece that applies is written (a user's
        ELU or Huber row in a worked example), when the numbers decide it."""
        if self.values:
            numbers = {}
            for symbol, text in self.values.items():
                try:
                    numbers[symbol] = sp.Rational(str(text).strip().strip("()"))
                except (TypeError, ValueError):
                    continue
            for value, condition in expr.args:
                decided = sp.sympify(condition).xreplace(numbers)
                if decided not in (sp.true, sp.false):
                    break
                if decided == sp.true:
                    return self.parenthesize(value, PRECEDENCE["Mul"]) if value.is_Add \
                        else self._print(value)
        return super()._print_Piecewise(expr)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr in self.raw:
            return self.raw[expr]
        if expr in self.values:
            return str(self.values[expr])
        name = expr.name
        if name == "E":
            return self.notation["E"] + ("^{+}" if self.after else "")
        if name.endswith("_"):        # a second index of the same range: k_ → k'
            return name[:-1] + "'"
        return super()._print_Symbol(expr, style)

    # -- order -------------------------------------------------------------------------------
    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        tex = ""
        for sign, term in lecture_terms(expr):
            term_tex = self._print(term)
            tex += sign + (paren(term_tex) if term.is_Add else term_tex)
        return tex

    def _print_Mul(self, expr: sp.Mul) -> str:
        c, rest = expr.as_coeff_Mul()
        if c.is_Rational and not c.is_Integer and sp.fraction(rest, exact=True)[1] == 1:
            # ½ (y − d)², as the lecture writes the loss, not (y − d)²/2
            sign = "-" if c < 0 else ""
            frac = rf"\frac{{{abs(c.p)}}}{{{c.q}}}"
            body = self._print(rest)
            if rest.is_Add:
                body = paren(body)
            return sign + frac + self.joiner + body
        num, den = sp.fraction(expr, exact=True)
        if den != 1 and not self.values:
            return super()._print_Mul(expr)
        if den != 1:
            sign = "-" if num.could_extract_minus_sign() else ""
            num = -num if sign else num
            return rf"{sign}\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        coeff, factors = expr.as_coeff_mul()
        sign = ""
        if coeff < 0:
            sign, coeff = "-", -coeff
        # plain factors before sums: y_k (1 − y_k), the output symbol first
        ordered = [f for f in factors if not f.is_Add] + [f for f in factors if f.is_Add]
        parts = [self._print(coeff)] if coeff != 1 else []
        for f in ordered:
            tex = self._print(f)
            parts.append(paren(tex) if f.is_Add else tex)
        return sign + self.joiner.join(parts)

    def _print_Pow(self, expr: sp.Pow) -> str:
        base, exp = expr.base, expr.exp
        if exp.is_Integer and exp > 0 and (base.is_Add or isinstance(base, sp.Indexed)
                                           or base in self.raw or base in self.values):
            tex = self._print(base)
            if base.is_Add or "^" in tex or tex.startswith("("):
                tex = paren(tex) if not tex.startswith("(") else tex
            return f"{tex}^{{{self._print(exp)}}}"
        return super()._print_Pow(expr)

    def _print_Sum(self, expr: sp.Sum) -> str:
        body = expr.function
        coeff, rest = body.as_coeff_Mul()
        indices = ",".join(self._print(lim[0]) for lim in expr.limits)
        inner = self._print(rest)
        if rest.is_Add:
            inner = paren(inner)
        head = ""
        if coeff == -1:
            head = "-"
        elif coeff != 1:
            head = self._print(coeff) + " "
        return rf"{head}\sum_{{{indices}}} {inner}"

    def _print_Heaviside(self, expr: sp.Expr, exp: Any = None) -> str:
        arg = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else None
        rel = r"\geq" if at_zero == 1 else ">"
        return rf"\mathbf{{1}}[{arg} {rel} 0]"

    def _print_log(self, expr: sp.Expr, exp: Any = None) -> str:
        arg = expr.args[0]
        tex = self._print(arg)
        simple = isinstance(arg, sp.Indexed | sp.Symbol) or arg.is_Number or (
            self.values and arg in self.values)
        out = rf"\ln {tex}" if simple and not tex.startswith("(") else rf"\ln{paren(tex)}"
        return out if exp is None else rf"\ln^{{{exp}}} {tex}"

    def _print_exp(self, expr: sp.Expr, exp: Any = None) -> str:
        arg = expr.args[0]
        if self.values and not arg.is_Symbol:
            return rf"e^{{{self._print(arg)}}}"
        return self._print_ExpBase(expr, exp)


def plus(tex: str) -> str:
    """``w_{1,1}^{(2)}`` → ``w_{1,1}^{(2)+}``; ``y_{1}`` → ``y_{1}^{+}`` (after the update)."""
    sup, sub = tex.rfind("^{"), tex.rfind("_{")
    if sup > sub and tex.endswith("}"):
        return tex[:-1] + "+}"
    return tex + "^{+}"


def paren(tex: str) -> str:
    """Parentheses, sized only when the contents are tall (a fraction or a sum)."""
    if any(tall in tex for tall in (r"\frac", r"\sum", r"\begin")):
        return rf"\left({tex}\right)"
    return f"({tex})"


def chain_latex(chain: Chain, printer: LecturePrinter) -> str:
    """An ordered product, factor by factor; Σ bodies with several factors get brackets."""
    several = len(chain.parts) > 1
    pieces = []
    for i, part in enumerate(chain.parts):
        if isinstance(part, SumOver):
            body = chain_latex(part.chain, printer)
            if len(part.chain.parts) > 1 and i < len(chain.parts) - 1:
                # a factor follows the Σ: brackets say where its body ends
                body = rf"\left[{body}\right]"
            tex = rf"\sum_{{{printer._print(part.index)}}} {body}"
        elif isinstance(part, Terms):
            tex = " + ".join(chain_latex(c, printer) for c in part.chains)
            if several and len(part.chains) > 1:
                tex = paren(tex)
        else:
            tex = printer._print(part)
            if several and (part.is_Add or (i and part.could_extract_minus_sign())):
                tex = paren(tex)
        pieces.append(tex)
    return printer.joiner.join(pieces)


def times_chain(chain: Chain, printer: LecturePrinter) -> str:
    """A chain that something multiplies: a lone sum or difference gets its parentheses."""
    tex = chain_latex(chain, printer)
    first = chain.parts[0]
    if len(chain.parts) == 1 and not isinstance(first, SumOver | Terms) and (
            first.is_Add or first.could_extract_minus_sign()):
        tex = paren(tex)
    elif tex.lstrip().startswith("-"):
        tex = paren(tex)        # η (−…): a leading minus never follows "− η" bare
    return tex


def partial(num: str, den: str) -> str:
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def label_latex(label: str) -> str:
    """A slide's own name for a quantity (``w1``) as math; anything unusual as text."""
    if re.fullmatch(r"[A-Za-z]+\d*", label):
        return label
    return r"\text{" + escape(label) + "}"


def escape(text: str, breakable: bool = False) -> str:
    """Plain text made safe for LaTeX: special characters as text, control characters (a
    newline would end a comment line and start LaTeX) as ``?``. With ``breakable``, long words
    (paths, names_with_underscores) may break after / _ \\ and every 20 characters."""
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}"}
    out, run = [], 0
    for c in str(text):
        out.append("?" if ord(c) < 32 or ord(c) == 127 else table.get(c, c))
        run = 0 if c.isspace() else run + 1
        if breakable and run and (c in "/_\\" or run % 20 == 0):
            out.append(r"\allowbreak{}")
    return "".join(out)
