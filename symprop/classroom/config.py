"""The ``[exercise]`` and ``[marking]`` tables and the roster, read from the raw spec TOML.

The spec reader knows nothing of these tables: `split_spec` takes them out before the network
is built, so `symprop.load` never sees them, and every key is checked here with a `SpecError`
that names the file, the key and what was expected.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import SpecError

#: the spec's top-level tables that belong to the classroom, not to the network
CLASSROOM_TABLES = ("exercise", "marking")

#: what a drawn quantity may be: key of ``[exercise.draw]`` → what it covers
DRAWN = {
    "weights": "every weight w",
    "biases": "every bias b",
    "input": "the example's inputs x",
    "target": "the example's targets d",
    "learning_rate": "the learning rate η",
}

#: an exercise is a hand calculation: more weights and biases than this is refused (the exact
#: key and every sheet's check cost grows fast with the network)
MAX_PARAMETERS = 32

#: the scoring categories of a marked answer and the credit a teacher would expect by default:
#: a value explained by rounding is not a mistake (full credit); one that follows correctly
#: from an earlier wrong value of the student's own earns half ("error carried forward")
CREDIT_DEFAULTS = {"correct": Fraction(1), "consistent": Fraction(1),
                   "carried_forward": Fraction(1, 2), "wrong": Fraction(0),
                   "blank": Fraction(0)}


@dataclass(frozen=True)
class Draw:
    """A range to draw from, on a grid of ``decimals`` decimal places (both ends included)."""

    low: Fraction
    high: Fraction
    decimals: int

    def grid(self) -> tuple[int, int, int]:
        """(lowest, highest, scale): the drawable values are n / scale, low ≤ n ≤ high."""
        scale = 10 ** self.decimals
        lo, hi = self.low * scale, self.high * scale
        return -((-lo.numerator) // lo.denominator), hi.numerator // hi.denominator, scale


@dataclass(frozen=True)
class ExerciseConfig:
    seed: str
    decimals: int                        # answers asked to this many decimal places
    ask: tuple[str, ...]                 # the addresses asked for, as written in the spec
    draw: dict[str, Draw]
    max_net: Fraction                    # |net| bound: no saturated sigmoid/tanh
    title: str = "Backpropagation by hand"
    attempts: int = 200                  # draws per student before giving up


@dataclass(frozen=True)
class MarkingRules:
    points: dict[str, Fraction] = field(default_factory=dict)   # address → points
    default_points: Fraction = Fraction(1)
    credit: dict[str, Fraction] = field(default_factory=lambda: dict(CREDIT_DEFAULTS))

    def points_for(self, address: str) -> Fraction:
        return self.points.get(address, self.default_points)

    def credit_for(self, category: str) -> Fraction:
        """Credit for a category; any verdict the rules do not name earns nothing."""
        return self.credit.get(category, Fraction(0))


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    folder: str          # a file-system-safe folder name derived from the id


# -- raw TOML ---------------------------------------------------------------------------------
def read_toml(path: str | Path) -> dict[str, Any]:
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise SpecError(f"cannot read the file ({reason})", file=where) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML ({exc})", file=where) from None


def split_spec(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the network's tables, the classroom's tables)."""
    network = {k: v for k, v in data.items() if k not in CLASSROOM_TABLES}
    classroom = {k: v for k, v in data.items() if k in CLASSROOM_TABLES}
    return network, classroom


def load_network(path: str | Path, data: dict[str, Any] | None = None):
    """The spec's network, built from its own tables only."""
    from ..spec import from_dict

    data = read_toml(path) if data is None else data
    return from_dict(split_spec(data)[0], source=str(path), name=Path(path).stem)


