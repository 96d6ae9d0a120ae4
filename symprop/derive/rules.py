"""The rule table: one row per activation and per loss, and every fact about it on that row.

A row holds its definition (a function of a SymPy expression), its display name, its traits and
the range of values it can output. Everything else — f', and f' written in the unit's *output*
(σ' = σ(1−σ), tanh' = 1−tanh²) — is derived from the definition by SymPy and proven there
(`symprop.derive.derivatives`). Adding an activation or a loss is one row here.

This module does not import SymPy: reading a spec, checking names and finding cached kernels
need the rows' names and traits only, and SymPy costs most of a second to import. A definition
imports SymPy when it is called.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from ..errors import SpecError


def _sp() -> Any:
    return importlib.import_module("sympy")


@dataclass(frozen=True)
class Activation:
    """One activation function. ``definition`` maps a SymPy expression z to f(z).

    ``layerwise`` rows (softmax) normalise over the layer: y_k = f(z_k) / Σ_j f(z_j).
    """

    name: str
    definition: Callable[[Any], Any]
    latex: str                                  # LaTeX name of f, e.g. r"\sigma"
    differentiable: bool = True
    layerwise: bool = False                     # softmax: f depends on the whole layer
    stable: Callable[[Any], Any] | None = None  # equal to definition, safe in floats
    outputs: tuple[int, int] | None = None      # output values of a threshold unit (low, high)
    # the infimum and supremum of f (targets outside can never be reached); None: not declared
    output_range: tuple[float, float] | None = None
    note: str = ""
    # a row made from a user's formula (`from_formula`); built-in rows leave these empty
    formula: str | None = None
    parameters: tuple[tuple[str, Any], ...] = ()
    kinks: tuple[Any, ...] = ()                 # points where f' jumps
    derivative_at_kinks: Any = None             # f' there, when declared (else the network's)
    digest: str = ""                            # content hash of the formula's row

    def __call__(self, z: Any) -> Any:
        return self.definition(z)

    def __repr__(self) -> str:
        return _formula_repr(self) if self.formula is not None else _field_repr(self)

    @property
    def key(self) -> str:
        """The row's key in `ACTIVATIONS`: the name, plus the content hash for a formula's row
        (two specs may give one name two formulas in one process)."""
        return f"{self.name}@{self.digest}" if self.digest else self.name

    @classmethod
    def from_formula(cls, name: str, formula: str, *, latex: str | None = None,
                     parameters: dict[str, Any] | None = None,
                     derivative_at_kinks: Any = None, file: str | None = None,
                     key: str | None = None) -> Activation:
        """A row from a formula in z (checked; `SpecError` naming ``key``), registered in
        `ACTIVATIONS` under its content key: ``Dense(4, row)`` and ``Dense(4, name)`` use it."""
        _refuse_builtin(name, BUILTIN_ACTIVATION_ROWS, "activation", file, key)
        read = _formula_rows().read_activation(
            name, formula, latex=latex, parameters=parameters,
            derivative_at_kinks=derivative_at_kinks, file=file, key=key)
        row = cls(name, FormulaDefinition(read.expr, read.variables), read.latex,
                  formula=read.text, parameters=read.parameters, kinks=read.kinks,
                  derivative_at_kinks=read.derivative_at_kinks, digest=read.digest,
                  note=f"f(z) = {read.text}")
        return register_activation(row)

    def layer(self, nets: list) -> list:
        """The outputs of a whole layer from its net inputs (the one place softmax is written)."""
        if not self.layerwise:
            return [self.definition(z) for z in nets]
        values = [self.definition(z) for z in nets]
        total = _sp().Add(*values)
        return [v / total for v in values]


def _sigmoid(z: Any) -> Any:
    return 1 / (1 + _sp().exp(-z))


def _sigmoid_stable(z: Any) -> Any:
    # e = exp(-|z|) never overflows; the kernels compute it once, pick the numerator (1 or e) with
    # a select instead of a branch (the loop kernels vectorise it) and divide once: one rounding,
    # and no multiply after the division on a sample's dependency chain
    sp = _sp()
    e = sp.exp(-sp.Abs(z))
    return sp.Piecewise((1, z >= 0), (e, True)) / (1 + e)


def _step(low: int) -> Callable[[Any], Any]:
    return lambda z: _sp().Piecewise((1, z >= 0), (low, True))


INF = math.inf
ACTIVATIONS: dict[str, Activation] = {
    row.name: row
    for row in (
        Activation("linear", lambda z: z, r"\mathrm{id}", output_range=(-INF, INF)),
        Activation("sigmoid", _sigmoid, r"\sigma", stable=_sigmoid_stable,
                   output_range=(0.0, 1.0)),
        Activation("tanh", lambda z: _sp().tanh(z), r"\tanh", output_range=(-1.0, 1.0)),
        Activation("relu", lambda z: _sp().Max(0, z), r"\mathrm{ReLU}", output_range=(0.0, INF)),
        Activation("softplus", lambda z: _sp().log(1 + _sp().exp(z)), r"\mathrm{softplus}",
                   output_range=(0.0, INF)),
        Activation("softmax", lambda z: _sp().exp(z), r"\mathrm{softmax}",
                   layerwise=True, output_range=(0.0, 1.0),
                   note="y_k = exp(net_k) / sum_j exp(net_j)"),
        Activation("step", _step(0), r"\mathrm{step}", differentiable=False, outputs=(0, 1),
                   output_range=(0.0, 1.0)),
        Activation("sign", _step(-1), r"\varphi", differentiable=False, outputs=(-1, 1),
                   output_range=(-1.0, 1.0)),
        Activation("threshold", _step(0), r"\theta", differentiable=False, outputs=(0, 1),
                   output_range=(0.0, 1.0),
                   note="McCulloch-Pitts: 1 if net >= T else 0, with T = -b"),
    )
}
BUILTIN_ACTIVATION_ROWS: dict[str, Activation] = dict(ACTIVATIONS)


@dataclass(frozen=True)
class Loss:
    """One loss. ``term(y, d, K)`` is one output unit's share; E = Σ_k term(y_k, d_k)."""

    name: str
    term: Callable[[Any, Any, Any], Any]
    latex: str                                  # E in the lecture's notation
    differentiable: bool = True
    probabilistic: bool = False                 # needs outputs in (0, 1)
    one_hot: bool = False                       # targets sum to one (δ = y − d with softmax)
    formula: str | None = None                  # a row made from a user's term (`from_formula`)
    parameters: tuple[tuple[str, Any], ...] = ()
    digest: str = ""

    def __repr__(self) -> str:
        return _formula_repr(self) if self.formula is not None else _field_repr(self)

    @property
    def key(self) -> str:
        """The row's key in `LOSSES` (the name, plus the content hash for a formula's row)."""
        return f"{self.name}@{self.digest}" if self.digest else self.name

    @classmethod
    def from_formula(cls, name: str, term: str, *, latex: str | None = None,
                     parameters: dict[str, Any] | None = None, file: str | None = None,
                     key: str | None = None) -> Loss:
        """A row from one output's term in y and d, E = Σ_k term(y_k, d_k); registered in
        `LOSSES` under its content key. Finite only for y in (0, 1): probabilistic."""
        _refuse_builtin(name, BUILTIN_LOSS_ROWS, "loss", file, key)
        read = _formula_rows().read_loss(name, term, latex=latex, parameters=parameters,
                                         file=file, key=key)
        shown = _loss_latex(read.expr, read.variables)
        row = cls(name, FormulaDefinition(read.expr, read.variables), shown,
                  probabilistic=read.probabilistic, formula=read.text,
                  parameters=read.parameters, digest=read.digest)
        return register_loss(row)


