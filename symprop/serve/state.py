"""The page's state: the builder's settings (kept in the URL), the network they make, its TOML.

Everything here reads untrusted text: URL parameters and pasted spec files. Nothing typed is
evaluated; numbers are parsed by pattern, sizes are bounded (`LIMITS`), and every problem is a
`SpecError` naming the parameter and what was expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..runtime.datasets import known_names
from ..spec import NOTATION_DEFAULTS, Dense, Example, Network, loads
from ..units import activation_names, activation_traits, loss_names, shown_name

#: bounds on what the page accepts (exact derivations and the worked example grow quickly)
LIMITS: dict[str, int | float] = {
    "inputs": 6, "layers": 4, "units": 8, "spec_bytes": 64_000, "csv_bytes": 1_000_000,
    "csv_rows": 20_000, "epochs": 20_000, "batch": 4096, "points": 2_000, "seed": 2**31 - 1,
    "learning_rate": 100.0,
}

_INT = re.compile(r"^[0-9]{1,9}$")
_REAL = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]{1,3})?$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def backprop_activations() -> list[str]:
    """The activations the builder offers: the differentiable ones (threshold units have no δ)."""
    return [a for a in activation_names() if activation_traits(a).differentiable]


def backprop_losses() -> list[str]:
    from ..derive.rules import LOSSES  # the rule table: no SymPy
    return [n for n in loss_names() if LOSSES[n].differentiable]


@dataclass(frozen=True)
class LayerSetting:
    units: int
    activation: str = "sigmoid"
    bias: bool = True


@dataclass(frozen=True)
class Settings:
    """What the builder's controls hold; `query` writes it back into the URL."""

    inputs: int = 2
    layers: tuple[LayerSetting, ...] = (LayerSetting(2, "sigmoid", False),
                                        LayerSetting(1, "sigmoid", False))
    loss: str = "sse"
    seed: int = 0
    dataset: str = "xor"
    noise: float = 0.0
    learning_rate: float = 0.5
    batch: int = 10

    def query(self) -> dict[str, str]:
        layers = ",".join(f"{s.units}:{s.activation}:{int(s.bias)}" for s in self.layers)
        return {"inputs": str(self.inputs), "layers": layers, "loss": self.loss,
                "seed": str(self.seed), "dataset": self.dataset, "noise": _real_text(self.noise),
                "lr": _real_text(self.learning_rate), "batch": str(self.batch)}


def _real_text(x: float) -> str:
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


def parse_int(text: Any, key: str, lo: int, hi: int) -> int:
    """A whole number written in ``text``, between ``lo`` and ``hi``."""
    text = str(text).strip()
    if not _INT.match(text) or not lo <= int(text) <= hi:
        raise SpecError("bad whole number", key=key, expected=f"a whole number {lo}..{hi}",
                        got=text[:40])
    return int(text)


def parse_real(text: Any, key: str, lo: float, hi: float) -> float:
    """A decimal number (a decimal comma is accepted), between ``lo`` and ``hi``."""
    raw = str(text).strip()
    if not _REAL.match(raw):
        raise SpecError("not a number", key=key, expected=f"a number {lo:g}..{hi:g}",
                        got=raw[:40])
    value = float(raw.replace(",", "."))
    if not (math.isfinite(value) and lo <= value <= hi):
        raise SpecError("number out of range", key=key, expected=f"a number {lo:g}..{hi:g}",
                        got=raw[:40])
    return value


def decimal_text(text: Any, key: str) -> str:
    """A student's number as the checker reads it: ``0,68`` -> ``0.68``; nothing else passes."""
    raw = str(text).strip().replace(" ", "")
    if not _REAL.match(raw):
        raise SpecError("not a number", key=key, expected="a decimal number such as 0,68",
                        got=raw[:40])
    return raw.replace(",", ".")


