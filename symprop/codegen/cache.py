"""The on-disk kernel cache: content-hashed module files, imported as real files.

A module's file name is a hash of everything that decides its text: the network's structure
(sizes, activations with their formulas, biases, loss), its name (it appears in the preamble),
dtype, kernel shape, fastmath, ``symprop.__version__`` and a fingerprint of the generator's own
source. A cached file is therefore never stale, and is loaded without deriving anything. It is also
checked, not trusted (`verify.py`): its content hash and the generator fingerprint are recorded
when it is written and checked when it is loaded; numba's cache files are checked before numba
reads them, an ahead-of-time extension is hashed before it is imported; whatever fails is
rewritten, with one line on stderr saying so.

Modules are imported with ``spec_from_file_location`` and registered in ``sys.modules`` before
they run: numba's ``cache=True`` needs a real source file, and then stores the compiled machine
code next to it (``__pycache__/*.nbi``, ``*.nbc``) so the next process does not compile again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from ..io import write_atomic

ENV_VAR = "SYMPROP_CACHE_DIR"
_IMPORT_LOCK = threading.Lock()


def cache_dir() -> Path:
    """``$SYMPROP_CACHE_DIR``, else the user cache directory (``~/.cache/symprop``)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "symprop"


@cache
def generator_fingerprint() -> str:
    """A hash of the code that turns a network into a module (codegen, templates, derive)."""
    here = Path(__file__).resolve().parent
    files = sorted([*here.glob("*.py"), *here.glob("templates/*.jinja"),
                    *(here.parent / "derive").glob("*.py")])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def kernel_key(network, dtype: str, shape: str, fastmath: bool, parts: int = 1) -> str:
    """The content hash naming a network's kernel module (see the module docstring).

    Built-in activations and losses are named: their formulas are in the generator's
    fingerprint, so a cache hit needs no SymPy. Rows registered at run time add their formulas.
    """
    from .. import __version__
    from ..units import is_builtin_activation, is_builtin_loss

    def activation_text(name: str) -> str:
        if is_builtin_activation(name):
            return name
        from ..derive.derivatives import Z
        from ..derive.rules import ACTIVATIONS
        row = ACTIVATIONS[name]
        stable = row.stable(Z) if row.stable is not None else None
        return f"{row.definition(Z)}|{stable}|{row.layerwise}|{row.differentiable}"

    def loss_text(name: str) -> str:
        if is_builtin_loss(name):
            return name
        from ..derive.derivatives import D, K, Y
        from ..derive.rules import LOSSES
        return str(LOSSES[name].term(Y, D, K))

    material = {
        "version": __version__,
        "generator": generator_fingerprint(),
        "name": network.name,
        "inputs": network.n_inputs,
        "layers": [[lay.units, lay.activation, lay.bias, activation_text(lay.activation)]
                   for lay in network.layers],
        "loss": [network.loss, loss_text(network.loss)],
        "relu_at_zero": str(network.relu_at_zero),
        "dtype": dtype, "shape": shape, "fastmath": bool(fastmath),
    }
    if parts != 1:      # serial kernels keep the names they had before threads existed
        material["parts"] = int(parts)
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class CachedModule:
    module: ModuleType
    path: Path
    shape: str
    generated: bool         # this call wrote the file
    seconds: float          # generating + writing + importing (numba compiles later, lazily)


def folder_tag(folder: Path) -> str:
    """Eight hex digits naming ``folder``, for the names generated modules are imported under:
    one process may load the same kernel from two cache folders, and numba ties each compiled
    function to its own file."""
    return hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]


def module_names(key: str, directory: Path) -> tuple[Path, str]:
    """The file for ``key`` in ``directory`` and the module name it is imported under."""
    return (directory / f"symprop_{key[:24]}.py",
            f"_symprop_kernels_{key[:24]}_{folder_tag(directory)}")


