"""SymPy → numba-compatible Python, and SymPy → plain-text formulas for comments.

`KernelPrinter` subclasses SymPy's `PythonCodePrinter` and overrides only the gaps: numbers as
float literals *in the kernel's dtype* (numba widens float32 to float64 as soon as a Python int or
float literal joins the expression), integer powers as products, `Heaviside`, `Max`/`Min`,
and a log of ``1 + exp(a)`` (softplus) in a form that cannot overflow.
`print_block` runs `sympy.cse` over a group of outputs and counts the operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter

from .options import DTYPES


def helper_name(kind: str, dtype: str) -> str:
    """The `vector_math` function for ``kind`` (exp, expm1, tanh) in ``dtype``: exp_float64."""
    return f"{kind}_{dtype}"


class KernelPrinter(PythonCodePrinter):
    """Prints scalar SymPy expressions as numba-compatible Python in one float dtype."""

    printmethod = "_symprop_kernel"
    _default_settings = {**PythonCodePrinter._default_settings, "dtype": "float64",
                         "vector_math": False, "late": ()}

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings or {})
        self._in_piecewise = 0
        if self._settings["dtype"] not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {self._settings['dtype']!r}")

    # -- numbers: float literals in the dtype --------------------------------------------------
    def literal(self, value: float) -> str:
        value = float(value)
        if self._settings["dtype"] == "float32":
            # the sign outside, so that SymPy's Add printing still sees a leading "-"
            sign = "-" if value < 0 or (value == 0 and str(value).startswith("-")) else ""
            return f"{sign}np.float32({abs(value)!r})"
        return repr(value)

    def _print_Integer(self, expr: sp.Integer) -> str:
        return self.literal(int(expr))

    _print_Zero = _print_One = _print_NegativeOne = _print_Integer

    def _print_Rational(self, expr: sp.Rational) -> str:
        # the nearest float to p/q, not p/q computed in floats (1/3 → 0.3333333333333333)
        return self.literal(float(sp.Rational(expr.p, expr.q)))

    _print_Half = _print_Rational

    def _print_Float(self, expr: sp.Float) -> str:
        return self.literal(float(expr))

    def _print_Infinity(self, expr) -> str:
        return self.literal(float("inf"))

    def _print_NegativeInfinity(self, expr) -> str:
        return self.literal(float("-inf"))

    # -- powers: integer powers as products, so no int literal (and no pow call) remains -------
    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.base, expr.exp
        b = self.parenthesize(base, PRECEDENCE["Mul"], strict=True)
        if exp.is_Integer and 1 <= abs(int(exp)) <= 4:
            product = "*".join([b] * abs(int(exp)))
            if int(exp) > 0:
                return f"({product})" if int(exp) > 1 else product
            return f"({self.literal(1)}/({product}))" if int(exp) < -1 else \
                f"({self.literal(1)}/{b})"
        if exp == sp.Rational(1, 2):
            return f"math.sqrt({self._print(base)})"
        if exp == -sp.Rational(1, 2):
            return f"({self.literal(1)}/math.sqrt({self._print(base)}))"
        return f"{b}**{self._print(exp)}"

    # -- the gaps -------------------------------------------------------------------------------
    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        arg = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        zero, cast = self.literal(0), f"np.{self._settings['dtype']}"
        # a comparison cast to a float: no branch for numba to build, nothing to mispredict
        if at_zero == 0:
            return f"{cast}({arg} > {zero})"
        if at_zero == 1:
            return f"{cast}({arg} >= {zero})"
        middle, one = self._print(at_zero), self.literal(1)
        return f"({one} if {arg} > {zero} else ({middle} if {arg} == {zero} else {zero}))"

    def _print_Max(self, expr: sp.Max) -> str:
        return self._minmax("max", expr.args)

    def _print_Min(self, expr: sp.Min) -> str:
        return self._minmax("min", expr.args)

    def _minmax(self, name: str, args: Sequence[sp.Expr]) -> str:
        # nested two-argument calls: numba types those without building a tuple
        text = self._print(args[0])
        for arg in args[1:]:
            text = f"{name}({text}, {self._print(arg)})"
        return text

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_log(self, expr: sp.log) -> str:
        arg = expr.args[0]
        softplus_of = _softplus_argument(arg)
        if softplus_of is not None:
            # log(1 + e^a) = max(a, 0) + log1p(e^-|a|): finite for every a
            a = self._print(softplus_of)
            return f"(max({a}, {self.literal(0)}) + math.log1p(math.exp(-abs({a}))))"
        return f"math.log({self._print(arg)})"

    def _vector(self) -> bool:
        # inside a Piecewise both branches would be computed once vectorised: keep libm there
        return self._settings["vector_math"] and not self._in_piecewise

    def _print_exp(self, expr: sp.exp) -> str:
        name = helper_name("exp", self._settings["dtype"]) if self._vector() else "math.exp"
        return f"{name}({self._print(expr.args[0])})"

    def _print_tanh(self, expr: sp.tanh) -> str:
        name = helper_name("tanh", self._settings["dtype"]) if self._vector() else "math.tanh"
        return f"{name}({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        self._in_piecewise += 1
        try:
            return super()._print_Piecewise(expr)
        finally:
            self._in_piecewise -= 1

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return expr.name   # every symbol reaching here is one of ours: ASCII identifiers

    def _print_Mul(self, expr: sp.Mul) -> str:
        late = self._late_first(expr)
        if late is not None:
            return late
        coeff, rest = expr.as_coeff_Mul()
        if coeff.is_Rational and not coeff.is_Integer and coeff > 0 and rest != 1:
            # 0.5*(y - d)**2 rather than SymPy's (1/2)*… or …/2
            return f"{self._print(coeff)}*{self.parenthesize(rest, PRECEDENCE['Mul'])}"
        return super()._print_Mul(expr)


    def _late_first(self, expr: sp.Mul) -> str | None:
        """``late*(a*b*c)`` when only ``late`` waits on the symbols named in the ``late``
        setting (the deltas of the layer above, at the end of a per-sample dependency chain):
        Python multiplies left to right, so the product of the factors known early is made
        while the late one is still being computed, and the chain gets one multiply, not
        three."""
        prefixes = self._settings["late"]
        if not prefixes:
            return None
        coeff, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        waits = [any(str(s).startswith(prefixes) for s in f.free_symbols) for f in factors]
        early = [f for f, w in zip(factors, waits, strict=True) if not w]
        if not any(waits) or len(early) + (coeff != 1) < 2:
            return None
        late = sp.Mul(*(f for f, w in zip(factors, waits, strict=True) if w))
        return (f"{self.parenthesize(late, PRECEDENCE['Mul'])}"
                f"*({self._print(coeff * sp.Mul(*early))})")


def _softplus_argument(arg: sp.Expr) -> sp.Expr | None:
    """``a`` when ``arg`` is ``1 + exp(a)``, else None."""
    if arg.is_Add and len(arg.args) == 2 and sp.S.One in arg.args:
        other = arg.args[0] if arg.args[1] == 1 else arg.args[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """Printed statements of one CSE'd group: temporaries first, then the outputs."""

    temporaries: tuple[tuple[str, str], ...]    # (name, code)
    outputs: tuple[tuple[str, str], ...]        # (name, code)
    ops: int

    def lines(self, op: str = "=") -> list[str]:
        """``name = code`` lines; ``op`` for the outputs (e.g. ``+=`` to accumulate)."""
        return [f"{n} = {c}" for n, c in self.temporaries] + \
            [f"{n} {op} {c}" for n, c in self.outputs]