# -- [exercise] -------------------------------------------------------------------------------
def _number(value: Any, where: str, key: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpecError("not a number", file=where, key=key, expected="a number", got=value)
    try:
        number = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise SpecError("not a number", file=where, key=key, expected="a number",
                        got=value) from None
    return number


def _count(value: Any, where: str, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SpecError("out of range", file=where, key=key,
                        expected=f"an integer from {low} to {high}", got=value)
    return value


def _draw(value: Any, where: str, key: str) -> Draw:
    if not isinstance(value, list) or len(value) != 3:
        raise SpecError("bad range", file=where, key=key,
                        expected="[low, high, decimals], e.g. [-1.0, 1.0, 1]", got=value)
    low, high = _number(value[0], where, key), _number(value[1], where, key)
    decimals = _count(value[2], where, f"{key}[3]", 0, 6)
    draw = Draw(low, high, decimals)
    lo, hi, _ = draw.grid()
    if lo > hi or (lo == hi == 0):
        raise SpecError("empty range", file=where, key=key,
                        expected="low ≤ high with a non-zero value on the grid", got=value)
    return draw


def exercise_config(data: dict[str, Any], network, where: str) -> ExerciseConfig:
    """Check the ``[exercise]`` table against ``network``."""
    table = data.get("exercise")
    if not isinstance(table, dict):
        raise SpecError("missing table", file=where, key="exercise",
                        expected="an [exercise] table with seed, decimals, ask and [exercise.draw]")
    known = {"seed", "decimals", "ask", "draw", "max_net", "title", "attempts"}
    extra = sorted(set(table) - known)
    if extra:
        raise SpecError("unknown key", file=where, key=f"exercise.{extra[0]}",
                        expected="one of " + ", ".join(sorted(known)))
    seed = table.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int | str) or str(seed) == "":
        raise SpecError("missing or bad course seed", file=where, key="exercise.seed",
                        expected="an integer or a string (keep it to get the same variants)",
                        got=seed)
    decimals = _count(table.get("decimals", 4), where, "exercise.decimals", 1, 8)
    ask = table.get("ask")
    if not isinstance(ask, list) or not ask or not all(isinstance(a, str) for a in ask):
        raise SpecError("nothing asked", file=where, key="exercise.ask",
                        expected='a list of addresses, e.g. ["out1[1]", "y[1]", "w2[1,1]+"]',
                        got=ask)
    if network.example is None:
        raise SpecError("no worked example", file=where, key="example",
                        expected="an [example] table: the step the students compute")
    if network.is_perceptron:
        raise SpecError("threshold units have no backpropagation step", file=where,
                        key="network.layers", expected="differentiable layers for an exercise")
    count = sum(math.prod(shape) for shape in network.param_shapes().values())
    if count > MAX_PARAMETERS:
        raise SpecError(f"too large for a hand calculation ({count} weights and biases)",
                        file=where, key="network.layers",
                        expected=f"at most {MAX_PARAMETERS} weights and biases")
    canonical = []
    for i, text in enumerate(ask, start=1):
        address = network.address(text)         # SpecError names the bad address
        if address.kind in ("x", "d", "w", "b") and not address.after:
            raise SpecError("asks for a given number", file=where, key=f"exercise.ask[{i}]",
                            expected="a computed quantity (net, out, E, delta, dE/dw, w…+)",
                            got=text)
        if str(address) in canonical:
            raise SpecError("asked twice", file=where, key=f"exercise.ask[{i}]",
                            expected="each quantity once", got=text)
        canonical.append(str(address))
    raw_draw = table.get("draw", {})
    if not isinstance(raw_draw, dict):
        raise SpecError("not a table", file=where, key="exercise.draw",
                        expected="an [exercise.draw] table")
    extra = sorted(set(raw_draw) - set(DRAWN))
    if extra:
        raise SpecError("unknown key", file=where, key=f"exercise.draw.{extra[0]}",
                        expected="one of " + ", ".join(DRAWN))
    draw = {k: _draw(v, where, f"exercise.draw.{k}") for k, v in raw_draw.items()}
    if "learning_rate" in draw and draw["learning_rate"].low <= 0:
        raise SpecError("learning rate must be positive", file=where,
                        key="exercise.draw.learning_rate", expected="0 < low ≤ high")
    max_net = _number(table.get("max_net", 3), where, "exercise.max_net")
    if max_net <= 0:
        raise SpecError("out of range", file=where, key="exercise.max_net",
                        expected="a positive bound on |net|", got=table.get("max_net"))
    title = table.get("title", "Backpropagation by hand")
    if not isinstance(title, str):
        raise SpecError("not a string", file=where, key="exercise.title", expected="a string")
    attempts = _count(table.get("attempts", 200), where, "exercise.attempts", 1, 10_000)
    return ExerciseConfig(str(seed), decimals, tuple(canonical), draw, max_net, title, attempts)


# -- [marking] --------------------------------------------------------------------------------
def marking_rules(data: dict[str, Any], network, where: str,
                  asked: tuple[str, ...] = ()) -> MarkingRules:
    """Check the optional ``[marking]`` table: points per question and credit per verdict."""
    table = data.get("marking", {})
    if not isinstance(table, dict):
        raise SpecError("not a table", file=where, key="marking", expected="a [marking] table")
    known = {"points", *CREDIT_DEFAULTS}
    extra = sorted(set(table) - known)
    if extra:
        raise SpecError("unknown key", file=where, key=f"marking.{extra[0]}",
                        expected="one of " + ", ".join(sorted(known)))
    credit = dict(CREDIT_DEFAULTS)
    for category in CREDIT_DEFAULTS:
        if category in table:
            value = _number(table[category], where, f"marking.{category}")
            if not 0 <= value <= 1:
                raise SpecError("out of range", file=where, key=f"marking.{category}",
                                expected="a fraction of the points from 0 to 1",
                                got=table[category])
            credit[category] = value
    raw_points = table.get("points", 1)
    points: dict[str, Fraction] = {}
    default = Fraction(1)
    if isinstance(raw_points, dict):
        for key, value in raw_points.items():
            number = _number(value, where, f"marking.points.{key}")
            if number < 0:
                raise SpecError("negative points", file=where, key=f"marking.points.{key}",
                                expected="points ≥ 0", got=value)
            if key == "default":
                default = number
                continue
            address = str(network.address(key))
            if asked and address not in asked:
                raise SpecError("points for a question not asked", file=where,
                                key=f"marking.points.{key}",
                                expected="one of " + ", ".join(asked))
            points[address] = number
    else:
        default = _number(raw_points, where, "marking.points")
        if default < 0:
            raise SpecError("negative points", file=where, key="marking.points",
                            expected="points ≥ 0", got=raw_points)
    return MarkingRules(points, default, credit)


# -- the roster -------------------------------------------------------------------------------
_ID_COLUMNS = ("id", "student_id", "student id", "id number", "idnumber", "student")
_NAME_COLUMNS = ("name", "full name", "student name")


def _column(header: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {h.strip().lower(): h for h in header}
    return next((lowered[w] for w in wanted if w in lowered), None)


def folder_name(student_id: str) -> str:
    """A file-system-safe folder name for a student id (never a path, never hidden)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", student_id).strip("_") or "student"
    return safe[:64]


def read_csv_rows(path: str | Path, what: str, header: str) -> list[list[str]]:
    """The rows of a CSV file (UTF-8, a BOM allowed); one-line errors naming the file."""
    where = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise SpecError(f"cannot read the {what} ({reason})", file=where) from None
    except csv.Error as exc:
        raise SpecError(f"not a CSV file ({exc})", file=where) from None
    if not rows:
        raise SpecError(f"empty {what}", file=where, expected=header)
    return rows


def read_roster(path: str | Path) -> list[Student]:
    """Students from a CSV with an ``id`` column and a ``name`` column (or first/last name)."""
    where = str(path)
    rows = read_csv_rows(path, "roster", "a header row: id,name")
    header = rows[0]
    id_col = _column(header, _ID_COLUMNS)
    if id_col is None:
        raise SpecError("no id column", file=where, key="header",
                        expected="a column named id (or student_id, ID number)", got=header)
    name_col = _column(header, _NAME_COLUMNS)
    first, last = _column(header, ("first name", "firstname")), \
        _column(header, ("last name", "surname", "lastname"))
    students: list[Student] = []
    seen_ids: set[str] = set()
    folders: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row, strict=False))
        sid = (record.get(id_col) or "").strip()
        if not sid:
            raise SpecError("missing student id", file=where, key=f"line {line}",
                            expected="an id in every row")
        if sid in seen_ids:
            raise SpecError("student id listed twice", file=where, key=f"line {line}",
                            expected="unique ids", got=sid)
        if name_col:
            name = (record.get(name_col) or "").strip()
        else:
            name = " ".join(p for p in ((record.get(first) or "").strip() if first else "",
                                        (record.get(last) or "").strip() if last else "") if p)
        folder = folder_name(sid)
        n = 2
        while folder in folders:           # two ids that make the same folder name
            folder = f"{folder_name(sid)}-{n}"
            n += 1
        seen_ids.add(sid)
        folders.add(folder)
        students.append(Student(sid, " ".join((name or sid).split()), folder))
    if not students:
        raise SpecError("no students", file=where, expected="one row per student below the header")
    return students
