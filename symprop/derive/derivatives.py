"""What SymPy derives from the rule table: f', f' written in the output, and ∂E/∂y.

Nothing here is typed in per activation: the output form of f' is *found* (a polynomial fitted
at sample points, or y = f(z) inverted) and then *proven* by symbolic cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from .rules import ACTIVATIONS, LOSSES, Activation

Z = sp.Symbol("z", real=True)          # a unit's net input
Y = sp.Symbol("y", real=True)          # a unit's output
D = sp.Symbol("d", real=True)          # a target
K = sp.Symbol("K", positive=True, integer=True)  # number of output units


@dataclass(frozen=True)
class Derivative:
    """f'(z), and when it exists f' written in the output y = f(z), with the proof's steps."""

    in_net: sp.Expr                     # f'(z), in Z
    in_output: sp.Expr | None           # g(y) with f'(z) = g(f(z)), in Y
    notes: tuple[str, ...] = field(default=())     # the steps, where they are not the usual

    @property
    def steps(self) -> tuple[str, ...]:
        """The proof's steps as text. Simplifying f'(z) for display costs a cold process half a
        second (SymPy's simplify imports sympy.physics), so it is done only when asked for."""
        if self.notes:
            return self.notes
        steps = (f"f'(z) = {sp.simplify(self.in_net)}",)
        if self.in_output is not None:
            shown = self.in_output.subs(Y, sp.Symbol("f(z)"))
            steps += (f"= {shown}   (proven: f'(z) - g(f(z)) simplifies to 0)",)
        return steps


def _poly_in_output(fz: sp.Expr, dfz: sp.Expr, max_degree: int = 3) -> sp.Expr | None:
    """Find a polynomial P with f'(z) = P(f(z)), fitted at sample points, then proven."""
    points = [sp.Rational(n, 7) for n in (-9, -4, -1, 2, 5, 8, 11)]
    for degree in range(max_degree + 1):
        rows, rhs = [], []
        for p in points[: degree + 1]:
            fv = sp.N(fz.subs(Z, p), 50)
            rows.append([fv**i for i in range(degree + 1)])
            rhs.append(sp.N(dfz.subs(Z, p), 50))
        try:
            sol = sp.Matrix(rows).LUsolve(sp.Matrix(rhs))
        except (ValueError, ZeroDivisionError):
            continue
        exact = [sp.nsimplify(sp.N(c, 30), rational=True, tolerance=1e-25) for c in sol]
        candidate = sum(c * Y**i for i, c in enumerate(exact))
        # cheap rejection at a point not used by the fit, then the symbolic proof
        check = points[-1]
        miss = sp.N(dfz.subs(Z, check) - candidate.subs(Y, fz.subs(Z, check)), 40)
        if abs(miss) > 1e-30:
            continue
        if _proven_equal(dfz, candidate.subs(Y, fz)):
            return tidy_polynomial(candidate)
    return None


def tidy_polynomial(poly: sp.Expr) -> sp.Expr:
    """The most readable of a polynomial's forms: y(1 − y) rather than −y(y − 1), 1 − y²."""
    expanded = sp.expand(poly)
    factored = sp.factor(expanded)
    coeff, factors = factored.as_coeff_mul()
    if coeff < 0:
        # flip one (y − r) factor into (r − y) so that no minus sign leads
        for i, f in enumerate(factors):
            if f.is_Add and f.has(Y):
                factors = factors[:i] + (-f,) + factors[i + 1:]
                coeff = -coeff
                break
    factored = sp.Mul(coeff, *factors) if coeff != 1 else sp.Mul(*factors)
    return factored if sp.count_ops(factored) <= sp.count_ops(expanded) else expanded


def _inverse_in_output(fz: sp.Expr, dfz: sp.Expr) -> sp.Expr | None:
    """Solve y = f(z) for z and substitute into f'(z)."""
    try:
        roots = sp.solve(sp.Eq(Y, fz), Z)
    except (NotImplementedError, ValueError):
        return None
    for root in roots:
        candidate = sp.simplify(dfz.subs(Z, root))
        if candidate.has(Z):
            continue
        if _proven_equal(dfz, candidate.subs(Y, fz)):
            return candidate
    return None


def _proven_equal(a: sp.Expr, b: sp.Expr) -> bool:
    diff = a - b
    for simplifier in (sp.cancel, lambda e: sp.simplify(e.rewrite(sp.exp))):
        try:
            if simplifier(diff) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            pass
    return False


def _piecewise_linear_in_output(row: Activation, dfz: sp.Expr, at_zero: sp.Expr) -> sp.Expr | None:
    """ReLU-like rows: f(z) = z for z > 0 and f(z) = 0 for z <= 0, so f' depends on sign(y)."""
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("n", nonpositive=True)
    if sp.simplify(row(pos) - pos) == 0 and sp.simplify(row(neg)) == 0:
        return sp.Heaviside(Y, at_zero)
    return None


@cache
def output_derivative(name: str, relu_at_zero: sp.Rational = sp.S.Zero) -> Derivative:
    """Derive f'(z) and, where one exists, f' written in the output y = f(z).

    The output form is *found* (polynomial fit, or inverting y = f(z)) and then *proven*
    symbolically; nothing here is typed in per activation.
    """
    row = ACTIVATIONS[name]
    if not row.differentiable:
        return Derivative(sp.Integer(0), None, ("not differentiable: f' = 0 wherever it exists",))
    if row.layerwise:
        # softmax: ∂y_j/∂net_k = y_j (δ_jk − y_k); the diagonal is y(1 − y)
        return Derivative(sp.Integer(0), Y * (1 - Y), ("∂y_j/∂net_k = y_j (δ_jk − y_k)",))
    fz = row(Z)
    dfz = sp.diff(fz, Z)
    if dfz.has(sp.Heaviside) or dfz.has(sp.Piecewise) or dfz.has(sp.Max):
        dfz = dfz.replace(sp.Heaviside, lambda *a: sp.Heaviside(a[0], relu_at_zero))
        out = _piecewise_linear_in_output(row, dfz, relu_at_zero)
        steps = (f"f'(z) = {dfz}", "f(z) > 0 exactly when z > 0, so f'(z) = step(f(z))")
        return Derivative(dfz, out, steps)
    return Derivative(dfz, _poly_in_output(fz, dfz) or _inverse_in_output(fz, dfz))


def loss_gradient(name: str) -> sp.Expr:
    """∂E/∂y_k for one output unit, derived from the loss row (in Y, D, K)."""
    return tidy_fraction(sp.diff(LOSSES[name].term(Y, D, K), Y))


def tidy_fraction(expr: sp.Expr) -> sp.Expr:
    """``expr`` factored, with a leading minus taken into a sum on top: (d - y)/(y(y - 1))
    rather than -(y - d)/(y(y - 1)). For the built-in rules this is the form `sympy.simplify`
    gives, without its half-second first call (simplify imports sympy.physics)."""
    factored = sp.factor(expr)
    coeff, rest = factored.as_coeff_Mul()
    if coeff < 0:
        top, bottom = sp.fraction(rest)
        factors = sp.Mul.make_args(top)
        for i, factor in enumerate(factors):
            if factor.is_Add:
                flipped = factors[:i] + (-factor,) + factors[i + 1:]
                return -coeff * sp.Mul(*flipped) / bottom
    return factored
