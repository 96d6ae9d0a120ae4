"""The exact side of a check: derivation, worked example and replay plan, shared by the
checks of one network (a class's sheets differ in claims, not in numbers)."""

from __future__ import annotations

from ..derive.backprop import Derivation, derive
from ..derive.example import WorkedExample, worked_example
from ..errors import SpecError
from .replay import Plan

_CACHE: dict = {}


def _key(network) -> tuple:
    return (network.inputs, network.layers, network.loss,
            tuple(sorted(network.weights.items())), network.example, network.relu_at_zero,
            repr(sorted(network.notation.items())))


def exact_side(network) -> tuple[Derivation, WorkedExample, Plan]:
    """(derivation, worked example, plan), cached by everything that changes the numbers."""
    key = _key(network)
    if key not in _CACHE:
        derivation = derivation_of(network)
        example = worked_example(network, derivation)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = (derivation, example, Plan(network, derivation))
    derivation, example, plan = _CACHE[key]
    if plan.network is not network:   # same numbers, other labels/claims: rebind the names
        plan = _rebind(plan, network)
    return derivation, example, plan


def derivation_of(network) -> Derivation:
    """The derivation; a network that cannot be derived is bad input (exit 2)."""
    try:
        return derive(network)
    except ValueError as exc:
        raise SpecError(str(exc), file=network.source, key="network.layers",
                        expected="differentiable layers for a backpropagation check") from None


def _rebind(plan: Plan, network) -> Plan:
    clone = object.__new__(Plan)
    clone.__dict__.update(plan.__dict__)
    clone.network = network
    return clone


