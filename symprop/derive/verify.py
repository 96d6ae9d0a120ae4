"""Proof that the derived formulas equal brute-force `sympy.diff` of the composed loss.

The composed loss is built afresh from the rule table's definitions (not from the derivation).
Small networks are proven symbolically for all values: the transcendental atoms (exp, tanh, …)
are replaced by fresh symbols and the difference must cancel to 0 as a rational function. Larger
networks are checked at random rational points, with only the parameter under test symbolic;
there too the difference must cancel exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from . import symbols as S
from .forward import ForwardPass, forward_pass, loss_value, substitutions
from .rules import ACTIVATIONS, LOSSES

SMALL = 24   # parameters up to which the proof is symbolic for all values


@dataclass(frozen=True)
class VerificationReport:
    checks: tuple[tuple[str, str, bool], ...]      # (address, method, equal)

    @property
    def ok(self) -> bool:
        return all(eq for _, _, eq in self.checks)

    @property
    def proven(self) -> bool:
        """Every check is a proof (symbolic, or exact at a point), none only 60 digits."""
        return all(not method.startswith("60 digits") for _, method, _ in self.checks)

    def summary(self) -> str:
        """One line that says what was done: proven where proven, checked where numeric."""
        if not self.ok:
            bad = sum(not eq for _, _, eq in self.checks)
            return f"SOME GRADIENTS DISAGREE ({bad} of {len(self.checks)})"
        numeric = sum(method.startswith("60 digits") for _, method, _ in self.checks)
        if numeric == 0:
            everywhere = all(method.startswith("symbolic") for _, method, _ in self.checks)
            return ("all gradients proven for all values" if everywhere else
                    "all gradients proven exactly at the rational points")
        return (f"all gradients agree: {len(self.checks) - numeric} proven, {numeric} checked "
                f"numerically to 60 digits")

    def __str__(self) -> str:
        lines = [f"{'ok ' if eq else 'FAIL'} {addr:<16} {method}"
                 for addr, method, eq in self.checks]
        return "\n".join(lines)


def composed(network, values: dict | None = None) -> ForwardPass:
    """The forward pass in x, w, b (those given in ``values`` substituted)."""
    values = values or {}

    def get(s):
        return values.get(s, s)

    return forward_pass(network, get, [get(S.x[i]) for i in range(1, network.n_inputs + 1)])


def composed_outputs(network, values: dict | None = None) -> list[list[sp.Expr]]:
    """Each layer's outputs (layer 0: the inputs) as expressions in x, w, b."""
    return [list(o) for o in composed(network, values).outs]


def composed_loss(network, fp: ForwardPass, values: dict | None = None) -> sp.Expr:
    values = values or {}
    targets = [values.get(S.d[k], S.d[k]) for k in range(1, network.sizes[-1] + 1)]
    return loss_value(network, fp.y, targets)


def atoms_cancel(expr: sp.Expr, max_ops: int | None = None) -> bool:
    """True when ``expr`` is 0 as a rational function of its transcendental atoms.

    ``max_ops`` bounds the work: a larger expression answers False (not shown to cancel)."""
    expr = sp.sympify(expr)
    if max_ops is not None and sp.count_ops(expr) > max_ops:
        return False
    atoms = sorted(expr.atoms(sp.exp, sp.tanh, sp.log, sp.Heaviside, sp.Max, sp.Piecewise),
                   key=sp.default_sort_key)
    # innermost first is not needed: xreplace replaces whole subtrees, outermost win
    fresh = {a: sp.Dummy() for a in atoms}
    try:
        return sp.cancel(sp.together(expr.xreplace(fresh))) == 0
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return False


def _numeric_zero(expr: sp.Expr) -> bool:
    value = sp.N(expr, 60)
    return value.is_number and abs(value) < sp.Float("1e-45")


def _derived_substitutions(fp: ForwardPass, values: dict) -> dict:
    """out and net (for derivatives written in the net) by what the pass made of them."""
    return {**values, **substitutions(fp)}


def _param_symbol(l: int, k: int, j: int | None) -> sp.Expr:
    return S.b(l)[k] if j is None else S.w(l)[k, j]


