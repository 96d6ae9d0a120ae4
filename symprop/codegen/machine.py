"""The per-machine kernel family on disk: built once, verified on every load, shared safely.

    <cache>/machine/<generator fingerprint>-<cpu>/family_<dtype>.py     the module (`family.py`)
    <cache>/machine/<…>/family_<dtype>_<cpu><EXT_SUFFIX>   its entry points compiled ahead of
                                                time (`aot.py`): loading needs no numba
    <cache>/machine/<…>/family_<dtype>.json     its manifest, written last: the module's hash,
                                                the generator fingerprint and the extension's
                                                hash (or, without a C compiler, the hashes of
                                                numba's compiled files in ``__pycache__``)

The first process that needs a dtype builds it (generate, write atomically, compile the entry
points ahead of time — or, with no C compiler, call each on a tiny problem so numba caches the
machine code) under a lock file, with one progress line on stderr. Every later process only
hashes a few files and loads the extension: no SymPy, no numba, no compiling. Anything that
does not match its manifest (an edited or truncated module or extension, a damaged numba index)
is rebuilt, with one line saying so. A network is mapped onto the family by `NetworkKernels`,
which gives it the per-network module's interface.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np

from ..io import write_atomic
from .cache import _IMPORT_LOCK, cache_dir, folder_tag, generator_fingerprint, import_file
from .layout import N_COLUMNS
from .options import classification, follows_relu_at_zero, supports  # noqa: F401
from .verify import compiled_files as _compiled_files
from .verify import numba_cache_problem
from .verify import sha256 as _sha256

SHAPE = "family"
LOCK_SECONDS = 600          # a build holding the lock longer than this is taken to be dead


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


def _problem(path: Path, manifest: Path) -> tuple[dict, str | None]:
    """The manifest's record, and why the built family at ``path`` cannot be trusted (None
    when it can)."""
    from .. import __version__

    record: dict = {}
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        if record.get("generator") != generator_fingerprint() or \
                record.get("version") != __version__:
            return record, "it was built by another version of symprop"
        if _sha256(path) != record["sha256"]:
            return record, f"{path.name} does not match its recorded hash"
        extension = record.get("extension")
        if extension is not None:
            # hashed BEFORE it is imported: loading a truncated extension kills the process
            if _sha256(path.parent / extension["file"]) != extension["sha256"]:
                return record, f"{extension['file']} does not match its recorded hash"
            return record, None
        files = record["compiled"]
        for name, digest in files.items():
            compiled = path.parent / "__pycache__" / name
            if _sha256(compiled) != digest:
                return record, f"numba's compiled file {name} does not match its recorded hash"
        if not files:
            return record, "no compiled files were recorded"
        # the index may grow (numba adds entries), so it is read, not hashed
        if (problem := numba_cache_problem(path)) is not None:
            return record, problem
    except FileNotFoundError as exc:
        return record, (f"{Path(exc.filename).name} is missing" if exc.filename
                        else "a file is missing")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return record, f"{manifest.name} is damaged"
    return record, None


@contextlib.contextmanager
def _build_lock(folder: Path, dtype: str):
    """An exclusive lock on ``folder/.lock-<dtype>`` (one builder of a dtype at a time; others
    wait, then find the build done; two dtypes build side by side). Where ``fcntl`` is
    missing, builds are made safe by rename-into-place only."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:                       # Windows: atomic renames only
        yield
        return
    with open(folder / f".lock-{dtype}", "a+b") as handle:
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
    return _problem(folder / f"family_{dtype}.py", folder / f"family_{dtype}.json")[1] is None


def load_family(dtype: str, directory: str | Path | None = None) -> ModuleType:
    """The family module of ``dtype``, compiled: its ahead-of-time extension (no numba in the
    process) or numba's cache, from the per-machine folder; built there first if need be."""
    folder = family_folder(directory)
    path, manifest = folder / f"family_{dtype}.py", folder / f"family_{dtype}.json"
    name = f"_symprop_family_{dtype}_{folder_tag(folder)}"
    with _IMPORT_LOCK:
        loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    record, problem = _problem(path, manifest)
    if problem is None:
        module = _import(path, record, name)
        if module is not None:
            return module
        problem = f"{record['extension']['file']} does not load"
    with _build_lock(folder, dtype):
        record, problem_now = _problem(path, manifest)    # another process may have built it
        if problem_now is None and (module := _import(path, record, name)) is not None:
            return module
        if manifest.exists() or path.exists():
            print(f"symprop: the per-machine kernels in {folder} cannot be used "
                  f"({problem_now or problem}); rebuilding them", file=sys.stderr, flush=True)
        # a sound extension that does not load is not built again: numba's cache serves
        return _build(dtype, path, manifest, name, ahead_of_time=problem_now is not None)


