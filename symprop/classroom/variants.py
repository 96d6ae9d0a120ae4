"""Each student's numbers: drawn from the ``[exercise.draw]`` ranges, deterministic in the
course seed and the student's id, and kept only when they are pleasant by hand.

A draw is seeded by SHA-256 of (seed, id, attempt), so the same roster and seed give the same
variants next year, on any machine, in any order. A draw is rejected (and the next attempt
drawn) unless every check in `PLEASANT` passes on its 50-digit numbers; the checks a variant
passed are kept with it and printed on its key.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sympy as sp

from ..addresses import Address
from ..errors import SpecError
from ..spec import Example
from .config import Draw, ExerciseConfig, Student

Numbers = dict[Address, Decimal]


@dataclass
class Variant:
    """One student's exercise: the spec's network with that student's numbers."""

    student: Student
    attempt: int
    params: dict[str, Any]            # "W1": [["0.3", …]], "b1": […], "input", "target", "eta"
    network: Any                      # the `Network` with these weights and this example
    numbers: Numbers                  # every quantity of the step, 50 digits
    checks: list[str] = field(default_factory=list)

    @property
    def code(self) -> str:
        """A short fingerprint of the numbers, printed on the sheet and the key."""
        text = repr(sorted((k, repr(v)) for k, v in self.params.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.student.id, "name": self.student.name, "folder": self.student.folder,
                "attempt": self.attempt, "code": self.code, "params": self.params,
                "checks": self.checks}


def _rng(seed: str, student_id: str, attempt: int) -> random.Random:
    digest = hashlib.sha256(f"symprop-exercise\x00{seed}\x00{student_id}\x00{attempt}"
                            .encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _pick(rng: random.Random, draw: Draw) -> str:
    """A non-zero value on the range's grid, written with the range's decimals."""
    lo, hi, scale = draw.grid()
    while True:
        n = rng.randint(lo, hi)
        if n != 0 or lo == hi:
            break
    return format(Decimal(n).scaleb(-draw.decimals), "f")


def _written(value: sp.Rational) -> str:
    f = Fraction(int(value.p), int(value.q))
    d = Decimal(f.numerator) / Decimal(f.denominator)
    return format(d, "f") if Fraction(d) == f else f"{f.numerator}/{f.denominator}"


def draw_params(base, config: ExerciseConfig, student: Student, attempt: int) -> dict[str, Any]:
    """The numbers of one attempt: drawn where ``[exercise.draw]`` says, the spec's elsewhere."""
    from ..derive.example import initial_weights  # the spec's own weights, to keep undrawn ones

    rng = _rng(config.seed, student.id, attempt)
    params: dict[str, Any] = {}
    spec_weights = None
    for name, shape in base.param_shapes().items():
        draw = config.draw.get("weights" if name.startswith("W") else "biases")
        if draw is None:
            if spec_weights is None:
                spec_weights = {str(k): v for k, v in initial_weights(base).items()}
            draw = None
        if len(shape) == 2:
            params[name] = [[_pick(rng, draw) if draw else
                             _written(spec_weights[f"w{name[1:]}[{k}, {j}]"])
                             for j in range(1, shape[1] + 1)] for k in range(1, shape[0] + 1)]
        else:
            params[name] = [_pick(rng, draw) if draw else
                            _written(spec_weights[f"b{name[1:]}[{k}]"])
                            for k in range(1, shape[0] + 1)]
    ex = base.example
    for key, spec_values in (("input", ex.input), ("target", ex.target)):
        draw = config.draw.get(key)
        params[key] = [_pick(rng, draw) if draw else _written(v) for v in spec_values]
    draw = config.draw.get("learning_rate")
    params["eta"] = _pick(rng, draw) if draw else _written(sp.Rational(ex.learning_rate))
    return params


def variant_network(base, params: dict[str, Any]):
    """``base`` with the variant's weights and example (the spec's checks run again)."""
    weights = {k: v for k, v in params.items() if k[0] in "Wb" and k[1:].isdigit()}
    example = Example(tuple(sp.Rational(v) for v in params["input"]),
                      tuple(sp.Rational(v) for v in params["target"]),
                      sp.Rational(params["eta"]))
    return base.with_(weights=weights, example=example, claims={}, formulas={})


def numbers_of(network, derivation) -> Numbers:
    """Every quantity of the example step at 50 digits (the checker's own replay)."""
    from ..check.replay import Plan, Replay

    return dict(Replay(Plan(network, derivation)).run().raw)


# -- what makes numbers pleasant by hand --------------------------------------------------------
def _no_saturation(config: ExerciseConfig, numbers: Numbers, asked: list[Address]) -> str | None:
    bound = Decimal(config.max_net.numerator) / Decimal(config.max_net.denominator)
    worst = max((abs(v) for a, v in numbers.items() if a.kind == "net"), default=Decimal(0))
    if worst > bound:
        return None
    return f"every |net| ≤ {bound} (largest {worst:.3f}): no saturated unit"


def _deltas_visible(config: ExerciseConfig, numbers: Numbers, asked: list[Address]
                    ) -> str | None:
    unit = Decimal(1).scaleb(-config.decimals)
    small = [a for a, v in numbers.items()
             if (a.kind == "delta" or a in asked) and abs(v) < unit]
    if small:
        return None
    return f"every δ and every asked value is at least {unit} in size: none rounds to 0"


def _no_ties(config: ExerciseConfig, numbers: Numbers, asked: list[Address]) -> str | None:
    for a in asked:
        shifted = abs(numbers[a]).scaleb(config.decimals)
        if abs(shifted - int(shifted) - Decimal("0.5")) < Decimal("0.02"):
            return None
    return (f"no asked value lies within 0.02 units of its {config.decimals}th decimal of a "
            "rounding tie")


def _error_falls(config: ExerciseConfig, numbers: Numbers, asked: list[Address]) -> str | None:
    before, after = numbers[Address("E")], numbers[Address("E", after=True)]
    if not after < before:
        return None
    return f"the step lowers the error: E = {before:.6f} → E⁺ = {after:.6f}"


#: each check returns the sentence to print on the key, or None to reject the draw
PLEASANT: tuple[Callable[[ExerciseConfig, Numbers, list[Address]], str | None], ...] = (
    _no_saturation, _deltas_visible, _no_ties, _error_falls)


def draw_variant(base, derivation, config: ExerciseConfig, student: Student,
                 asked: list[Address]) -> Variant:
    """The first attempt for ``student`` whose numbers pass every check in `PLEASANT`."""
    for attempt in range(config.attempts):
        params = draw_params(base, config, student, attempt)
        network = variant_network(base, params)
        numbers = numbers_of(network, derivation)
        checks = [check(config, numbers, asked) for check in PLEASANT]
        if all(checks):
            return Variant(student, attempt, params, network, numbers, list(checks))
    raise SpecError(f"no pleasant numbers for student {student.id!r} in {config.attempts} "
                    "draws", file=base.source, key="exercise.draw",
                    expected="ranges that keep |net| small and the δs visible at the asked "
                    "decimals (or a larger exercise.attempts)")


def derivation_of(base):
    """The derivation, its refusals (a loss without a gradient) as one-line spec errors."""
    try:
        return base.derive()
    except ValueError as exc:
        raise SpecError(str(exc), file=base.source, key="network.layers",
                        expected="differentiable layers and loss for a backpropagation "
                        "exercise") from None


def proof_sentence(derivation) -> str:
    """The derivation proven once per network (every variant shares it)."""
    report = derivation.verify()
    if not report.ok:      # pragma: no cover - derive proves its own formulas
        raise SpecError("the derived gradients failed their proof", key="network")
    return f"the derived formulas of all {len(report.checks)} gradients are proven equal to " \
        "sympy.diff of the loss"


def draw_variants(base, config: ExerciseConfig, students: list[Student]) -> list[Variant]:
    """One variant per student (same roster and seed → same variants)."""
    derivation = derivation_of(base)
    asked = [base.address(a) for a in config.ask]
    return [draw_variant(base, derivation, config, s, asked) for s in students]
