"""Compiled training kernels for a network: the Python face of a generated module.

``kernels = network.compile(dtype="float64")`` generates (or finds in the cache) one numba module
for the network and wraps it: parameter dicts in, NumPy arrays out, inputs checked, training
run in chunks of epochs so a progress bar can move and Ctrl-C is heard, with the random state
carried across chunks (the result does not depend on the chunking).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError, TrainingError
from .driver import (
    CHUNK_SECONDS,
    FIRST_CHUNK_SAMPLES,
    check_finite,
    not_finite,
    one_call,
    run_chunks,
)

SHORT_SUM = 32          # numbers: up to this many, a list's sum is cheaper than NumPy's
SCRATCH_EPOCHS = 4096   # calls of up to this many epochs keep their scratch arrays for the next
# NumPy's flag bits (``a.flags.num``) C_CONTIGUOUS | ALIGNED | WRITEABLE: an array the kernels
# take as it is
USUAL_FLAGS = 0x0001 | 0x0100 | 0x0400

__all__ = ["CHUNK_SECONDS", "FIRST_CHUNK_SAMPLES", "Kernels", "compile_network", "is_compiled"]


def compile_network(network, dtype: str = "float64", shape: str | None = None,
                    fastmath: bool = False, cache_dir: str | Path | None = None,
                    threads: int | None = None, aot: bool | None = None) -> Kernels:
    """Kernels for ``network``.

    ``shape`` None: the per-machine family (``"family"``: compiled once per machine, nothing to
    compile for a new network; a row of the user's own compiles its small piece once per
    machine) whenever `symprop.codegen.options.family_refusals` finds nothing against it and
    no threads, fastmath or ahead-of-time build are asked for — unless an ahead-of-time build
    of this network exists; otherwise a per-network module, ``unrolled`` for small nets, else
    ``loops``. ``shape="family" | "unrolled" | "loops"`` forces one
    (`symprop.codegen.options.choose_shape_for_job` picks by the job).

    ``threads``: how many row slices of each minibatch `train` computes in parallel (loop
    kernels only; None: 1, serial — `symprop.codegen.options.choose_parts` says why). The
    slices' gradients are summed in a fixed order: results depend on this number, never on how
    many threads numba actually runs.

    The module is generated once per network structure, dtype, shape and fastmath, and kept in
    ``cache_dir`` (default ``$SYMPROP_CACHE_DIR`` or the user cache folder). numba compiles each
    function on its first call and caches the machine code next to the module.

    ``aot=True`` also compiles the kernels ahead of time into a Python extension beside the
    module (seconds, once; one thread; needs a C compiler): every later process that asks for
    this network loads it without numba and starts in a fraction of the time. The default,
    None, uses such a build when one exists; False always takes the JIT.
    """
    from ..codegen import machine
    from ..codegen.cache import has_aot_build
    from ..codegen.options import check_options, choose_family

    if choose_family(network, dtype, shape, fastmath, threads, aot) and not (
            shape is None and aot is None and has_aot_build(network, dtype, cache_dir)):
        check_options(network, dtype, "loops")
        start = time.perf_counter()
        try:
            family = machine.load_family(dtype, cache_dir)
        except OSError as exc:      # a read-only or missing cache folder: say which, no traceback
            raise SpecError("cannot build or read the per-machine kernels",
                            key="SYMPROP_CACHE_DIR" if cache_dir is None else "cache_dir",
                            expected="a writable folder (or shape='unrolled'/'loops' with one)",
                            got=f"{machine.family_folder(cache_dir)}: {exc.strerror or exc}"
                            ) from None
        module = machine.NetworkKernels(network, family)
        kernels = Kernels(network, module, Path(family.__file__), dtype, machine.SHAPE, False,
                          time.perf_counter() - start)
        if shape is None:     # chosen, not forced: a long enough job may take its own module
            kernels.by_job = {"cache_dir": cache_dir}
        return kernels
    from ..codegen.cache import load

    cached = load(network, dtype=dtype, shape=shape, fastmath=fastmath, directory=cache_dir,
                  threads=threads, aot=aot)
    return Kernels(network, cached.module, cached.path, dtype, cached.shape, fastmath,
                   cached.seconds)


def is_compiled(function) -> bool:
    """A kernel needs no compiling on its next call: numba has compiled (or loaded) it, or it
    comes from an ahead-of-time build (a plain built-in function)."""
    return bool(getattr(function, "overloads", True))


class Kernels:
    """The generated functions of one network, with parameters as dicts of arrays."""

    def __init__(self, network, module, path: Path, dtype: str, shape: str, fastmath: bool,
                 load_seconds: float = 0.0) -> None:
        self.network, self.module, self.path = network, module, Path(path)
        self.dtype, self.shape, self.fastmath = dtype, shape, fastmath
        self.param_shapes: dict[str, tuple[int, ...]] = network.param_shapes()
        self.n_inputs, self.n_outputs = network.n_inputs, network.sizes[-1]
        self.classifier: bool = bool(module.CLASSIFIER)
        self._np_dtype = np.dtype(dtype)
        self.threads: int = int(getattr(module, "PARTS", 1))   # row slices per minibatch
        self.aot: bool = bool(getattr(module, "AOT", False))   # compiled ahead of time
        self._load_seconds = load_seconds
        self._compile_seconds = 0.0
        # set when the family was chosen for this network rather than asked for: `train`
        # then hands a job long enough to repay a compile to a per-network module
        self.by_job: dict[str, Any] | None = None
        self._per_network: dict[str, Kernels] = {}
        self._names = tuple(self.param_shapes)
        self._job_shapes: dict[tuple[int, int, int], str | None] = {}
        self._scratch: list[tuple] = []     # at most one set of `_take_scratch`'s arrays
        # lr and momentum as the kernel's dtype: a float is a float64 to numba and to a
        # compiled extension, and needs no conversion
        self._scalar = float if self._np_dtype == np.float64 else self._np_dtype.type
        # the family trains one flat array (`NetworkKernels.train_flat`, and its unchecked
        # `flat_kernel` for a call of arrays checked here); a per-network module its parameter
        # arrays
        self._train_flat = getattr(module, "train_flat", None)
        self._flat_kernel = getattr(module, "flat_kernel", None)
        self._train_epochs = module.train_epochs
        # the kernel needs no compiling on its next call (numba compiles on the first one)
        self._ready = is_compiled(self._train_flat or self._train_epochs)
        self._idle_velocities = ([np.full(module.size, np.nan, self._np_dtype)]
                                 if self._flat_kernel is not None else
                                 [np.full(s, np.nan, self._np_dtype)
                                  for s in self.param_shapes.values()])

    def __repr__(self) -> str:
        threads = f", {self.threads} threads" if self.threads > 1 else ""
        aot = ", ahead of time" if self.aot else ""
        return (f"<Kernels {self.network.name!r} {self.dtype} {self.shape} "
                f"({sum(int(np.prod(s)) for s in self.param_shapes.values())} parameters"
                f"{threads}{aot})>")

    # -- the module ----------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The generated module's text."""
        return self.path.read_text(encoding="utf-8")

    @property
    def compile_seconds(self) -> float:
        """Seconds spent so far generating, importing and compiling (or loading from numba's
        cache) — numba compiles each function on its first call."""
        return self._load_seconds + self._compile_seconds

    def _call(self, name: str, *args: Any) -> Any:
        function = getattr(self.module, name)
        if is_compiled(function):
            return function(*args)
        start = time.perf_counter()   # first call: compiles (or loads from numba's cache)
        result = function(*args)
        self._compile_seconds += time.perf_counter() - start
        return result

    def warmup(self) -> float:
        """Compile every function now (on one sample); returns ``compile_seconds``."""
        params = self.init_params(0)
        X = np.zeros((1, self.network.n_inputs), dtype=self._np_dtype)
        Y = np.zeros((1, self.network.sizes[-1]), dtype=self._np_dtype)
        Y[:, 0] = 1
        self.predict(params, X)
        self.loss(params, X, Y)
        self.gradients(params, X, Y)
        self.train(params, X, Y, epochs=1, batch_size=1, learning_rate=0.0)
        return self.compile_seconds

    # -- parameters ----------------------------------------------------------------------------
    def init_params(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Weights from the spec's ``[weights]`` where given, else Glorot-uniform from
        ``np.random.default_rng(seed)``; biases 0 unless the spec gives them."""
        rng = np.random.default_rng(seed)
        params: dict[str, np.ndarray] = {}
        for name, shape in self.param_shapes.items():
            given = self.network.weights.get(name)
            if given is not None:
                value = np.array([[float(v) for v in row] for row in given] if len(shape) == 2
                                 else [float(v) for v in given], dtype=self._np_dtype)
            elif len(shape) == 2:
                limit = math.sqrt(6.0 / (shape[0] + shape[1]))
                value = rng.uniform(-limit, limit, size=shape).astype(self._np_dtype)
            else:
                value = np.zeros(shape, dtype=self._np_dtype)
            params[name] = value
        return params

    def _params(self, params: Mapping[str, Any], copied: bool = False) -> list[np.ndarray]:
        # the usual case first, checked in a few hundred nanoseconds: a dict of C-contiguous
        # arrays of our dtype and shapes, exactly our keys (any memory order when ``copied``:
        # the caller copies them into arrays of its own)
        if type(params) is dict and len(params) == len(self.param_shapes):
            fast = []
            for name, shape in self.param_shapes.items():
                value = params.get(name)
                if (type(value) is not np.ndarray or value.dtype is not self._np_dtype
                        or value.shape != shape or not (copied or value.flags.c_contiguous)):
                    break
                fast.append(value)
            else:
                return fast
        if not isinstance(params, Mapping):
            raise SpecError("parameters must be a dict", key="params",
                            expected="{" + ", ".join(self.param_shapes) + "}",
                            got=type(params).__name__)
        missing = [n for n in self.param_shapes if n not in params]
        extra = [n for n in params if n not in self.param_shapes]
        if missing or extra:
            raise SpecError("parameters do not match the network", key="params",
                            expected="keys " + ", ".join(self.param_shapes),
                            got=sorted(params))
        out = []
        for name, shape in self.param_shapes.items():
            try:
                value = np.ascontiguousarray(params[name], dtype=self._np_dtype)
            except (TypeError, ValueError):
                raise SpecError("not an array of numbers", key=f"params.{name}",
                                expected=f"an array of shape {shape}") from None
            if value.shape != shape:
                raise SpecError("wrong parameter shape", key=f"params.{name}",
                                expected=f"shape {shape} (W<l> is units_l x units_(l-1))",
                                got=value.shape)
            out.append(value)
        return out

    # -- data ----------------------------------------------------------------------------------
    def _inputs(self, X: Any) -> np.ndarray:
        if (type(X) is np.ndarray and X.dtype is self._np_dtype and X.ndim == 2
                and X.shape[1] == self.n_inputs and X.shape[0] and X.flags.c_contiguous
                and _all_finite(X)):
            return X                                        # the usual case, checked fast
        n_in = self.n_inputs
        try:
            arr = np.asarray(X, dtype=self._np_dtype)
        except (TypeError, ValueError):
            raise SpecError("inputs are not numbers", key="X",
                            expected=f"an array of shape (n_samples, {n_in})") from None
        if arr.ndim == 1 and n_in == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != n_in:
            hint = "; for one sample use X.reshape(1, -1)" if arr.ndim == 1 else ""
            raise SpecError("wrong input shape" + hint, key="X",
                            expected=f"shape (n_samples, {n_in}), rows are samples",
                            got=arr.shape)
        if arr.shape[0] == 0:
            raise SpecError("empty dataset", key="X", expected="at least one sample")
        check_finite(arr, "X")
        return np.ascontiguousarray(arr)

    def _targets(self, Y: Any, n: int) -> np.ndarray:
        if (type(Y) is np.ndarray and Y.dtype is self._np_dtype and Y.ndim == 2
                and Y.shape == (n, self.n_outputs) and Y.flags.c_contiguous
                and _all_finite(Y)):
            return Y                                        # the usual case, checked fast
        K = self.n_outputs
        raw = np.asarray(Y)
        if raw.ndim == 1 and K > 1 and raw.dtype.kind in "iu":
            # class labels 0..K-1 → one-hot rows
            if raw.size and (raw.min() < 0 or raw.max() >= K):
                raise SpecError("class label out of range", key="Y",
                                expected=f"labels 0..{K - 1}", got=(int(raw.min()),
                                                                   int(raw.max())))
            arr = np.zeros((raw.shape[0], K), dtype=self._np_dtype)
            arr[np.arange(raw.shape[0]), raw] = 1
        else:
            try:
                arr = np.asarray(raw, dtype=self._np_dtype)
            except (TypeError, ValueError):
                raise SpecError("targets are not numbers", key="Y",
                                expected=f"an array of shape (n_samples, {K})") from None
            if arr.ndim == 1 and K == 1:
                arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != K:
            raise SpecError("wrong target shape", key="Y",
                            expected=f"shape (n_samples, {K})" +
                            (" or integer labels" if K > 1 else ""), got=arr.shape)
        if arr.shape[0] != n:
            raise SpecError("inputs and targets differ in length", key="Y",
                            expected=f"{n} rows like X", got=arr.shape[0])
        check_finite(arr, "Y")
        return np.ascontiguousarray(arr)

    # -- the kernels ---------------------------------------------------------------------------
    def forward(self, params: Mapping[str, Any], X: Any) -> np.ndarray:
        """The network's outputs, shape (n_samples, units_L); rows of X are samples."""
        return self._call("forward", self._inputs(X), *self._params(params))

    def predict(self, params: Mapping[str, Any], X: Any) -> np.ndarray:
        """Class labels (int, shape (n_samples,)) for classifiers — the largest output, or for
        one output 1 where y >= the midpoint of its range; a regressor's outputs otherwise."""
        return self._call("predict", self._inputs(X), *self._params(params))

    def loss(self, params: Mapping[str, Any], X: Any, Y: Any) -> float:
        """The mean over the samples of the per-sample loss."""
        X = self._inputs(X)
        return float(self._call("loss", X, self._targets(Y, X.shape[0]), *self._params(params)))

    def gradients(self, params: Mapping[str, Any], X: Any, Y: Any) -> dict[str, np.ndarray]:
        """The gradient of the mean loss over the samples; same keys and shapes as params."""
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[0])
        grads = {name: np.empty(shape, dtype=self._np_dtype)
                 for name, shape in self.param_shapes.items()}
        self._call("backward", X, Y, *self._params(params), *grads.values())
        return grads

    def accuracy(self, params: Mapping[str, Any], X: Any, Y: Any) -> float:
        """The share of samples classified correctly (classifiers only)."""
        if not self.classifier:
            raise SpecError("accuracy needs a classifier", key="network.layers",
                            expected="a sigmoid, tanh or softmax output, or a log loss")
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[0])
        labels = self._call("predict", X, *self._params(params))
        mid = getattr(self.module, "MIDPOINT", None)
        truth = (Y[:, 0] >= mid).astype(np.int64) if mid is not None else Y.argmax(axis=1)
        return float(np.mean(labels == truth))

    def train(self, params: Mapping[str, Any], X: Any, Y: Any, *, epochs: int = 1,
              batch_size: int = 32, learning_rate: float = 0.1, momentum: float = 0.0,
              shuffle: bool = True, seed: int = 0, progress: bool = False,
              chunk_epochs: int | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Minibatch SGD; returns (new params, history) and leaves ``params`` untouched.

        history: ``"loss"`` (per epoch, the mean loss over the samples as they were seen) and,
        for classifiers, ``"accuracy"``. A loss that is not finite raises `TrainingError` naming
        the epoch; ``exc.params`` holds the parameters from before that epoch, ``exc.history``
        the history so far. ``chunk_epochs`` fixes how many epochs run per kernel call (default:
        adaptive, about CHUNK_SECONDS per call); the result never depends on it.
        """
        dtype = self._np_dtype
        # the usual call checked inline: two arrays of our dtype, C-contiguous, aligned and
        # writeable (`USUAL_FLAGS`: what the compiled family takes, and what numba compiled
        # for), of the network's shapes; the kernel looks for NaN and infinity itself (and
        # returns NOT_FINITE). Anything else goes through the full checks.
        if not (type(X) is np.ndarray and type(Y) is np.ndarray and X.dtype is dtype
                and Y.dtype is dtype and len(xs := X.shape) == 2 and xs[1] == self.n_inputs
                and xs[0] and Y.shape == (xs[0], self.n_outputs)
                and X.flags.num & Y.flags.num & USUAL_FLAGS == USUAL_FLAGS):
            X = _usual(self._inputs(X))
            Y = _usual(self._targets(Y, X.shape[0]))
        work = self._params(params, copied=True)
        # plain ints and floats in range are checked inline; anything else by the full checks
        if type(epochs) is not int or epochs < 0:
            _check_int(epochs, "epochs", 0)
        if type(batch_size) is not int or batch_size < 1:
            _check_int(batch_size, "batch_size", 1)
        if chunk_epochs is not None:
            _check_int(chunk_epochs, "chunk_epochs", 1)
        if type(seed) is not int:
            _check_int(seed, "seed", None)
        rows = X.shape[0]
        if self.by_job is not None:
            shape = self._shape_for_job(rows, epochs, batch_size)
            if shape is not None:
                return self._per_network_kernels(shape).train(
                    params, X, Y, epochs=epochs, batch_size=batch_size,
                    learning_rate=learning_rate, momentum=momentum, shuffle=shuffle, seed=seed,
                    progress=progress, chunk_epochs=chunk_epochs)
        lr = (learning_rate if type(learning_rate) is float and 0.0 <= learning_rate < math.inf
              else _check_float(learning_rate, "learning_rate", 0.0, None))
        mom = (momentum if type(momentum) is float and 0.0 <= momentum < 1.0
               else _check_float(momentum, "momentum", 0.0, 1.0, open_top=True))
        epochs, batch_size = int(epochs), int(batch_size)
        order, state, loss_hist, acc_hist = self._take_scratch(rows, epochs)
        state[0] = int(seed) % 2**64
        # without momentum no kernel reads or changes the velocities (the unrolled one stores
        # back what it loaded): every call shares one set, filled with NaN so that a kernel
        # which did use them would poison its loss, not pass unseen
        if self._flat_kernel is not None:
            # the family: parameters and velocities as one flat array each
            theta, views = self.module.pack_views(work)
            work = [theta]
            velocities = (self._idle_velocities if mom == 0.0
                          else [np.zeros(theta.shape[0], dtype)])
            kernel = self._train_flat
        else:
            work = [p.copy() for p in work]
            velocities = (self._idle_velocities if mom == 0.0
                          else [np.zeros(p.shape, dtype) for p in work])
            kernel = self._train_epochs
        # the usual short call (one kernel call, nothing to time or show): the kernel itself,
        # no driver in between
        if one_call(kernel, rows, epochs, self.threads, progress, chunk_epochs,
                    not self._ready):
            if self._flat_kernel is not None:
                kernel, extra = self._flat_kernel
                done = kernel(X, Y, theta, velocities[0], *extra, epochs, batch_size,
                              self._scalar(lr), self._scalar(mom), bool(shuffle), state, order,
                              loss_hist, acc_hist)
            else:
                done = kernel(X, Y, *work, *velocities, epochs, batch_size, self._scalar(lr),
                              self._scalar(mom), bool(shuffle), state, order, loss_hist,
                              acc_hist)
        else:
            if epochs == 0:     # no kernel call to look at the data
                check_finite(X, "X")
                check_finite(Y, "Y")
            kernel = self._train_flat or self._train_epochs
            # (the family is compiled when it is loaded: nothing to time on its first call)
            ran = run_chunks(kernel, X, Y, work, velocities, state, epochs, batch_size,
                             self._scalar(lr), self._scalar(mom), bool(shuffle),
                             threads=self.threads, progress=progress, chunk_epochs=chunk_epochs,
                             compiling=False if self._train_flat is not None else None,
                             buffers=(order, loss_hist, acc_hist))
            done = ran.done
            self._compile_seconds += ran.compile_seconds
            self._ready = is_compiled(kernel)
        if done < 0:            # NOT_FINITE: the kernel found a NaN or an infinity in the data
            raise not_finite(X, Y)
        if self._flat_kernel is not None:
            work = views
        if done < epochs:
            self._stopped(done, epochs, lr, loss_hist, acc_hist, work)
        history = self._history(loss_hist, acc_hist, epochs)
        if epochs <= SCRATCH_EPOCHS and not self._scratch:
            self._scratch.append((order, state, loss_hist, acc_hist))
        return self._as_dict(work), history

    def _take_scratch(self, rows: int, epochs: int) -> tuple[np.ndarray, ...]:
        """Arrays a call uses and never returns — the row order, the random state, the loss
        and accuracy histories (returned as lists): the last call's when it had as many rows and
        epochs (a loop of short calls allocates none), else new ones. `list.pop` is atomic:
        two threads never get the same arrays."""
        try:
            scratch = self._scratch.pop() if self._scratch else None
        except IndexError:      # another thread took it between the test and the pop
            scratch = None
        if scratch is not None and scratch[0].shape[0] == rows and scratch[2].shape[0] == epochs:
            return scratch
        return (np.empty(rows, dtype=np.int64), np.empty(1, dtype=np.uint64), np.empty(epochs),
                np.empty(epochs))

    def _shape_for_job(self, rows: int, epochs: int, batch_size: int) -> str | None:
        """A per-network shape when this job repays its compile (`choose_shape_for_job`:
        sizes and counts only, so the same job always runs the same kernel), else None.
        Remembered per job: a loop of short calls asks once."""
        job = (rows, epochs, batch_size)
        shape = self._job_shapes.get(job, "?")
        if shape == "?":
            from ..codegen.options import choose_shape_for_job

            if len(self._job_shapes) >= 64:
                self._job_shapes.clear()
            shape = self._job_shapes[job] = choose_shape_for_job(self.network, rows, epochs,
                                                                 batch_size)
        return shape

    def _per_network_kernels(self, shape: str) -> Kernels:
        if shape not in self._per_network:
            self._per_network[shape] = compile_network(
                self.network, self.dtype, shape=shape, cache_dir=self.by_job["cache_dir"])
        return self._per_network[shape]

    def _stopped(self, index: int, epochs: int, lr: float, loss_hist, acc_hist, work) -> None:
        value = loss_hist[index]
        exc = TrainingError(
            f"the loss became {value} in epoch {index + 1} of {epochs} (learning rate {lr}); "
            f"training stopped. Try a smaller learning rate. The parameters from before epoch "
            f"{index + 1} are in exc.params")
        exc.epoch = index + 1
        exc.params = self._as_dict(work)
        exc.history = self._history(loss_hist, acc_hist, index)
        raise exc

    def _as_dict(self, arrays: list[np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self._names, arrays))    # noqa: B905 — ours, always as many (strict= costs 0.3 µs)

    def _history(self, loss_hist, acc_hist, n: int) -> dict[str, list[float]]:
        if n < loss_hist.shape[0]:
            loss_hist, acc_hist = loss_hist[:n], acc_hist[:n]
        if self.classifier:
            return {"loss": loss_hist.tolist(), "accuracy": acc_hist.tolist()}
        return {"loss": loss_hist.tolist()}


def _usual(a: np.ndarray) -> np.ndarray:
    """``a`` (a checked array of our dtype) with `USUAL_FLAGS`: a copy when it lacks one."""
    return a if a.flags.num & USUAL_FLAGS == USUAL_FLAGS else np.array(a, order="C")


def _all_finite(a: np.ndarray) -> bool:
    """No NaN or infinity in ``a``: a finite sum says so without a boolean array (a sum that
    overflows or is NaN sends us to the element-wise check). Up to SHORT_SUM numbers, Python's
    sum of the list is the cheaper sum (reports/call-overhead.md)."""
    total = sum(a.ravel().tolist()) if a.size <= SHORT_SUM else a.sum()
    return math.isfinite(total) or bool(np.isfinite(a).all())


def _check_int(value: Any, key: str, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SpecError("not an integer", key=key, expected="an integer", got=value)
    if minimum is not None and value < minimum:
        raise SpecError("too small", key=key, expected=f"an integer >= {minimum}", got=value)


def _check_float(value: Any, key: str, lo: float, hi: float | None,
                 open_top: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError("not a number", key=key, expected="a number", got=value) from None
    too_high = hi is not None and (number >= hi if open_top else number > hi)
    if not math.isfinite(number) or number < lo or too_high:
        top = "" if hi is None else (f" and < {hi}" if open_top else f" and <= {hi}")
        raise SpecError("out of range", key=key, expected=f"a number >= {lo}{top}", got=value)
    return number
