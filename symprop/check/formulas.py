r"""Judge one ``[formulas]`` entry: read it, resolve its names, compare it, name the mistake.

Every formula gets a verdict and the others are judged whatever happens to one:
``equivalent`` · ``different`` (with a point where it differs and, when one of the usual
mistakes gives the student's formula, its name) · ``unreadable`` (the position and the reason)
· ``ambiguous`` (a name with several readings that are not all judged alike; the readings are
named) · ``too-large`` (over a bound on the work, with the reason; see `budget`).

The text is parsed by `symprop.formula.syntax` (never executed), names are resolved by
`resolve`, and the comparison is `compare`'s.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..errors import SpecError
from ..formula.syntax import FormulaError, parse
from .budget import TooLarge, deadline, estimate
from .claims import claim_address, reason
from .compare import FormulaResult, compare, value_at_example
from .derived import CHECKABLE, ETA, derived_formula
from .display import Math, chain_math
from .exact import exact_side
from .mistakes import MISTAKES
from .replay import Replay
from .resolve import FUNCTIONS, Resolver, own_functions

FORMULA_VERDICTS = ("equivalent", "different", "unreadable", "ambiguous", "too-large")
MAX_READINGS = 16             # combinations of readings of ambiguous names tried
_CLOSE = Decimal("1e-25")


def check_formula(network, derivation, name: str, text: str) -> FormulaResult:
    """Judge the formula ``text`` written for the address ``name``; `SpecError` only when
    ``name`` is not a quantity with a derived formula."""
    addr = _address(network, name)
    derived = derived_formula(network, derivation, addr)
    result = FormulaResult(name, addr, text, None, derived, False, "")
    result.derived_display = derived_display(network, derivation, addr)
    try:
        tree = parse(str(text), FUNCTIONS | frozenset(own_functions(network)))
        estimate(tree, max(network.sizes))
        with deadline():
            _judge(network, derivation, addr, tree, result)
    except FormulaError as exc:
        result.verdict, result.reason = "unreadable", str(exc)
    except RecursionError:
        result.verdict, result.reason = "unreadable", "the formula is nested too deeply"
    except TooLarge as exc:
        result.verdict, result.reason = "too-large", f"not judged: {exc}"
    except OverflowError as exc:
        result.verdict, result.reason = "too-large", f"not judged: {exc or 'overflow'}"
    except Exception as exc:   # noqa: BLE001 — SymPy's own failures on a student's text
        # one formula that SymPy cannot handle must not stop the others (issue 20)
        result.verdict = "unreadable"
        result.reason = f"could not be judged ({type(exc).__name__}: {str(exc)[:120]})"
    if result.verdict == "different":
        _diagnose(network, derivation, result)
    return result


def _address(network, name: str) -> Address:
    key = f"formulas.{name}"
    try:
        addr = claim_address(network, name)
    except SpecError as exc:
        raise SpecError(f"unknown address or label: {reason(exc)}", file=network.source, key=key,
                        expected="a gradient, δ or updated-weight address such as dE/dw2[1,1]"
                        ) from None
    if addr.kind not in CHECKABLE or (addr.kind in ("w", "b") and not addr.after) or (
            addr.kind == "delta" and addr.after):
        raise SpecError("no derived formula to compare with", file=network.source, key=key,
                        expected="dE/dw…, dE/db…, delta…, or an updated weight w…+ / b…+",
                        got=name)
    return addr


def _judge(network, derivation, addr: Address, tree, result: FormulaResult) -> None:
    resolver = Resolver(network, addr, derivation)
    student = resolver(tree)
    outcome = compare(network, derivation, addr, student)
    if resolver.ambiguous:
        outcome = _readings(network, derivation, addr, tree, resolver, outcome, result)
        if outcome is None:
            return
    for attr in ("student", "derived", "equivalent", "proof", "point", "values", "factor"):
        setattr(result, attr, getattr(outcome, attr))
    result.notes += tuple(
        f"{text} has no layer: read as {_reading_name(text, layer)}, the only layer where "
        "those indices exist." for text, layer in resolver.decided.values())
    result.verdict = "equivalent" if outcome.equivalent else "different"


def _reading_name(text: str, layer: int) -> str:
    return f"{text}^{{({layer})}}"


def _readings(network, derivation, addr, tree, resolver: Resolver, first: FormulaResult,
              result: FormulaResult) -> FormulaResult | None:
    """Judge every reading of the ambiguous names; one verdict for all → that verdict (with a
    note), verdicts that differ → ``ambiguous`` naming the readings. None when ambiguous."""
    positions = sorted(resolver.ambiguous)
    choices = [resolver.ambiguous[p][1] for p in positions]
    outcomes = []
    for combo in itertools.islice(itertools.product(*choices), MAX_READINGS):
        r = Resolver(network, addr, derivation, readings=dict(zip(positions, combo, strict=True)))
        outcomes.append((combo, compare(network, derivation, addr, r(tree))))
    names = [resolver.ambiguous[p][0] for p in positions]
    said = "; ".join(f"{n} has no layer and could be "
                     + " or ".join(_reading_name(n, l) for l in resolver.ambiguous[p][1])
                     for n, p in zip(names, positions, strict=True))
    agree = [combo for combo, o in outcomes if o.equivalent]
    if not agree or len(agree) == len(outcomes):
        result.notes = (f"{said}: every reading gives the same verdict.",)
        return first
    shown = ", ".join(_reading_name(n, l) for n, l in zip(names, agree[0], strict=True))
    result.verdict = "ambiguous"
    result.student = first.student
    result.reason = (f"{said}. It agrees with the derivation only when read as {shown}; "
                     "write the layer (w_{k,j}^{(l)}) to make it one formula.")
    return None


def _diagnose(network, derivation, result: FormulaResult) -> None:
    """Name the usual mistake whose formula gives the student's value at the worked example
    (50 digits), by replaying the example under each mistake row."""
    if network.example is None or result.student is None:
        return
    yours = value_at_example(network, derivation, result.student)
    if yours is None:
        return
    value = Decimal(str(sp.Float(yours, 40)))
    if not value.is_finite() or value.adjusted() > 100:
        return                         # no usual mistake gives such a value
    plan = exact_side(network)[1]
    a = result.address
    normal = Replay(plan, stop_at=a).run().raw[a]
    found = []
    for mi, mistake in enumerate(MISTAKES):
        for oi, option in enumerate(mistake.options(network)):
            try:
                got = Replay(plan, mistake=mistake, option=option, stop_at=a).run().raw.get(a)
            except ArithmeticError:    # a mistake that overflows cannot be the student's
                continue
            if got is None or not got.is_finite() or got.adjusted() > 100:
                continue
            if abs(got - value) <= _CLOSE * max(1, abs(value)) and abs(normal - got) > _CLOSE:
                found.append((option.priority, mi, oi, mistake, option))
    if found:
        *_, mistake, option = min(found, key=lambda f: f[:3])
        result.mistake, result.mistake_detail = mistake.id, option.detail


def derived_display(network, derivation, addr: Address) -> Math:
    """The derived formula as the lecture writes it: the chain's factors in order."""
    if addr.kind in ("dE/dw", "dE/db", "w", "b"):
        j = addr.index[1] if addr.kind in ("dE/dw", "w") else None
        chain = derivation.weight_chain(addr.layer, addr.index[0], j)
        if addr.kind in ("w", "b"):
            param = S.w(addr.layer)[addr.index] if addr.kind == "w" else \
                S.b(addr.layer)[addr.index[0]]
            eta = network.example.learning_rate if network.example else ETA
            prefix = (param, " − ") if eta == 1 else (param, " − ", ETA, " × ")
            return chain_math(chain.parts, network, prefix)
        return chain_math(chain.parts, network)
    lay = derivation.layer(addr.layer)
    return chain_math(lay.delta_full.subs({lay.unit: addr.index[0]}).expanded().parts, network)


__all__ = ["FORMULA_VERDICTS", "FormulaError", "FormulaResult", "check_formula",
           "derived_display"]
