"""Perceptron and McCulloch-Pitts networks through a generated ``@njit`` kernel.

The exact reference is :func:`symprop.derive.perceptron.train` (rationals, with a proof of
cycling). This module renders ``templates/perceptron.py.jinja`` for one network into a real
Python file in the kernel cache, content-hashed, imports it as a module (so numba's on-disk cache
works) and runs the rule there. On integer-valued data with a dyadic learning rate (1, 0.5, …)
every float64 operation is exact, so the kernel reproduces the reference bit for bit: the same
weights, the same mistakes per epoch and the same epoch at which the weights come back.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import jinja2
import numpy as np

from ..codegen.cache import cache_dir, folder_tag, import_file
from ..errors import SpecError
from ..io import write_atomic
from ..units import activation_traits

_UNROLL = 8          # sums over at most this many inputs are written out term by term

# status codes returned by the generated train_epochs
LIMIT, CONVERGED, CYCLE = 0, 1, 2


def load_generated(source: str, stem: str) -> tuple[ModuleType, Path]:
    """Write ``source`` into the kernel cache under a content-hashed name and import it.

    A real file registered in ``sys.modules`` before it runs is what lets ``@njit(cache=True)``
    reuse its compiled code across processes (code run through ``exec`` cannot).
    """
    ast.parse(source)                       # a template bug fails here, not inside numba
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:24]
    folder = cache_dir()
    path = folder / f"symprop_{stem}_{digest}.py"
    name = f"_symprop_{stem}_{digest}_{folder_tag(folder)}"
    if name in sys.modules:
        return sys.modules[name], path
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        write_atomic(path, source)
    return import_file(path, name), path


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)


def _number(value: int) -> str:
    return f"{float(value)!r}"


def _net_expr(W: str, b: str | None, inputs: str, n_in: int, s: str = "s") -> str:
    """Σ_i W[k, i]·in[s, i] (+ b[k]), term by term for small layers, left to right."""
    if n_in <= _UNROLL:
        terms = [f"{W}[k, {i}] * {inputs}[{s}, {i}]" for i in range(n_in)]
    else:
        terms = [f"_dot({W}[k], {inputs}[{s}])"]
    if b is not None:
        terms.append(f"{b}[k]")
    return " + ".join(terms)


def render(network) -> str:
    """The generated module's source for a network of threshold units."""
    _check_threshold(network)
    sizes = network.sizes
    shapes = network.param_shapes()
    layers = []
    for l, layer in enumerate(network.layers, start=1):
        low, high = activation_traits(layer.activation).outputs
        layers.append({
            "l": l, "units": layer.units, "activation": layer.activation,
            "low": _number(low), "high": _number(high),
            "net": _net_expr(f"W{l}", f"b{l}" if layer.bias else None, f"out{l - 1}",
                             sizes[l - 1]),
        })
    trainable = network.depth == 1
    context = {
        "sizes": tuple(sizes), "param_names": tuple(shapes),
        "summary": describe(network), "layers": layers, "trainable": trainable,
        "forward_args": ", ".join(["X", *shapes]),
    }
    if trainable:
        layer = network.layers[0]
        n_in = sizes[0]
        slots = [f"W1[{k}, {i}]" for k in range(layer.units) for i in range(n_in)]
        updates = [f"W1[k, {i}] += step * X[s, {i}]" for i in range(n_in)] \
            if n_in <= _UNROLL else ["for i in range(X.shape[1]):",
                                     "    W1[k, i] += step * X[s, i]"]
        if layer.bias:
            slots += [f"b1[{k}]" for k in range(layer.units)]
            updates.append("b1[k] += step")
        context.update({
            "train_args": ", ".join(shapes), "units": layer.units, "state_slots": slots,
            "train_net": _net_expr("W1", "b1" if layer.bias else None, "X", n_in),
            "updates": updates,
        })
    source = _environment().get_template("perceptron.py.jinja").render(**context)
    if any(n > _UNROLL for n in sizes[:-1]):
        source += _DOT
    return source


_DOT = '''

@njit(cache=True)
def _dot(w, x):
    total = 0.0
    for i in range(w.shape[0]):
        total += w[i] * x[i]
    return total
'''


def describe(network) -> str:
    parts = [f"{network.n_inputs} inputs"]
    for l, layer in enumerate(network.layers, start=1):
        kind = "McCulloch-Pitts" if layer.activation == "threshold" else layer.activation
        parts.append(f"layer {l}: {layer.units} {kind} unit(s)"
                     f"{'' if layer.bias else ' without bias'}")
    return "; ".join(parts)


def _check_threshold(network) -> None:
    if not network.is_perceptron:
        raise SpecError("perceptron kernels need threshold units", file=network.source,
                        key="network.layers", expected="activation step, sign or threshold")


@dataclass(frozen=True)
class PerceptronResult:
    """What one run of the perceptron rule did; ``statement`` says it in words."""

    params: dict[str, np.ndarray]
    converged: bool
    epochs: int
    errors: tuple[int, ...]
    cycle_from: int | None
    statement: str

    @property
    def history(self) -> dict[str, list[float]]:
        """Mistakes per epoch as a loss curve (misclassified fraction), like the MLP's."""
        return {"errors": list(self.errors)}


