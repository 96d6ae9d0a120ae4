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
        if root.has(sp.LambertW):   # one branch of an inverse that is not a function of y
            continue
        candidate = dfz.subs(Z, root)
        if candidate.has(Z) or not _agrees_at_points(fz, dfz, candidate):
            continue
        candidate = sp.simplify(candidate)
        if _proven_equal(dfz, candidate.subs(Y, fz)):
            return candidate
    return None


def _agrees_at_points(fz: sp.Expr, dfz: sp.Expr, candidate: sp.Expr) -> bool:
    """A cheap rejection before the proof: g(f(z)) = f'(z) at a few points, to 20 digits."""
    for z0 in (sp.Rational(-3, 2), sp.Rational(1, 3), sp.Rational(5, 2)):
        try:
            miss = sp.N(dfz.subs(Z, z0) - candidate.subs(Y, fz.subs(Z, z0)), 30)
            if not miss.is_Number or abs(miss) > 1e-20:
                return False
        except (TypeError, ValueError, ZeroDivisionError):
            return False
    return True


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
    """ReLU-like rows: f(z) = z for z > 0 and f(z) = 0 for z <= 0, so f' depends on sign(y) —
    when f'(0) = 0 only: y = 0 both at z = 0 and for z < 0, where f' is 0, so with another
    f'(0) the output cannot tell them apart (no output form; f' is read from z)."""
    if at_zero != 0:
        return None
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
    if row.formula is not None:
        return _formula_derivative(row, fz, dfz, relu_at_zero)
    if dfz.has(sp.Heaviside) or dfz.has(sp.Piecewise) or dfz.has(sp.Max):
        dfz = dfz.replace(sp.Heaviside, lambda *a: sp.Heaviside(a[0], relu_at_zero))
        out = _piecewise_linear_in_output(row, dfz, relu_at_zero)
        steps = (f"f'(z) = {dfz}", "f(z) > 0 exactly when z > 0, so f'(z) = step(f(z))"
                 if out is not None else "f(z) = 0 at z = 0 and for z < 0: f' is read from z")
        return Derivative(dfz, out, steps)
    return Derivative(dfz, _poly_in_output(fz, dfz) or _inverse_in_output(fz, dfz))


_SWITCHES = (sp.Heaviside, sp.sign, sp.Abs, sp.Max, sp.Min, sp.Piecewise)


def _formula_derivative(row: Activation, fz: sp.Expr, dfz: sp.Expr,
                        relu_at_zero: sp.Rational) -> Derivative:
    """f' of a row made from a user's formula. At its kinks f' takes the declared value (the
    row's ``derivative_at_kinks``, else the network's ``relu_derivative_at_zero``); f' in the
    output is found as for the built-in rows, on each side of a switch at 0 when f has one."""
    if row.kinks:
        at = row.derivative_at_kinks if row.derivative_at_kinks is not None else relu_at_zero
        at_kink = sp.Or(*(sp.Eq(Z, p) for p in row.kinks))
        wrapped = sp.Piecewise((sp.sympify(at), at_kink), (dfz, True))
        # one case per side where that is shorter (leaky: 1 for z > 0, a for z < 0)
        cases = _merged_kink(sp.piecewise_exclusive(sp.piecewise_fold(
            sp.Piecewise((sp.sympify(at), at_kink), (dfz.rewrite(sp.Piecewise), True)))))
        dfz = cases if sp.count_ops(cases) <= sp.count_ops(wrapped) else wrapped
        out = _piecewise_linear_in_output(row, dfz, sp.sympify(at))
        if out is not None:     # a ReLU written as a formula: the built-in's step(y)
            dfz = sp.Heaviside(Z, sp.sympify(at))
        return Derivative(dfz, out, (f"f'(z) = {dfz}",
                                     f"at the kinks z = {', '.join(map(str, row.kinks))}: "
                                     f"f' = {at} (the declared convention)"))
    if dfz.has(*_SWITCHES):
        simpler = _simplest_on_sides(dfz)
        return Derivative(simpler, _sides_in_output(fz, dfz))
    return Derivative(dfz, _poly_in_output(fz, dfz) or _inverse_in_output(fz, dfz))


