"""Claimed values as the student wrote them, keeping the precision they were written with.

The precision rule: a value written with n decimal places stands for every number that rounds
to it, so it is *within* half a unit of its last digit (``"0.68"`` covers [0.675, 0.685]). A
value in scientific notation (``"4.06e-2"``) or an integer with trailing zeros (``"1200"``, read
as 2 significant figures) is read by significant figures instead; the wider reading wins. Both
ends of the interval count, so half-up and half-even rounding are both accepted. A fraction
(``"1/3"``) is exact and must be equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

from ..addresses import Address
from ..errors import SpecError

_CTX = Context(prec=60)
MAX_EXPONENT = 100         # "1e999999999999" is not a value of a hand calculation

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_FRACTION = re.compile(r"^([+-]?\d+)\s*/\s*(\d+)$")
# a few unicode spellings students paste from documents
_UNICODE = str.maketrans({"−": "-", "–": "-", "\u2009": "", "\u00a0": "", " ": ""})


@dataclass(frozen=True)
class Claim:
    """One ``[claims]`` entry: where it points, the text as written and its precision."""

    name: str                 # the key as written ("w1", "y[1]", "out1[1]")
    address: Address
    text: str                 # the value as written
    value: Decimal            # the written value, exactly
    decimals: int | None      # decimal places written (None for a fraction)
    tolerance: Decimal        # half a unit of the last written digit (0 for a fraction)
    reading: str = "exactly"  # "to the 2 decimal places written", for explanations
    significant: int = 50     # significant figures written (a fraction counts as exact)

    def matches(self, value: Decimal) -> bool:
        """True when ``value`` rounds to what was written (both ends of the interval count)."""
        # 1e-40 absorbs the last-digit noise of 50-digit arithmetic at an exact tie
        return abs(value - self.value) <= self.tolerance + Decimal("1e-40")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def parse_value(text: str, *, file: str | None = None, key: str | None = None
                ) -> tuple[Decimal, int | None, Decimal, str, int]:
    """``text`` → (value, decimal places, tolerance, reading, significant figures).
    `SpecError` for anything else."""
    raw = text
    text = text.strip().translate(_UNICODE)
    if len(text) > 60:
        raise SpecError("too long for a number", file=file, key=key,
                        expected="a number of at most 60 characters", got=raw[:70])
    frac = _FRACTION.match(text)
    if frac:
        num, den = int(frac[1]), int(frac[2])
        if den == 0:
            raise SpecError("division by zero in a claimed value", file=file, key=key,
                            expected="a number such as \"0.68\"", got=raw)
        value = Fraction(num, den)
        exact = _CTX.divide(Decimal(value.numerator), Decimal(value.denominator))
        return exact, None, Decimal("1e-40"), "exactly (a fraction)", 50
    if not _NUMBER.match(text) or len(text) > 60:
        raise SpecError("not a number", file=file, key=key,
                        expected="a number as written, such as \"0.68\" or \"4.06e-2\"", got=raw)
    mantissa, _, exponent = text.lower().partition("e")
    exp = int(exponent) if exponent else 0
    if abs(exp) > MAX_EXPONENT:
        raise SpecError("a number no hand calculation gives", file=file, key=key,
                        expected=f"a power of ten between e-{MAX_EXPONENT} and e{MAX_EXPONENT}",
                        got=raw)
    value = Decimal(text)
    digits = mantissa.lstrip("+-")
    whole, dot, frac_part = digits.partition(".")
    decimals = len(frac_part) - exp
    tol_dp = Decimal(5).scaleb(-decimals - 1)
    tolerance = tol_dp
    reading = (f"to the {_plural(decimals, 'decimal place')} written" if decimals > 0
               else "to the whole number written")
    # leading zeros never count; trailing zeros of an integer neither
    significant = (whole + frac_part).lstrip("0")
    if not dot:
        significant = significant.rstrip("0")
    n_sig = max(len(significant), 1)
    if exponent or (not dot and len(whole.rstrip("0")) < len(whole) and whole.strip("0")):
        # the significant-figure reading
        lead = value.copy_abs().adjusted() if value else 0
        tol_sf = Decimal(5).scaleb(lead - n_sig)
        if tol_sf >= tol_dp:
            tolerance = tol_sf
            reading = f"to the {_plural(n_sig, 'significant figure')} written"
    return value, max(decimals, 0), tolerance, reading, n_sig


def parse_claims(network) -> list[Claim]:
    """Every ``[claims]`` entry of ``network``, resolved and parsed, in the file's order."""
    claims: list[Claim] = []
    seen: dict[Address, str] = {}
    for name, text in network.claims.items():
        key = f"claims.{name}"
        try:
            address = claim_address(network, name)
        except SpecError as exc:
            raise SpecError(f"unknown address or label: {reason(exc)}", file=network.source,
                            key=key, expected="an address like out1[1], y[1], w2[1,1]+ or a "
                            "[labels] name") from None
        if address in seen:
            raise SpecError(f"claimed twice (also as {seen[address]!r})", file=network.source,
                            key=key, expected="one claim per quantity")
        seen[address] = name
        value, decimals, tolerance, reading, sig = parse_value(str(text), file=network.source,
                                                               key=key)
        claims.append(Claim(name, address, str(text).strip(), value, decimals, tolerance,
                            reading, sig))
    return claims


def claim_address(network, name: str) -> Address:
    """The address a claim's key names: an address, a ``[labels]`` name, or a label of a
    weight or bias with a trailing ``+`` (``w1+``: its value after the update, as the slide's
    w₁⁺)."""
    stripped = name.strip()
    if stripped.endswith("+") and stripped[:-1].strip() in network.labels:
        address = network.address(stripped[:-1].strip())
        if address.kind not in ("w", "b"):
            raise SpecError(f"{stripped[:-1]!r} is {address}, which has no updated value",
                            file=network.source, key=f"claims.{name}",
                            expected="a trailing + only on a label of a weight or bias")
        return address.updated()
    return network.address(name)


def reason(exc: SpecError) -> str:
    """The bare reason of a `SpecError`, without its file, key and expectation."""
    text = str(exc)
    prefix = ": ".join(p for p in (exc.file, exc.key) if p)
    if prefix and text.startswith(prefix + ": "):
        text = text[len(prefix) + 2:]
    return text.split("; expected ")[0]