def settings_from_query(query: dict[str, str]) -> Settings:
    """Read the builder's settings from URL parameters; missing ones take the defaults."""
    base = Settings()
    inputs = parse_int(query.get("inputs", base.inputs), "inputs", 1, int(LIMITS["inputs"]))
    layers = base.layers
    if "layers" in query:
        parts = [p for p in str(query["layers"]).split(",") if p.strip()]
        if not 1 <= len(parts) <= LIMITS["layers"]:
            raise SpecError("bad layer list", key="layers",
                            expected=f"1..{LIMITS['layers']} layers written units:activation:bias"
                            ", e.g. 2:sigmoid:1,1:sigmoid:0", got=str(query["layers"])[:80])
        layers = tuple(_layer(p, i) for i, p in enumerate(parts, start=1))
    loss = str(query.get("loss", base.loss))
    if loss not in backprop_losses():
        raise SpecError("unknown loss", key="loss",
                        expected="one of " + ", ".join(backprop_losses()), got=loss[:40])
    dataset = str(query.get("dataset", base.dataset)).lower()
    if dataset not in known_names() and dataset != "csv":
        raise SpecError("unknown dataset", key="dataset",
                        expected="one of " + ", ".join(known_names()) + " or csv",
                        got=dataset[:40])
    return Settings(
        inputs=inputs, layers=layers, loss=loss,
        seed=parse_int(query.get("seed", base.seed), "seed", 0, int(LIMITS["seed"])),
        dataset=dataset,
        noise=parse_real(query.get("noise", base.noise), "noise", 0.0, 0.5),
        learning_rate=parse_real(query.get("lr", base.learning_rate), "lr", 0.0,
                                 float(LIMITS["learning_rate"])),
        batch=parse_int(query.get("batch", base.batch), "batch", 1, int(LIMITS["batch"])))


def _layer(text: str, i: int) -> LayerSetting:
    key = f"layers[{i}]"
    bits = text.strip().split(":")
    if not 1 <= len(bits) <= 3:
        raise SpecError("bad layer", key=key, expected="units:activation:bias, e.g. 2:tanh:1",
                        got=text[:40])
    units = parse_int(bits[0], f"{key}.units", 1, int(LIMITS["units"]))
    activation = bits[1].strip() if len(bits) > 1 else "sigmoid"
    if activation not in backprop_activations():
        raise SpecError("unknown activation", key=f"{key}.activation",
                        expected="one of " + ", ".join(backprop_activations()),
                        got=activation[:40])
    bias = bits[2].strip() if len(bits) > 2 else "1"
    if bias not in ("0", "1"):
        raise SpecError("bad bias flag", key=f"{key}.bias", expected="0 or 1", got=bias[:10])
    return LayerSetting(units, activation, bias == "1")


# -- the network ---------------------------------------------------------------------------------
def network_from_settings(settings: Settings) -> Network:
    """The network the builder describes, with starting weights and a worked example.

    Weights are one-decimal numbers drawn from ``seed`` (as on a lecture slide); the example's
    input has two decimals, its target lies inside the output layer's range.
    """
    rng = np.random.default_rng(settings.seed)
    layers = tuple(Dense(s.units, s.activation, s.bias) for s in settings.layers)
    sizes = (settings.inputs, *(s.units for s in settings.layers))
    weights: dict[str, Any] = {}
    for l, s in enumerate(settings.layers, start=1):
        weights[f"W{l}"] = [[_tenth(rng) for _ in range(sizes[l - 1])] for _ in range(s.units)]
        if s.bias:
            weights[f"b{l}"] = [_tenth(rng) for _ in range(s.units)]
    x = [str(Decimal(int(v)) / 100) for v in rng.integers(5, 96, size=settings.inputs)]
    example = Example(tuple(_exact(v) for v in x), tuple(_exact(v) for v in _target(settings)),
                      _exact(_real_text(settings.learning_rate)))
    # Network checks everything again: the builder cannot make a network the spec would refuse
    return Network(inputs=settings.inputs, layers=layers, loss=settings.loss, weights=weights,
                   example=example, name="playground")


def _tenth(rng: np.random.Generator) -> str:
    v = 0
    while v == 0:                      # a zero weight hides its term in the worked example
        v = int(rng.integers(-9, 10))
    return str(Decimal(v) / 10)


def _exact(text: str):
    from ..spec import exact
    return exact(text, file=None, key="example")


def _target(settings: Settings) -> list[str]:
    out = settings.layers[-1]
    from ..derive.rules import LOSSES
    if out.activation == "softmax" or LOSSES[settings.loss].one_hot:
        return ["1"] + ["0"] * (out.units - 1)
    if LOSSES[settings.loss].probabilistic:
        return ["1" if k % 2 == 0 else "0" for k in range(out.units)]
    return ["0.5"] * out.units


def network_from_text(text: str, file: str | None = None) -> Network:
    """A pasted or opened spec file, bounded in size and shape; errors name ``file``."""
    if len(text.encode("utf-8", "replace")) > LIMITS["spec_bytes"]:
        raise SpecError("spec too large", file=file, key="spec",
                        expected=f"at most {LIMITS['spec_bytes']} bytes")
    stem = Path(file or "spec").stem
    try:
        return check_bounds(loads(text, name=stem if _NAME.match(stem) else "spec"))
    except SpecError as exc:
        if file and str(exc).startswith("<string>"):
            raise SpecError(file + str(exc).removeprefix("<string>")) from None
        raise


