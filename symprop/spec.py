"""The network description: the Python API (`Network`, `Dense`) and the TOML spec file.

Both build the same frozen `Network`. Everything a user can get wrong is checked here, once,
with a `SpecError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .addresses import parse as parse_address
from .errors import SpecError
from .io import read_text
from .limits import check as check_limit
from .limits import limit
from .notation import SYMBOL_KEYS, check_notation
from .units import (
    activation_key,
    activation_names,
    activation_traits,
    formula_rows,
    is_builtin_loss,
    loss_key,
    loss_names,
    register_rows,
)

if TYPE_CHECKING:
    import sympy as sp

NOTATION_DEFAULTS: dict[str, Any] = {
    "x": "x", "h": "h", "y": "y", "d": "d", "net": r"\mathrm{net}", "f": "f", "eta": r"\eta",
    "E": "E", "w": "w", "b": "b", "delta": r"\delta",
    "input_index": "m", "indices": ["k", "j", "i", "p", "q", "r", "s", "t", "u", "v"],
    "weight_order": "kj",   # w_{k,j}: receiving unit first (the lecture's); "jk" flips it
}
#: ``[notation]`` keys besides the symbols above; their values are checked where they are used.
NOTATION_EXTRA_KEYS = ("precision",)

#: The keys each table of a spec file accepts (extend these; a key not listed is refused).
SPEC_KEYS: dict[str, tuple[str, ...]] = {
    # exercise, marking: a class exercise's tables, read by `symprop.classroom`
    "": ("network", "weights", "example", "labels", "notation", "claims", "formulas",
         "activations", "losses", "exercise", "marking"),
    "activations.NAME": ("formula", "latex", "parameters", "derivative_at_kinks"),
    "losses.NAME": ("term", "parameters"),
    "network": ("inputs", "layers", "loss", "relu_derivative_at_zero"),
    "network.layers": ("units", "activation", "bias"),
    "example": ("input", "target", "learning_rate"),
    "notation": tuple(dict.fromkeys((*NOTATION_DEFAULTS, *SYMBOL_KEYS, *NOTATION_EXTRA_KEYS))),
}


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: ``units`` units with one activation, with or without bias.

    ``activation`` is a name or a row (``symprop.Activation.from_formula(...)``); it is kept as
    the row's key in the rule table."""

    units: int
    activation: str = "sigmoid"
    bias: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "activation", activation_key(self.activation))
        _check_layer(self, "layers", None)


@dataclass(frozen=True)
class Example:
    """One worked training step: an input, its target and a learning rate (exact)."""

    input: tuple[sp.Rational, ...]
    target: tuple[sp.Rational, ...]
    learning_rate: sp.Rational | int = 1


