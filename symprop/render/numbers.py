"""Slide-style numbers: each quantity rounded to its own precision, as a teacher writes it.

A precision is ``"4sf"`` (significant figures) or ``"3dp"`` (decimal places); a bare integer
means decimal places. The spec chooses them in ``[notation]``::

    [notation]
    precision = "4sf"                 # one precision for everything, or a table:

    [notation.precision]
    default = "4sf"
    E = "3sf"                         # a kind: x d w b net out h y delta dE/dw dE/db E
    "h1[1]" = "2dp"                   # an address (aliases and labels work; "+" = after update)
    w1 = "6dp"                        # a label from [labels]

The most specific key wins: address with ``+`` > address > ``h``/``y`` > kind > default.
Rounding is half-up (what a calculator shows), done exactly on decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import sympy as sp

from ..addresses import Address
from ..errors import SpecError

DEFAULT = "4sf"
KINDS = ("x", "d", "w", "b", "net", "out", "h", "y", "delta", "dE/dw", "dE/db", "E")
_FORM = re.compile(r"^\s*(\d+)\s*(sf|dp)?\s*$")


@dataclass(frozen=True)
class Precision:
    """Round to ``digits`` decimal places (``mode="dp"``) or significant figures (``"sf"``)."""

    digits: int
    mode: str = "dp"

    @classmethod
    def parse(cls, value: Any, *, file: str | None = None, key: str = "notation.precision"
              ) -> Precision:
        if isinstance(value, Precision):
            return value
        m = _FORM.match(str(value)) if not isinstance(value, bool) else None
        if m is None or not 0 <= int(m[1]) <= 30 or (m[2] == "sf" and int(m[1]) == 0):
            raise SpecError("bad precision", file=file, key=key,
                            expected="decimal places like 3 or '3dp', or significant figures "
                            "like '4sf'", got=value)
        return cls(int(m[1]), m[2] or "dp")

    def __str__(self) -> str:
        return f"{self.digits}{self.mode}"

    def quantum(self, value: Decimal) -> Decimal:
        if self.mode == "dp" or value == 0:
            return Decimal(1).scaleb(-self.digits)
        return Decimal(1).scaleb(value.adjusted() - self.digits + 1)

    def round(self, value: sp.Expr | Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
        dec = value if isinstance(value, Decimal) else to_decimal(value)
        with localcontext() as ctx:
            ctx.prec = 60
            rounded = dec.quantize(self.quantum(dec), rounding=rounding)
            # 0.09996 at 3sf rounds up to 0.1000: one digit too many; redo at the new size
            if self.mode == "sf" and rounded != 0 and rounded.adjusted() != dec.adjusted():
                rounded = dec.quantize(self.quantum(rounded), rounding=rounding)
        return rounded


def to_decimal(value: sp.Expr) -> Decimal:
    """A SymPy number as a Decimal, exact for terminating rationals, else to 50 digits."""
    value = sp.sympify(value)
    if value.is_Rational:
        q = int(value.q)
        if q & (q - 1) == 0 or _terminates(q):
            with localcontext() as ctx:
                ctx.prec = 80
                return Decimal(int(value.p)) / Decimal(q)
    return Decimal(str(sp.N(value, 50)))


def _terminates(q: int) -> bool:
    for f in (2, 5):
        while q % f == 0:
            q //= f
    return q == 1


def plain(dec: Decimal) -> str:
    """A decimal in fixed notation, never with an exponent; ``-0`` prints as ``0``."""
    text = format(dec, "f")
    return "0" + text[2:] if text.startswith("-0") and dec == 0 else text


@dataclass(frozen=True)
class Shown:
    """A number as written on the slide: its text, its value, and whether it was rounded."""

    text: str
    value: sp.Rational
    rounded: bool

    @property
    def relation(self) -> str:
        return r"\approx" if self.rounded else "="


def show(value: sp.Expr, precision: Precision) -> Shown:
    """Round ``value``; an exact short decimal (0.755, 0.68) is written as it is."""
    dec = to_decimal(value)
    rounded = precision.round(dec)
    value = sp.sympify(value)
    if value.is_Rational and sp.Rational(str(rounded)) == value:
        exact = dec.normalize() if dec != 0 else Decimal(0)
        text = plain(exact if exact.as_tuple().exponent <= 0 else exact.quantize(Decimal(1)))
        return Shown(text, value, False)
    return Shown(plain(rounded), sp.Rational(str(rounded)), True)


def truncated(value: sp.Expr, precision: Precision) -> str:
    """``0.801444…``: the exact value cut (not rounded) one digit past ``precision``."""
    dec = to_decimal(value)
    cut = Precision(precision.digits + 1, precision.mode).round(dec, ROUND_DOWN)
    value = sp.sympify(value)
    if value.is_Rational and sp.Rational(str(cut)) == value:
        return plain(dec.normalize())
    return plain(cut) + r"\ldots"


class PrecisionTable:
    """The precision of every quantity of one network, from ``[notation] precision``."""

    def __init__(self, network: Any, override: Any = None) -> None:
        self.network = network
        raw = override if override is not None else network.notation.get("precision", DEFAULT)
        where = getattr(network, "source", None)
        self.by_kind: dict[str, Precision] = {}
        self.by_address: dict[Address, Precision] = {}
        if not isinstance(raw, dict):
            raw = {"default": raw}
        self.default = Precision.parse(raw.get("default", DEFAULT), file=where,
                                       key="notation.precision.default")
        for key, value in raw.items():
            if key == "default":
                continue
            full = f"notation.precision.{key}"
            prec = Precision.parse(value, file=where, key=full)
            if key in KINDS:
                self.by_kind[key] = prec
                continue
            try:
                addr = network.address(key)
            except SpecError:
                raise SpecError("unknown precision key", file=where, key=full,
                                expected="default, a kind (" + " ".join(KINDS)
                                + "), an address like out1[1] or a label") from None
            self.by_address[addr] = prec

    def __call__(self, addr: Address) -> Precision:
        if addr in self.by_address:
            return self.by_address[addr]
        before = Address(addr.kind, addr.layer, addr.index, False)
        if before in self.by_address:
            return self.by_address[before]
        if addr.kind == "out":
            alias = "y" if addr.layer == self.network.depth else "h"
            if alias in self.by_kind:
                return self.by_kind[alias]
        return self.by_kind.get(addr.kind, self.default)
