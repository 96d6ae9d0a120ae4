"""One BLAS thread while symprop's own threads run: the two pools would fight over the cores.

numba's matrix products call SciPy's OpenBLAS, which starts threads of its own once a product is
big enough. Inside a kernel that already splits each minibatch over threads that oversubscribes
the CPUs: a 2-thread 32-64⁴-1 kernel at batch 256 on 2 cores ran 12× slower than the serial one
(23 k vs 251 k samples/s, measured). `one_blas_thread` pins OpenBLAS to one thread for the
duration of a call and puts the old count back. Where numba's BLAS is not a bundled OpenBLAS
(MKL, a system BLAS) it does nothing.
"""

from __future__ import annotations

import ctypes
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

# the thread-count functions of SciPy's bundled OpenBLAS (scipy-openblas wheels), then of a
# plain OpenBLAS build
_NAMES = (("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("openblas_get_num_threads", "openblas_set_num_threads"))


@cache
def _openblas_threads() -> tuple | None:
    """(get, set) of the OpenBLAS bundled with SciPy, the BLAS numba calls; None if there is
    none to find."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or spec.origin is None:
        return None
    libs = Path(spec.origin).parent.parent / "scipy.libs"
    for path in sorted(libs.glob("libscipy_openblas*.so*")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for get_name, set_name in _NAMES:
            get, put = getattr(lib, get_name, None), getattr(lib, set_name, None)
            if get is not None and put is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return get, put
    return None


def blas_threads() -> int | None:
    """The thread count of numba's OpenBLAS now; None where it cannot be found."""
    functions = _openblas_threads()
    return None if functions is None else int(functions[0]())


@contextmanager
def one_blas_thread(active: bool = True) -> Iterator[None]:
    """OpenBLAS pinned to one thread inside the block (if ``active``), restored after it."""
    functions = _openblas_threads() if active else None
    if functions is None:
        yield
        return
    get, put = functions
    before = int(get())
    put(1)
    try:
        yield
    finally:
        put(before)