class PerceptronKernels:
    """The generated module of one threshold network, with NumPy-facing wrappers."""

    def __init__(self, network, dtype: str = "float64") -> None:
        _check_threshold(network)
        if dtype not in ("float64", "float32"):
            raise SpecError("unknown dtype", key="dtype", expected="float64 or float32",
                            got=dtype)
        self.network = network
        self.dtype = np.dtype(dtype)
        self.source = render(network)
        self.module, self.path = load_generated(self.source, "perceptron")

    # -- parameters ------------------------------------------------------------------------
    def init_params(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """The spec's ``[weights]`` where given, else zeros: the rule's classic start.

        ``seed`` is accepted for symmetry with the MLP kernels; the rule needs no randomness.
        """
        params = {}
        for name, shape in self.network.param_shapes().items():
            given = self.network.weights.get(name)
            value = np.zeros(shape) if given is None else np.array(given, dtype=np.float64)
            params[name] = np.ascontiguousarray(value, dtype=self.dtype)
        return params

    def _args(self, params: dict[str, np.ndarray]) -> list[np.ndarray]:
        shapes = self.network.param_shapes()
        missing = [k for k in shapes if k not in params]
        if missing:
            raise SpecError("missing parameters", key="params", expected=", ".join(shapes),
                            got=sorted(params))
        args = []
        for name, shape in shapes.items():
            value = np.ascontiguousarray(params[name], dtype=self.dtype)
            if value.shape != shape:
                raise SpecError("wrong parameter shape", key=f"params.{name}",
                                expected=str(shape), got=value.shape)
            args.append(value)
        return args

    def _X(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.network.n_inputs:
            raise SpecError("wrong input shape", key="X",
                            expected=f"(n, {self.network.n_inputs})", got=X.shape)
        return X

    # -- running ---------------------------------------------------------------------------
    def forward(self, params: dict[str, np.ndarray], X) -> np.ndarray:
        """Unit outputs of the last layer, shape (n, units)."""
        return self.module.forward(self._X(X), *self._args(params))

    predict = forward

    def train(self, params: dict[str, np.ndarray], X, Y, *, learning_rate: float = 1.0,
              max_epochs: int = 1000) -> PerceptronResult:
        """Rosenblatt's rule until an epoch without mistakes, a repeated state, or the limit.

        ``params`` is not modified. The result's statement says which of the three happened.
        """
        net = self.network
        if net.depth != 1:
            raise SpecError("the perceptron rule trains one layer of threshold units",
                            file=net.source, key="network.layers",
                            expected="exactly one [[network.layers]] (multi-layer threshold "
                            "networks have no learning rule: give their weights)")
        if not (isinstance(max_epochs, int) and max_epochs >= 1):
            raise SpecError("bad epoch limit", key="max_epochs", expected="an integer >= 1",
                            got=max_epochs)
        X = self._X(X)
        Y = np.ascontiguousarray(Y, dtype=self.dtype)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        layer = net.layers[0]
        if Y.shape != (X.shape[0], layer.units):
            raise SpecError("wrong target shape", key="Y",
                            expected=f"({X.shape[0]}, {layer.units})", got=Y.shape)
        low, high = activation_traits(layer.activation).outputs
        bad = ~np.isin(Y, (low, high))
        if bad.any():
            row = int(np.argwhere(bad)[0][0]) + 1
            raise SpecError(f"target {Y[bad][0]:g} in row {row} is not an output of a "
                            f"{layer.activation} unit", key="data",
                            expected=f"targets in {{{low}, {high}}}")
        args = [a.copy() for a in self._args(params)]
        errors = np.zeros(max_epochs, dtype=np.int64)
        states = np.empty((max_epochs, layer.units * (net.n_inputs + int(layer.bias))),
                          dtype=self.dtype)
        epochs, status, first = self.module.train_epochs(
            *args, X, Y, self.dtype.type(learning_rate), max_epochs, errors, states)
        epochs, status, first = int(epochs), int(status), int(first)
        done = dict(zip(net.param_shapes(), args, strict=True))
        run_errors = tuple(int(e) for e in errors[:epochs])
        if status == CONVERGED:
            text = (f"converged after {epochs} epochs: every sample is classified correctly")
        elif status == CYCLE:
            text = (f"not linearly separable: after epoch {epochs} the weights are back to "
                    f"where they were at the start of epoch {first}, so the perceptron rule "
                    "cycles forever and never converges "
                    f"({run_errors[-1] if run_errors else 0} mistakes in the last epoch)")
        else:
            text = (f"did not converge within {max_epochs} epochs "
                    f"({run_errors[-1]} mistakes in the last epoch)")
        return PerceptronResult(done, status == CONVERGED, epochs, run_errors,
                                first if status == CYCLE else None, text)


def compile_perceptron(network, dtype: str = "float64") -> PerceptronKernels:
    """Generate, write, import and wrap the kernel module of a threshold network."""
    return PerceptronKernels(network, dtype=dtype)
