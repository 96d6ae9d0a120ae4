"""The training driver shared by ``symprop train``, the estimator and the demo.

One path, each step a function: data (a name, a CSV file or arrays) → checked against the
network (inputs, outputs, target ranges, finite values) → kernels compiled → trained, resumably
→ final metrics → plots → checkpoint. Threshold networks take the same path but are trained by
the perceptron rule (:mod:`symprop.runtime.perceptron`), which may end by proving that the data
is not linearly separable.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError, TrainingError
from ..units import activation_traits, loss_traits
from . import checkpoint as ckpt
from .datasets import Dataset, load_dataset
from .driver import not_finite, run_chunks
from .kernels import is_compiled


def output_range(activation: str) -> tuple[float, float]:
    """The values a unit can output, from its rule row (targets outside are never reached)."""
    traits = activation_traits(activation)
    found = None if traits is None else traits.output_range
    return found if found is not None else (-math.inf, math.inf)


@dataclass(frozen=True)
class Settings:
    """How to train. ``batch_size=None`` is full batch; ``max_epochs`` bounds the perceptron."""

    epochs: int = 100
    batch_size: int | None = 32
    learning_rate: float = 0.1
    momentum: float = 0.0
    shuffle: bool = True
    seed: int = 0
    dtype: str = "float64"
    max_epochs: int = 1000

    def __post_init__(self) -> None:
        def bad(key: str, expected: str, got: object) -> SpecError:
            return SpecError(f"bad {key.replace('_', ' ')}", key=key, expected=expected, got=got)

        if not _is_int(self.epochs) or self.epochs < 0:
            raise bad("epochs", "an integer >= 0", self.epochs)
        if self.batch_size is not None and (not _is_int(self.batch_size)
                                            or self.batch_size < 1):
            raise bad("batch_size", "an integer >= 1 (or none for full batch)", self.batch_size)
        if not _is_real(self.learning_rate) or self.learning_rate <= 0:
            raise bad("learning_rate", "a finite number > 0", self.learning_rate)
        if not _is_real(self.momentum) or not 0 <= self.momentum < 1:
            raise bad("momentum", "a number in [0, 1)", self.momentum)
        if not _is_int(self.seed) or self.seed < 0:
            raise bad("seed", "an integer >= 0", self.seed)
        if self.dtype not in ("float64", "float32"):
            raise bad("dtype", "float64 or float32", self.dtype)
        if not _is_int(self.max_epochs) or self.max_epochs < 1:
            raise bad("max_epochs", "an integer >= 1", self.max_epochs)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_real(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) \
        and math.isfinite(float(v))


# --- data ------------------------------------------------------------------------------------
def label_coding(network) -> str:
    """``pm1`` (−1/+1 targets) for sign and tanh outputs, else ``01``."""
    return "pm1" if network.layers[-1].activation in ("sign", "tanh") else "01"


def get_data(data: str | Path | Dataset | tuple, network, *, n: int | None = None,
             noise: float = 0.0, seed: int = 0, labels: str | None = None) -> Dataset:
    """A `Dataset` from a name (``xor``, ``spiral``…), a CSV path, a `Dataset` or ``(X, Y)``.

    Classification data is coded to suit the output layer: −1/+1 for sign/tanh outputs,
    one-hot columns for a softmax over two classes.
    """
    if isinstance(data, Dataset):
        ds = data
    elif isinstance(data, tuple):
        if len(data) != 2:
            raise SpecError("data as a tuple must be (X, Y)", key="data", got=len(data))
        X, Y = check_arrays(network, *data)
        task = "classification" if _looks_like_classes(network, Y) else "regression"
        ds = Dataset("arrays", X, Y, task, network.input_names[:X.shape[1]],
                     tuple(f"y{k + 1}" for k in range(Y.shape[1])))
    else:
        ds = load_dataset(data, n=n, noise=noise, seed=seed,
                          labels=labels or label_coding(network))
    return fit_targets(network, ds)


def _looks_like_classes(network, Y: np.ndarray) -> bool:
    act = network.layers[-1].activation
    return network.is_perceptron or act == "softmax" or \
        (act in ("sigmoid", "tanh") and np.isin(Y, (-1.0, 0.0, 1.0)).all())


def fit_targets(network, ds: Dataset) -> Dataset:
    """Check the data against the network; one-hot a 0/1 column for a 2-unit softmax."""
    where = ds.name
    if ds.n_features != network.n_inputs:
        raise SpecError(f"the network has {network.n_inputs} inputs but the data "
                        f"{where!r} has {ds.n_features} feature column(s)",
                        file=network.source, key="network.inputs",
                        expected=f"{ds.n_features} inputs to match the data")
    units = network.sizes[-1]
    Y = ds.Y
    if ds.task == "classification" and Y.shape[1] == 1 and units == 2 \
            and network.layers[-1].activation == "softmax":
        positive = Y[:, 0] > (0.0 if Y.min() < 0 else 0.5)
        Y = np.column_stack([~positive, positive]).astype(np.float64)
        ds = Dataset(ds.name, ds.X, Y, ds.task, ds.feature_names,
                     tuple(f"class {k}" for k in range(2)), 2, ds.class_names)
    if Y.shape[1] != units:
        hint = ""
        if ds.task == "classification" and ds.classes and ds.classes > 2 and units == 1:
            hint = f" ({ds.classes} classes need {ds.classes} softmax output units)"
        raise SpecError(f"the data {where!r} has {Y.shape[1]} target column(s) but the network "
                        f"has {units} output unit(s){hint}", file=network.source,
                        key=f"network.layers[{network.depth}].units",
                        expected=f"{Y.shape[1]} output units")
    check_arrays(network, ds.X, ds.Y, where=where)
    return ds


def check_arrays(network, X, Y, *, where: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Float64 2-D copies of ``X`` and ``Y``, or a `SpecError` saying what is wrong with them.

    Checks: numeric, 2-D (a 1-D ``Y`` is one column), rows of X = rows of Y, at least one row,
    X's columns = the network's inputs, Y's columns = its outputs, every value finite, and the
    targets inside what the output units and the loss can produce.
    """
    X = _numeric(X, "X", where)
    Y = _numeric(Y, "Y", where)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if X.ndim == 1 and network.n_inputs == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise SpecError("inputs must be a 2-D array, one row per sample", file=where, key="X",
                        expected=f"shape (n, {network.n_inputs})", got=X.shape)
    if Y.ndim != 2:
        raise SpecError("targets must be a 1-D or 2-D array, one row per sample", file=where,
                        key="Y", expected=f"shape (n, {network.sizes[-1]})", got=Y.shape)
    if X.shape[0] == 0:
        raise SpecError("empty dataset: no samples", file=where, key="X",
                        expected="at least one row")
    if X.shape[0] != Y.shape[0]:
        raise SpecError("inputs and targets have different numbers of rows", file=where,
                        key="Y", expected=f"{X.shape[0]} rows", got=Y.shape[0])
    if X.shape[1] != network.n_inputs:
        raise SpecError(f"the network has {network.n_inputs} inputs but X has {X.shape[1]} "
                        "columns", file=where, key="X",
                        expected=f"shape (n, {network.n_inputs})", got=X.shape)
    if Y.shape[1] != network.sizes[-1]:
        raise SpecError(f"the network has {network.sizes[-1]} output units but Y has "
                        f"{Y.shape[1]} columns", file=where, key="Y",
                        expected=f"shape (n, {network.sizes[-1]})", got=Y.shape)
    for name, a in (("X", X), ("Y", Y)):
        bad = ~np.isfinite(a)
        if bad.any():
            r, c = (int(i) + 1 for i in np.argwhere(bad)[0])
            raise SpecError(f"{int(bad.sum())} value(s) in {name} are NaN or infinite, the "
                            f"first in row {r}, column {c}", file=where, key=name,
                            expected="finite numbers only", got=float(a[r - 1, c - 1]))
    _check_target_range(network, Y, where)
    return X, Y