class TempNames:
    """Hands out ``_t0, _t1, …`` across blocks, so temporaries never collide in one function."""

    def __init__(self, prefix: str = "_t") -> None:
        self.prefix, self.count = prefix, 0

    def __iter__(self):
        return self

    def __next__(self) -> sp.Symbol:
        sym = sp.Symbol(f"{self.prefix}{self.count}")
        self.count += 1
        return sym


def print_block(outputs: Iterable[tuple[str, sp.Expr]], dtype: str,
                temps: TempNames | None = None, cse: bool = True,
                vector_math: bool = False, late: tuple[str, ...] = ()) -> Block:
    """CSE over all ``outputs`` at once (temporaries ``_t0, _t1, …``) and print them.

    ``late``: name prefixes of symbols known last (see `KernelPrinter._late_first`)."""
    names, exprs = zip(*outputs, strict=True) if outputs else ((), ())
    printer = KernelPrinter({"dtype": dtype, "vector_math": vector_math, "late": late})
    temps = temps if temps is not None else TempNames()
    if cse and exprs:
        replacements, reduced = sp.cse(list(exprs), symbols=temps, order="none")
    else:
        replacements, reduced = [], list(exprs)
    ops = sum(sp.count_ops(e) for _, e in replacements) + sum(sp.count_ops(e) for e in reduced)
    return Block(
        tuple((str(s), printer.doprint(e)) for s, e in replacements),
        tuple((n, printer.doprint(e)) for n, e in zip(names, reduced, strict=True)),
        int(ops))