def _import(path: Path, record: dict, name: str) -> ModuleType | None:
    """The verified family: its extension when one was built (None if it does not load), else
    the module, whose functions numba loads from its cache."""
    extension = record.get("extension")
    if extension is None:
        module = import_file(path, name)
        module.UNCHECKED = module       # numba's dispatchers check types themselves
        return module
    with _IMPORT_LOCK:
        if name in sys.modules:
            return sys.modules[name]
        from .aot import as_module, load_extension, module_constants, preload_blas

        preload_blas()
        compiled = load_extension(path.parent / extension["file"])
        if compiled is None:
            return None
        module = as_module(compiled, path, name, EXPORTS, module_constants(path), file=path)
        module.DTYPE = np.dtype(record["dtype"]).type
        # a compiled export trusts its arguments' types (a float32 array where float64 is
        # declared reads past its end): the module's names check them; `NetworkKernels`, which
        # makes its arrays itself, calls the exports unchecked
        module.UNCHECKED = SimpleNamespace(**{e: getattr(compiled, e) for e in EXPORTS})
        for export, example in _examples(record["dtype"]).items():
            setattr(module, export, _checked(getattr(compiled, export), export, example))
        sys.modules[name] = module
        return module


def takes(a, dtype: np.dtype, ndim: int) -> bool:
    """Is ``a`` an array as the compiled family takes it: an ndarray of ``dtype`` and ``ndim``
    dimensions, C-contiguous, aligned and writeable? (A compiled export does not look: it
    would read past a float32 array declared float64.)"""
    return (type(a) is np.ndarray and (a.dtype is dtype or a.dtype == dtype) and a.ndim == ndim
            and a.flags.c_contiguous and a.flags.aligned and a.flags.writeable)


def _checked(export, name: str, example: tuple):
    """``export`` behind `takes` for each array argument (TypeError otherwise)."""
    arrays = tuple((i, a.dtype, a.ndim) for i, a in enumerate(example)
                   if isinstance(a, np.ndarray))
    count = len(example)

    def call(*args):
        if len(args) != count:
            raise TypeError(f"{name}() takes {count} arguments ({len(args)} given)")
        for i, dtype, ndim in arrays:
            if not takes(args[i], dtype, ndim):
                raise TypeError(f"{name}(): argument {i} must be a writeable C-contiguous "
                                f"{ndim}-d {dtype} array")
        return export(*args)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = export.__doc__
    return call


