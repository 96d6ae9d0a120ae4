"""Names and traits of the activations and losses, read from the rule table without SymPy.

A view of `symprop.derive.rules` (which imports SymPy only when a definition is called): the
spec reader, the data checks and the kernel cache ask here which names exist and what kind of
unit each is. Rows registered in the rule table at run time are seen here at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from .derive import rules


@dataclass(frozen=True)
class Traits:
    differentiable: bool = True
    layerwise: bool = False          # softmax: f depends on the whole layer
    outputs: tuple[int, int] | None = None     # a threshold unit's output values (low, high)
    output_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class LossTraits:
    differentiable: bool = True
    probabilistic: bool = False      # needs outputs in (0, 1)
    one_hot: bool = False            # targets sum to one


def activation_names() -> tuple[str, ...]:
    return tuple(rules.ACTIVATIONS)


def loss_names() -> tuple[str, ...]:
    return tuple(rules.LOSSES)


def activation_traits(name: str) -> Traits | None:
    """The traits of activation ``name``, or None when there is no such activation."""
    row = rules.ACTIVATIONS.get(name)
    if row is None:
        return None
    return Traits(row.differentiable, row.layerwise, row.outputs, row.output_range)


def loss_traits(name: str) -> LossTraits | None:
    """The traits of loss ``name``, or None when there is no such loss."""
    row = rules.LOSSES.get(name)
    return None if row is None else LossTraits(row.differentiable, row.probabilistic,
                                               row.one_hot)


def is_builtin_activation(name: str) -> bool:
    """True when ``name`` is a built-in row, unchanged (so its name alone identifies it)."""
    row = rules.BUILTIN_ACTIVATION_ROWS.get(name)
    return row is not None and rules.ACTIVATIONS.get(name) is row


def is_builtin_loss(name: str) -> bool:
    row = rules.BUILTIN_LOSS_ROWS.get(name)
    return row is not None and rules.LOSSES.get(name) is row


def activation_key(value: object) -> object:
    """A layer's activation as its key in the rule table: a formula's row (registered here if it
    is not yet) or a name; anything else is returned as given, for the caller to refuse."""
    if isinstance(value, rules.Activation):
        return rules.register_activation(value).key
    if isinstance(value, str):
        return rules.find_key(rules.ACTIVATIONS, value) or value
    return value


def loss_key(value: object) -> object:
    """A network's loss as its key in the rule table (see `activation_key`)."""
    if isinstance(value, rules.Loss):
        return rules.register_loss(value).key
    if isinstance(value, str):
        return rules.find_key(rules.LOSSES, value) or value
    return value


def formula_rows(activations: tuple[str, ...], loss: str) -> tuple:
    """The rows made from formulas among these keys: what a network carries to another process."""
    rows = [rules.ACTIVATIONS[a] for a in dict.fromkeys(activations)
            if a in rules.ACTIVATIONS and rules.ACTIVATIONS[a].digest]
    if loss in rules.LOSSES and rules.LOSSES[loss].digest:
        rows.append(rules.LOSSES[loss])
    return tuple(rows)


def register_rows(rows: tuple) -> None:
    """Put rows carried by a network (unpickled in a worker process) back in the rule table."""
    for row in rows:
        if isinstance(row, rules.Activation):
            rules.register_activation(row)
        elif isinstance(row, rules.Loss):
            rules.register_loss(row)


def shown_name(key: str) -> str:
    """A row's name as users wrote it: a formula row's key without its content hash."""
    return str(key).partition("@")[0]
