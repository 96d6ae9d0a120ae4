"""Simulated students and the careful marker they imply, for the demo and the tests.

Deliberately independent of ``derive`` and ``check``: one training step of a dense network is
written out here by hand in 50-digit mpmath, with each usual mistake as a switch. A student
computes the step, writing each asked value rounded to the decimals they work with, and (like
a hand calculation) goes on from what they wrote. The careful marker then says, per answer:

- **correct**: the exact value rounds to what was written;
- **consistent**: it follows from the student's own written values (or is the value truncated
  instead of rounded); an error carried forward when one of those values goes back to a wrong
  one;
- **wrong**: neither; the mistake the student made is named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import mpmath

mpmath.mp.dps = 50

#: activation → (f(z), f' written in the output y)
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (lambda z: 1 / (1 + mpmath.exp(-z)), lambda y: y * (1 - y)),
    "tanh": (mpmath.tanh, lambda y: 1 - y * y),
    "linear": (lambda z: z, lambda y: mpmath.mpf(1)),
}

#: the mistakes this simulation can make (ids of the checker's rule table)
MISTAKES = ("flipped-update-sign", "missing-activation-derivative", "derivative-of-net",
            "learning-rate", "loss-factor", "updated-weights-in-backprop", "transposed-weights",
            "bias-not-updated")


@dataclass(frozen=True)
class Shape:
    """What the simulation needs of a network: layer sizes, activations, biases, loss."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    biases: tuple[bool, ...]
    loss: str = "sse"

    @classmethod
    def of(cls, network) -> Shape:
        return cls(tuple(network.sizes), tuple(layer.activation for layer in network.layers),
                   tuple(layer.bias for layer in network.layers), network.loss)


@dataclass
class Step:
    """One pass of the step: values as computed (``raw``), what was written, and for each
    quantity the asked values it was computed from (a written value ends the trail)."""

    raw: dict[str, mpmath.mpf] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    deps: dict[str, frozenset[str]] = field(default_factory=dict)


def _dec(value: mpmath.mpf) -> Decimal:
    return Decimal(mpmath.nstr(value, 50, strip_zeros=False, min_fixed=-60, max_fixed=60))