def _build(dtype: str, path: Path, manifest: Path, name: str,
           ahead_of_time: bool = True) -> ModuleType:
    """Generate, write and compile the family (the caller holds the lock): ahead of time into
    an extension where a C compiler is found, else every entry point into numba's cache."""
    from .. import __version__
    from .aot import extension_path, has_c_compiler
    from .family import family_source

    start = time.perf_counter()
    # whole lines: two dtypes may build side by side (`build_all`), each printing its own
    print(f"symprop: building the per-machine {dtype} kernels (once per machine, under a "
          f"minute) in {path.parent}", file=sys.stderr, flush=True)
    extension = extension_path(path)
    for stale in [*_compiled_files(path), manifest, extension]:
        stale.unlink(missing_ok=True)
    write_atomic(path, family_source(dtype).source)
    sys.modules.pop(name, None)
    module = import_file(path, name)
    record = {"version": __version__, "generator": generator_fingerprint(), "dtype": dtype,
              "sha256": _sha256(path)}
    how = "numba's cache"
    if ahead_of_time and has_c_compiler():
        from ..errors import SpecError
        from .aot import build_exports

        try:
            build_exports(path, {export: (getattr(module, export), signature)
                                 for export, signature in _signatures(dtype).items()})
            record["extension"] = {"file": extension.name, "sha256": _sha256(extension)}
            how = "ahead of time"
        except SpecError as exc:        # no Python headers, say: numba's cache serves
            why = (str(exc).splitlines() or [""])[0][:200]      # a compiler's words, briefly
            print(f"symprop: no ahead-of-time build of the {dtype} kernels ({why}); numba's "
                  "cache serves instead", file=sys.stderr, flush=True)
    if "extension" not in record:
        _compile_all(module, dtype)
        record["compiled"] = {f.name: _sha256(f) for f in _compiled_files(path)
                              if f.suffix == ".nbc"}
    write_atomic(manifest, json.dumps(record, indent=1, sort_keys=True) + "\n")
    size = sum(f.stat().st_size for f in path.parent.rglob("*") if f.is_file())
    print(f"symprop: the per-machine {dtype} kernels are built: {time.perf_counter() - start:.1f}"
          f" s, {how} ({size / 1e6:.1f} MB in the folder)", file=sys.stderr, flush=True)
    sys.modules.pop(name, None)
    loaded = _import(path, record, name)
    if loaded is None:          # built but does not load: numba's cache serves
        return _build(dtype, path, manifest, name, ahead_of_time=False)
    loaded.BUILT_HERE = True    # this process built it (a sweep worker counts compiles by it)
    return loaded


EXPORTS = ("forward", "loss", "backward", "train_epochs")


def _examples(dtype: str) -> dict[str, tuple]:
    """Arguments of every entry point, of the types `NetworkKernels` passes, on a tiny network."""
    dt = np.dtype(dtype)
    layout = np.zeros((2, N_COLUMNS), dtype=np.int64)
    layout[:, :7] = [[2, 2, 0, 4, 1, 0, 0], [2, 2, 6, -1, 5, 2, 1]]
    theta = np.linspace(-0.5, 0.5, 10).astype(dt)
    X = np.ones((3, 2), dtype=dt)
    Y = np.eye(3, 2, dtype=dt)
    return {
        "forward": (X, theta, layout),
        "loss": (X, Y, theta, layout, 0),
        "backward": (X, Y, theta, layout, 0, np.empty_like(theta)),
        "train_epochs": (X, Y, theta, np.zeros_like(theta), layout, 0, 0, dt.type(0.5), 1, 2,
                         dt.type(0.1), dt.type(0.0), True, np.zeros(1, dtype=np.uint64),
                         np.empty(3, dtype=np.int64), np.empty(1), np.empty(1)),
    }


def _signatures(dtype: str) -> dict[str, tuple]:
    from numba import typeof

    return {export: tuple(typeof(a) for a in args) for export, args in _examples(dtype).items()}


def _compile_all(module: ModuleType, dtype: str) -> None:
    """Call every entry point once with the argument types `NetworkKernels` passes, so numba
    compiles them now and caches the machine code next to the module."""
    for export, args in _examples(dtype).items():
        getattr(module, export)(*args)


# -- one network on the family -----------------------------------------------------------------
class _Pieces:
    """The compiled pieces of one network's own rows, loaded on first need (numba imported only
    then: a network of built-in rows never needs it)."""

    def __init__(self, family: ModuleType) -> None:
        self.family = family
        self.loaded: dict[tuple[str, str], ModuleType] = {}

    def addresses(self, kind: str, key: str, relu_at_zero: str = "0") -> tuple[int, int]:
        """The piece's two C addresses; ``relu_at_zero``: the network's ReLU'(0), which the
        piece's δ is derived with (one network has one)."""
        from . import pieces

        if (kind, key) not in self.loaded:
            folder = pieces.piece_folder(self.family.__file__)
            self.loaded[kind, key] = pieces.load_piece(
                kind, key, _dtype_name(self.family), folder,
                piece_problem, piece_lock, relu_at_zero)
        return pieces.addresses(self.loaded[kind, key])


def piece_problem(path: Path, manifest: Path) -> str | None:
    """Why a built piece cannot be trusted (None: it can): the family's checks."""
    return _problem(path, manifest)[1]


