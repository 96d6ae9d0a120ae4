"""The sweep's grid: ``--grid "lr=0.1,0.5,2"``, ``--grid "hidden=2,4,8"``, ``--seeds 0-9``.

A grid is an ordered dict ``parameter -> values``; its points are the cartesian product in the
order given (the first parameter varies slowest). Each point changes either the training
settings (``lr``, ``momentum``, ``epochs``, ``batch_size``) or the network (``hidden``: the
units of every hidden layer, ``hidden<l>``: of hidden layer l only, ``activation``: the
activation of every hidden layer). A run is one grid point with one seed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..limits import check as check_limit
from ..spec import Dense, Network
from ..units import activation_key, activation_names, activation_traits, shown_name

#: Accepted spellings → canonical parameter name.
ALIASES = {"learning_rate": "lr", "learning-rate": "lr", "eta": "lr",
           "batch-size": "batch_size", "batch": "batch_size"}
#: Training settings a grid may vary, with their type.
SETTINGS: dict[str, type] = {"lr": float, "momentum": float, "epochs": int, "batch_size": int}
_HIDDEN = re.compile(r"hidden(\d*)$")

Value = int | float | str


def canonical_name(name: str) -> str:
    """The canonical spelling of a grid parameter (``learning-rate`` → ``lr``)."""
    key = name.strip().lower()
    return ALIASES.get(key, key)


def format_value(value: Value) -> str:
    """The text a value has in the results file; resuming matches on it."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_grid(items: Iterable[str]) -> dict[str, list[Value]]:
    """Parse ``--grid`` options (``"lr=0.1,0.5,2"``) into an ordered ``{name: values}``."""
    raw: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise SpecError("bad --grid option", key="--grid",
                            expected="NAME=V1,V2,... such as lr=0.1,0.5,2", got=item)
        key = canonical_name(name)
        if key in raw:
            raise SpecError(f"grid parameter {key!r} given twice", key="--grid",
                            expected="each parameter once", got=item)
        raw[key] = [v.strip() for v in values.split(",")]
    return normalize_grid(raw)


def normalize_grid(grid: Mapping[str, Any]) -> dict[str, list[Value]]:
    """Check and type a grid given as ``{name: values}`` (values as text or numbers)."""
    out: dict[str, list[Value]] = {}
    for name, values in grid.items():
        key = canonical_name(str(name))
        if key in out:
            raise SpecError(f"grid parameter {key!r} given twice", key="grid",
                            expected="each parameter once", got=name)
        if isinstance(values, str | int | float):
            values = [values]
        values = list(values)
        if not values:
            raise SpecError(f"grid parameter {key!r} has no values", key=f"grid.{key}",
                            expected="one or more values")
        typed = [_typed(key, v) for v in values]
        texts = [format_value(v) for v in typed]
        if len(set(texts)) != len(texts):
            raise SpecError(f"grid parameter {key!r} repeats a value", key=f"grid.{key}",
                            expected="distinct values", got=texts)
        out[key] = typed
    hidden_all = "hidden" in out
    if hidden_all and any(_HIDDEN.match(k) and k != "hidden" for k in out):
        raise SpecError("give either hidden= (every hidden layer) or hidden<l>=, not both",
                        key="grid.hidden", expected="one of the two forms")
    return out


def _typed(key: str, value: Any) -> Value:
    where = f"grid.{key}"
    if key in SETTINGS or _HIDDEN.match(key):
        want = int if (key not in SETTINGS or SETTINGS[key] is int) else float
        number = _number(value, want, where)
        if want is int and number < 1:
            raise SpecError("must be a positive integer", key=where, expected="an integer >= 1",
                            got=value)
        if key == "lr" and not number > 0:
            raise SpecError("learning rate must be positive", key=where, expected="> 0",
                            got=value)
        if key == "momentum" and not 0 <= number < 1:
            raise SpecError("momentum out of range", key=where, expected="0 <= momentum < 1",
                            got=value)
        return number
    if key == "activation":
        name = str(value).strip()
        name = activation_key(name if activation_traits(activation_key(name)) else name.lower())
        row = activation_traits(name)      # a spec's own row by its name, or a built-in one
        if row is None or not row.differentiable or row.layerwise:
            usable = [a for a in activation_names()
                      if (t := activation_traits(a)).differentiable and not t.layerwise]
            raise SpecError("unknown hidden activation", key=where,
                            expected="one of " + ", ".join(usable), got=value)
        return shown_name(name)         # Dense finds the row by its name again
    raise SpecError(f"unknown grid parameter {key!r}", key="grid",
                    expected="lr, momentum, epochs, batch_size, hidden, hidden<l>, activation",
                    got=key)


