"""Canonical SymPy names for every quantity of a network (ASCII, ours; never user labels).

Index form uses `IndexedBase` objects indexed by integer symbols (k, j, m…); the expanded
form is the same objects with concrete 1-based indices, so both forms share one vocabulary.
"""

from __future__ import annotations

import re
from functools import cache

import sympy as sp

from ..addresses import Address

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


# the one reading of a base's name: "out2" -> ("out", 2), "x" -> ("x", None)
_BASE = re.compile(r"^(?:(?P<kind>out|net|delta|w|b)(?P<layer>\d+)|(?P<plain>x|d))$")


def split_base(name: str) -> tuple[str, int | None] | None:
    """The kind and layer a base name stands for, or None when it is not one of ours."""
    m = _BASE.match(name)
    if m is None:
        return None
    if m["plain"]:
        return m["plain"], None
    return m["kind"], int(m["layer"])


def address_of(sym: sp.Indexed) -> Address:
    """A canonical symbol with concrete indices (``out2[1]``, ``w1[1,2]``) -> its `Address`."""
    parts = split_base(str(getattr(sym, "base", "")))
    if parts is None or not all(getattr(i, "is_Integer", False) for i in sym.indices):
        raise ValueError(f"not a quantity symbol: {sym}")
    kind, layer = parts
    return Address(kind, layer, tuple(int(i) for i in sym.indices))