def piece_lock(folder: Path):
    """The lock a piece is built under."""
    return _build_lock(folder, "pieces")


def _dtype_name(family: ModuleType) -> str:
    return np.dtype(family.DTYPE).name


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
        self._dtype = np.dtype(self.DTYPE)
        self._unchecked = getattr(family, "UNCHECKED", family)
        act_code = {a: i for i, a in enumerate(family.ACTIVATIONS)}
        pieces = _Pieces(family)
        rows, offset, row_offset = [], 0, 0
        depth = network.depth
        for l, lay in enumerate(network.layers, start=1):
            fan_in = network.sizes[l - 1]
            w_off, offset = offset, offset + lay.units * fan_in
            b_off = -1
            if lay.bias:
                b_off, offset = offset, offset + lay.units
            code = act_code.get(lay.activation, family.CUSTOM)
            kink = "0"
            if network.relu_at_zero != 0 and follows_relu_at_zero(lay.activation):
                # the family is derived with ReLU'(0) = 0: this row's δ is a piece instead
                code, kink = family.CUSTOM, str(network.relu_at_zero)
            f_addr, df_addr = 0, 0
            if code == family.CUSTOM:       # a user's row: its piece, compiled once per machine
                f_addr, df_addr = pieces.addresses("activation", lay.activation, kink)
            keep_z = l == depth or code == family.CUSTOM or family.NEEDS_Z[code]
            rows.append([fan_in, lay.units, w_off, b_off, code, row_offset, int(keep_z),
                         f_addr, df_addr, 0, 0])
            row_offset += lay.units
        self.layout = np.array(rows, dtype=np.int64).reshape(depth, N_COLUMNS)
        loss_code = family.LOSSES.index(network.loss) if network.loss in family.LOSSES \
            else family.CUSTOM_LOSS
        if loss_code == family.CUSTOM_LOSS:
            self.layout[-1, family.LOSS_ADDR:family.DLOSS_ADDR + 1] = \
                pieces.addresses("loss", network.loss)
        self.size = offset
        self._slices, start = [], 0
        for shape in self.PARAM_SHAPES:
            size = math.prod(shape)
            self._slices.append((start, start + size, shape))
            start += size
        out_code = int(self.layout[-1, family.ACT])
        if out_code == family.CUSTOM or loss_code == family.CUSTOM_LOSS:
            self.pair = family.N_PAIRS + loss_code          # the generic pair
        else:
            self.pair = out_code * len(family.LOSSES) + loss_code
        self.pieces = pieces.loaded
        out_piece = pieces.loaded.get(("activation", network.layers[-1].activation))
        loss_piece = pieces.loaded.get(("loss", network.loss))
        classifier, midpoint = classification(
            False if out_piece else family.LAYERWISE[out_code],
            out_piece.MIDPOINT if out_piece else family.MIDPOINTS[out_code],
            loss_piece.PROBABILISTIC if loss_piece else family.PROBABILISTIC[loss_code],
            network.sizes[-1])
        self.CLASSIFIER = classifier
        if midpoint is not None:
            self.MIDPOINT = midpoint
        self.classify = 0 if not classifier else (1 if midpoint is not None else 2)
        self.midpoint = self.DTYPE(midpoint if midpoint is not None else math.nan)
        # `train_epochs` unchecked, and the arguments it takes after theta and velocity: what
        # `Kernels.train` calls with arrays it has checked as `takes` asks
        self.flat_kernel = (self._unchecked.train_epochs,
                            (self.layout, self.pair, self.classify, self.midpoint))

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
        flat = np.empty(self.size, dtype=self._dtype)
        views = self.views(flat)
        for view, a in zip(views, arrays):  # noqa: B905 — one per parameter (strict= costs 0.3 µs)
            view[...] = a
        return flat, views

    # -- the per-network module's functions ------------------------------------------------
    def _ready(self, a, ndim: int = 2) -> np.ndarray:
        """``a`` as the compiled family `takes` it: a copy when it is not one (numba would also
        type a read-only array apart and compile anew)."""
        if not takes(a, self._dtype, ndim):
            a = np.array(a, dtype=self.DTYPE, order="C")
            if a.ndim != ndim:
                raise TypeError(f"expected a {ndim}-d array, got shape {a.shape}")
        return a

    def forward(self, X, *params):
        return self._unchecked.forward(self._ready(X), self.pack(params), self.layout)

    def predict(self, X, *params):
        out = self.forward(X, *params)
        if self.classify == 1:
            return (out[:, 0] >= self.midpoint).astype(np.int64)
        if self.classify == 2:
            return out.argmax(axis=1).astype(np.int64)
        return out

    def loss(self, X, Y, *params):
        return self._unchecked.loss(self._ready(X), self._ready(Y), self.pack(params),
                                    self.layout, self.pair)

    def backward(self, X, Y, *arrays):
        n = len(self.PARAMS)
        params, grads = arrays[:n], arrays[n:]
        flat = np.empty(self.size, dtype=self.DTYPE)
        value = self._unchecked.backward(self._ready(X), self._ready(Y), self.pack(params),
                                         self.layout, self.pair, flat)
        self.unpack_into(flat, grads)
        return value

    def train_epochs(self, X, Y, *args):
        """The per-network module's ``train_epochs``: the parameter and velocity arrays are
        packed for the call and the trained values copied back into them; every array is
        checked by the family's own entry point."""
        n = len(self.PARAMS)
        params, velocities = args[:n], args[n:2 * n]
        (epochs, batch_size, lr, momentum, shuffle, state, order, loss_hist,
         acc_hist) = args[2 * n:]
        theta, velocity = self.pack(params), self.pack(velocities)
        done = self.family.train_epochs(
            self._ready(X), self._ready(Y), theta, velocity, self.layout, self.pair,
            self.classify, self.midpoint, int(epochs), int(batch_size), self.DTYPE(lr),
            self.DTYPE(momentum), bool(shuffle), state, order, loss_hist, acc_hist)
        self.unpack_into(theta, params)
        self.unpack_into(velocity, velocities)
        return done

    def train_flat(self, X, Y, theta, velocity, epochs, batch_size, lr, momentum, shuffle,
                   state, order, loss_hist, acc_hist):
        """``train_epochs`` on the flat parameter and velocity arrays (`pack_views`), trained
        in place, unchecked: what ``Kernels.train`` calls with the arrays it made itself (the
        driver's row order, random state and histories). Scalars as the family takes them:
        ints, two numbers of our dtype (a float for float64), a bool."""
        return self._unchecked.train_epochs(
            self._ready(X), self._ready(Y), theta, velocity, self.layout, self.pair,
            self.classify, self.midpoint, epochs, batch_size, lr, momentum, shuffle, state,
            order, loss_hist, acc_hist)