def _half() -> Any:
    return _sp().Rational(1, 2)


LOSSES: dict[str, Loss] = {
    row.name: row
    for row in (
        Loss("sse", lambda y, d, k: _half() * (y - d) ** 2,
             r"E = \frac{1}{2} \sum_{k} (y_k - d_k)^2"),
        Loss("mse", lambda y, d, k: (y - d) ** 2 / k,
             r"E = \frac{1}{K} \sum_{k} (y_k - d_k)^2"),
        Loss("log", lambda y, d, k: -(d * _sp().log(y) + (1 - d) * _sp().log(1 - y)),
             r"E = -\sum_{k} \left[ d_k \ln y_k + (1 - d_k) \ln (1 - y_k) \right]",
             probabilistic=True),
        Loss("cross-entropy", lambda y, d, k: -d * _sp().log(y),
             r"E = -\sum_{k} d_k \ln y_k", probabilistic=True, one_hot=True),
        Loss("zero-one", lambda y, d, k: _sp().Piecewise((0, _sp().Eq(y, d)), (1, True)),
             r"E = \sum_{k} [y_k \neq d_k]", differentiable=False),
    )
}
BUILTIN_LOSS_ROWS: dict[str, Loss] = dict(LOSSES)


def activation(name: str) -> Activation:
    return ACTIVATIONS[name]


