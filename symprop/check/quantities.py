"""The derivation's SymPy symbols ↔ quantity addresses, for the checker's modules.

The lowest module of `check`: the replay, the formula resolver and the display all name
quantities through it, so none of them needs another.
"""

from __future__ import annotations

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S


def symbol_address(sym: sp.Indexed) -> Address:
    """Canonical SymPy symbol (``out2[1]``, ``w1[1,2]``, ``x[1]``) → its `Address`."""
    return S.address_of(sym)


def address_of_symbol(sym: object) -> Address | None:
    """`symbol_address`, or None for anything that is not a quantity's symbol."""
    try:
        return symbol_address(sym)
    except (ValueError, AttributeError, TypeError):
        return None
