"""The exact side of a check: the derivation and the replay plan, shared by the checks of one
network (a class's sheets differ in claims, not in numbers).

The exact values are the plan's replay at 50 digits: the derived formulas in Decimal
arithmetic. Evaluating the worked example's nested SymPy values instead costs tens of seconds
for a softmax network; ``tests/test_check.py`` proves the two agree to 40 digits."""

from __future__ import annotations

from ..derive.backprop import Derivation, derivation_of
from ..derive.example import worked_example
from ..errors import SpecError
from .replay import Plan

_CACHE: dict = {}


def _key(network) -> tuple:
    return (network.inputs, network.layers, network.loss,
            tuple(sorted(network.weights.items())), network.example, network.relu_at_zero,
            repr(sorted(network.notation.items())))


def exact_side(network) -> tuple[Derivation, Plan]:
    """(derivation, plan), cached by everything that changes the numbers."""
    key = _key(network)
    if key not in _CACHE:
        if network.example is None:
            raise SpecError("no worked example", file=network.source, key="example",
                            expected="an [example] table with input, target, learning_rate")
        derivation = derivation_of(network)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = (derivation, Plan(network, derivation))
    derivation, plan = _CACHE[key]
    if plan.network is not network:   # same numbers, other labels/claims: rebind the names
        plan = _rebind(plan, network)
    return derivation, plan


def _rebind(plan: Plan, network) -> Plan:
    clone = object.__new__(Plan)
    clone.__dict__.update(plan.__dict__)
    clone.network = network
    return clone




def exact_values(network) -> dict:
    """Address → exact SymPy value of the worked example (slow for softmax networks: only for
    callers that want the exact expressions themselves)."""
    derivation, plan = exact_side(network)
    if not hasattr(plan, "exact_values"):
        plan.exact_values = worked_example(network, derivation).values
    return plan.exact_values
