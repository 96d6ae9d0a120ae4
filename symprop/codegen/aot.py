"""Ahead-of-time compiled kernels: a generated module built into a Python extension.

numba's JIT cache still needs numba in every new process: importing it, starting LLVM and
loading the cached machine code costs about a second before the first step. An extension
built by ``numba.pycc`` holds the same machine code and needs only NumPy, so a process that
finds one starts training in about a tenth of that (``reports/warm-start.md``).

Built from the module file numba would JIT, next to it in the kernel cache:

    symprop_<key>.py                       the generated source (one truth)
    symprop_<key>_<cpu><EXT_SUFFIX>        its five kernels, compiled for this CPU

The exported functions are thin forwarders to the generated ``@njit`` functions, so the
kernels keep their own flags (``error_model``, ``fastmath``) and give the same bits as the
JIT. Their argument types are those `symprop.runtime.kernels.Kernels` passes. A module whose
minibatch is split over threads (``PARTS`` > 1) cannot be built: numba's thread pool is a
part of numba. The module's constants (``PARAMS``, ``CLASSIFIER``…) are read from the source
with `ast`, which keeps the loading side free of numba.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import shutil
import sys
import tempfile
import warnings
from functools import cache
from pathlib import Path
from types import ModuleType

from ..errors import SpecError

EXPORTS = ("forward", "predict", "loss", "backward", "train_epochs")
RUNTIME = "symprop_aot"     # the one name numba's C runtime part is compiled under, once


@cache
def cpu_tag() -> str:
    """Eight hex digits naming this CPU's model and instruction set: a build for one CPU is
    never loaded on another (kernels are compiled for the host, AVX-512 and all)."""
    text = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith(("model name", "flags", "Features", "CPU part")):
                    text += line
                elif not line.strip() and text:
                    break                   # the first processor tells
    except OSError:
        pass
    text = text or f"{platform.machine()}|{platform.processor()}|{platform.platform()}"
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def extension_path(source: Path) -> Path:
    """Where the compiled extension of the module file ``source`` lives."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return source.with_name(f"{source.stem}_{cpu_tag()}{suffix}")


def load(source: Path, name: str) -> ModuleType | None:
    """The module of ``source`` with its kernels from the compiled extension, or None when
    there is none for this CPU. Imports neither numba nor SymPy."""
    path = extension_path(source)
    if not path.exists():
        return None
    constants = module_constants(source)
    if constants.get("SHAPE") == "loops":
        preload_blas()
    extension = load_extension(path)
    if extension is None:         # damaged, or built against another NumPy: the JIT serves
        return None
    return as_module(extension, source, name, EXPORTS, constants, file=path)


def as_module(extension: ModuleType, source: Path, name: str, exports: tuple[str, ...],
              constants: dict, file: Path) -> ModuleType:
    """A module standing for ``source``: its literal ``constants`` (`module_constants`) and the
    ``exports`` of its compiled ``extension``; ``SOURCE``, ``EXTENSION`` and ``AOT`` say where
    it comes from, ``__file__`` is ``file``."""
    module = ModuleType(name, f"the kernels of {source.name}, compiled ahead of time")
    module.__dict__.update(constants)
    module.__file__ = str(file)
    module.SOURCE = str(source)
    module.EXTENSION = str(extension.__file__)
    module.AOT = True
    for export in exports:
        setattr(module, export, getattr(extension, export))
    return module