def _number(value: Any, want: type, where: str) -> int | float:
    if isinstance(value, bool):
        raise SpecError("not a number", key=where, expected="a number", got=value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError("not a number", key=where, expected="a number", got=value) from None
    if not math.isfinite(number):
        raise SpecError("not a finite number", key=where, expected="a finite number", got=value)
    if want is int:
        if number != int(number):
            raise SpecError("not an integer", key=where, expected="an integer", got=value)
        return int(number)
    return number


def parse_seeds(text: str | int | Sequence[int]) -> list[int]:
    """``"0-9"`` → 0..9, ``"0,3,5"``, ``"0-4,10"``; a list of ints passes through (checked)."""
    if isinstance(text, int) and not isinstance(text, bool):
        parts: list[Any] = [text]
    elif isinstance(text, str):
        parts = []
        for piece in text.split(","):
            piece = piece.strip()
            m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", piece)
            if m:
                lo, hi = int(m.group(1)), int(m.group(2))
                if hi < lo:
                    raise SpecError("empty seed range", key="--seeds",
                                    expected="LOW-HIGH with LOW <= HIGH", got=piece)
                check_limit("sweep_runs", len(parts) + hi - lo + 1, key="--seeds",
                            what="seeds")
                parts.extend(range(lo, hi + 1))
            elif piece.isdigit():
                parts.append(int(piece))
            else:
                raise SpecError("bad seed list", key="--seeds",
                                expected="non-negative integers like 0-9 or 0,3,5", got=text)
    else:
        parts = list(text)
    seeds = []
    for s in parts:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise SpecError("bad seed", key="seeds", expected="a non-negative integer", got=s)
        seeds.append(int(s))
    if not seeds:
        raise SpecError("no seeds", key="seeds", expected="at least one seed")
    if len(set(seeds)) != len(seeds):
        raise SpecError("a seed appears twice", key="seeds", expected="distinct seeds",
                        got=seeds)
    return seeds


@dataclass(frozen=True)
class Point:
    """One grid point: ``(name, value)`` pairs in grid order."""

    items: tuple[tuple[str, Value], ...]

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.items).get(name, default)

    def key(self) -> tuple[str, ...]:
        return tuple(format_value(v) for _, v in self.items)

    def label(self) -> str:
        return " ".join(f"{k}={format_value(v)}" for k, v in self.items) or "(defaults)"


def points(grid: Mapping[str, Sequence[Value]]) -> list[Point]:
    """The cartesian product of the grid; the first parameter varies slowest."""
    names = list(grid)
    return [Point(tuple(zip(names, combo, strict=True)))
            for combo in itertools.product(*(grid[n] for n in names))]


def check_against(network: Network, grid: Mapping[str, Sequence[Value]]) -> None:
    """Grid parameters that change the network must fit it (hidden layers exist)."""
    hidden_layers = network.depth - 1
    for key in grid:
        m = _HIDDEN.match(key)
        if (m or key == "activation") and network.is_perceptron:
            raise SpecError("a perceptron's layers cannot be swept", key=f"grid.{key}",
                            expected="lr, epochs, batch_size or momentum")
        if m and hidden_layers < 1:
            raise SpecError("the network has no hidden layer", key=f"grid.{key}",
                            expected="a network with at least two layers")
        if m and m.group(1) and not 1 <= int(m.group(1)) <= hidden_layers:
            raise SpecError(f"no hidden layer {m.group(1)}", key=f"grid.{key}",
                            expected=f"hidden1..hidden{hidden_layers}")
        if key == "activation" and hidden_layers < 1:
            raise SpecError("the network has no hidden layer", key="grid.activation",
                            expected="a network with at least two layers")


def network_for(network: Network, point: Point) -> Network:
    """The network a grid point trains: hidden sizes/activations replaced where the point says.

    Every run starts from ``init_params(seed)``, so the spec's own weights, worked example,
    labels and claims are dropped (they would not fit other hidden sizes anyway).
    """
    layers = list(network.layers)
    for key, value in point.items:
        m = _HIDDEN.match(key)
        for l in range(len(layers) - 1):          # hidden layers only
            layer = layers[l]
            if m and (not m.group(1) or int(m.group(1)) == l + 1):
                layers[l] = Dense(int(value), layer.activation, layer.bias)
            elif key == "activation":
                layers[l] = Dense(layer.units, str(value), layer.bias)
    return network.with_(layers=tuple(layers), weights={}, example=None, labels={}, claims={},
                         formulas={})


def settings(point: Point, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Training settings of a point: its own values over ``defaults``."""
    out = dict(defaults)
    for key, value in point.items:
        if key in SETTINGS:
            out[key] = value
    return out