def load(network, dtype: str = "float64", shape: str | None = None, fastmath: bool = False,
         directory: str | Path | None = None, threads: int | None = None,
         aot: bool | None = None) -> CachedModule:
    """The kernel module for ``network``: from this process, from the cache folder, or new.

    ``threads``: the row slices a minibatch is split into (`options.choose_parts`).
    ``aot``: True builds the ahead-of-time extension (`symprop.codegen.aot`) if it is missing
    and loads it (one thread); None loads it when it exists and ``threads`` is None or 1,
    else the JIT module; False never.
    """
    from .options import check_options, choose_parts

    start = time.perf_counter()
    shape = check_options(network, dtype, shape)
    if aot:
        from .aot import check_one_thread

        check_one_thread(threads)
    folder = Path(directory).expanduser() if directory is not None else cache_dir()
    if aot is not False and threads in (None, 1):
        # builds are one-thread modules; with threads left to us, one made on purpose beats
        # compiling a split kernel (seconds) in every new process
        path, name = module_names(kernel_key(network, dtype, shape, fastmath), folder)
        compiled = _load_aot(path, name)
        if compiled is not None:
            return CachedModule(compiled, path, shape, False, time.perf_counter() - start)
    parts = choose_parts(shape, 1 if aot else threads)
    key = kernel_key(network, dtype, shape, fastmath, parts)
    path, name = module_names(key, folder)
    module, generated = _load_jit(network, dtype, shape, fastmath, parts, path, name)
    if aot:
        from .aot import build
        from .verify import sha256, write_record

        extension = build(path, module)
        write_record(path, extension=sha256(extension))
        module, generated = _load_aot(path, name), True
        if module is None:
            raise ImportError(f"the ahead-of-time build of {path} does not load")
    return CachedModule(module, path, shape, generated, time.perf_counter() - start)


def has_aot_build(network, dtype: str, directory: str | Path | None = None) -> bool:
    """Is there an ahead-of-time build of ``network``'s default per-network module? (No SymPy
    for built-in rows.) `compile_network` prefers one made on purpose to the family."""
    from .aot import extension_path
    from .options import choose_shape

    folder = Path(directory).expanduser() if directory is not None else cache_dir()
    shape = choose_shape(network)
    path, _ = module_names(kernel_key(network, dtype, shape, False), folder)
    return extension_path(path).exists()


def _load_aot(path: Path, name: str) -> ModuleType | None:
    """The ahead-of-time module of ``path``, when one was built for this CPU."""
    from .aot import extension_path
    from .aot import load as load_extension
    from .verify import extension_problem, module_problem, say_healing

    name += "_aot"
    with _IMPORT_LOCK:
        if name not in sys.modules and path.exists():
            extension = extension_path(path)
            if not extension.exists():
                return None
            # hashed BEFORE importing: a truncated extension kills the process when loaded
            problem = (module_problem(path, generator_fingerprint())
                       or extension_problem(path, extension))
            if problem is not None:
                say_healing(extension, problem, "removed it; the JIT kernels serve")
                extension.unlink(missing_ok=True)
                return None
            module = load_extension(path, name)
            if module is None:
                return None
            sys.modules[name] = module
        return sys.modules.get(name)


def _load_jit(network, dtype: str, shape: str, fastmath: bool, parts: int, path: Path,
              name: str) -> tuple[ModuleType, bool]:
    """The generated module, imported (numba compiles each function on its first call)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded, False
    from .verify import forget_compiled, module_problem, numba_cache_problem, say_healing

    generated = False
    if not path.exists():
        _write(network, dtype, shape, fastmath, parts, path)
        generated = True
    elif (problem := module_problem(path, generator_fingerprint())) is not None:
        say_healing(path, problem, "writing it again")
        forget_compiled(path)
        _write(network, dtype, shape, fastmath, parts, path)
        generated = True
    if (problem := numba_cache_problem(path)) is not None:
        say_healing(path, problem, "numba compiles it again")
        forget_compiled(path)
    try:
        module = import_file(path, name)
    except (SyntaxError, ImportError, AttributeError):
        if generated:
            raise
        # a damaged file from elsewhere: write it again, once
        _write(network, dtype, shape, fastmath, parts, path)
        module, generated = import_file(path, name), True
    return module, generated


def _write(network, dtype: str, shape: str, fastmath: bool, parts: int, path: Path) -> None:
    from .generate import generate
    from .verify import sha256, write_record

    source = generate(network, dtype=dtype, shape=shape, fastmath=fastmath, threads=parts).source
    write_atomic(path, source)
    # a new module: any extension beside it was built from another text (no hash: not loaded)
    write_record(path, sha256=sha256(path), generator=generator_fingerprint(), extension=None)


def import_file(path: Path, name: str) -> ModuleType:
    """Import ``path`` as module ``name``, registered in ``sys.modules`` before it runs."""
    with _IMPORT_LOCK:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