@dataclass(frozen=True)
class Network:
    """A multilayer network. ``inputs`` is a count or a list of display names."""

    inputs: int | tuple[str, ...] | list[str]
    layers: tuple[Dense, ...] | list[Dense]
    loss: str = "sse"
    weights: dict[str, Any] = field(default_factory=dict)
    example: Example | None = None
    labels: dict[str, str] = field(default_factory=dict)
    notation: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, str] = field(default_factory=dict)
    formulas: dict[str, str] = field(default_factory=dict)
    name: str = "network"
    relu_at_zero: sp.Rational | int = 0     # f'(0) of ReLU; SymPy is imported only when needed
    source: str | None = None
    # the rows made from formulas that the layers and the loss use (filled in here): a network
    # carries them to other processes, where unpickling registers them again
    rows: tuple = ()

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        register_rows(state.get("rows", ()))

    def __post_init__(self) -> None:
        where = self.source
        object.__setattr__(self, "loss", loss_key(self.loss))
        inputs = self.inputs
        if isinstance(inputs, list | tuple):
            if not inputs or not all(isinstance(n, str) and n for n in inputs):
                raise SpecError("bad input names", file=where, key="network.inputs",
                                expected="a positive integer or a list of non-empty names",
                                got=inputs)
            check_limit("network_parameters", len(inputs), file=where, key="network.inputs",
                        what="input names")
            for i, name in enumerate(inputs, start=1):
                check_name(name, file=where, key=f"network.inputs[{i}]")
            object.__setattr__(self, "inputs", tuple(inputs))
        elif not (isinstance(inputs, int) and not isinstance(inputs, bool) and inputs >= 1):
            raise SpecError("bad input count", file=where, key="network.inputs",
                            expected="a positive integer or a list of names", got=inputs)
        layers = tuple(self.layers)
        if not layers:
            raise SpecError("no layers", file=where, key="network.layers",
                            expected="at least one [[network.layers]] table")
        check_limit("network_layers", len(layers), file=where, key="network.layers")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Dense):
                raise SpecError("not a layer", file=where, key=f"network.layers[{i + 1}]",
                                expected="symprop.Dense(...)", got=layer)
            if activation_traits(layer.activation).layerwise and i != len(layers) - 1:
                raise SpecError("softmax only as the last layer", file=where,
                                key=f"network.layers[{i + 1}].activation",
                                expected="softmax on the output layer only")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "rows", formula_rows(tuple(lay.activation for lay in layers),
                                                      self.loss))
        check_limit("network_parameters", count_parameters(self), file=where,
                    key="network.layers")
        if not isinstance(self.loss, str) or self.loss not in loss_names():
            raise SpecError("unknown loss", file=where, key="network.loss",
                            expected="one of " + ", ".join(loss_names()), got=self.loss)
        smooth = [activation_traits(layer.activation).differentiable for layer in layers]
        if not all(smooth) and any(smooth):
            raise SpecError("threshold units cannot be mixed with differentiable layers",
                            file=where, key="network.layers",
                            expected="all layers differentiable, or all threshold/step/sign")
        object.__setattr__(self, "weights", _check_weights(self, self.weights))
        if self.example is not None:
            _check_example(self, self.example)
            _check_example_size(self)
        object.__setattr__(self, "notation", {**NOTATION_DEFAULTS, **self.notation})
        _check_notation(self)
        for table in ("labels", "claims", "formulas"):
            for name in getattr(self, table):
                check_name(name, file=where, key=f"{table}.{str(name)[:40]}")
        for label, target in self.labels.items():
            self._resolve(target, f"labels.{label}")

    # -- shape -----------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.inputs if isinstance(self.inputs, int) else len(self.inputs)

    @property
    def input_names(self) -> tuple[str, ...]:
        if isinstance(self.inputs, tuple):
            return self.inputs
        return tuple(f"x{i}" for i in range(1, self.n_inputs + 1))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Units per layer, the input layer first: (n_inputs, units_1, …, units_L)."""
        return (self.n_inputs, *(layer.units for layer in self.layers))

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def is_perceptron(self) -> bool:
        return not activation_traits(self.layers[0].activation).differentiable

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        for l, layer in enumerate(self.layers, start=1):
            shapes[f"W{l}"] = (layer.units, self.sizes[l - 1])
            if layer.bias:
                shapes[f"b{l}"] = (layer.units,)
        return shapes

    # -- addresses -------------------------------------------------------------------------
    def address(self, text: str):
        """Parse an address or a label from ``[labels]`` into a canonical `Address`."""
        return self._resolve(self.labels.get(text, text), text)

    def _resolve(self, text: str, key: str):
        try:
            addr = parse_address(text, self.depth)
        except ValueError as exc:
            raise SpecError(str(exc), file=self.source, key=key,
                            expected="an address like w2[1,1], out1[2], y[1]+ or E") from None
        problem = self._out_of_range(addr)
        if problem:
            raise SpecError(f"{text!r} points nowhere: {problem}", file=self.source, key=key,
                            expected="an address that exists in this network")
        return addr

    def _out_of_range(self, addr) -> str | None:
        sizes = self.sizes
        if addr.layer is not None and not 1 <= addr.layer <= self.depth:
            return f"layers are 1..{self.depth}"
        if addr.kind == "x" and addr.index[0] > sizes[0]:
            return f"there are {sizes[0]} inputs"
        if addr.kind == "d" and addr.index[0] > sizes[-1]:
            return f"there are {sizes[-1]} outputs"
        if addr.layer is not None:
            if addr.index and addr.index[0] > sizes[addr.layer]:
                return f"layer {addr.layer} has {sizes[addr.layer]} units"
            if addr.kind in ("w", "dE/dw") and addr.index[1] > sizes[addr.layer - 1]:
                return f"layer {addr.layer} has {sizes[addr.layer - 1]} inputs"
            if addr.kind in ("b", "dE/db") and not self.layers[addr.layer - 1].bias:
                return f"layer {addr.layer} has no bias"
        return None

    # -- the rest of the pipeline (layers above spec: connected by PIPELINE) ------------------
    def with_(self, **changes: Any) -> Network:
        return replace(self, **changes)

    def derive(self, **kwargs: Any):
        """The δ recurrence and gradients (`symprop.derive.backprop.derive`)."""
        return PIPELINE["derive"](self, **kwargs)

    def worked_example(self):
        """The spec's [example] step, exactly (`symprop.derive.example.worked_example`)."""
        return PIPELINE["worked_example"](self)

    def compile(self, dtype: str = "float64", **kwargs: Any):
        """Compiled kernels (`symprop.runtime.kernels.compile_network`)."""
        return PIPELINE["compile"](self, dtype=dtype, **kwargs)


