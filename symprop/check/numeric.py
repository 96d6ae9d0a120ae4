"""Decimal arithmetic for replaying a hand calculation: 50 digits, exact on written decimals.

Hand calculations round in base ten, so the replay works in `decimal.Decimal`: ``0.3 × 0.68`` is
exactly ``0.204`` and a tie such as ``0.12345`` rounds the way a calculator does. SymPy
expressions from the rule table and the derivation are compiled once into closures over
Decimals (no ``eval``); rounding rules round half up, like hand work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

import sympy as sp

CTX = Context(prec=50, Emax=10**6, Emin=-(10**6))
ONE, ZERO = Decimal(1), Decimal(0)

Env = Callable[[object], Decimal]           # leaf key → its value
Compiled = Callable[[Env], Decimal]


def to_decimal(value: sp.Expr) -> Decimal:
    """An exact SymPy value (rational or transcendental) as a 50-digit Decimal."""
    value = sp.sympify(value)
    if value.is_Rational:
        return CTX.divide(Decimal(int(value.p)), Decimal(int(value.q)))
    return CTX.create_decimal(str(sp.N(value, 55)))


def _tanh(z: Decimal) -> Decimal:
    if z.copy_abs() > 60:             # tanh is ±1 to 50 digits; keeps exp in range
        return ONE.copy_sign(z)
    e2 = CTX.exp(CTX.multiply(2, z))
    # CTX's operations throughout: Decimal's operators use the 28-digit default context
    return CTX.divide(CTX.subtract(e2, ONE), CTX.add(e2, ONE))


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    if exponent == exponent.to_integral_value():
        return CTX.power(base, int(exponent))
    return CTX.power(base, exponent)


def _compare(rel: type, a: Decimal, b: Decimal) -> bool:
    return {sp.Ge: a >= b, sp.Gt: a > b, sp.Le: a <= b, sp.Lt: a < b, sp.Eq: a == b,
            sp.Ne: a != b}[rel]


def compile_expr(expr: sp.Expr, leaf: Callable[[sp.Expr], object] = lambda s: s) -> Compiled:
    """Compile ``expr`` into ``f(env) -> Decimal``.

    Each leaf (Symbol, Indexed) is turned into a key by ``leaf`` once, here; at run time the
    closure asks ``env(key)`` for its value. Functions without a Decimal form of their own (a
    rule-table row using, say, ``atan``) are evaluated by SymPy at the working precision.
    """
    expr = sp.sympify(expr)
    if expr.is_Number:
        const = to_decimal(expr)
        return lambda env: const
    if isinstance(expr, sp.Indexed | sp.Symbol):
        key = leaf(expr)
        return lambda env: env(key)
    if isinstance(expr, sp.Piecewise):
        return _compile_piecewise(expr, leaf)
    args = [compile_expr(a, leaf) for a in expr.args]
    if isinstance(expr, sp.Add | sp.Mul):
        op, start = (CTX.add, ZERO) if isinstance(expr, sp.Add) else (CTX.multiply, ONE)

        def fold(env):
            total = start
            for f in args:
                total = op(total, f(env))
            return total
        return fold
    if isinstance(expr, sp.Pow):
        base, exponent = args
        return lambda env: _power(base(env), exponent(env))
    unary = {sp.exp: CTX.exp, sp.log: CTX.ln, sp.tanh: _tanh, sp.Abs: abs}
    for func, op in unary.items():
        if isinstance(expr, func) and len(args) == 1:
            (a,) = args
            return lambda env, op=op: op(a(env))
    if isinstance(expr, sp.Max | sp.Min):
        pick = max if isinstance(expr, sp.Max) else min
        return lambda env: pick(f(env) for f in args)
    if isinstance(expr, sp.Heaviside):
        a = args[0]
        at0 = args[1] if len(args) > 1 else (lambda env: Decimal("0.5"))   # SymPy's H(0)

        def heaviside(env):
            v = a(env)
            return ONE if v > 0 else ZERO if v < 0 else at0(env)
        return heaviside
    if isinstance(expr, sp.Function):
        func = expr.func
        return lambda env: to_decimal(func(*(sp.Float(str(f(env)), 55) for f in args)))
    raise ValueError(f"cannot evaluate {expr} numerically")


def _compile_piecewise(expr: sp.Piecewise, leaf: Callable[[sp.Expr], object]) -> Compiled:
    branches = []
    for value, cond in expr.args:
        test = None if cond is sp.true else (
            type(cond), compile_expr(cond.lhs, leaf), compile_expr(cond.rhs, leaf))
        branches.append((compile_expr(value, leaf), test))

    def piecewise(env):
        for value, test in branches:
            if test is None or _compare(test[0], test[1](env), test[2](env)):
                return value(env)
        raise ValueError("no branch of a Piecewise applies")
    return piecewise


# -- rounding ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rounding:
    """A hand rounding: ``n`` decimal places (``dp``) or ``n`` significant figures (``sf``)."""

    mode: str      # "dp" | "sf"
    n: int

    def __call__(self, value: Decimal) -> Decimal:
        if not value.is_finite() or value == 0:
            return value
        places = self.n if self.mode == "dp" else self.n - 1 - value.adjusted()
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CTX)

    def __str__(self) -> str:
        word = "decimal place" if self.mode == "dp" else "significant figure"
        return f"{self.n} {word}{'' if self.n == 1 else 's'}"


# finer first: the least rounding that explains a value is the likeliest
ROUNDINGS = (Rounding("dp", 4), Rounding("sf", 4), Rounding("dp", 3), Rounding("sf", 3),
             Rounding("dp", 2), Rounding("sf", 2))


def fmt(value: Decimal, sig: int = 8) -> str:
    """A readable decimal: ``sig`` significant figures, trailing zeros dropped, no exponent
    unless the number is tiny or huge."""
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "0"
    places = sig - 1 - value.adjusted()
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=CTX) \
        if places < 60 else value
    if -7 < value.adjusted() < 12:
        text = format(rounded, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return format(rounded.normalize(context=CTX), "e")


def truncate(value: Decimal, places: int) -> Decimal:
    """``value`` with the digits after ``places`` decimal places cut off."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN, context=CTX)
