"""Truth tables of the two-input logic functions a perceptron deck trains on (``--data``)."""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError

#: each function as a rule: the output for inputs (a, b) in {0, 1}
FUNCTIONS = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "nand": lambda a, b: 1 - (a & b),
}


def truth_table(name: str, n_inputs: int, labels: tuple[int, int]
                ) -> tuple[list[list[sp.Integer]], list[list[sp.Integer]]]:
    """Rows (a, b) in counting order and targets coded as ``labels`` = (low, high)."""
    key = name.lower()
    if key not in FUNCTIONS:
        raise SpecError(f"unknown truth table {name!r}", key="--data",
                        expected="one of " + ", ".join(FUNCTIONS))
    if n_inputs != 2:
        raise SpecError(f"truth table {name!r} does not fit the network", key="--data",
                        expected="a network with 2 inputs for a truth table",
                        got=f"{n_inputs} inputs")
    rows = [(a, b) for a in (0, 1) for b in (0, 1)]
    X = [[sp.Integer(a), sp.Integer(b)] for a, b in rows]
    Y = [[sp.Integer(labels[FUNCTIONS[key](a, b)])] for a, b in rows]
    return X, Y