# The stages a Network hands itself to. They live in layers above this one, which spec must not
# import; the package's face (`symprop/__init__.py`) fills this table with lazy forwarders.
PIPELINE: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
def count_parameters(network: Network) -> int:
    """Weights and biases of ``network`` (from its layer sizes; nothing is allocated)."""
    sizes = network.sizes
    return sum(layer.units * (sizes[l] + layer.bias) for l, layer in enumerate(network.layers))


def check_name(name: object, *, file: str | None, key: str,
               limit_name: str = "name_chars") -> None:
    """Refuse a name that cannot be typeset: not a string, empty, too long or with control
    characters (NUL, escapes, invisible format characters)."""
    if not isinstance(name, str) or not name:
        raise SpecError("not a name", file=file, key=key, expected="a non-empty string",
                        got=name)
    check_limit(limit_name, len(name), file=file, key=key, what="characters")
    bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")),
               None)
    if bad is not None:
        raise SpecError(f"a character that cannot be typeset ({ascii(bad)})", file=file,
                        key=key, expected="printable characters only", got=name)


def refuse_unknown(table: dict, allowed: tuple[str, ...] | list[str], *, file: str | None,
                   key: str) -> None:
    """Refuse the first key of ``table`` not in ``allowed``, suggesting the closest one."""
    for name in table:
        if name not in allowed:
            shown = str(name) if len(str(name)) <= 40 else str(name)[:40] + "…"
            full = f"{key}.{shown}" if key else shown
            lower = {k.lower(): k for k in allowed}       # w2 -> W2 too
            close = difflib.get_close_matches(str(name).lower(), list(lower), n=1)
            hint = f"did you mean {lower[close[0]]!r}? " if close else ""
            raise SpecError(f"unknown key ({hint}known: {', '.join(allowed)})",
                            file=file, key=full)


def _check_layer(layer: Dense, key: str, where: str | None) -> None:
    units = layer.units
    if not (isinstance(units, int) and not isinstance(units, bool) and units >= 1):
        raise SpecError("bad unit count", file=where, key=f"{key}.units",
                        expected="a positive integer", got=layer.units)
    if not isinstance(layer.activation, str) or activation_traits(layer.activation) is None:
        raise SpecError("unknown activation", file=where, key=f"{key}.activation",
                        expected="one of " + ", ".join(activation_names()), got=layer.activation)
    if not isinstance(layer.bias, bool):
        raise SpecError("bad bias flag", file=where, key=f"{key}.bias",
                        expected="true or false", got=layer.bias)


_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)")
_NON_FINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan",
               "-nan", "oo", "-oo", "zoo"}


