"""Names and traits of the activations and losses, without SymPy.

Building a `Network` and finding its kernels in the cache only needs to know which names exist
and what kind of unit each is; the formulas live in `symprop.derive.rules`, which imports SymPy
(most of a second). Rows registered there at run time are seen here too, once it is imported.
``tests/test_units.py`` proves this table agrees with the rule table.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

_RULES = "symprop.derive.rules"


@dataclass(frozen=True)
class Traits:
    differentiable: bool = True
    layerwise: bool = False          # softmax: f depends on the whole layer
    outputs: tuple[int, int] | None = None     # a threshold unit's output values (low, high)


@dataclass(frozen=True)
class LossTraits:
    differentiable: bool = True
    probabilistic: bool = False      # needs outputs in (0, 1)
    one_hot: bool = False            # targets sum to one


BUILTIN_ACTIVATIONS: dict[str, Traits] = {
    "linear": Traits(),
    "sigmoid": Traits(),
    "tanh": Traits(),
    "relu": Traits(),
    "softplus": Traits(),
    "softmax": Traits(layerwise=True),
    "step": Traits(differentiable=False, outputs=(0, 1)),
    "sign": Traits(differentiable=False, outputs=(-1, 1)),
    "threshold": Traits(differentiable=False, outputs=(0, 1)),
}
BUILTIN_LOSS_TRAITS: dict[str, LossTraits] = {
    "sse": LossTraits(),
    "mse": LossTraits(),
    "log": LossTraits(probabilistic=True),
    "cross-entropy": LossTraits(probabilistic=True, one_hot=True),
    "zero-one": LossTraits(differentiable=False),
}
BUILTIN_LOSSES: tuple[str, ...] = tuple(BUILTIN_LOSS_TRAITS)


def activation_names() -> tuple[str, ...]:
    rules = sys.modules.get(_RULES)
    return tuple(rules.ACTIVATIONS) if rules is not None else tuple(BUILTIN_ACTIVATIONS)


def loss_names() -> tuple[str, ...]:
    rules = sys.modules.get(_RULES)
    return tuple(rules.LOSSES) if rules is not None else BUILTIN_LOSSES


def activation_traits(name: str) -> Traits | None:
    """The traits of activation ``name``, or None when there is no such activation."""
    rules = sys.modules.get(_RULES)
    if rules is not None:
        row = rules.ACTIVATIONS.get(name)
        return None if row is None else Traits(row.differentiable, row.layerwise, row.outputs)
    return BUILTIN_ACTIVATIONS.get(name)


def loss_traits(name: str) -> LossTraits | None:
    """The traits of loss ``name``, or None when there is no such loss."""
    rules = sys.modules.get(_RULES)
    if rules is not None:
        row = rules.LOSSES.get(name)
        return (None if row is None else
                LossTraits(row.differentiable, row.probabilistic, row.one_hot))
    return BUILTIN_LOSS_TRAITS.get(name)


def is_builtin_activation(name: str) -> bool:
    """True when ``name`` is a built-in row, unchanged (so its name alone identifies it)."""
    if name not in BUILTIN_ACTIVATIONS:
        return False
    rules = sys.modules.get(_RULES)
    return rules is None or rules.ACTIVATIONS.get(name) is rules.BUILTIN_ACTIVATION_ROWS.get(name)


def is_builtin_loss(name: str) -> bool:
    if name not in BUILTIN_LOSSES:
        return False
    rules = sys.modules.get(_RULES)
    return rules is None or rules.LOSSES.get(name) is rules.BUILTIN_LOSS_ROWS.get(name)
