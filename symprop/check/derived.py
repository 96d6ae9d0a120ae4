"""The derivation's formula for each quantity a student may write a formula for."""

from __future__ import annotations

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S

ETA = sp.Symbol("eta", real=True)

CHECKABLE = (  # gradients, δ, updated weights and biases
    "dE/dw", "dE/db", "delta", "w", "b")


def derived_formula(network, derivation, addr: Address) -> sp.Expr:
    """The derivation's formula for ``addr`` (gradients, δ, updated weights/biases)."""
    if addr.kind in ("dE/dw", "dE/db"):
        j = addr.index[1] if addr.kind == "dE/dw" else None
        return derivation.weight_chain(addr.layer, addr.index[0], j).expr()
    if addr.kind == "delta" and not addr.after:
        lay = derivation.layer(addr.layer)
        return lay.delta_full.subs({lay.unit: addr.index[0]}).expanded().expr().doit()
    if addr.kind in ("w", "b") and addr.after:
        grad = Address("dE/dw" if addr.kind == "w" else "dE/db", addr.layer, addr.index)
        param = S.w(addr.layer)[addr.index] if addr.kind == "w" else S.b(addr.layer)[addr.index[0]]
        return param - ETA * derived_formula(network, derivation, grad)
    raise ValueError(addr)