def write(value: mpmath.mpf, decimals: int) -> str:
    """A value rounded half up to ``decimals`` places, as a student writes it."""
    q = _dec(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return format(abs(q) if q == 0 else q, "f")


def run_step(shape: Shape, params: dict, asked: list[str], *, decimals: int | None = None,
             mistake: str | None = None, given: dict[str, str] | None = None) -> Step:
    """The example step. ``decimals``: the student writes asked values with that many decimals
    and goes on from them (None: nothing is rounded). ``given``: written values to use instead
    of the computed ones (the marker replaying a sheet)."""
    if shape.loss not in ("sse", "mse") or any(a not in ACTIVATIONS for a in shape.activations):
        raise ValueError("the simulation covers sigmoid/tanh/linear layers with sse or mse")
    given = given or {}
    step = Step()
    used: dict[str, mpmath.mpf] = {}
    reads: list[str] = []
    asked_set = set(asked)

    def get(a: str) -> mpmath.mpf:
        reads.append(a)
        return used[a]

    def put(a: str, value: mpmath.mpf) -> None:
        trail: set[str] = set()
        for u in reads:
            trail |= {u} if u in step.written or u in given else step.deps.get(u, frozenset())
        reads.clear()
        step.raw[a], step.deps[a] = value, frozenset(trail)
        if a in given:
            used[a] = mpmath.mpf(given[a])
            step.written[a] = given[a]
        elif a in asked_set and decimals is not None:
            step.written[a] = write(value, decimals)
            used[a] = mpmath.mpf(step.written[a])
        else:
            used[a] = value

    L = len(shape.sizes) - 1
    p = {k: v for k, v in params.items()}
    for i, v in enumerate(p["input"], start=1):
        used[f"x[{i}]"] = mpmath.mpf(v)
    for k, v in enumerate(p["target"], start=1):
        used[f"d[{k}]"] = mpmath.mpf(v)
    for l in range(1, L + 1):
        for k, row in enumerate(p[f"W{l}"], start=1):
            for j, v in enumerate(row, start=1):
                used[f"w{l}[{k},{j}]"] = mpmath.mpf(v)
        if shape.biases[l - 1]:
            for k, v in enumerate(p[f"b{l}"], start=1):
                used[f"b{l}[{k}]"] = mpmath.mpf(v)
    eta = mpmath.mpf(1) if mistake == "learning-rate" else mpmath.mpf(p["eta"])
    scale = 2 if mistake == "loss-factor" else 1

    def source(l: int, j: int, plus: str) -> str:
        return f"x[{j}]" if l == 1 else f"out{l - 1}[{j}]{plus}"

    def forward(plus: str) -> None:
        for l in range(1, L + 1):
            f = ACTIVATIONS[shape.activations[l - 1]][0]
            for k in range(1, shape.sizes[l] + 1):
                total = mpmath.mpf(0)
                for j in range(1, shape.sizes[l - 1] + 1):
                    kk, jj = (j, k) if mistake == "transposed-weights" and l == 1 else (k, j)
                    total += get(f"w{l}[{kk},{jj}]{plus}") * get(source(l, j, plus))
                if shape.biases[l - 1]:
                    total += get(f"b{l}[{k}]{plus}")
                put(f"net{l}[{k}]{plus}", total)
                put(f"out{l}[{k}]{plus}", f(get(f"net{l}[{k}]{plus}")))
        K = shape.sizes[-1]
        factor = mpmath.mpf(1) / 2 if shape.loss == "sse" else mpmath.mpf(1) / K
        loss = sum((get(f"out{L}[{k}]{plus}") - get(f"d[{k}]")) ** 2 for k in range(1, K + 1))
        put(f"E{plus}", scale * factor * loss)

    def fprime(l: int, k: int) -> mpmath.mpf:
        d = ACTIVATIONS[shape.activations[l - 1]][1]
        if mistake == "missing-activation-derivative" and l == L:
            return mpmath.mpf(1)
        if mistake == "derivative-of-net" and l == L:
            return d(get(f"net{l}[{k}]"))
        return d(get(f"out{l}[{k}]"))

    forward("")
    K = shape.sizes[-1]
    for l in range(L, 0, -1):
        for k in range(1, shape.sizes[l] + 1):
            if l == L:
                dE = (get(f"out{L}[{k}]") - get(f"d[{k}]")) * (1 if shape.loss == "sse" else
                                                               mpmath.mpf(2) / K)
                put(f"delta{l}[{k}]", scale * dE * fprime(l, k))
            else:
                plus = "+" if mistake == "updated-weights-in-backprop" else ""
                back = sum(get(f"w{l + 1}[{m},{k}]{plus}") * get(f"delta{l + 1}[{m}]")
                           for m in range(1, shape.sizes[l + 1] + 1))
                put(f"delta{l}[{k}]", fprime(l, k) * back)
        sign = 1 if mistake == "flipped-update-sign" else -1
        for k in range(1, shape.sizes[l] + 1):
            for j in range(1, shape.sizes[l - 1] + 1):
                put(f"dE/dw{l}[{k},{j}]", get(f"delta{l}[{k}]") * get(source(l, j, "")))
            if shape.biases[l - 1]:
                put(f"dE/db{l}[{k}]", get(f"delta{l}[{k}]"))
        for k in range(1, shape.sizes[l] + 1):
            for j in range(1, shape.sizes[l - 1] + 1):
                w = f"w{l}[{k},{j}]"
                put(w + "+", get(w) + sign * eta * get(f"dE/dw{l}[{k},{j}]"))
            if shape.biases[l - 1]:
                b = f"b{l}[{k}]"
                put(b + "+", get(b) if mistake == "bias-not-updated" else
                    get(b) + sign * eta * get(f"dE/db{l}[{k}]"))
    forward("+")
    return step


# -- the careful marker --------------------------------------------------------------------------
def _places(text: str) -> int:
    return len(text.partition(".")[2])


def _matches(text: str, value: mpmath.mpf) -> bool:
    half = Decimal(5).scaleb(-_places(text) - 1)
    return abs(Decimal(text) - _dec(value)) <= half + Decimal("1e-40")


def _truncated(text: str, value: mpmath.mpf) -> bool:
    cut = _dec(value).quantize(Decimal(1).scaleb(-_places(text)), rounding=ROUND_DOWN)
    return Decimal(text) == cut


@dataclass(frozen=True)
class Verdict:
    address: str
    written: str
    category: str          # correct · consistent · carried_forward · wrong · blank
    mistake: str | None = None


def careful_marker(shape: Shape, params: dict, asked: list[str], written: dict[str, str],
                   mistake: str | None = None) -> list[Verdict]:
    """What a careful marker gives each asked answer on this sheet (see the module docstring);
    ``mistake`` is the mistake the student is known to have made (named on wrong answers)."""
    exact = run_step(shape, params, asked).raw
    own = run_step(shape, params, asked, given=written)
    out: dict[str, Verdict] = {}
    tainted: dict[str, bool] = {}
    order = [a for a in own.raw if a in written]
    for a in order:
        text, trail = written[a], own.deps[a]
        if _matches(text, exact[a]):
            category = "correct"
        elif (trail and _matches(text, own.raw[a])) or _truncated(text, exact[a]) or (
                trail and _truncated(text, own.raw[a])):
            category = "consistent"
        else:
            category = "wrong"
        tainted[a] = category == "wrong" or (
            category == "consistent" and any(tainted.get(u, False) for u in trail))
        if category == "consistent" and tainted[a]:
            category = "carried_forward"
        out[a] = Verdict(a, text, category, mistake if category == "wrong" else None)
    return [out.get(a) or Verdict(a, "", "blank") for a in asked]


# -- a class ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Simulated:
    student_id: str
    kind: str                      # "careful", "rounds to 3 dp", a mistake id, "copies s07" …
    written: dict[str, str]
    verdicts: list[Verdict]


def simulate_student(shape: Shape, params: dict, asked: list[str], student_id: str, *,
                     decimals: int, mistake: str | None = None, carry: bool = True,
                     leave_blank: tuple[str, ...] = ()) -> Simulated:
    """A student who works at ``decimals`` places (carrying their written values when
    ``carry``), possibly making ``mistake``, and leaving some answers blank."""
    if carry:
        written = run_step(shape, params, asked, decimals=decimals, mistake=mistake).written
    else:
        raw = run_step(shape, params, asked, mistake=mistake).raw
        written = {a: write(raw[a], decimals) for a in asked}
    written = {a: v for a, v in written.items() if a in asked and a not in leave_blank}
    kind = mistake or (f"rounds to {decimals} dp" if carry else "careful")
    return Simulated(student_id, kind, written,
                     careful_marker(shape, params, asked, written, mistake))


def copier(shape: Shape, params: dict, asked: list[str], student_id: str,
           neighbour: Simulated) -> Simulated:
    """A student who hands in a neighbour's answers; marked against their own numbers."""
    return Simulated(student_id, f"copies {neighbour.student_id}", dict(neighbour.written),
                     careful_marker(shape, params, asked, neighbour.written))


def claims_toml(sim: Simulated) -> str:
    import json

    lines = ["[student]", f"id = {json.dumps(sim.student_id)}", "", "[claims]"]
    lines += [f"{json.dumps(a)} = {json.dumps(v)}" for a, v in sim.written.items()]
    return "\n".join(lines) + "\n"
