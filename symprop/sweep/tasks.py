"""The worker side of a sweep: one task trains one network for one seed.

A network the per-machine kernel family holds (every built-in row) travels as its name alone:
each worker loads the family its machine built once (`symprop.codegen.machine`), so a sweep
over widths or depths compiles nothing. Other networks' kernels travel as their generated
module *source text* plus its content hash (`KernelRef`), never as pickled numba dispatchers.
A worker writes such a module into its own cache directory
(``$SYMPROP_CACHE_DIR/sweep/worker-<name>/``), imports it as a real file, so numba's on-disk
cache (``cache=True``) works, and keeps the loaded kernels for the life of the process: each
worker compiles each distinct network once, and a later sweep on the same machine loads the
machine code from disk instead.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..io import write_atomic
from ..runtime.datasets import Dataset
from ..spec import Network

#: Environment of a sweep worker: one numba thread and one BLAS thread per (single-threaded)
#: worker process, so N workers use N cores instead of fighting over them.
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class KernelRef:
    """What a worker needs to build one network's kernels: the module text and its hash."""

    digest: str          # sha256 of ``source``: the module's name on the worker ("family:<dtype>")
    source: str          # empty for the family
    dtype: str
    shape: str           # the kernel shape (family | unrolled | loops)
    network: Network     # shapes and names for the `Kernels` wrapper (no weights)


@dataclass(frozen=True)
class RunSpec:
    """One run: a grid point's training settings and a seed."""

    key: tuple[str, ...]                  # grid values as text + seed: the CSV's identity
    point: tuple[tuple[str, Any], ...]
    seed: int
    epochs: int
    batch_size: int
    learning_rate: float
    momentum: float
    shuffle: bool = True


def digest_of(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def kernel_ref(network: Network, dtype: str = "float64") -> KernelRef:
    """Client side: the kernel module's source for ``network``, generated once (no compiling).

    A module already in this machine's kernel cache (``symprop train`` put it there, or an
    earlier sweep) is read instead of generated again; a new one is stored there.
    """
    from ..codegen.cache import cache_dir as user_cache
    from ..codegen.cache import kernel_key, module_names
    from ..codegen.generate import check_options, choose_parts, generate
    from ..codegen.options import FAMILY, choose_family

    if choose_family(network, dtype, None):
        return KernelRef(f"{FAMILY}:{dtype}", "", dtype, FAMILY, network)
    shape = check_options(network, dtype, None)
    parts = choose_parts(shape, None)   # as `network.compile` would
    path, _ = module_names(kernel_key(network, dtype, shape, False, parts), user_cache())
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source)
    except (OSError, SyntaxError, ValueError):    # not there, or damaged: generate it
        source = ""
    if not source:
        source = generate(network, dtype=dtype, shape=shape, threads=parts).source
        try:
            write_atomic(path, source)
        except OSError:      # a read-only cache only costs generating again next time
            pass
    return KernelRef(digest_of(source), source, dtype, shape, network)


# -- per worker process -------------------------------------------------------------------------
_MODULES: dict[str, Any] = {}     # digest -> (module, path), compiled, for this process's life
_LOAD_LOCK = threading.Lock()     # a worker with several threads compiles a module once
STATS: dict[str, Any] = {"compiles": 0, "disk_loads": 0, "compile_s": 0.0, "runs": 0}


def limit_threads() -> None:
    """One thread for numba and BLAS here (a no-op where the cluster's env already did it).

    Workers of an outside cluster should be started with `WORKER_ENV` set: BLAS reads its
    variable when NumPy loads, which happens before any task runs.
    """
    os.environ.update(WORKER_ENV)
    if "numba" in sys.modules:
        import numba
        if numba.get_num_threads() != 1:
            numba.set_num_threads(1)