def module_constants(source: Path) -> dict:
    """The literal top-level assignments of a generated module (``NAME``, ``PARAMS``, …)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    constants = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            continue                                  # DTYPE = np.float64 and the like
        if isinstance(target, ast.Name):
            constants[target.id] = value
        elif (isinstance(target, ast.Tuple) and isinstance(value, tuple)
              and len(value) == len(target.elts)
              and all(isinstance(e, ast.Name) for e in target.elts)):
            constants.update(zip((e.id for e in target.elts), value, strict=True))
    return constants


def preload_blas() -> None:
    """Load SciPy's BLAS table on its own, without ``scipy/linalg/__init__``.

    numba's runtime imports ``scipy.linalg.cython_blas`` at the first product; through the
    package that pulls in all of ``scipy.linalg`` (0.25 s, measured), while the one extension
    module it needs loads in 0.04 s. Anything unexpected falls back to the plain import.
    """
    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        return
    try:
        scipy = importlib.util.find_spec("scipy")
        folder = Path(scipy.submodule_search_locations[0]) / "linalg"
        path = next(folder.glob("cython_blas.*"))
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        blas = importlib.util.module_from_spec(spec)
        sys.modules[name] = blas
        loader.exec_module(blas)
    except Exception:                                 # noqa: BLE001 — any layout we do not know
        sys.modules.pop(name, None)


# -- building ------------------------------------------------------------------------------------
def check_one_thread(threads: int | None) -> None:
    """SpecError unless ``threads`` is None or 1: numba's thread pool is a part of numba, so a
    build cannot split a minibatch."""
    if threads not in (None, 1):
        raise SpecError("ahead-of-time kernels run on one thread", key="threads",
                        expected="threads=1 (or none) with an ahead-of-time build", got=threads)


def has_c_compiler() -> bool:
    return shutil.which(os.environ.get("CC", "cc")) is not None or shutil.which("gcc") is not None


def build(source: Path, module: ModuleType) -> Path:
    """Compile the kernels of ``module`` (imported from ``source``) into its extension.

    Written atomically: built in a private folder, then renamed into place.
    """
    check_one_thread(getattr(module, "PARTS", 1))
    return build_exports(source, {export: (getattr(module, export), signature)
                                  for export, signature in _signatures(module).items()})


def build_exports(source: Path, exports: dict[str, tuple]) -> Path:
    """Compile ``{name: (@njit kernel, argument types)}`` into the extension of ``source``
    (`extension_path`), through thin forwarders; atomically (a private folder, then a rename)."""
    compiler = _compiler_or_error()
    target = extension_path(source)
    workdir = Path(tempfile.mkdtemp(prefix=".aot-", dir=source.parent))
    try:
        cc = compiler(target.name.split(".")[0], runtime_dir=source.parent / ".aot-runtime")
        cc.output_dir = str(workdir)
        cc.target_cpu = "host"
        for export, (kernel, signature) in exports.items():
            cc.export(export, signature)(_forwarder(export, kernel))
        try:
            cc.compile()
        except Exception as exc:        # noqa: BLE001 — the C toolchain's or numba's own words
            raise SpecError(f"the ahead-of-time build of {source.name} failed", key="aot",
                            expected="a C compiler with the Python headers (Debian: "
                                     "python3-dev) and a module numba compiles",
                            got=f"{type(exc).__name__}: {exc}") from exc
        built = workdir / cc.output_file
        os.replace(built, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return target


def load_extension(path: Path) -> ModuleType | None:
    """Import the extension at ``path``; None when it does not load (built against another
    NumPy, say). Callers hash it first: loading a truncated extension kills the process."""
    loader = importlib.machinery.ExtensionFileLoader(path.name.split(".")[0], str(path))
    spec = importlib.util.spec_from_file_location(loader.name, path, loader=loader)
    try:
        extension = importlib.util.module_from_spec(spec)
        loader.exec_module(extension)
    except ImportError:
        return None
    return extension


def _forwarder(export: str, kernel):
    """``def <export>(a0, a1, …): return kernel(a0, a1, …)`` — a compiled call of the @njit
    kernel, which keeps that kernel's own compile flags."""
    args = ", ".join(f"a{i}" for i in range(kernel.py_func.__code__.co_argcount))
    namespace = {"kernel": kernel}
    exec(f"def {export}({args}):\n    return kernel({args})\n", namespace)   # noqa: S102
    return namespace[export]


def _signatures(module: ModuleType) -> dict[str, tuple]:
    """The argument types of each export as `Kernels` calls it: C-contiguous arrays of the
    module's dtype, int64 counts, scalars of the dtype, the uint64 random state."""
    import numpy as np
    from numba import typeof

    dtype = np.dtype(module.DTYPE)
    arrays = [np.zeros(shape, dtype=dtype) for shape in module.PARAM_SHAPES]
    X = np.zeros((1, module.N_INPUTS), dtype=dtype)
    Y = np.zeros((1, module.N_OUTPUTS), dtype=dtype)
    history = np.zeros(1)
    examples = {
        "forward": (X, *arrays),
        "predict": (X, *arrays),
        "loss": (X, Y, *arrays),
        "backward": (X, Y, *arrays, *arrays),
        "train_epochs": (X, Y, *arrays, *arrays, 1, 1, dtype.type(0), dtype.type(0), True,
                         np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.int64),
                         history, history),
    }
    return {export: tuple(typeof(value) for value in examples[export]) for export in EXPORTS}


def _compiler_or_error():
    """numba's pycc with its C runtime part compiled once per cache folder, or a clear error."""
    if not has_c_compiler():
        raise SpecError("an ahead-of-time build needs a C compiler", key="aot",
                        expected="cc or gcc on PATH (Debian: apt-get install gcc)")
    try:
        import setuptools  # noqa: F401 — numba.pycc builds through it
        with warnings.catch_warnings():      # pycc is "pending deprecation" with no successor
            warnings.simplefilter("ignore")
            from numba.pycc import CC
    except ImportError as exc:
        raise SpecError("an ahead-of-time build needs numba.pycc and setuptools", key="aot",
                        expected="pip install setuptools", got=str(exc)) from None

    class SharedRuntimeCC(CC):
        """pycc, with the C part every extension links (numba's helper library and NRT)
        compiled once under one name and kept: it is 3 of the 5 seconds of a build."""

        def __init__(self, name: str, runtime_dir: Path) -> None:
            super().__init__(name, source_module=__name__)
            self._init_function = f"pycc_init_{RUNTIME}"
            self._runtime_dir = runtime_dir

        def _get_mixin_defines(self):
            return [(key, RUNTIME if key == "PYCC_MODULE_NAME" else value)
                    for key, value in super()._get_mixin_defines()]

        def _compile_mixins(self, build_dir):
            import numba

            folder = self._runtime_dir / f"numba-{numba.__version__}-{sys.implementation.cache_tag}"
            done = folder / "objects.txt"
            if not done.exists():
                self._runtime_dir.mkdir(parents=True, exist_ok=True)
                fresh = Path(tempfile.mkdtemp(prefix=".building-", dir=self._runtime_dir))
                objects = super()._compile_mixins(str(fresh))
                (fresh / "objects.txt").write_text(
                    "\n".join(os.path.relpath(o, fresh) for o in objects))
                fresh.chmod(0o755)          # mkdtemp's 0700 would hide it from a shared cache
                try:
                    os.replace(fresh, folder)
                except OSError:                       # another process got there first
                    shutil.rmtree(fresh, ignore_errors=True)
            return [str(folder / line) for line in done.read_text().splitlines()]

    return SharedRuntimeCC