# -- every dtype at once (`make demo`, the test session, `python -m symprop.codegen.machine`) ---
def build_all(dtypes: tuple[str, ...] | None = None,
              directory: str | Path | None = None) -> dict[str, float]:
    """Build (or verify) the family of every dtype, the missing ones in parallel processes
    (each build is one thread of LLVM); one line each on stderr, then the total. Returns the
    seconds each dtype took, 0.0 for one already built."""
    import subprocess

    from .options import DTYPES

    start = time.perf_counter()
    missing = [d for d in (dtypes or DTYPES) if not is_built(d, directory)]
    code = ("import sys; from symprop.codegen.machine import load_family; "
            "load_family(sys.argv[1], sys.argv[2] or None)")
    procs = {d: (time.perf_counter(), subprocess.Popen(
        [sys.executable, "-c", code, d, "" if directory is None else str(directory)]))
        for d in missing}
    seconds = {d: 0.0 for d in (dtypes or DTYPES)}
    for d, (began, proc) in procs.items():
        if proc.wait() != 0:
            raise RuntimeError(f"building the per-machine {d} kernels failed")
        seconds[d] = time.perf_counter() - began
    folder = family_folder(directory)
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    built = ", ".join(f"{d} {s:.1f} s" if s else f"{d} (built before)" for d, s in seconds.items())
    print(f"symprop: per-machine kernels ready in {folder}: {built}; "
          f"{time.perf_counter() - start:.1f} s in all, {size / 1e6:.1f} MB", file=sys.stderr)
    return seconds


if __name__ == "__main__":
    build_all()
