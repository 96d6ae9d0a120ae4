"""Judge a student's claimed values: correct, consistent or wrong, with a diagnosis.

For each claim, in computation order:

1. **correct** — the exact value (from `worked_example`) rounds to what was written
   (`claims.Claim.matches`).
2. **consistent** — wrong against the exact value, but what the derived formulas give
   (a) from the student's own earlier claimed values (error carried forward), or
   (b) from intermediates rounded the way hand calculations round them: one intermediate at
   2–4 decimal places or significant figures, then whole kinds of quantities (every h, every δ…),
   then two kinds with different roundings; the explanation keeps only the roundings needed.
3. **wrong** — neither. The whole example is replayed under each usual mistake (`mistakes`),
   from the student's values and from the exact ones; the likeliest row that reproduces the
   claim is named, with the first step where that replay leaves the correct one.

A mistake that reproduces the value *without* any rounding is tried before the rounding search:
one mistake is a simpler story than several rounded intermediates (rounding b⁺ to 2 places can
"undo" a forgotten bias update). A mistake together with a rounding is tried last.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import sympy as sp

from ..addresses import Address
from ..errors import SpecError
from .claims import Claim, parse_claims
from .display import Math, Segment
from .exact import derivation_of, exact_side
from .formulas import FORMULA_VERDICTS, FormulaResult, check_formula
from .mistakes import MISTAKES, Mistake, Option
from .numeric import ROUNDINGS, Rounding, fmt, to_decimal, truncate
from .replay import Plan, Replay

VERDICTS = ("correct", "consistent", "wrong")
ROUNDING_BUDGET = 600          # replays per claim and starting point when searching roundings
MISTAKE_ROUNDING_BUDGET = 40   # the same, per mistake and option
_TINY = Decimal("1e-40")


@dataclass
class ClaimResult:
    claim: Claim
    verdict: str
    exact: Decimal
    exact_expr: sp.Expr
    expected_from_your_values: Decimal
    explanation: list[Segment]
    mistake: str | None = None
    mistake_detail: str = ""
    also: tuple[str, ...] = ()
    departs_at: Address | None = None
    roundings: tuple[tuple[Address, Rounding, Decimal, Decimal], ...] = ()
    worked: str = ""          # the formula with the student's numbers, "… = value"


@dataclass
class CheckResult:
    network: object
    claims: list[ClaimResult] = field(default_factory=list)
    formulas: list[FormulaResult] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: sum(r.verdict == v for r in self.claims) for v in VERDICTS}
        counts["total"] = len(self.claims)
        for verdict in FORMULA_VERDICTS:
            counts["formulas_" + verdict.replace("-", "_")] = sum(
                f.verdict == verdict for f in self.formulas)
        return counts

    @property
    def ok(self) -> bool:
        return all(r.verdict != "wrong" for r in self.claims) and all(
            f.equivalent for f in self.formulas)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


# -- the check -------------------------------------------------------------------------------
def check(network) -> CheckResult:
    """Judge every ``[claims]`` value and ``[formulas]`` entry of ``network``."""
    if not network.claims and not network.formulas:
        raise SpecError("nothing to check", file=network.source, key="claims",
                        expected="a [claims] table (address or label = \"value as written\") "
                        "or a [formulas] table")
    claims = parse_claims(network)
    # formulas alone need no [example]; values need the worked example
    derivation = exact_side(network)[0] if claims else derivation_of(network)
    result = CheckResult(network)
    # each formula gets its own verdict (unreadable, too-large … included): none stops the rest
    result.formulas = [check_formula(network, derivation, name, text)
                       for name, text in network.formulas.items()]
    if claims:
        _, example, plan = exact_side(network)
        result.claims = Judge(plan, example, claims).run()
    return result


class Judge:
    def __init__(self, plan: Plan, example, claims: list[Claim]) -> None:
        self.plan, self.example, self.claims = plan, example, claims
        self.network = plan.network
        self.index = {a: i for i, a in enumerate(plan.order)}
        for c in claims:
            if c.address not in self.index:
                raise SpecError(f"{c.address} is not a quantity of the worked example",
                                file=self.network.source, key=f"claims.{c.name}",
                                expected="a quantity of the example step (x, net, out, E, delta, "
                                "dE/dw, updated w…+, net…+, E+)")
        self.given = {c.address: c.value for c in claims}
        self._claim_of = {c.address: c for c in claims if c.address not in plan.spec}
        self.shown = {c.address: c.text.replace("-", "−") for c in claims}
        self.carried = Replay(plan, given=self.given).run()
        self.base = Replay(plan).run()
        self.results: dict[Address, ClaimResult] = {}

    def run(self) -> list[ClaimResult]:
        for c in sorted(self.claims, key=lambda c: self.index[c.address]):
            self.results[c.address] = self.judge(c)
        return [self.results[c.address] for c in self.claims]

    # -- one claim --------------------------------------------------------------------------
    def judge(self, c: Claim) -> ClaimResult:
        a = c.address
        exact_expr = self.example.values[a]
        exact = to_decimal(exact_expr)
        expected = self.carried.raw[a]
        claimed_above = [u for u in self.carried.ancestors(a) if u in self.given]
        res = ClaimResult(c, "correct", exact, exact_expr, expected, [])
        if a in self.plan.spec:
            return self._spec_value(res)
        exact_text = fmt(exact, 10)
        if c.matches(exact):
            res.explanation = [f"agrees with the exact value {exact_text} {c.reading}."]
            return res
        # (a) error carried forward
        if claimed_above and c.matches(expected):
            res.verdict = "consistent"
            res.worked = self._worked(self.carried, a, expected)
            res.explanation = [f"not the exact value ({exact_text}), but it follows from your "
                               "values: ", Math(res.worked), ". ", *self._used(claimed_above)]
            return res
        # (a′) carried digits: each written value stands for every number that rounds to it,
        # and the student may have carried more digits than they wrote
        carried = self._carried_digits(c, claimed_above) if claimed_above else None
        if carried is not None and carried[2]:
            return self._consistent_by_digits(res, carried, exact_text)
        # (b) the last digit truncated instead of rounded
        for value, source in ((exact, "the exact value"), (expected, "your values")):
            if c.decimals is not None and c.value == truncate(value, c.decimals) and (
                    source == "the exact value" or claimed_above):
                res.verdict = "consistent"
                what = (f"the exact value {exact_text}" if source == "the exact value" else
                        f"the value that follows from your values, {fmt(value, 10)},")
                res.explanation = [f"{what} truncated to {c.decimals} decimal places (cut off "
                                   "instead of rounded)."]
                return res
        # a usual mistake that reproduces the value exactly is the simpler story than rounded
        # intermediates (a rounding of b⁺ to 2 places can "undo" a forgotten update)
        diagnosis = self._diagnose(c, claimed_above, with_rounding=False)
        # (c) rounding of intermediates; a claim of one or two significant figures carries
        # too little to tell one rounding from another
        if diagnosis is None and c.significant >= 3:
            for world, given in self._worlds(claimed_above):
                hit = self._rounding(c, given)
                if hit is not None:
                    res.verdict, res.roundings = "consistent", hit.rounded
                    res.worked = self._worked(hit.replay, a, hit.replay.raw[a], given)
                    res.explanation = [f"not the exact value ({exact_text}), but explained by "
                                       f"rounding, {world}: ", *self._roundings_text(hit.rounded),
                                       " before it was used: ", Math(res.worked), "."]
                    return res
        # the written values' intervals reach the claim, though no simpler story does
        if diagnosis is None and carried is not None:
            return self._consistent_by_digits(res, carried, exact_text)
        # wrong: expected values, the formula with the student's numbers, a diagnosis
        res.verdict = "wrong"
        res.worked = self._worked(self.carried if claimed_above else self.base, a, expected)
        head: list[Segment] = [f"expected {exact_text} (exact)"]
        if claimed_above:
            head += ["; from your values ", Math(res.worked)]
        else:
            head += [": ", Math(res.worked)]
        head.append(f"; you wrote {c.text}. ")
        if diagnosis is None:
            diagnosis = self._diagnose(c, claimed_above, with_rounding=True)
        if diagnosis is not None:
            (mistake, option, world, hit, departs, also) = diagnosis
            res.mistake, res.mistake_detail, res.also = mistake.id, option.detail, also
            res.departs_at, res.roundings = departs, hit.rounded
            detail = f" — {option.detail}" if option.detail else ""
            rounded: list[Segment] = []
            if hit.rounded:
                rounded = [" and ", *self._roundings_text(hit.rounded)]
            tail: list[Segment] = [f"Likely mistake: {mistake.description}{detail}. "
                                   f"Replayed {world} with that mistake", *rounded,
                                   ", the example gives ",
                                   Math(fmt(hit.replay.raw[a], 8).replace("-", "−")),
                                   ", which matches what you wrote. The chain departs from the "
                                   "derivation at ", departs, "."]
            if also:
                tail.append(" (The same value also comes from: " + ", ".join(also) + ".)")
        else:
            res.departs_at = self._first_wrong(claimed_above) or a
            if res.departs_at == a:
                tail = ["Your chain departs from the derivation at this step (",
                        a, "); none of the usual mistakes reproduces it."]
            else:
                tail = ["Your chain departs from the derivation at ", res.departs_at,
                        ", an earlier value that is wrong; none of the usual mistakes "
                        "reproduces this one."]
        res.explanation = head + tail
        return res

    def _spec_value(self, res: ClaimResult) -> ClaimResult:
        c, a = res.claim, res.claim.address
        given = self.plan.spec_text[a]
        if c.matches(res.exact):
            res.explanation = [f"the spec gives {given}."]
            return res
        res.verdict = "wrong"
        res.explanation = [f"the spec gives {given}; you wrote {c.text}."]
        res.departs_at = a
        if a.kind == "w":
            swapped = Address("w", a.layer, a.index[::-1])
            if swapped in self.plan.spec and c.matches(self.plan.spec[swapped]):
                res.mistake = "transposed-weights"
                res.explanation.append(f" That is {swapped}: the weight matrix was read the "
                                       "wrong way round (rows are the receiving units).")
        return res

    # -- helpers ----------------------------------------------------------------------------
    def _worlds(self, claimed_above: list[Address]) -> list[tuple[str, dict]]:
        worlds = [("from your values" if claimed_above else "from the exact values",
                   self.given)]
        if claimed_above:
            worlds.append(("from the exact values", {}))
        return worlds

    def _worked(self, replay: Replay, a: Address, value: Decimal,
                given: dict | None = None) -> str:
        given = self.given if given is None else given
        shown = {u: t for u, t in self.shown.items() if u in given and u != a}
        return f"{replay.worked(a, shown)} = {fmt(value, 8).replace('-', '−')}"

    def _used(self, claimed_above: list[Address]) -> list[Segment]:
        wrong = [u for u in claimed_above
                 if u in self.results and self.results[u].verdict != "correct"]
        if wrong:
            return ["Error carried forward from your ", *_names(wrong), "."]
        return ["The difference comes from using your rounded ", *_names(claimed_above), "."]

    @staticmethod
    def _consistent_by_digits(res: ClaimResult, carried, exact_text: str) -> ClaimResult:
        res.verdict = "consistent"
        res.worked, explanation, _ = carried
        res.explanation = [f"not the exact value ({exact_text}), but it follows from your "
                           "values ", *explanation]
        return res

    def _carried_digits(self, c: Claim, claimed_above: list[Address]):
        """(worked, explanation, named) when ``c`` follows from some choice of the student's earlier
        values within what they round to (interval reasoning over the student's own chain),
        else None. The interval of ``c``'s formula is bounded to first order (each written
        value moved to both ends of its interval in turn); the digits the student likely
        carried are their own chain's unrounded values: ``named`` when they give the claim,
        the likeliest story; otherwise the intervals are the explanation."""
        a = c.address
        frontier = [u for u in claimed_above if u in self._claim_of]
        center = self.carried.raw[a]
        radius = Decimal(0)
        matters: list[Address] = []      # the values whose digits move this one
        for u in frontier:
            tol = self._claim_of[u].tolerance
            if tol <= _TINY:
                continue
            moved = [Replay(self.plan, given={**self.given, u: self.given[u] + s * tol},
                            stop_at=a).run().raw[a] for s in (1, -1)]
            width = max(abs(m - center) for m in moved)
            radius += width
            if width > _TINY:
                matters.append(u)
        # second-order slack: a small share of the first-order width
        if abs(c.value - center) > radius * Decimal("1.01") + c.tolerance:
            return None
        # the digits carried: the student's own unrounded chain for each value that it
        # rounds to what was written
        unrounded = {u: self.carried.raw[u] for u in matters
                     if self._claim_of[u].matches(self.carried.raw[u])}
        if unrounded:
            given = {u: v for u, v in self.given.items() if u not in unrounded}
            replay = Replay(self.plan, given=given, stop_at=a).run()
            if c.matches(replay.raw[a]):
                worked = self._worked(replay, a, replay.raw[a], given)
                digits: list[Segment] = []
                for i, (u, v) in enumerate(unrounded.items()):
                    digits += [", " * bool(i), u, f" = {fmt(v, 8)} (written "
                               f"{self._claim_of[u].text})"]
                return worked, ["with the digits you carried: ", *digits, ": ", Math(worked),
                                ". The digits you wrote stand for these values, rounded."], True
        worked = self._worked(self.carried, a, center)
        ranges: list[Segment] = []
        for i, u in enumerate(matters):
            cl = self._claim_of[u]
            ranges += [", " * bool(i), u, f" = {cl.text} stands for "
                       f"{fmt(cl.value - cl.tolerance, 10)} to {fmt(cl.value + cl.tolerance, 10)}"]
        return worked, ["once each is read as every number that rounds to it: ", *ranges,
                        f"; over these, this value runs from {fmt(center - radius, 8)} to "
                        f"{fmt(center + radius, 8)}, which includes what you wrote."], False

    def _first_wrong(self, claimed_above: list[Address]) -> Address | None:
        for u in claimed_above:
            if u in self.results and self.results[u].verdict == "wrong":
                return u
        return None

    def _roundings_text(self, rounded) -> list[Segment]:
        out: list[Segment] = []
        for i, (u, rule, before, after) in enumerate(rounded):
            if i:
                out.append(" and " if i == len(rounded) - 1 else ", ")
            out += [u, f" = {fmt(before, 8)} rounded to {_as_rounded(after)} ({rule})"]
        return out

    # -- rounding search ----------------------------------------------------------------------
    def _rounding(self, c: Claim, given: dict, mistake: Mistake | None = None,
                  option: Option | None = None, budget: int = ROUNDING_BUDGET) -> Hit | None:
        """A replay with rounded intermediates that gives the claim, keeping only the roundings
        it needs; None when none is found within the budget."""
        a = c.address
        def replay(rounding):
            return Replay(self.plan, given=given, rounding=rounding, mistake=mistake,
                          option=option, stop_at=a).run()
        base = replay({})
        free = [u for u in base.ancestors(a) if u not in given and u not in self.plan.spec]
        if not free:
            return None
        # a value further off than the coarsest roundings move it cannot be a rounding
        reach = max(abs(replay({u: rule for u in free}).raw[a] - base.raw[a])
                    for rule in ROUNDINGS[-2:])
        if abs(c.value - base.raw[a]) > 4 * reach + c.tolerance:
            return None
        for n, rounding in enumerate(_rounding_maps(free, small=mistake is not None)):
            if n >= budget:
                return None
            if c.matches(replay(rounding).raw[a]):
                needed = dict(rounding)
                for u in list(needed):      # drop every rounding the claim does not need
                    trial = {v: r for v, r in needed.items() if v != u}
                    if c.matches(replay(trial).raw[a]):
                        needed = trial
                final = replay(needed)
                order = sorted(needed.items(), key=lambda ur: self.index[ur[0]])
                rounded = tuple((u, r, final.raw[u], final.values[u]) for u, r in order)
                return Hit(final, rounded, needed)
        return None

    # -- mistakes -----------------------------------------------------------------------------
    def _diagnose(self, c: Claim, claimed_above: list[Address], with_rounding: bool):
        a = c.address
        worlds = self._worlds(claimed_above)
        normal = {w: Replay(self.plan, given=g, stop_at=a).run() for w, g in worlds}
        found = []
        candidates = [(option.priority, vi, oi, wi, mistake, option, world, given)
                      for vi, mistake in enumerate(MISTAKES)
                      for oi, option in enumerate(mistake.options(self.network))
                      for wi, (world, given) in enumerate(worlds)]
        relevant = []
        for cand in candidates:
            *_, mistake, option, world, given = cand
            replay = Replay(self.plan, given=given, mistake=mistake, option=option,
                            stop_at=a).run()
            if abs(replay.raw[a] - normal[world].raw[a]) <= _TINY:
                continue     # this mistake does not touch the claim
            relevant.append(cand)
            if c.matches(replay.raw[a]):
                found.append((cand, Hit(replay, (), {})))
        if not found and with_rounding and c.significant >= 3:   # a mistake and a rounding
            for cand in relevant:
                *_, mistake, option, world, given = cand
                hit = self._rounding(c, given, mistake, option, budget=MISTAKE_ROUNDING_BUDGET)
                if hit is not None:
                    found.append((cand, hit))
                    break
        if not found:
            return None
        found.sort(key=lambda f: f[0][:4])
        (*_, mistake, option, world, given), hit = found[0]
        also = tuple(dict.fromkeys(f[0][4].id for f in found if f[0][4].id != mistake.id))
        # compare with the correct replay rounded the same way: the mistake is what differs
        same = Replay(self.plan, given=given, rounding=hit.rounding, stop_at=a).run()
        departs = self._departure(hit.replay, same, a)
        return mistake, option, world, hit, departs, also

    def _departure(self, replay: Replay, normal: Replay, a: Address) -> Address:
        """The first quantity (in computation order) where the mistaken replay differs."""
        for u in [*replay.ancestors(a), a]:
            if u in normal.raw and abs(replay.raw[u] - normal.raw[u]) > _TINY:
                return u
        return a


@dataclass(frozen=True)
class Hit:
    """A replay that reproduces a claim, and the roundings (address, rule, before, after)."""

    replay: Replay
    rounded: tuple[tuple[Address, Rounding, Decimal, Decimal], ...]
    rounding: dict


def _as_rounded(value: Decimal) -> str:
    """A rounded value with the zeros its rounding keeps: ``0.690`` at 3 places."""
    text = format(value, "f") if -7 < value.adjusted() < 12 else fmt(value)
    return text.replace("-", "−")


def _names(addresses: list[Address]) -> list[Segment]:
    out: list[Segment] = []
    for i, u in enumerate(addresses):
        if i:
            out.append(" and " if i == len(addresses) - 1 else ", ")
        out.append(u)
    return out


def _group(addr: Address) -> tuple:
    kind = "grad" if addr.kind in ("dE/dw", "dE/db") else addr.kind
    return kind, addr.after


def _rounding_maps(free: list[Address], small: bool = False) -> Iterator[dict]:
    """Roundings to try, least rounding first: for each rule (4 decimal places, 4 significant
    figures, 3 …), one intermediate (nearest first), one kind of quantity (every h, every δ),
    everything; then two kinds with different rules (the slide's h at 2 and δ at 4 places)."""
    groups: dict[tuple, list[Address]] = {}
    for u in free:
        groups.setdefault(_group(u), []).append(u)
    many = [g for g in groups.values() if len(g) > 1]
    for rule in ROUNDINGS:
        for u in reversed(free):
            yield {u: rule}
        for g in many:
            yield {u: rule for u in g}
        if len(groups) > 1:
            yield {u: rule for u in free}
    if small:
        return
    for g1, g2 in itertools.combinations(list(groups.values()), 2):
        for r1, r2 in itertools.product(ROUNDINGS, ROUNDINGS):
            if r1 != r2:
                yield {**{u: r1 for u in g1}, **{u: r2 for u in g2}}
