"""Canonical SymPy names for every quantity of a network (ASCII, ours; never user labels).

Index form uses `IndexedBase` objects indexed by integer symbols (k, j, m…); the expanded
form is the same objects with concrete 1-based indices, so both forms share one vocabulary.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

x = sp.IndexedBase("x", real=True)
d = sp.IndexedBase("d", real=True)


@cache
def net(layer: int) -> sp.IndexedBase:
    return sp.IndexedBase(f"net{layer}", real=True)


@cache
def out(layer: int) -> sp.IndexedBase:
    """Outputs of layer ``layer``; layer 0 is the input x."""
    return x if layer == 0 else sp.IndexedBase(f"out{layer}", real=True)


@cache
def delta(layer: int) -> sp.IndexedBase:
    return sp.IndexedBase(f"delta{layer}", real=True)


@cache
def w(layer: int) -> sp.IndexedBase:
    return sp.IndexedBase(f"w{layer}", real=True)


@cache
def b(layer: int) -> sp.IndexedBase:
    return sp.IndexedBase(f"b{layer}", real=True)


@cache
def index(letter: str) -> sp.Symbol:
    return sp.Symbol(letter, integer=True, positive=True)


def index_letters(depth: int, notation: dict) -> list[sp.Symbol]:
    """Index symbol per layer 0..L: the input's (m), then …, j for L−1, k for the output."""
    letters = list(notation["indices"])
    if depth > len(letters):
        letters += [f"i{n}" for n in range(depth - len(letters))]
    per_layer = [index(notation["input_index"])]
    per_layer += [index(letters[depth - l]) for l in range(1, depth + 1)]
    return per_layer


E = sp.Symbol("E", real=True)