def _numeric(a, name: str, where: str) -> np.ndarray:
    try:
        return np.array(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(f"{name} is not an array of numbers", file=where, key=name,
                        expected="numbers (class names: use the estimator)") from None


def _check_target_range(network, Y: np.ndarray, where: str) -> None:
    layer = network.layers[-1]
    act = activation_traits(layer.activation)
    if act.outputs is not None:
        bad = ~np.isin(Y, act.outputs)
        if bad.any():
            raise SpecError(f"target {Y[bad][0]:g} is not an output of a {layer.activation} "
                            "unit", file=where, key="Y",
                            expected=f"targets in {{{act.outputs[0]}, {act.outputs[1]}}}")
        return
    loss = loss_traits(network.loss)
    if loss.probabilistic:
        if Y.min() < 0 or Y.max() > 1:
            raise SpecError(f"targets outside [0, 1] cannot be used with the {network.loss} "
                            "loss (it compares probabilities)", file=where, key="Y",
                            expected="targets in [0, 1]",
                            got=float(Y.min() if Y.min() < 0 else Y.max()))
        if loss.one_hot and Y.shape[1] > 1:
            sums = Y.sum(axis=1)
            if not np.allclose(sums, 1.0, atol=1e-9):
                row = int(np.argmax(np.abs(sums - 1.0))) + 1
                raise SpecError(f"target row {row} sums to {sums[row - 1]:g}: cross-entropy "
                                "needs one-hot (or probability) rows", file=where, key="Y",
                                expected="rows summing to 1")
    lo, hi = output_range(layer.activation)
    if Y.min() < lo or Y.max() > hi:
        value = float(Y.min() if Y.min() < lo else Y.max())
        raise SpecError(f"target {value:g} lies outside what a {layer.activation} output unit "
                        f"can produce ({_interval(lo, hi)})", file=where, key="Y",
                        expected=f"targets in {_interval(lo, hi)}, or another output "
                        "activation (linear for regression, softmax for several classes)",
                        got=value)


def _interval(lo: float, hi: float) -> str:
    def f(v: float) -> str:
        return "∞" if v == math.inf else f"{v:g}"
    return f"[{f(lo)}, {f(hi)}" + (")" if hi == math.inf else "]")


# --- metrics -----------------------------------------------------------------------------------
def class_midpoint(network, Y: np.ndarray) -> float:
    """Threshold of a one-output classifier: halfway between its two target values."""
    lo, hi = (0.0, 1.0) if Y.size == 0 else (float(Y.min()), float(Y.max()))
    if lo == hi:   # one class only in this data: use the output range's middle
        lo, hi = output_range(network.layers[-1].activation)
        lo, hi = (0.0 if lo == -math.inf else lo), (1.0 if hi == math.inf else hi)
    return (lo + hi) / 2


def accuracy(network, outputs: np.ndarray, Y: np.ndarray, midpoint: float | None = None
             ) -> float:
    """Fraction of rows whose predicted class (threshold or argmax) matches the target's."""
    outputs = np.asarray(outputs, dtype=np.float64).reshape(Y.shape)
    if Y.shape[1] == 1:
        cut = class_midpoint(network, Y) if midpoint is None else midpoint
        return float(np.mean((outputs[:, 0] >= cut) == (Y[:, 0] >= cut)))
    return float(np.mean(outputs.argmax(axis=1) == Y.argmax(axis=1)))


def r2_score(outputs: np.ndarray, Y: np.ndarray) -> float:
    """Coefficient of determination, averaged over the output columns (scikit-learn's)."""
    outputs = np.asarray(outputs, dtype=np.float64).reshape(Y.shape)
    ss_res = ((Y - outputs) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(ss_tot > 0, 1 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(r2.mean())


#: seconds the first call of a train_epochs kernel took (numba compiling or loading it), by id
COMPILE_SECONDS: dict[int, float] = {}


# --- the resumable training loop ----------------------------------------------------------------
@dataclass
class State:
    """Where a training run stands: enough to continue it exactly."""

    params: dict[str, np.ndarray]
    velocity: dict[str, np.ndarray]
    rng: np.ndarray                     # the kernel's shuffling RNG state
    epoch: int = 0                      # epochs completed
    history: dict[str, list[float]] = field(default_factory=lambda: {"loss": [],
                                                                     "accuracy": []})

    def copy(self) -> State:
        return State({k: v.copy() for k, v in self.params.items()},
                     {k: v.copy() for k, v in self.velocity.items()}, self.rng.copy(),
                     self.epoch, {k: list(v) for k, v in self.history.items()})


def initial_rng(seed: int) -> np.ndarray:
    """The kernels' shuffling RNG state for ``seed`` (a splitmix64 counter, as Kernels.train)."""
    return np.array([int(seed) % 2**64], dtype=np.uint64)


def start(kernels, settings: Settings, params: dict[str, np.ndarray] | None = None) -> State:
    """A fresh state: parameters from ``init_params(seed)`` (or given), zero velocity."""
    dtype = np.dtype(settings.dtype)
    if params is None:
        params = kernels.init_params(settings.seed)
    params = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    return State(params, velocity, initial_rng(settings.seed))


def run_epochs(kernels, state: State, X: np.ndarray, Y: np.ndarray, settings: Settings,
               epochs: int, *, progress: bool = False) -> State:
    """Train ``epochs`` more epochs from ``state``; returns the new state (``state`` is kept).

    This runs the generated ``train_epochs`` kernel itself, carrying what `Kernels.train` keeps
    inside one call (momentum velocity, shuffling RNG state) from call to call, so that any
    split of a run into calls, checkpoints and resumptions gives the same bits as one call;
    from a fresh `start` it equals ``kernels.train(..., seed=settings.seed)``.

    Raises `TrainingError` naming the (absolute) epoch whose loss was not finite, with the
    parameters from before that epoch on ``exc.params`` and that state on ``exc.state``.
    """
    dtype = np.dtype(settings.dtype)
    names = list(kernels.network.param_shapes())
    new = state.copy()
    params = [np.ascontiguousarray(new.params[k], dtype=dtype) for k in names]
    velocity = [np.ascontiguousarray(new.velocity[k], dtype=dtype) for k in names]
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.ascontiguousarray(Y, dtype=dtype)
    batch = settings.batch_size or X.shape[0]
    kernel = kernels.module.train_epochs
    # the one driver `Kernels.train` uses too (runtime/driver.py), from one epoch per call up
    ran = run_chunks(kernel, X, Y, params, velocity, new.rng, epochs, int(batch),
                     dtype.type(settings.learning_rate), dtype.type(settings.momentum),
                     bool(settings.shuffle), threads=getattr(kernels, "threads", 1),
                     progress=progress, first_chunk=1)
    if ran.compile_seconds:
        COMPILE_SECONDS[id(kernel)] = ran.compile_seconds
    loss_hist, acc_hist = ran.loss, ran.accuracy
    if ran.done < 0:            # the kernel found a NaN or an infinity in the data
        raise not_finite(X, Y)
    if ran.done < epochs:
        _stopped(kernels, new, params, velocity, loss_hist, acc_hist, ran.done, settings)
    new.params = dict(zip(names, params, strict=True))
    new.velocity = dict(zip(names, velocity, strict=True))
    _extend(new, loss_hist, acc_hist, epochs, kernels)
    new.epoch += epochs
    return new


def _extend(state: State, loss_hist, acc_hist, n: int, kernels) -> None:
    state.history.setdefault("loss", []).extend(float(v) for v in loss_hist[:n])
    if bool(getattr(kernels.module, "CLASSIFIER", False)):
        state.history.setdefault("accuracy", []).extend(float(v) for v in acc_hist[:n])


def _stopped(kernels, state: State, params, velocity, loss_hist, acc_hist, index: int,
             settings: Settings) -> None:
    """Raise the `TrainingError` of a loss that became NaN/Inf in chunk epoch ``index``."""
    epoch = state.epoch + index + 1
    names = list(kernels.network.param_shapes())
    value = loss_hist[index]
    state.params = dict(zip(names, params, strict=True))     # the kernel put these back
    state.velocity = dict(zip(names, velocity, strict=True))
    _extend(state, loss_hist, acc_hist, index, kernels)
    state.epoch += index
    exc = TrainingError(
        f"the loss became {value} in epoch {epoch} (learning rate {settings.learning_rate}); "
        f"the parameters from before epoch {epoch} are kept. Try a smaller learning rate")
    exc.epoch = epoch
    exc.params = state.params
    exc.history = state.history
    exc.state = state
    raise exc


# --- the driver ---------------------------------------------------------------------------------
@dataclass
class Run:
    """The outcome of :func:`fit`: the trained parameters, the history and the metrics."""

    network: Any
    kernels: Any
    settings: Settings
    data: Dataset
    train: Dataset
    test: Dataset | None
    params: dict[str, np.ndarray]
    history: dict[str, list[float]]
    state: State | None = None
    loss: float | None = None
    accuracy: float | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    r2: float | None = None
    max_error: float | None = None
    converged: bool = True
    statement: str = ""
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None          # why training stopped early (NaN/Inf, no convergence)
    compile_s: float = 0.0
    train_s: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return self.data.task

    @property
    def ok(self) -> bool:
        return self.converged and self.stopped is None

    def summary(self) -> dict[str, Any]:
        """The JSON the CLI prints: ``loss``, ``accuracy``, ``history`` plus more keys."""
        out: dict[str, Any] = {
            "loss": _num(self.loss), "accuracy": _num(self.accuracy),
            "history": {k: [_num(v) for v in vals] for k, vals in self.history.items()},
            "epochs": len(self.history.get("loss", self.history.get("errors", []))),
            "task": self.task, "data": self.data.name, "network": self.network.name,
            "converged": self.converged, "stopped": self.stopped,
            "statement": self.statement, "notes": list(self.notes),
            "compile_s": round(self.compile_s, 4), "train_s": round(self.train_s, 4),
            "files": {k: str(v) for k, v in self.files.items()},
        }
        for key in ("test_loss", "test_accuracy", "r2", "max_error"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _num(value)
        return out


def _num(v: float | None) -> float | int | None:
    if v is None or isinstance(v, int | np.integer):
        return None if v is None else int(v)
    v = float(v)
    return v if math.isfinite(v) else None     # JSON has no NaN


def compile_for(network, dtype: str = "float64", job: tuple[int, int, int] | None = None,
                shape: str | None = None):
    """Perceptron kernels for threshold networks, backpropagation kernels otherwise.

    ``job`` (rows, epochs, batch size) lets `choose_shape_for_job` pick a per-network module
    when the job repays its compile; ``shape`` forces one ("family", "unrolled", "loops").
    """
    if network.is_perceptron:
        from .perceptron import compile_perceptron
        return compile_perceptron(network, dtype=dtype)
    if shape is None and job is not None:
        from ..codegen.options import choose_shape_for_job, supports

        if supports(network):
            shape = choose_shape_for_job(network, *job)
    return network.compile(dtype=dtype, shape=shape)


def fit(network, data: str | Path | Dataset | tuple, settings: Settings | None = None, *,
        test_fraction: float = 0.0, n: int | None = None, noise: float = 0.0,
        data_seed: int = 0, labels: str | None = None, kernels=None,
        params: dict[str, np.ndarray] | None = None, checkpoint: str | Path | None = None,
        resume: bool = False, checkpoint_every: int | None = None,
        plot: str | Path | None = None, progress: bool = False,
        test_data: Dataset | None = None) -> Run:
    """Train ``network`` on ``data``: the whole job of ``symprop train`` as one call.

    ``checkpoint`` names a folder: with ``resume`` training continues from it (``epochs`` more
    epochs) and reproduces the uninterrupted run bit for bit; the final state is saved there
    (and every ``checkpoint_every`` epochs). ``plot`` names a PNG for the loss curve; a decision
    boundary (2 inputs) or a fit (1 input) is written next to it. ``test_data`` is a fixed
    test set (instead of ``test_fraction``). Training that stops (NaN/Inf,
    or a perceptron that cannot converge) returns a `Run` with ``ok`` false and ``stopped`` set.
    """
    settings = settings or Settings()
    ds = get_data(data, network, n=n, noise=noise, seed=data_seed, labels=labels)
    described = {"data": str(data) if isinstance(data, str | Path) else ds.name, "n": n,
                 "noise": noise, "data_seed": data_seed, "labels": labels,
                 "test_fraction": test_fraction}
    if test_data is not None:            # a fixed test set (``--test-data``)
        train_ds, test_ds = ds, fit_targets(network, test_data)
    elif test_fraction:
        train_ds, test_ds = ds.split(test_fraction, seed=data_seed)
    else:
        train_ds, test_ds = ds, None
    t0 = time.perf_counter()
    if kernels is None:
        kernels = compile_for(network, settings.dtype,
                              (len(train_ds), settings.epochs,
                               settings.batch_size or len(train_ds)),
                              getattr(settings, "shape", None))
    compile_s = time.perf_counter() - t0
    before = float(getattr(kernels, "compile_seconds", 0.0))
    if network.is_perceptron:
        run = _fit_perceptron(network, kernels, settings, ds, train_ds, test_ds, params)
    else:
        run = _fit_backprop(network, kernels, settings, ds, train_ds, test_ds, params,
                            checkpoint, resume, checkpoint_every, progress, described)
    # generating/importing the module, plus numba's first-call compiles (or cache loads)
    run.compile_s += compile_s + float(getattr(kernels, "compile_seconds", 0.0)) - before
    if plot is not None:
        run.files.update(make_plots(run, plot))
    return run


def _fit_perceptron(network, kernels, settings, ds, train_ds, test_ds, params) -> Run:
    start_params = kernels.init_params(settings.seed) if params is None else params
    if network.depth > 1:
        return _evaluate_threshold_network(network, kernels, settings, ds, train_ds, test_ds,
                                           start_params, given=params is not None)
    compiling = not is_compiled(kernels.module.train_epochs)   # numba compiles it now
    t0 = time.perf_counter()
    result = kernels.train(start_params, train_ds.X, train_ds.Y,
                           learning_rate=settings.learning_rate, max_epochs=settings.max_epochs)
    train_s = time.perf_counter() - t0
    errors = list(result.errors)
    history = {"loss": [e / len(train_ds) for e in errors],
               "accuracy": [1 - e / len(train_ds) for e in errors], "errors": errors}
    run = Run(network, kernels, settings, ds, train_ds, test_ds, result.params, history,
              converged=result.converged, statement=result.statement,
              stopped=None if result.converged else result.statement,
              train_s=0.0 if compiling else train_s, compile_s=train_s if compiling else 0.0)
    out = kernels.forward(result.params, train_ds.X)
    run.accuracy = float(np.mean(np.all(out == train_ds.Y, axis=1)))
    run.loss = 1.0 - run.accuracy          # the zero-one loss: fraction misclassified
    if test_ds is not None:
        test_out = kernels.forward(result.params, test_ds.X)
        run.test_accuracy = float(np.mean(np.all(test_out == test_ds.Y, axis=1)))
        run.test_loss = 1.0 - run.test_accuracy
    return run


def _evaluate_threshold_network(network, kernels, settings, ds, train_ds, test_ds, params,
                                given: bool) -> Run:
    """Several layers of threshold units have no learning rule: run the given weights."""
    missing = [k for k in network.param_shapes() if k not in network.weights]
    if missing and not given:
        raise SpecError("several layers of threshold units have no learning rule, so their "
                        "weights must be given", file=network.source, key="weights",
                        expected="[weights] for " + ", ".join(missing))
    run = Run(network, kernels, settings, ds, train_ds, test_ds, params,
              {"loss": [], "accuracy": []})
    for part, prefix in ((train_ds, ""), (test_ds, "test_")):
        if part is not None:
            out = kernels.forward(params, part.X)
            acc = float(np.mean(np.all(out == part.Y, axis=1)))
            setattr(run, prefix + "accuracy", acc)
            setattr(run, prefix + "loss", 1.0 - acc)
    wrong = round(run.loss * len(train_ds))
    head = ("nothing to train (several layers of threshold units have no learning rule): "
            "the given weights ")
    if wrong == 0:
        run.statement = head + f"classify all {len(train_ds)} samples correctly"
    else:
        run.statement = head + f"misclassify {wrong} of {len(train_ds)} samples"
        run.converged, run.stopped = False, run.statement
    return run


def _fit_backprop(network, kernels, settings, ds, train_ds, test_ds, params, folder, resume,
                  every, progress, described) -> Run:
    notes: list[str] = []
    if resume:
        if folder is None:
            raise SpecError("resuming needs the checkpoint folder", key="checkpoint",
                            expected="the folder a previous run saved its checkpoint in")
        state = resume_state(folder, network, settings)
        saved = ckpt.load(folder)
        changed = [k for k in ("batch_size", "learning_rate", "momentum", "shuffle", "seed")
                   if k in saved.settings and saved.settings[k] != getattr(settings, k)]
        if changed:
            notes.append("resumed with other settings than the checkpoint's (" +
                         ", ".join(changed) + "): the run differs from an uninterrupted one")
    else:
        state = start(kernels, settings, params)
    X = np.ascontiguousarray(train_ds.X, dtype=settings.dtype)
    Y = np.ascontiguousarray(train_ds.Y, dtype=settings.dtype)
    stopped = None
    t0 = time.perf_counter()
    remaining = settings.epochs
    step = every if every else max(remaining, 1)
    try:
        while remaining > 0:
            chunk = min(step, remaining)
            state = run_epochs(kernels, state, X, Y, settings, chunk, progress=progress)
            remaining -= chunk
            if folder is not None:
                save_state(folder, network, settings, state, described)
        if folder is not None and settings.epochs == 0:
            save_state(folder, network, settings, state, described)
    except TrainingError as exc:
        stopped = str(exc)
        state = getattr(exc, "state", None) or state
        if folder is not None:      # the last good state: resume it with a smaller rate
            save_state(folder, network, settings, state, described)
    # the first call of train_epochs compiles it: count that as compiling, not training
    first_call = COMPILE_SECONDS.pop(id(kernels.module.train_epochs), 0.0)
    train_s = time.perf_counter() - t0 - first_call
    run = Run(network, kernels, settings, ds, train_ds, test_ds, state.params,
              state.history, state=state, stopped=stopped, converged=stopped is None,
              train_s=train_s, notes=notes, compile_s=first_call)
    evaluate(run)
    run.statement = stopped or _statement(run)
    return run


def evaluate(run: Run) -> None:
    """Final loss and accuracy (classification) or R² and max error (regression)."""
    k, p = run.kernels, run.params
    # after a divergence the kept parameters may overflow here; the values say so (inf/None)
    with np.errstate(all="ignore"):
        _evaluate(run, k, p)


def _evaluate(run: Run, k, p) -> None:
    for part, prefix in ((run.train, ""), (run.test, "test_")):
        if part is None:
            continue
        X = np.ascontiguousarray(part.X, dtype=run.settings.dtype)
        Y = np.ascontiguousarray(part.Y, dtype=run.settings.dtype)
        out = np.asarray(k.forward(p, X), dtype=np.float64)
        setattr(run, prefix + "loss", float(k.loss(p, X, Y)))
        if run.task == "classification":
            mid = class_midpoint(run.network, run.train.Y)
            setattr(run, prefix + "accuracy", accuracy(run.network, out, part.Y, mid))
        elif prefix == "":
            run.r2 = r2_score(out, part.Y)
            run.max_error = float(np.max(np.abs(out - part.Y)))


def _statement(run: Run) -> str:
    parts = [f"trained {len(run.history['loss'])} epochs: loss {run.loss:.4g}"]
    if run.accuracy is not None:
        parts.append(f"accuracy {run.accuracy:.3f}")
    if run.test_accuracy is not None:
        parts.append(f"test accuracy {run.test_accuracy:.3f}")
    if run.r2 is not None:
        parts.append(f"R² {run.r2:.4f}, max |error| {run.max_error:.3g}")
    return ", ".join(parts)


# --- checkpoints --------------------------------------------------------------------------------
def save_state(folder: str | Path, network, settings: Settings, state: State,
               data: dict[str, Any] | None = None) -> Path:
    """Save ``state`` (params, velocity, RNG, epoch, history) with the network, the settings
    and (``data``) how the data was made, so that a resumed run can make it again."""
    extra = {"data": data} if data is not None else {}
    return ckpt.save(folder, ckpt.Checkpoint(
        ckpt.network_structure(network), state.params, state.velocity, state.epoch,
        state.history, state.rng, settings.as_dict(), extra))


def resume_state(folder: str | Path, network, settings: Settings) -> State:
    """The state saved in ``folder``, checked to belong to ``network`` and its dtype."""
    saved = ckpt.load(folder)
    ckpt.check_matches(saved, network, folder)
    if saved.rng is None:
        raise SpecError("the checkpoint has no RNG state", file=str(folder), key="rng",
                        expected="a checkpoint written by symprop train")
    dtypes = {v.dtype.name for v in saved.params.values()}
    if dtypes != {settings.dtype}:
        raise SpecError("the checkpoint's dtype differs", file=str(folder), key="dtype",
                        expected=settings.dtype, got=sorted(dtypes))
    history = {k: list(v) for k, v in saved.history.items()}
    history.setdefault("loss", [])
    history.setdefault("accuracy", [])
    return State(saved.params, saved.velocity, saved.rng, saved.epoch, history)


def saved_settings(folder: str | Path) -> dict[str, Any]:
    """The settings a checkpoint was trained with (to continue with the same ones)."""
    return ckpt.load(folder).settings


# --- plots --------------------------------------------------------------------------------------
def make_plots(run: Run, path: str | Path) -> dict[str, Path]:
    """Loss curve at ``path``; decision boundary (2-D) or fit (1-D) next to it."""
    from . import plots
    from .datasets import TARGET_FUNCTIONS

    path = Path(path)
    files: dict[str, Path] = {}
    history = {k: v for k, v in run.history.items() if k in ("loss", "accuracy") and v}
    if history.get("loss"):
        files["loss_curve"] = plots.loss_curve(
            history, path, title=f"{run.network.name} on {run.data.name}")
    data = run.data
    k, p = run.kernels, run.params

    def outputs(X: np.ndarray) -> np.ndarray:
        return np.asarray(k.forward(p, np.ascontiguousarray(X, dtype=run.settings.dtype)),
                          dtype=np.float64)

    if data.n_features == 2 and run.task == "classification":
        lines = None
        if run.network.depth == 2 and "W1" in p:
            W1 = np.asarray(p["W1"], dtype=np.float64)
            b1 = np.asarray(p.get("b1", np.zeros(W1.shape[0])), dtype=np.float64)
            lines = [(w[0], w[1], c) for w, c in zip(W1, b1, strict=True)]
        files["decision_boundary"] = plots.decision_boundary(
            outputs, data.X, data.Y, path.with_name(path.stem + "_boundary.png"),
            title=f"{run.network.name} on {data.name}", hidden_lines=lines)
    elif data.n_features == 1 and data.n_outputs == 1 and run.task == "regression":
        files["fit"] = plots.regression_fit(
            outputs, data.X, data.Y, path.with_name(path.stem + "_fit.png"),
            target=TARGET_FUNCTIONS.get(data.name), title=f"{run.network.name} on {data.name}")
    return files
