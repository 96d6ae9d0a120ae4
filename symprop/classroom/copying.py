"""Sheets whose numbers follow another student's variant instead of their own.

Only answers that tell two variants apart count as evidence: a claimed value that rounds from
the other variant's exact value but not from its own. A sheet is flagged when one other variant
explains at least `MIN_MATCHES` answers and at least half of the answers that could tell the
two apart, and more of them than the sheet's own variant does. The flag names that variant;
the sheet is still marked against its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MIN_MATCHES = 2


@dataclass(frozen=True)
class Suspicion:
    other_id: str          # the student whose variant the numbers follow
    matches: int           # answers that round from that variant and not from their own
    compared: int          # answers that could tell the two variants apart
    own: int               # of those, answers that round from their own variant

    def sentence(self, code: str = "") -> str:
        variant = f"{self.other_id}'s variant" + (f" ({code})" if code else "")
        return (f"possibly copied: {self.matches} of {self.compared} answers that differ "
                f"between the two variants follow {variant} ({self.own} follow their own)")


def suspect(claims: dict[str, tuple[Decimal, Decimal]], own_id: str,
            answers: dict[str, dict[str, Decimal]]) -> Suspicion | None:
    """``claims``: address → (value as written, half a unit of its last digit);
    ``answers``: student id → address → exact value. The likeliest other variant, or None."""
    own = answers.get(own_id, {})
    best: Suspicion | None = None
    for other_id, theirs in answers.items():
        if other_id == own_id:
            continue
        compared = matches = own_matches = 0
        for address, (value, tolerance) in claims.items():
            if address not in own or address not in theirs:
                continue
            slack = tolerance + Decimal("1e-40")
            if abs(own[address] - theirs[address]) <= 2 * slack:
                continue               # the two variants agree here at the written precision
            compared += 1
            if abs(value - theirs[address]) <= slack:
                matches += 1
            elif abs(value - own[address]) <= slack:
                own_matches += 1
        if matches >= MIN_MATCHES and 2 * matches >= compared and matches > own_matches:
            found = Suspicion(other_id, matches, compared, own_matches)
            if best is None or (found.matches, -found.own) > (best.matches, -best.own):
                best = found
    return best