def check_bounds(net: Network) -> Network:
    where = net.source
    if net.n_inputs > LIMITS["inputs"]:
        raise SpecError("too many inputs for the page", file=where, key="network.inputs",
                        expected=f"at most {LIMITS['inputs']}")
    if net.depth > LIMITS["layers"]:
        raise SpecError("too many layers for the page", file=where, key="network.layers",
                        expected=f"at most {LIMITS['layers']}")
    for i, layer in enumerate(net.layers, start=1):
        if layer.units > LIMITS["units"]:
            raise SpecError("too many units for the page", file=where,
                            key=f"network.layers[{i}].units", expected=f"at most {LIMITS['units']}")
    return net


def settings_of(net: Network, base: Settings | None = None) -> Settings:
    """The builder's settings that describe ``net``'s shape (training settings from ``base``)."""
    base = base or Settings()
    return Settings(inputs=net.n_inputs, layers=tuple(LayerSetting(l.units, l.activation, l.bias)
                                                      for l in net.layers),
                    loss=net.loss, seed=base.seed, dataset=base.dataset, noise=base.noise,
                    learning_rate=base.learning_rate, batch=base.batch)


# -- TOML ------------------------------------------------------------------------------------------
def spec_toml(net: Network, params: dict[str, np.ndarray] | None = None) -> str:
    """``net`` as a spec file that `symprop.loads` reads back to the same network.

    ``params`` (trained weights, floats) replace the exact weights when given.
    """
    lines = []
    for row in net.rows:       # the user's own rows, as written, before the network uses them
        kind = "activations" if hasattr(row, "kinks") else "losses"
        lines += [f"[{kind}.{_string(row.name)}]",
                  f"{'formula' if kind == 'activations' else 'term'} = {_string(row.formula)}"]
        if kind == "activations" and row.latex:
            lines.append(f"latex = {_string(row.latex)}")
        if row.parameters:
            lines.append("parameters = { " + ", ".join(
                f"{_string(k)} = {_string(str(v))}" for k, v in row.parameters) + " }")
        if getattr(row, "derivative_at_kinks", None) is not None:
            lines.append(f"derivative_at_kinks = {_string(str(row.derivative_at_kinks))}")
        lines.append("")
    lines.append("[network]")
    if isinstance(net.inputs, tuple):
        lines.append("inputs = [" + ", ".join(_string(n) for n in net.inputs) + "]")
    else:
        lines.append(f"inputs = {net.inputs}")
    lines.append(f"loss = {_string(shown_name(net.loss))}")
    if net.relu_at_zero != 0:
        lines.append(f"relu_derivative_at_zero = {_number(net.relu_at_zero)}")
    for layer in net.layers:
        lines += ["", "[[network.layers]]", f"units = {layer.units}",
                  f"activation = {_string(shown_name(layer.activation))}",
                  f"bias = {'true' if layer.bias else 'false'}"]
    weights = ({k: np.asarray(v).tolist() for k, v in params.items()} if params is not None
               else net.weights)
    if weights:
        lines += ["", "[weights]"]
        for name, value in weights.items():
            if value and isinstance(value[0], list | tuple):
                rows = ", ".join("[" + ", ".join(_number(v) for v in row) + "]" for row in value)
                lines.append(f"{name} = [{rows}]")
            else:
                lines.append(f"{name} = [" + ", ".join(_number(v) for v in value) + "]")
    if net.example is not None:
        ex = net.example
        lines += ["", "[example]", "input = [" + ", ".join(map(_number, ex.input)) + "]",
                  "target = [" + ", ".join(map(_number, ex.target)) + "]",
                  f"learning_rate = {_number(ex.learning_rate)}"]
    for table, values in (("labels", net.labels), ("claims", net.claims),
                          ("formulas", net.formulas)):
        if values:
            lines += ["", f"[{table}]"] + [f"{_string(k)} = {_string(v)}"
                                           for k, v in values.items()]
    notation = {k: v for k, v in net.notation.items() if NOTATION_DEFAULTS.get(k) != v}
    if notation:
        lines += ["", "[notation]"]
        lines += [f"{_string(k)} = {_value(v)}" for k, v in notation.items()]
    return "\n".join(lines) + "\n"


def _value(v: Any) -> str:
    """A plain TOML value: string, boolean, number, array or inline table."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_string(k)} = {_value(x)}" for k, x in v.items()) + "}"
    return _string(str(v))


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json
    return json.dumps(str(text), ensure_ascii=False)


def _number(value: Any) -> str:
    """An exact number as TOML: a float literal where it reads back exactly, else a string."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else _string("nan")
    q = Fraction(str(value))
    if q.denominator == 1:
        return str(q.numerator)
    text = repr(q.numerator / q.denominator)
    if "e" not in text and Fraction(text) == q:
        return text
    return _string(f"{q.numerator}/{q.denominator}")
