"""Is a student's formula the derived one? Compose both down to x, w, b and d, compare.

A numeric test at the example's values and at random rational points (any difference is a
counterexample, shown in the formula's own quantities), then a symbolic proof; when no proof is
found but every point agrees, the formula is "checked at N points", never "proven".
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..derive.rules import ACTIVATIONS
from .derived import ETA, derived_formula
from .quantities import address_of_symbol


@dataclass
class FormulaResult:
    name: str                 # the key as written
    address: Address
    written: str              # the formula as written
    student: sp.Expr | None
    derived: sp.Expr
    equivalent: bool
    proof: str                # how equivalence was decided
    point: dict | None = None         # a point where they differ: {Address: value}
    values: tuple | None = None       # (student's value, derived value) at that point
    factor: sp.Expr | None = None     # student = factor × derived, when a constant
    derived_display: object = None    # the derived formula in the lecture's order (Math)
    verdict: str = ""                 # equivalent | different | unreadable | ambiguous | too-large
    reason: str = ""                  # why unreadable / too large; the readings when ambiguous
    notes: tuple[str, ...] = ()       # how names were read ("w_{11} read as …")
    mistake: str | None = None        # the usual mistake that gives the student's formula
    mistake_detail: str = ""



def _deltas(derivation) -> dict:
    return {S.delta(lay.layer)[k]: lay.delta_full.subs({lay.unit: k}).expanded().expr().doit()
            for lay in derivation.layers for k in range(1, lay.units + 1)}


def _compose(network, expr: sp.Expr, derivation) -> sp.Expr:
    """Replace δ, out and net by what they are made of, down to x, w, b and d."""
    mapping: dict = _deltas(derivation)
    for lay in derivation.layers:
        l, row = lay.layer, ACTIVATIONS[lay.activation]
        n = network.sizes[l]
        for k in range(1, n + 1):
            z = S.net(l)[k]
            mapping[S.out(l)[k]] = (sp.exp(z) / sp.Add(*(sp.exp(S.net(l)[q])
                                                         for q in range(1, n + 1)))
                                    if row.layerwise else row.definition(z))
            net = sp.Add(*(S.w(l)[k, j] * S.out(l - 1)[j] for j in range(1, lay.fan_in + 1)))
            mapping[z] = net + S.b(l)[k] if lay.bias else net
    for _ in range(3 * network.depth + 2):      # each pass goes one step down the network
        new = expr.xreplace(mapping)
        if new == expr:
            break
        expr = new
    return expr


def _example_point(network, derivation) -> dict:
    from ..derive.example import initial_weights
    point = dict(initial_weights(network))
    ex = network.example
    point.update({S.x[i]: v for i, v in enumerate(ex.input, start=1)})
    point.update({S.d[k]: v for k, v in enumerate(ex.target, start=1)})
    point[ETA] = ex.learning_rate
    return point


def _random_point(symbols, rng: random.Random) -> dict:
    point = {}
    for s in symbols:
        if s == ETA:
            point[s] = sp.Rational(rng.randint(1, 9), 10)
        elif isinstance(s, sp.Indexed) and str(s.base) == "d":
            point[s] = sp.Rational(rng.randint(1, 9), 10)
        else:
            point[s] = sp.Rational(rng.randint(-90, 90), 100)
    return point


def _value(expr: sp.Expr, point: dict) -> sp.Float | None:
    try:
        v = sp.N(expr.xreplace(point), 30)
    except (ZeroDivisionError, TypeError, ValueError, OverflowError):
        return None
    return v if v.is_finite and v.is_real else None


def compare(network, derivation, addr: Address, student: sp.Expr) -> FormulaResult:
    derived = derived_formula(network, derivation, addr)
    if network.example is not None:      # w − (y − d)… with η = 1 left out is what slides do
        eta = {ETA: network.example.learning_rate}
        student, derived = student.xreplace(eta), derived.xreplace(eta)
    result = FormulaResult("", addr, "", student, derived, False, "")
    student_in_outputs = student.xreplace(_deltas(derivation))   # δ written out, y kept
    try:
        ratio = sp.cancel(student_in_outputs / derived) if derived != 0 else None
        if ratio is not None and ratio.is_Number:
            result.factor = ratio
    except (ZeroDivisionError, TypeError):
        pass
    a = _compose(network, student, derivation)
    b = _compose(network, derived, derivation)
    symbols = sorted({s for e in (a, b) for s in e.atoms(sp.Indexed)} | (
        {ETA} if ETA in a.free_symbols | b.free_symbols else set()), key=sp.default_sort_key)
    points = [] if network.example is None else [_example_point(network, derivation)]
    rng = random.Random(8034)
    points += [_random_point(symbols, rng) for _ in range(6)]
    for i, point in enumerate(points):
        va, vb = _value(a, point), _value(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) > sp.Float("1e-20") * max(1, abs(vb)):
            result.point = _show_point(network, derivation, student, derived, point,
                                       example=(i == 0 and network.example is not None))
            result.values = (va, vb)
            result.proof = "counterexample"
            return result
    if sp.cancel(sp.expand(student_in_outputs - derived)) == 0:
        result.equivalent, result.proof = True, "proven: the difference cancels to 0"
    elif _atoms_cancel(a - b):
        result.equivalent, result.proof = True, "proven: equal once y = f(net) is written out"
    else:
        result.equivalent = True
        result.proof = f"checked at {len(points)} points (a symbolic proof was not found)"
    return result


def _atoms_cancel(expr: sp.Expr) -> bool:
    """0 as a rational function of its exp/tanh/log atoms (σ(1 − σ) against e⁻ᶻ/(1 + e⁻ᶻ)²)."""
    if sp.count_ops(expr) > 3000:
        return False
    atoms = expr.atoms(sp.exp, sp.tanh, sp.log)
    fresh = {a: sp.Dummy() for a in atoms}
    try:
        return sp.cancel(sp.together(expr.xreplace(fresh))) == 0
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        return False


def _show_point(network, derivation, student, derived, point, example: bool) -> dict:
    """The point in the formula's own quantities (y, h, d …) when they are few."""
    shown = {}
    for s in sorted(student.atoms(sp.Indexed) | derived.atoms(sp.Indexed), key=str):
        addr = address_of_symbol(s)
        value = _value(_compose(network, s, derivation), point)
        if addr is not None and value is not None:
            shown[addr] = value
    if ETA in student.free_symbols | derived.free_symbols:
        shown["η"] = point.get(ETA)
    shown["_example"] = example
    return shown




def value_at_example(network, derivation, expr: sp.Expr) -> sp.Float | None:
    """``expr`` composed down to the spec's numbers and evaluated at the worked example."""
    point = _example_point(network, derivation)
    return _value(_compose(network, expr.xreplace({ETA: network.example.learning_rate}),
                           derivation), point)