def _merged_kink(dfz: sp.Expr) -> sp.Expr:
    """Piecewise((c, z = p), (c, z < p), (v, z > p)) → Piecewise((c, z <= p), (v, z > p))."""
    if not isinstance(dfz, sp.Piecewise) or len(dfz.args) != 3:
        return dfz
    (c, first), (a, second), (b, third) = dfz.args
    if not (isinstance(first, sp.Eq) and first.lhs == Z):
        return dfz
    p = first.rhs
    for (v, cond), (w, _) in (((a, second), (b, third)), ((b, third), (a, second))):
        if v == c and cond in (sp.StrictLessThan(Z, p), sp.StrictGreaterThan(p, Z)):
            return sp.Piecewise((c, Z <= p), (w, True))
        if v == c and cond in (sp.StrictGreaterThan(Z, p), sp.StrictLessThan(p, Z)):
            return sp.Piecewise((c, Z >= p), (w, True))
    return dfz


def _sides(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Symbol, sp.Symbol]:
    """``expr`` for z > 0 and for z < 0 (where abs, sign, min, max and pieces decide at 0)."""
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)
    return expr.subs(Z, pos), expr.subs(Z, neg), pos, neg


def _simplest_on_sides(dfz: sp.Expr) -> sp.Expr:
    """f' as g(|z|) when it is even and g is shorter (softsign' = 1/(1 + |z|)²)."""
    d_pos, d_neg, pos, neg = _sides(dfz)
    if d_pos.has(*_SWITCHES) or sp.simplify(d_neg.subs(neg, -pos) - d_pos) != 0:
        return dfz
    candidate = sp.factor(sp.cancel(d_pos)).subs(pos, sp.Abs(Z))
    return candidate if sp.count_ops(candidate) < sp.count_ops(dfz) else dfz


def _sides_in_output(fz: sp.Expr, dfz: sp.Expr) -> sp.Expr | None:
    """f' in the output for an f that switches at 0 only, found on each side and proven there:
    one form in |y| when f is odd (softsign' = (1 − |y|)²), else a piece per side when the
    output's sign tells the sides apart (ELU' = 1 for y > 0, y + 1 otherwise)."""
    if _switch_points_other_than_zero(fz):
        return None
    f_pos, f_neg, pos, neg = _sides(fz)
    d_pos, d_neg, _, _ = _sides(dfz)
    if f_pos.has(*_SWITCHES) or f_neg.has(*_SWITCHES):
        return None
    g_pos = _side_in_output(f_pos.subs(pos, Z), d_pos.subs(pos, Z))
    if g_pos is None:
        return None
    if sp.simplify(f_neg + f_pos.subs(pos, -neg)) == 0:       # f is odd: g(|y|) on both sides
        candidate = g_pos.subs(Y, sp.Abs(Y))
        base, power = candidate.as_base_exp()
        if power.is_even and base.is_Add and any(t.is_number and t < 0 for t in base.args):
            candidate = (-base) ** power            # (1 − |y|)² rather than (|y| − 1)²
    else:
        g_neg = _side_in_output(f_neg.subs(neg, Z), d_neg.subs(neg, Z))
        if g_neg is None or not (_positive(f_pos) and _positive(-f_neg)):
            return None
        candidate = g_pos if sp.simplify(g_pos - g_neg) == 0 else \
            sp.Piecewise((g_pos, Y > 0), (g_neg, True))
    for f_side, d_side in ((f_pos, d_pos), (f_neg, d_neg)):
        if sp.simplify(d_side - candidate.subs(Y, f_side)) != 0:
            return None
    return candidate


def _side_in_output(fz: sp.Expr, dfz: sp.Expr) -> sp.Expr | None:
    found = _poly_in_output(fz, dfz) or _inverse_in_output(fz, dfz)
    if found is not None and found.is_polynomial(Y):
        return tidy_polynomial(found)
    return found


def _positive(f_side: sp.Expr) -> bool:
    """``f_side`` (in a positive or negative symbol) is positive: by SymPy, or else at points."""
    if f_side.is_positive:
        return True
    (symbol,) = f_side.free_symbols or {None}
    if symbol is None:
        return False
    sign = 1 if symbol.is_positive else -1
    return all(sp.N(f_side.subs(symbol, sign * sp.Rational(v)), 30) > 0
               for v in ("1/1000", "1/3", "1", "7", "40"))


def _switch_points_other_than_zero(fz: sp.Expr) -> bool:
    args = [a.args[0] for a in fz.atoms(sp.Abs, sp.sign, sp.Heaviside)]
    args += [a - b for m in fz.atoms(sp.Max, sp.Min) for a in m.args for b in m.args if a != b]
    for pw in fz.atoms(sp.Piecewise):
        args += [r.lhs - r.rhs for _, c in pw.args
                 for r in c.atoms(sp.core.relational.Relational)]
    return any(sp.simplify(a.subs(Z, 0)) != 0 for a in args)


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
