"""The symbolic forward pass and loss, once: what verify, the worked example and check compose.

``forward_pass(network, param, inputs)`` builds every layer's net inputs and outputs from the rule
table's definitions, taking each weight and bias from ``param`` (a symbol, a number, or anything
SymPy can multiply) — so the same pass gives the composed loss for `sympy.diff`, exact numbers
for a worked example, and 50-digit values for the slides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from . import symbols as S
from .rules import ACTIVATIONS, LOSSES


@dataclass(frozen=True)
class ForwardPass:
    """``nets[l]`` and ``outs[l]`` for layers 1..L (index 0: no nets; outs[0] is the input)."""

    nets: tuple[tuple[sp.Expr, ...], ...]
    outs: tuple[tuple[sp.Expr, ...], ...]

    @property
    def y(self) -> tuple[sp.Expr, ...]:
        return self.outs[-1]


def _same(value: sp.Expr) -> sp.Expr:
    return value


def forward_pass(network, param: Callable[[sp.Indexed], sp.Expr], inputs: Sequence,
                 each: Callable[[sp.Expr], sp.Expr] = _same) -> ForwardPass:
    """Every layer's nets and outputs; ``each`` is applied to every net and output (rounding)."""
    nets: list[tuple[sp.Expr, ...]] = [()]
    outs: list[tuple[sp.Expr, ...]] = [tuple(inputs)]
    for l, layer in enumerate(network.layers, start=1):
        below = outs[-1]
        layer_nets = []
        for k in range(1, layer.units + 1):
            z = sp.Add(*(param(S.w(l)[k, j]) * below[j - 1]
                         for j in range(1, network.sizes[l - 1] + 1)))
            if layer.bias:
                z += param(S.b(l)[k])
            layer_nets.append(each(z))
        nets.append(tuple(layer_nets))
        outs.append(tuple(each(o) for o in ACTIVATIONS[layer.activation].layer(layer_nets)))
    return ForwardPass(tuple(nets), tuple(outs))


def symbolic_pass(network) -> ForwardPass:
    """The pass in the canonical symbols x, w, b: every net and out composed down to them."""
    return forward_pass(network, lambda s: s,
                        [S.x[i] for i in range(1, network.n_inputs + 1)])


def substitutions(fp: ForwardPass) -> dict:
    """``out<l>[k]`` and ``net<l>[k]`` -> what the pass made of them."""
    mapping = {}
    for l in range(1, len(fp.outs)):
        for k, (z, o) in enumerate(zip(fp.nets[l], fp.outs[l], strict=True), start=1):
            mapping[S.out(l)[k]] = o
            mapping[S.net(l)[k]] = z
    return mapping


def loss_value(network, y: Sequence, d: Sequence) -> sp.Expr:
    """E = Σ_k term(y_k, d_k) from the loss row."""
    row = LOSSES[network.loss]
    return sp.Add(*(row.term(yk, dk, len(y)) for yk, dk in zip(y, d, strict=True)))