def loss(name: str) -> Loss:
    return LOSSES[name]


# -- rows made from formulas ------------------------------------------------------------------
class FormulaDefinition:
    """A formula's SymPy expression as a row's definition: its variables replaced by the
    arguments (a class, not a closure, so that rows pickle to worker processes)."""

    def __init__(self, expr: Any, variables: tuple[Any, ...]) -> None:
        self.expr, self.variables = expr, variables

    def __call__(self, *args: Any) -> Any:
        return self.expr.xreplace(dict(zip(self.variables, args, strict=False)))

    def __repr__(self) -> str:
        return f"FormulaDefinition({self.expr})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FormulaDefinition) and (self.expr, self.variables) == (
            other.expr, other.variables)

    def __hash__(self) -> int:
        return hash((self.expr, self.variables))


def _formula_repr(row: Any) -> str:
    """How the row was made (short enough for an estimator's repr)."""
    extra = ""
    if row.parameters:
        extra += ", parameters={" + ", ".join(f"{k!r}: '{v}'" for k, v in row.parameters) + "}"
    if getattr(row, "derivative_at_kinks", None) is not None:
        extra += f", derivative_at_kinks='{row.derivative_at_kinks}'"
    return f"{type(row).__name__}.from_formula({row.name!r}, {row.formula!r}{extra})"


def _field_repr(row: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(row, f.name)!r}" for f in fields(row) if f.repr)
    return f"{type(row).__name__}({shown})"


def _refuse_builtin(name: str, builtin: dict, kind: str, file: str | None,
                    key: str | None) -> None:
    if isinstance(name, str) and name in builtin:
        raise SpecError(f"{name!r} is a built-in {kind}", file=file,
                        key=key or f"{kind}s.{name}", expected="another name for your own row")


def _formula_rows() -> Any:
    return importlib.import_module("symprop.formula.rows")


def _loss_latex(expr: Any, variables: tuple[Any, ...]) -> str:
    sp = _sp()
    y, d = variables
    shown = sp.latex(expr.xreplace({y: sp.Symbol("y_k"), d: sp.Symbol("d_k")}))
    return r"E = \sum_{k} \left(" + shown + r"\right)"


def register_activation(row: Activation) -> Activation:
    """Put a formula's row in the table under its content key (a second call is a no-op)."""
    ACTIVATIONS.setdefault(row.key, row)
    return ACTIVATIONS[row.key]


def register_loss(row: Loss) -> Loss:
    LOSSES.setdefault(row.key, row)
    return LOSSES[row.key]


def find_key(table: dict[str, Any], name: str) -> str | None:
    """The key of the row called ``name``: itself when it is a key, else the one formula row of
    that name (None when there is none or several: then the row itself must be passed)."""
    if name in table:
        return name
    found = [key for key, row in table.items() if row.digest and row.name == name]
    return found[0] if len(found) == 1 else None