def exact(value: Any, *, file: str | None, key: str) -> sp.Rational:
    """A number as written (TOML float, int or string like "0.1" or "1/3") as an exact rational.

    Only finite numbers, with at most `number_digits` digits and a decimal exponent of at
    most `number_exponent` either way, so exact arithmetic on them stays fast.
    """
    import sympy as sp

    def not_finite() -> SpecError:
        return SpecError("not a finite number", file=file, key=key, expected="a finite number",
                         got=value)

    if isinstance(value, bool):
        raise SpecError("not a number", file=file, key=key, expected="a number", got=value)
    if isinstance(value, int):
        _check_digits(abs(value), file=file, key=key)
        return sp.Integer(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise not_finite()
        _check_magnitude(value, file=file, key=key)
        return sp.Rational(repr(value))
    if isinstance(value, sp.Rational):
        _check_digits(abs(value.p), file=file, key=key)
        _check_digits(value.q, file=file, key=key)
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NON_FINITE:
            raise not_finite()
        fraction = _FRACTION.fullmatch(text)
        if fraction:
            num, den = fraction.groups()
            for part in (num, den):
                check_limit("number_digits", len(part.lstrip("+-0")), file=file, key=key,
                            what="digits")
            if int(den) == 0:
                raise not_finite()
            return sp.Rational(int(num), int(den))
        decimal = _DECIMAL.fullmatch(text)
        if decimal and (decimal.group(2) or decimal.group(3)):
            _sign, whole, frac, exp = decimal.groups()
            frac = frac or ""
            digits = (whole + frac).lstrip("0")
            check_limit("number_digits", len(digits), file=file, key=key, what="digits")
            if digits:      # the power of ten of the first significant digit
                first = len(whole.lstrip("0")) - 1 if whole.strip("0") \
                    else -(len(frac) - len(frac.lstrip("0")) + 1)
                power = 0 if exp is None else int(exp) if len(exp) <= 50 else 10**50
                check_limit("number_exponent", abs(first + power),
                            file=file, key=key, what="as a power of ten (the exponent)")
            return sp.Rational(text)
    raise SpecError("not a number", file=file, key=key, expected="a number such as 0.35 or '1/3'",
                    got=value)


def _check_digits(n: int, *, file: str | None, key: str) -> None:
    """Refuse an integer (numerator or denominator) longer than `number_digits` digits."""
    if n.bit_length() > limit("number_digits") * 3.33:     # before str(), which may refuse
        check_limit("number_digits", int(n.bit_length() * math.log10(2)) + 1, file=file,
                    key=key, what="digits")
    check_limit("number_digits", len(str(n)), file=file, key=key, what="digits")


def _check_magnitude(x: float, *, file: str | None, key: str) -> None:
    """Refuse a float whose decimal exponent is beyond `number_exponent` either way."""
    if x != 0:
        check_limit("number_exponent", abs(math.floor(math.log10(abs(x)))), file=file, key=key,
                    what="as a power of ten (the exponent)")


def _check_weights(net: Network, weights: dict[str, Any]) -> dict[str, tuple]:
    shapes = net.param_shapes()
    checked: dict[str, tuple] = {}
    for name, value in weights.items():
        key = f"weights.{name}"
        if name not in shapes:
            refuse_unknown({name: value}, list(shapes), file=net.source, key="weights")
        shape = shapes[name]
        if hasattr(value, "tolist"):
            value = value.tolist()
        if len(shape) == 2:
            ok = isinstance(value, list | tuple) and len(value) == shape[0] and all(
                isinstance(r, list | tuple) and len(r) == shape[1] for r in value)
            if not ok:
                raise SpecError("wrong matrix shape", file=net.source, key=key,
                                expected=f"{shape[0]} rows of {shape[1]} numbers "
                                f"(row = receiving unit)", got=value)
            checked[name] = tuple(
                tuple(exact(v, file=net.source, key=f"{key}[{r + 1}][{c + 1}]")
                      for c, v in enumerate(row)) for r, row in enumerate(value))
        else:
            if not (isinstance(value, list | tuple) and len(value) == shape[0]):
                raise SpecError("wrong vector length", file=net.source, key=key,
                                expected=f"{shape[0]} numbers", got=value)
            checked[name] = tuple(exact(v, file=net.source, key=f"{key}[{r + 1}]")
                                  for r, v in enumerate(value))
    return checked


def _check_example(net: Network, ex: Example) -> None:
    if len(ex.input) != net.n_inputs:
        raise SpecError("wrong input length", file=net.source, key="example.input",
                        expected=f"{net.n_inputs} numbers", got=list(map(str, ex.input)))
    if len(ex.target) != net.sizes[-1]:
        raise SpecError("wrong target length", file=net.source, key="example.target",
                        expected=f"{net.sizes[-1]} numbers", got=list(map(str, ex.target)))


#: activations whose outputs lie in [-1, 1] whatever the net input (others pass it on)
_BOUNDED_OUTPUTS = frozenset({"sigmoid", "tanh", "softmax", "step", "sign", "threshold"})


def _check_example_size(net: Network) -> None:
    """Refuse a worked example whose net inputs may exceed `example_net_magnitude`: an upper
    bound from |w|·max|input| + |b| layer by layer, computed before any exact arithmetic."""
    if not all(name in net.weights for name in net.param_shapes()):
        return
    largest = max((abs(float(v)) for v in net.example.input), default=0.0)
    for l, layer in enumerate(net.layers, start=1):
        rows = net.weights[f"W{l}"]
        bias = net.weights.get(f"b{l}", (0,) * layer.units)
        bound = max(sum(abs(float(w)) for w in row) * largest + abs(float(b))
                    for row, b in zip(rows, bias, strict=True))
        check_limit("example_net_magnitude", math.ceil(bound), file=net.source,
                    key=f"weights.W{l}", what=f"as the largest net input of layer {l} "
                    "(at most)")
        largest = 1.0 if layer.activation in _BOUNDED_OUTPUTS else bound + 1.0


def _check_notation(net: Network) -> None:
    where = net.source
    notation = net.notation
    refuse_unknown(notation, SPEC_KEYS["notation"], file=where, key="notation")
    for name, value in notation.items():
        if name in NOTATION_EXTRA_KEYS:
            continue
        key = f"notation.{name}"
        if name == "indices":
            if not isinstance(value, list | tuple) or not value:
                raise SpecError("not a list of index letters", file=where, key=key,
                                expected='a list of strings such as ["k", "j", "i"]', got=value)
            for i, letter in enumerate(value, start=1):
                check_name(letter, file=where, key=f"{key}[{i}]", limit_name="notation_chars")
        else:
            check_name(value, file=where, key=key, limit_name="notation_chars")
    check_notation(notation, where)     # symbols: the LaTeX whitelist, before any LaTeX is made
    order = notation["weight_order"]
    if order not in ("kj", "jk"):
        raise SpecError("bad weight index order", file=net.source, key="notation.weight_order",
                        expected="'kj' (w_{k,j}, receiving unit first) or 'jk'", got=order)


# ---------------------------------------------------------------------------------------------
def load(path: str | Path) -> Network:
    """Read a TOML spec file into a `Network`."""
    path = Path(path)
    where = str(path)
    data = _parse(read_text(path, limit_name="spec_bytes"), where)
    return from_dict(data, source=where, name=path.stem)


def loads(text: str, name: str = "network") -> Network:
    check_limit("spec_bytes", len(text), file="<string>", what="characters")
    return from_dict(_parse(text, "<string>"), source="<string>", name=name)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML ({exc})", file=where) from None
    except ValueError:      # an integer past Python's digit limit: say where it is
        long = re.search(rf"\d{{{limit('number_digits') + 1},}}", text)
        line = f" on line {text.count(chr(10), 0, long.start()) + 1}" if long else ""
        raise SpecError(f"a number with too many digits{line}", file=where,
                        expected=f"at most {limit('number_digits')} digits") from None
    except RecursionError:
        raise SpecError("arrays or tables nested too deeply", file=where) from None


def from_dict(data: dict[str, Any], source: str | None = None, name: str = "network") -> Network:
    """Build a `Network` from the parsed TOML tables, checking every key."""
    where = source
    refuse_unknown(data, SPEC_KEYS[""], file=where, key="")
    own_activations, own_losses = _formula_rows(data, where)
    net = _table(data, "network", where, required=True)
    refuse_unknown(net, SPEC_KEYS["network"], file=where, key="network")
    if "inputs" not in net:
        raise SpecError("missing key", file=where, key="network.inputs",
                        expected="an integer or a list of input names")
    raw_layers = net.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise SpecError("missing layers", file=where, key="network.layers",
                        expected="one or more [[network.layers]] tables")
    check_limit("network_layers", len(raw_layers), file=where, key="network.layers")
    layers = []
    for i, raw in enumerate(raw_layers, start=1):
        key = f"network.layers[{i}]"
        if not isinstance(raw, dict):
            raise SpecError("not a table", file=where, key=key,
                            expected="a [[network.layers]] table")
        refuse_unknown(raw, SPEC_KEYS["network.layers"], file=where, key=key)
        if "units" not in raw:
            raise SpecError("missing key", file=where, key=f"{key}.units",
                            expected="a positive integer")
        layer = object.__new__(Dense)
        object.__setattr__(layer, "units", raw["units"])
        activation = raw.get("activation", "sigmoid")
        if isinstance(activation, str):
            activation = own_activations.get(activation, activation)
        object.__setattr__(layer, "activation", activation)
        object.__setattr__(layer, "bias", raw.get("bias", True))
        _check_layer(layer, key, where)
        layers.append(layer)
    loss_name = net.get("loss", "sse")
    if isinstance(loss_name, str):
        loss_name = own_losses.get(loss_name, loss_name)
        if loss_name not in own_losses.values() and not is_builtin_loss(loss_name):
            known = [*(n for n in loss_names() if is_builtin_loss(n)), *own_losses]
            raise SpecError("unknown loss", file=where, key="network.loss",
                            expected="one of " + ", ".join(known), got=net.get("loss"))
    relu0 = exact(net.get("relu_derivative_at_zero", 0), file=where,
                  key="network.relu_derivative_at_zero")
    example = None
    if "example" in data:
        ex = _table(data, "example", where)
        refuse_unknown(ex, SPEC_KEYS["example"], file=where, key="example")
        for needed in ("input", "target"):
            if not isinstance(ex.get(needed), list):
                raise SpecError("missing or not a list", file=where, key=f"example.{needed}",
                                expected="a list of numbers")
        example = Example(
            tuple(exact(v, file=where, key=f"example.input[{i + 1}]")
                  for i, v in enumerate(ex["input"])),
            tuple(exact(v, file=where, key=f"example.target[{i + 1}]")
                  for i, v in enumerate(ex["target"])),
            exact(ex.get("learning_rate", 1), file=where, key="example.learning_rate"),
        )
    strings = {}
    for table in ("labels", "claims", "formulas"):
        raw = _table(data, table, where)
        for k, v in raw.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise SpecError("not a string", file=where, key=f"{table}.{k}",
                                expected="a string such as \"0.68\"", got=v)
        strings[table] = {k: (v if isinstance(v, str) else repr(v)) for k, v in raw.items()}
    return Network(
        inputs=net["inputs"], layers=tuple(layers), loss=loss_name,
        weights=_table(data, "weights", where), example=example,
        labels=strings["labels"], notation=_table(data, "notation", where),
        claims=strings["claims"], formulas=strings["formulas"], name=name,
        relu_at_zero=relu0, source=where,
    )


def _formula_rows(data: dict, where: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The spec's own ``[activations.NAME]`` and ``[losses.NAME]`` rows, each registered under
    its content key: name → key. Only this spec's layers see them by name."""
    from .derive.rules import BUILTIN_ACTIVATION_ROWS, BUILTIN_LOSS_ROWS, Activation, Loss

    found: tuple[dict[str, str], dict[str, str]] = ({}, {})
    for table, builtin, field_name, out in (
            ("activations", BUILTIN_ACTIVATION_ROWS, "formula", found[0]),
            ("losses", BUILTIN_LOSS_ROWS, "term", found[1])):
        rows = _table(data, table, where)
        check_limit("formula_rows", len(rows), file=where, key=table)
        for name, raw in rows.items():
            key = f"{table}.{str(name)[:40]}"
            check_name(name, file=where, key=key)
            if name in builtin:
                raise SpecError(f"{name!r} is a built-in {table[:-1]}", file=where, key=key,
                                expected="another name for your own row")
            if not isinstance(raw, dict):
                raise SpecError("not a table", file=where, key=key,
                                expected=f"a [{table}.{name}] table with {field_name} = ...")
            refuse_unknown(raw, SPEC_KEYS[f"{table}.NAME"], file=where, key=key)
            if field_name not in raw:
                raise SpecError("missing key", file=where, key=f"{key}.{field_name}",
                                expected="a formula as a string")
            if table == "activations":
                row = Activation.from_formula(
                    name, raw["formula"], latex=raw.get("latex"),
                    parameters=raw.get("parameters"),
                    derivative_at_kinks=raw.get("derivative_at_kinks"), file=where, key=key)
            else:
                row = Loss.from_formula(name, raw["term"],
                                        parameters=raw.get("parameters"), file=where, key=key)
            out[name] = row.key
    return found


def _table(data: dict, key: str, where: str | None, required: bool = False) -> dict:
    value = data.get(key)
    if value is None:
        if required:
            raise SpecError("missing table", file=where, key=key, expected=f"a [{key}] table")
        return {}
    if not isinstance(value, dict):
        raise SpecError("not a table", file=where, key=key, expected=f"a [{key}] table")
    return value
