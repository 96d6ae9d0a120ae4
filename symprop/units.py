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


BUILTIN_ACTIVATIONS: dict[str, Traits] = {
    "linear": Traits(),
    "sigmoid": Traits(),
    "tanh": Traits(),
    "relu": Traits(),
    "softplus": Traits(),
    "softmax": Traits(layerwise=True),
    "step": Traits(differentiable=False),
    "sign": Traits(differentiable=False),
    "threshold": Traits(differentiable=False),
}
BUILTIN_LOSSES: tuple[str, ...] = ("sse", "mse", "log", "cross-entropy", "zero-one")


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
        return None if row is None else Traits(row.differentiable, row.layerwise)
    return BUILTIN_ACTIVATIONS.get(name)


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
