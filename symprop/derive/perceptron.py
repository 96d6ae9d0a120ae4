"""Rosenblatt's perceptron and McCulloch-Pitts threshold units.

A threshold unit has no useful gradient (f' = 0 wherever it exists), so it is not trained by
backpropagation but by its own rule, shown as such:

    ŷ = φ(Σ_i w_i x_i + b)        w_i ← w_i + η (y − ŷ) x_i        b ← b + η (y − ŷ)

Training here is exact (rationals). Because the state space visited is finite for rational
data, a repeated (w, b) at the start of an epoch *proves* the rule cycles forever: the data
is not linearly separable (Minsky and Papert's XOR).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import SpecError
from .rules import ACTIVATIONS

ETA, Y_TRUE, Y_HAT = sp.symbols("eta y yhat", real=True)
W_I, X_I, B = sp.symbols("w_i x_i b", real=True)

#: the learning rule as SymPy expressions, for display
RULE = {"w_i": W_I + ETA * (Y_TRUE - Y_HAT) * X_I, "b": B + ETA * (Y_TRUE - Y_HAT)}


@dataclass(frozen=True)
class PerceptronRun:
    converged: bool
    epochs: int                              # epochs run
    weights: tuple[tuple[sp.Rational, ...], ...]   # W[k][i]
    bias: tuple[sp.Rational, ...]
    errors: tuple[int, ...]                  # misclassified samples per epoch
    cycle_from: int | None                   # epoch whose starting state came back
    statement: str


def unit_output(activation: str, net: sp.Rational) -> int:
    """φ(net) for a threshold row: its high value when net ≥ 0, else its low value."""
    low, high = ACTIVATIONS[activation].outputs
    return high if net >= 0 else low


def train(network, X, Y, *, learning_rate=1, max_epochs: int = 1000,
          weights=None, bias=None) -> PerceptronRun:
    """Train a one-layer threshold network with the perceptron rule, exactly."""
    if not network.is_perceptron:
        raise SpecError("the perceptron rule needs threshold units", file=network.source,
                        key="network.layers", expected="activation step, sign or threshold")
    if network.depth != 1:
        raise SpecError("the perceptron rule trains one layer of threshold units",
                        file=network.source, key="network.layers",
                        expected="exactly one [[network.layers]] (multi-layer threshold "
                        "networks have no learning rule: give their weights)")
    layer = network.layers[0]
    low, high = ACTIVATIONS[layer.activation].outputs
    eta = sp.nsimplify(learning_rate)
    rows = [[sp.nsimplify(v) for v in row] for row in X]
    targets = [[sp.nsimplify(v) for v in row] for row in Y]
    for r, row in enumerate(targets, start=1):
        for v in row:
            if v not in (low, high):
                raise SpecError(f"target {v} in row {r} is not an output of a "
                                f"{layer.activation} unit", key="data",
                                expected=f"targets in {{{low}, {high}}}")
    n_in, n_out = network.n_inputs, layer.units
    W = [list(r) for r in weights] if weights is not None else \
        [[sp.Integer(0)] * n_in for _ in range(n_out)]
    b = list(bias) if bias is not None else [sp.Integer(0)] * n_out
    seen: dict[tuple, int] = {}
    errors: list[int] = []
    for epoch in range(1, max_epochs + 1):
        state = (tuple(map(tuple, W)), tuple(b))
        if state in seen:
            first = seen[state]
            return PerceptronRun(False, epoch - 1, state[0], state[1], tuple(errors), first,
                                 f"not linearly separable: after epoch {epoch - 1} the weights "
                                 f"are back to where they were at the start of epoch {first}, "
                                 "so the perceptron rule cycles forever and never converges")
        seen[state] = epoch
        wrong = 0
        for x, d in zip(rows, targets, strict=True):
            for k in range(n_out):
                net = sum((W[k][i] * x[i] for i in range(n_in)), sp.Integer(0))
                net += b[k] if layer.bias else 0
                y_hat = unit_output(layer.activation, net)
                if y_hat != d[k]:
                    wrong += 1
                    step = eta * (d[k] - y_hat)
                    W[k] = [W[k][i] + step * x[i] for i in range(n_in)]
                    if layer.bias:
                        b[k] = b[k] + step
        errors.append(wrong)
        if wrong == 0:
            return PerceptronRun(True, epoch, tuple(map(tuple, W)), tuple(b), tuple(errors),
                                 None, f"converged after {epoch} epochs: every sample is "
                                 "classified correctly")
    return PerceptronRun(False, max_epochs, tuple(map(tuple, W)), tuple(b), tuple(errors), None,
                         f"did not converge within {max_epochs} epochs")


def mcculloch_pitts(weights, threshold, inputs) -> int:
    """A McCulloch-Pitts unit: 1 if net = Σ_i w_i o_i ≥ T, else 0."""
    net = sum(sp.nsimplify(w) * sp.nsimplify(o) for w, o in zip(weights, inputs, strict=True))
    return 1 if net >= sp.nsimplify(threshold) else 0