def code(expr: sp.Expr, dtype: str, vector_math: bool = False) -> str:
    """One expression, printed without CSE."""
    return KernelPrinter({"dtype": dtype, "vector_math": vector_math}).doprint(expr)


# ---------------------------------------------------------------------------------------------
class FormulaPrinter(StrPrinter):
    """Plain-text formulas for comments, in the lecture's reading order: ``y[k] - d[k]``.

    ``names`` renames indexed bases (``out2`` → ``y``, ``out1`` → ``h1``).
    """

    printmethod = "_symprop_formula"     # bypass Indexed._sympystr, which ignores ``names``
    _default_settings = {**StrPrinter._default_settings, "names": {}}

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._settings["names"].get(str(expr.base), str(expr.base))
        return f"{base}[{','.join(self._print(i) for i in expr.indices)}]"

    def _print_Add(self, expr: sp.Add, order=None) -> str:
        # sums first, then other positive terms, then the negative ones: Σ w h + b, y - d
        terms = sorted(expr.as_ordered_terms(),
                       key=lambda t: (t.could_extract_minus_sign(), not t.has(sp.Sum)))
        text = self._print(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                text += " - " + self.parenthesize(-term, PRECEDENCE["Add"], strict=True)
            else:
                text += " + " + self.parenthesize(term, PRECEDENCE["Add"], strict=True)
        return text

    def _print_Mul(self, expr: sp.Mul) -> str:
        if expr.could_extract_minus_sign():
            return "-" + self.parenthesize(-expr, PRECEDENCE["Mul"], strict=True)
        num, den = sp.fraction(expr, exact=True)
        text = self._product(num)
        if den != 1:
            text += "/" + self.parenthesize(den, PRECEDENCE["Mul"], strict=True)
        return text

    def _product(self, expr: sp.Expr) -> str:
        if not expr.is_Mul:
            return self._print(expr)
        coeff, factors = expr.as_coeff_mul()
        # single quantities first, then bracketed sums: y[k]*(1 - y[k])
        ordered = sorted(factors, key=lambda f: (f.is_Add, not _is_weight(f),
                                                 sp.default_sort_key(f)))
        parts = [self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in ordered]
        if coeff != 1:
            parts.insert(0, self.parenthesize(coeff, PRECEDENCE["Mul"]))
        return "*".join(parts)

    def _print_Sum(self, expr: sp.Sum) -> str:
        (index, _, _), = expr.limits
        return f"sum_{index}({self._print(expr.function)})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"step({self._print(expr.args[0])})"


def _is_weight(expr: sp.Expr) -> bool:
    return isinstance(expr, sp.Indexed) and str(expr.base).startswith("w")


def formula(expr: sp.Expr, names: dict[str, str] | None = None) -> str:
    """``expr`` as plain text for a comment."""
    return FormulaPrinter({"names": names or {}}).doprint(expr)


def parenthesized_formula(expr: sp.Expr, names: dict[str, str] | None = None) -> str:
    text = formula(expr, names)
    return f"({text})" if precedence(expr) < PRECEDENCE["Mul"] else text
