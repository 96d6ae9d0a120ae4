"""The worked example: one training step in exact arithmetic, with the derived formulas.

Inputs, targets and weights are rationals exactly as written in the spec; exp/tanh stay
symbolic (``1/(1 + exp(-151/200))``) until a value is asked for at high precision. The step:
forward pass, error, δs, gradients, updated weights (``w2[1,1]+``), a further forward pass
and the new error (``E+``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..addresses import Address
from ..errors import SpecError
from . import display
from . import symbols as S
from .backprop import Derivation, derive
from .forward import forward_pass, loss_value

DIGITS = 30


@dataclass(frozen=True)
class WorkedExample:
    network: object
    derivation: Derivation
    values: dict[Address, sp.Expr]          # every quantity, exact, in computation order

    def exact(self, address: str | Address) -> sp.Expr:
        addr = address if isinstance(address, Address) else self.network.address(address)
        return self.values[addr]

    def value(self, address: str | Address, digits: int = DIGITS) -> sp.Float:
        return sp.N(self.exact(address), digits)

    def __float__(self) -> float:  # pragma: no cover - convenience
        return float(self.value("E"))

    def names(self) -> list[str]:
        return [str(a) for a in self.values]

    def aliases(self) -> dict[str, Address]:
        """``y[k]``/``h<l>[k]`` (and their ``+`` forms) for every output address."""
        out: dict[str, Address] = {}
        depth = self.network.depth
        for addr in self.values:
            if addr.kind == "out":
                plus = "+" if addr.after else ""
                name = f"y[{addr.index[0]}]" if addr.layer == depth else \
                    f"h{addr.layer}[{addr.index[0]}]"
                out[name + plus] = addr
        return out

    def _repr_latex_(self) -> str | None:
        return display.latex(self)


def _forward(network, weights: dict, x: list, values: dict, after: bool) -> tuple:
    """The forward pass with ``weights``; records every net and out in ``values``."""
    fp = forward_pass(network, weights.__getitem__, x)
    for l in range(1, network.depth + 1):
        for kind, layer_values in (("net", fp.nets[l]), ("out", fp.outs[l])):
            for k, v in enumerate(layer_values, start=1):
                values[Address(kind, l, (k,), after)] = v
    return fp.y


def initial_weights(network) -> dict:
    """The spec's ``[weights]`` as a map from weight symbols to exact rationals."""
    missing = [n for n in network.param_shapes() if n not in network.weights]
    if missing:
        raise SpecError("the worked example needs every weight", file=network.source,
                        key=f"weights.{missing[0]}", expected="values for " + ", ".join(missing))
    weights = {}
    for l, layer in enumerate(network.layers, start=1):
        for k, row in enumerate(network.weights[f"W{l}"], start=1):
            for j, v in enumerate(row, start=1):
                weights[S.w(l)[k, j]] = v
        if layer.bias:
            for k, v in enumerate(network.weights[f"b{l}"], start=1):
                weights[S.b(l)[k]] = v
    return weights


def worked_example(network, derivation: Derivation | None = None) -> WorkedExample:
    """Run the spec's ``[example]`` step exactly."""
    if network.example is None:
        raise SpecError("no worked example", file=network.source, key="example",
                        expected="an [example] table with input, target, learning_rate")
    derivation = derivation or derive(network)
    ex = network.example
    weights = initial_weights(network)
    values: dict[Address, sp.Expr] = {}
    for i, v in enumerate(ex.input, start=1):
        values[Address("x", None, (i,))] = v
    for k, v in enumerate(ex.target, start=1):
        values[Address("d", None, (k,))] = v
    for sym, v in weights.items():
        values[S.address_of(sym)] = v
    y = _forward(network, weights, list(ex.input), values, after=False)
    values[Address("E")] = loss_value(network, y, list(ex.target))

    # the quantities the derived formulas refer to
    known = dict(weights)
    known.update({S.x[i]: v for i, v in enumerate(ex.input, start=1)})
    known.update({S.d[k]: v for k, v in enumerate(ex.target, start=1)})
    for addr, v in values.items():
        if addr.kind in ("out", "net"):
            base = S.out(addr.layer) if addr.kind == "out" else S.net(addr.layer)
            known[base[addr.index[0]]] = v

    grads: dict[sp.Expr, sp.Expr] = {}
    for lay in reversed(derivation.layers):
        l = lay.layer
        for k in range(1, lay.units + 1):
            delta = lay.delta.subs({lay.unit: k}).expanded().expr().doit().xreplace(known)
            known[S.delta(l)[k]] = delta
            values[Address("delta", l, (k,))] = delta
    for lay in derivation.layers:
        l = lay.layer
        for k in range(1, lay.units + 1):
            for j in range(1, lay.fan_in + 1):
                g = (lay.grad_w.subs({lay.unit: k, lay.source: j}).expr()).xreplace(known)
                values[Address("dE/dw", l, (k, j))] = g
                grads[S.w(l)[k, j]] = g
            if lay.bias:
                values[Address("dE/db", l, (k,))] = known[S.delta(l)[k]]
                grads[S.b(l)[k]] = known[S.delta(l)[k]]
    eta = ex.learning_rate
    updated = {sym: weights[sym] - eta * grads[sym] for sym in weights}
    for sym, v in updated.items():
        values[S.address_of(sym).updated()] = v
    y_after = _forward(network, updated, list(ex.input), values, after=True)
    values[Address("E", after=True)] = loss_value(network, y_after, list(ex.target))
    return WorkedExample(network, derivation, values)