def worker_name() -> str:
    """This worker's address (``local`` outside a Dask worker)."""
    try:
        from distributed import get_worker
        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def cache_dir() -> Path:
    """This worker's own kernel folder: ``<symprop cache>/sweep/worker-<name>``."""
    from ..codegen.cache import cache_dir as user_cache

    try:
        from distributed import get_worker
        name = str(get_worker().name)
    except (ImportError, ValueError):
        name = f"pid{os.getpid()}"
    return user_cache() / "sweep" / ("worker-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name))


@dataclass(frozen=True)
class Loaded:
    """Kernels as a task gets them, and what getting them cost in this worker."""

    kernels: Any
    first: bool          # this task loaded the module into this worker process
    from_disk: bool      # ... from numba's disk cache, rather than compiling it
    seconds: float       # writing, importing and compiling (or loading) it


def load_kernels(ref: KernelRef) -> Loaded:
    """``ref``'s kernels in this process, from memory, numba's disk cache or compiled now.

    The first call for a module writes it (unless the same text is already there: rewriting
    would change its time stamp and void numba's disk cache), imports it and compiles what a
    run calls, or loads that machine code from numba's cache; later calls reuse it.
    """
    from ..runtime.kernels import Kernels

    if ref.shape == "family":
        return _load_family(ref)
    with _LOAD_LOCK:
        entry = _MODULES.get(ref.digest)
        first, from_disk, seconds = entry is None, False, 0.0
        if entry is None:
            if digest_of(ref.source) != ref.digest:
                raise ValueError(f"kernel source does not match its hash {ref.digest[:12]}")
            t0 = time.perf_counter()
            module, path, from_disk = import_source(ref.source, ref.digest, cache_dir())
            warm(Kernels(ref.network, module, path, ref.dtype, ref.shape, False))
            seconds = time.perf_counter() - t0
            entry = _MODULES[ref.digest] = (module, path)
            STATS["disk_loads" if from_disk else "compiles"] += 1
            STATS["compile_s"] += seconds
    module, path = entry
    # one module may serve several networks (loop kernels take their sizes at run time)
    kernels = Kernels(ref.network, module, path, ref.dtype, ref.shape, False)
    return Loaded(kernels, first, from_disk, seconds)


def _load_family(ref: KernelRef) -> Loaded:
    """The per-machine family: built once per machine (then every worker loads it), never
    compiled per network."""
    from ..codegen import machine
    from ..runtime.kernels import Kernels

    with _LOAD_LOCK:
        entry = _MODULES.get(ref.digest)
        first, from_disk, seconds = entry is None, True, 0.0
        if entry is None:
            t0 = time.perf_counter()
            family = machine.load_family(ref.dtype)
            from_disk = not getattr(family, "BUILT_HERE", False)
            seconds = time.perf_counter() - t0
            entry = _MODULES[ref.digest] = (family, Path(family.__file__))
            STATS["disk_loads" if from_disk else "compiles"] += 1
            STATS["compile_s"] += seconds
    family, path = entry
    kernels = Kernels(ref.network, machine.NetworkKernels(ref.network, family), path, ref.dtype,
                      machine.SHAPE, False)
    return Loaded(kernels, first, from_disk, seconds)


def warm(kernels: Any) -> None:
    """Compile (or load from numba's cache) exactly what a training run calls, on one sample.

    `Kernels.warmup` also compiles ``backward`` and ``predict``, which `fit` never calls: here
    that would only add compile time to every worker.
    """
    import numpy as np

    net = kernels.network
    X = np.zeros((1, net.n_inputs), dtype=kernels.dtype)
    Y = np.zeros((1, net.sizes[-1]), dtype=kernels.dtype)
    Y[:, 0] = 1
    params = kernels.init_params(0)
    kernels.forward(params, X)
    kernels.loss(params, X, Y)
    kernels.train(params, X, Y, epochs=1, batch_size=1, learning_rate=0.0)


def import_source(source: str, digest: str, directory: Path
                  ) -> tuple[ModuleType, Path, bool]:
    """Write ``source`` as a real file in ``directory`` (if not there yet) and import it.

    Returns (module, path, whether numba's disk cache already holds compiled functions of it).
    """
    from ..codegen.cache import import_file, module_names

    path, name = module_names(digest, directory)
    try:
        same = path.read_text(encoding="utf-8") == source
    except OSError:
        same = False
    if not same:
        write_atomic(path, source)
    cached = same and any((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi"))
    return import_file(path, name), path, cached


def run_training(ref: KernelRef, run: RunSpec, data: Dataset) -> dict[str, Any]:
    """Train ``ref``'s network on ``data`` from ``init_params(seed)``, as ``symprop train``."""
    from ..runtime.train import Settings, fit

    t0 = time.perf_counter()
    limit_threads()
    loaded = load_kernels(ref)
    settings = Settings(epochs=run.epochs, batch_size=run.batch_size,
                        learning_rate=run.learning_rate, momentum=run.momentum,
                        shuffle=run.shuffle, seed=run.seed, dtype=ref.dtype)
    result = fit(ref.network, data, settings, kernels=loaded.kernels)
    STATS["runs"] += 1
    return {"loss": _float(result.loss), "accuracy": _float(result.accuracy),
            "epochs": len(result.history.get("loss", [])), "train_s": result.train_s,
            "wall_s": time.perf_counter() - t0, "compile_s": loaded.seconds,
            "compiled": loaded.first and not loaded.from_disk,
            "from_disk": loaded.first and loaded.from_disk, "worker": worker_name(),
            "status": "ok" if result.stopped is None else "diverged"}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
