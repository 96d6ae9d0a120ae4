"""The per-machine kernel family on disk: built once, verified on every load, shared safely.

    <cache>/machine/<generator fingerprint>-<cpu>/family_<dtype>.py     the module (`family.py`)
    <cache>/machine/<…>/family_<dtype>.json     its manifest, written last: the module's hash,
                                                the generator fingerprint and the hashes of
                                                numba's compiled files (``__pycache__``)

The first process that needs a dtype builds it (generate, write atomically, import, compile
every entry point on a tiny problem so numba caches the machine code) under a lock file, with
one progress line on stderr. Every later process only hashes a few files and imports: no
SymPy, no compiling. Anything that does not match its manifest (an edited or truncated module,
a damaged numba index) is rebuilt, with one line saying so. A network is mapped onto the family
by `NetworkKernels`, which gives it the per-network module's interface.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from ..io import write_atomic
from .cache import _IMPORT_LOCK, cache_dir, generator_fingerprint, import_file
from .options import classification, supports  # noqa: F401  (re-exported)
from .verify import compiled_files as _compiled_files
from .verify import numba_cache_problem
from .verify import sha256 as _sha256

SHAPE = "family"
LOCK_SECONDS = 600          # a build holding the lock longer than this is taken to be dead
N_COLUMNS = 7               # the layout table's columns (the module's FAN_IN … KEEP_Z)


ENV_VAR = "SYMPROP_MACHINE_DIR"


def family_folder(directory: str | Path | None = None) -> Path:
    """``<directory>/machine/<fingerprint>-<cpu>``; without a directory ``$SYMPROP_MACHINE_DIR``
    (a folder shared by every cache folder, e.g. a test session's) or ``<cache_dir()>/machine``."""
    from .aot import cpu_tag

    if directory is not None:
        base = Path(directory).expanduser() / "machine"
    elif os.environ.get(ENV_VAR):
        base = Path(os.environ[ENV_VAR]).expanduser()
    else:
        base = cache_dir() / "machine"
    return base / f"{generator_fingerprint()[:16]}-{cpu_tag()}"


def _problem(path: Path, manifest: Path) -> str | None:
    """Why the built family at ``path`` cannot be trusted, or None when it can."""
    from .. import __version__

    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        if record.get("generator") != generator_fingerprint() or \
                record.get("version") != __version__:
            return "it was built by another version of symprop"
        if _sha256(path) != record["sha256"]:
            return f"{path.name} does not match its recorded hash"
        files = record["compiled"]
        for name, digest in files.items():
            compiled = path.parent / "__pycache__" / name
            if _sha256(compiled) != digest:
                return f"numba's compiled file {name} does not match its recorded hash"
        if not files:
            return "no compiled files were recorded"
        # the index may grow (numba adds entries), so it is read, not hashed
        if (problem := numba_cache_problem(path)) is not None:
            return problem
    except FileNotFoundError as exc:
        return f"{Path(exc.filename).name} is missing" if exc.filename else "a file is missing"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"{manifest.name} is damaged"
    return None


@contextlib.contextmanager
def _build_lock(folder: Path):
    """An exclusive lock on ``folder/.lock`` (one builder at a time; others wait, then find the
    build done). Where ``fcntl`` is missing, builds are made safe by rename-into-place only."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:                       # Windows: atomic renames only
        yield
        return
    with open(folder / ".lock", "a+b") as handle:
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process has been building {folder} for "
                                       f"{LOCK_SECONDS} s") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_built(dtype: str, directory: str | Path | None = None) -> bool:
    """Is a sound family of ``dtype`` on disk (so loading it compiles nothing)?"""
    folder = family_folder(directory)
    return _problem(folder / f"family_{dtype}.py", folder / f"family_{dtype}.json") is None


def load_family(dtype: str, directory: str | Path | None = None) -> ModuleType:
    """The family module of ``dtype``, compiled: imported from the cache folder, or built."""
    folder = family_folder(directory)
    path, manifest = folder / f"family_{dtype}.py", folder / f"family_{dtype}.json"
    where = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    name = f"_symprop_family_{dtype}_{where}"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    problem = _problem(path, manifest)
    if problem is not None:
        with _build_lock(folder):
            problem_now = _problem(path, manifest)     # another process may have built it
            if problem_now is not None:
                if manifest.exists() or path.exists():
                    print(f"symprop: the per-machine kernels in {folder} cannot be used "
                          f"({problem_now}); rebuilding them", file=sys.stderr, flush=True)
                return _build(dtype, path, manifest, name)
    with _IMPORT_LOCK:
        if name in sys.modules:
            return sys.modules[name]
    return import_file(path, name)


def _build(dtype: str, path: Path, manifest: Path, name: str) -> ModuleType:
    """Generate, write, import and compile the family (the caller holds the lock)."""
    from .. import __version__
    from .family import family_source

    start = time.perf_counter()
    print(f"symprop: building the per-machine {dtype} kernels (once per machine, about a "
          f"minute) in {path.parent}", end=" ... ", file=sys.stderr, flush=True)
    for stale in [*_compiled_files(path), manifest]:
        stale.unlink(missing_ok=True)
    write_atomic(path, family_source(dtype).source)
    sys.modules.pop(name, None)
    module = import_file(path, name)
    _compile_all(module, dtype)
    record = {"version": __version__, "generator": generator_fingerprint(), "dtype": dtype,
              "sha256": _sha256(path),
              "compiled": {f.name: _sha256(f) for f in _compiled_files(path)
                           if f.suffix == ".nbc"}}
    write_atomic(manifest, json.dumps(record, indent=1, sort_keys=True) + "\n")
    size = sum(f.stat().st_size for f in [path, *_compiled_files(path)])
    print(f"done in {time.perf_counter() - start:.1f} s ({size / 1e6:.1f} MB)", file=sys.stderr,
          flush=True)
    return module


def _compile_all(module: ModuleType, dtype: str) -> None:
    """Call every entry point once with the argument types `NetworkKernels` passes, so numba
    compiles them now and caches the machine code next to the module."""
    dt = np.dtype(dtype)
    layout = np.array([[2, 2, 0, 4, 1, 0, 0], [2, 2, 6, -1, 5, 2, 1]], dtype=np.int64)
    theta = np.linspace(-0.5, 0.5, 10).astype(dt)
    X = np.ones((3, 2), dtype=dt)
    Y = np.eye(3, 2, dtype=dt)
    module.forward(X, theta, layout)
    module.loss(X, Y, theta, layout, 0)
    module.backward(X, Y, theta, layout, 0, np.empty_like(theta))
    module.train_epochs(X, Y, theta, np.zeros_like(theta), layout, 0, 0, dt.type(0.5), 1, 2,
                        dt.type(0.1), dt.type(0.0), True, np.zeros(1, dtype=np.uint64),
                        np.empty(3, dtype=np.int64), np.empty(1), np.empty(1))


# -- one network on the family -----------------------------------------------------------------
class NetworkKernels:
    """One network on the family: the interface of a per-network module (``forward(X,
    *params)``, ``train_epochs(X, Y, *params, *velocities, …)``, ``CLASSIFIER``, …), with the
    parameters packed into one flat array for each call."""

    SHAPE = SHAPE
    PARTS = 1
    AOT = False

    def __init__(self, network, family: ModuleType) -> None:
        self.family = family
        self.__file__ = family.__file__
        shapes = network.param_shapes()
        self.PARAMS = tuple(shapes)
        self.PARAM_SHAPES = tuple(shapes.values())
        self.N_INPUTS, self.N_OUTPUTS = network.n_inputs, network.sizes[-1]
        self.DTYPE = family.DTYPE
        act_code = {a: i for i, a in enumerate(family.ACTIVATIONS)}
        loss_code = family.LOSSES.index(network.loss)
        rows, offset, row_offset = [], 0, 0
        depth = network.depth
        for l, lay in enumerate(network.layers, start=1):
            fan_in = network.sizes[l - 1]
            w_off, offset = offset, offset + lay.units * fan_in
            b_off = -1
            if lay.bias:
                b_off, offset = offset, offset + lay.units
            code = act_code[lay.activation]
            keep_z = l == depth or family.NEEDS_Z[code]
            rows.append([fan_in, lay.units, w_off, b_off, code, row_offset, int(keep_z)])
            row_offset += lay.units
        self.layout = np.array(rows, dtype=np.int64).reshape(depth, N_COLUMNS)
        self.size = offset
        self._slices, start = [], 0
        for shape in self.PARAM_SHAPES:
            size = math.prod(shape)
            self._slices.append((start, start + size, shape))
            start += size
        self._packed: list[tuple[np.ndarray, list[np.ndarray]]] = []
        out_code = act_code[network.layers[-1].activation]
        self.pair = out_code * len(family.LOSSES) + loss_code
        classifier, midpoint = classification(
            family.LAYERWISE[out_code], family.MIDPOINTS[out_code],
            family.PROBABILISTIC[loss_code], network.sizes[-1])
        self.CLASSIFIER = classifier
        if midpoint is not None:
            self.MIDPOINT = midpoint
        self.classify = 0 if not classifier else (1 if midpoint is not None else 2)
        self.midpoint = self.DTYPE(midpoint if midpoint is not None else math.nan)

    # -- packing ---------------------------------------------------------------------------
    def pack(self, arrays) -> np.ndarray:
        """The arrays, flattened one after the other into one new array of our dtype."""
        return np.concatenate([a.ravel() for a in arrays]).astype(self.DTYPE, copy=False)

    def unpack_into(self, flat: np.ndarray, arrays) -> None:
        start = 0
        for a in arrays:
            a.reshape(-1)[...] = flat[start:start + a.size]
            start += a.size

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """The parameters as views of one flat array."""
        return [flat[start:end].reshape(shape) for start, end, shape in self._slices]

    def pack_views(self, arrays) -> tuple[np.ndarray, list[np.ndarray]]:
        """A new flat array holding ``arrays`` (one per parameter, of its shape) and its
        `views`: ``Kernels.train`` trains the one and returns the other (cheaper than `pack`
        and then `views`)."""
        flat = np.empty(self.size, dtype=self.DTYPE)
        views = self.views(flat)
        for view, a in zip(views, arrays, strict=True):
            view[...] = a
        return flat, views

    # -- the per-network module's functions ------------------------------------------------
    def _writable(self, *arrays):
        # numba types a read-only array apart: a new entry in the family's index, compiled
        return [a if a.flags.writeable else a.copy() for a in arrays]

    def forward(self, X, *params):
        X, = self._writable(X)
        return self.family.forward(X, self.pack(params), self.layout)

    def predict(self, X, *params):
        out = self.forward(X, *params)
        if self.classify == 1:
            return (out[:, 0] >= self.midpoint).astype(np.int64)
        if self.classify == 2:
            return out.argmax(axis=1).astype(np.int64)
        return out

    def loss(self, X, Y, *params):
        X, Y = self._writable(X, Y)
        return self.family.loss(X, Y, self.pack(params), self.layout, self.pair)

    def backward(self, X, Y, *arrays):
        n = len(self.PARAMS)
        params, grads = arrays[:n], arrays[n:]
        X, Y = self._writable(X, Y)
        flat = np.empty(self.size, dtype=self.DTYPE)
        value = self.family.backward(X, Y, self.pack(params), self.layout, self.pair, flat)
        self.unpack_into(flat, grads)
        return value

    def train_epochs(self, X, Y, *args):
        """The per-network module's ``train_epochs``: the parameter and velocity arrays are
        packed for the call and the trained values copied back into them."""
        n = len(self.PARAMS)
        params, velocities = args[:n], args[n:2 * n]
        (epochs, batch_size, lr, momentum, shuffle, state, order, loss_hist,
         acc_hist) = args[2 * n:]
        theta, velocity = self.pack(params), self.pack(velocities)
        done = self.train_flat(X, Y, theta, velocity, int(epochs), int(batch_size),
                               self.DTYPE(lr), self.DTYPE(momentum), bool(shuffle), state, order,
                               loss_hist, acc_hist)
        self.unpack_into(theta, params)
        self.unpack_into(velocity, velocities)
        return done

    def train_flat(self, X, Y, theta, velocity, epochs, batch_size, lr, momentum, shuffle,
                   state, order, loss_hist, acc_hist):
        """``train_epochs`` on the flat parameter and velocity arrays (`pack`), trained in
        place: what ``Kernels.train`` calls, nothing copied. Scalars as the family takes them:
        ints, two numbers of our dtype (a float for float64), a bool."""
        if not (X.flags.writeable and Y.flags.writeable):
            X, Y = self._writable(X, Y)
        return self.family.train_epochs(
            X, Y, theta, velocity, self.layout, self.pair, self.classify, self.midpoint,
            epochs, batch_size, lr, momentum, shuffle, state, order, loss_hist, acc_hist)