def _random_point(network, rng: random.Random) -> dict:
    point: dict = {}
    for i in range(1, network.n_inputs + 1):
        point[S.x[i]] = sp.Rational(rng.randint(-9, 9), rng.randint(2, 9))
    for l, layer in enumerate(network.layers, start=1):
        for k in range(1, layer.units + 1):
            for j in range(1, network.sizes[l - 1] + 1):
                point[S.w(l)[k, j]] = sp.Rational(rng.randint(-9, 9), rng.randint(5, 12))
            if layer.bias:
                point[S.b(l)[k]] = sp.Rational(rng.randint(-9, 9), rng.randint(5, 12))
    n = network.sizes[-1]
    if LOSSES[network.loss].one_hot or LOSSES[network.loss].probabilistic:
        raw = [rng.randint(1, 9) for _ in range(n)]
        if LOSSES[network.loss].one_hot:
            targets = [sp.Rational(r, sum(raw)) for r in raw]
        else:
            targets = [sp.Rational(r, 10) for r in raw]
    else:
        targets = [sp.Rational(rng.randint(-9, 9), 10) for _ in range(n)]
    for k, t in enumerate(targets, start=1):
        point[S.d[k]] = t
    return point


def verify(derivation, *, mode: str = "auto", points: int = 2, max_params: int | None = None,
           seed: int = 0):
    """Check every (or a sample of) parameter's derived gradient against `sympy.diff`."""
    network = derivation.network
    params = derivation.parameters()
    rng = random.Random(seed)
    if max_params is not None and len(params) > max_params:
        params = sorted(rng.sample(params, max_params), key=lambda p: (p[1], p[2], p[3] or 0))
    smooth = all(ACTIVATIONS[layer.activation].differentiable and layer.activation != "relu"
                 and not ACTIVATIONS[layer.activation].layerwise for layer in network.layers)
    if mode == "auto":
        mode = "symbolic" if smooth and len(derivation.parameters()) <= SMALL \
            and not derivation.softmax_one_hot else "points"
    checks = []
    if mode == "symbolic":
        fp = composed(network)
        loss = composed_loss(network, fp)
        subs = _derived_substitutions(fp, {})
        for addr, l, k, j in params:
            brute = sp.diff(loss, _param_symbol(l, k, j))
            derived = derivation.weight_chain(l, k, j).expr().doit().xreplace(subs)
            diff = brute - derived
            if atoms_cancel(diff):
                checks.append((f"dE/d{addr}", "symbolic, all values", True))
            else:   # an identity the atom test cannot see (abs, pieces): exact at rational
                # points where the values are rational, else 60 digits there
                at = [diff.xreplace(_random_point(network, rng)) for _ in range(3)]
                if all(atoms_cancel(v) for v in at):
                    checks.append((f"dE/d{addr}", "exact at 3 rational points", True))
                else:
                    checks.append((f"dE/d{addr}", "60 digits at 3 rational points",
                                   all(_numeric_zero(v) for v in at)))
        return VerificationReport(tuple(checks))
    # softmax sums of exponentials defeat the atom test; those are checked to 60 digits
    exact_ok = not any(ACTIVATIONS[layer.activation].layerwise for layer in network.layers)
    for p in range(points):
        point = _random_point(network, rng)
        for addr, l, k, j in params:
            sym = _param_symbol(l, k, j)
            values = {s: v for s, v in point.items() if s != sym}
            loss = composed_loss(network, composed(network, values), values)
            brute = sp.diff(loss, sym).xreplace({sym: point[sym]})
            derived = derivation.weight_chain(l, k, j).expr().doit().xreplace(
                _derived_substitutions(composed(network, point), point))
            diff = brute - derived
            if exact_ok and atoms_cancel(diff):
                checks.append((f"dE/d{addr}", f"exact at rational point {p + 1}", True))
            else:
                checks.append((f"dE/d{addr}", f"60 digits at rational point {p + 1}",
                               _numeric_zero(diff)))
    return VerificationReport(tuple(checks))
