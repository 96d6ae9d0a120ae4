"""The one training driver: a kernel's ``train_epochs`` run in chunks of epochs.

`Kernels.train` and `symprop.runtime.train.run_epochs` both train through `run_chunks`, so
they cannot drift apart (they had: only one pinned BLAS to one thread for split kernels).
Chunks let a progress bar move and Ctrl-C be heard; the random state is carried across
chunks, so the result never depends on the chunking. Its fixed cost per call is kept to a few
microseconds (one kernel call when the whole run fits one chunk, no context manager unless a
split kernel needs BLAS pinned, no progress bar unless asked for).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from .blas import one_blas_thread

CHUNK_SECONDS = 0.25        # aim for one progress update about this often
FIRST_CHUNK_SAMPLES = 20_000  # samples × epochs in the first call, before the rate is known
NOT_FINITE = -1             # what a kernel's train_epochs returns for X or Y not finite
_NOT_FINITE_SAYS = {"X": "inputs contain NaN or infinity", "Y": "targets contain NaN or infinity"}


def _not_finite_error(data: np.ndarray, key: str) -> SpecError | None:
    """SpecError naming ``key`` ("X" or "Y") when ``data`` holds a NaN or an infinity."""
    if np.isfinite(data).all():
        return None
    return SpecError(_NOT_FINITE_SAYS[key], key=key, expected="finite numbers")


def check_finite(data: np.ndarray, key: str) -> None:
    """Raise `_not_finite_error` when there is one."""
    if (error := _not_finite_error(data, key)) is not None:
        raise error


def not_finite(X: np.ndarray, Y: np.ndarray) -> SpecError:
    """The error for a run the kernel refused (`NOT_FINITE`), naming X or Y."""
    # both finite by now: another thread wrote to the data while the kernel read it
    return (_not_finite_error(X, "X") or _not_finite_error(Y, "Y")
            or SpecError("inputs or targets held NaN or infinity while training", key="X",
                         expected="finite numbers, not changed during training"))


@dataclass
class Ran:
    """What a run did: epochs completed (less than asked when a loss was not finite: then the
    index of that epoch; `NOT_FINITE` when the kernel found the data not finite), the per-epoch
    history, seconds of numba compiling on a first call."""

    done: int
    loss: np.ndarray
    accuracy: np.ndarray
    compile_seconds: float = 0.0


def one_call(kernel, rows: int, epochs: int, threads: int, progress: bool,
             chunk_epochs: int | None, compiling: bool | None) -> bool:
    """Is the whole run one kernel call with nothing to time or show (the usual short call)?
    Then `Kernels.train` calls the kernel itself; `run_chunks` decides the same way. Pass
    ``compiling`` when known: looking for numba's ``overloads`` costs a microsecond."""
    if compiling is None:
        compiling = not getattr(kernel, "overloads", True)  # numba compiles on the first call
    chunk = chunk_epochs or max(1, FIRST_CHUNK_SAMPLES // rows)
    return 0 < epochs <= chunk and threads == 1 and not compiling and not progress


def run_chunks(kernel, X: np.ndarray, Y: np.ndarray, params: list, velocities: list,
               state: np.ndarray, epochs: int, batch_size: int, lr, momentum, shuffle: bool,
               *, threads: int = 1, progress: bool = False, chunk_epochs: int | None = None,
               first_chunk: int | None = None, compiling: bool | None = None,
               buffers: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Ran:
    """Train ``params`` (and ``velocities``, ``state``) in place for ``epochs`` epochs.

    ``lr`` and ``momentum`` are scalars of the kernel's dtype (a float is a float64).
    ``chunk_epochs`` fixes the epochs per kernel call; else the first call runs ``first_chunk``
    epochs (default: about FIRST_CHUNK_SAMPLES samples) and later ones about CHUNK_SECONDS
    each. ``compiling``: does the first call compile (its time is then ``compile_seconds``)?
    None: a numba dispatcher with nothing compiled yet does. ``buffers``: arrays to use for the
    row order and the loss and accuracy histories (``epochs`` long), else new ones.
    """
    # the histories are not filled: every kernel writes an epoch's entries before it looks at
    # them, and only the epochs it ran (the failed one included) are read
    if buffers is None:
        order, loss_hist, acc_hist = (np.empty(X.shape[0], dtype=np.int64), np.empty(epochs),
                                      np.empty(epochs))
    else:
        order, loss_hist, acc_hist = buffers
    if first_chunk is None and one_call(kernel, X.shape[0], epochs, threads, progress,
                                        chunk_epochs, compiling):
        ran = kernel(X, Y, *params, *velocities, epochs, batch_size, lr, momentum, shuffle,
                     state, order, loss_hist, acc_hist)
        return Ran(int(ran), loss_hist, acc_hist)
    chunk = chunk_epochs or first_chunk or max(1, FIRST_CHUNK_SAMPLES // X.shape[0])
    if compiling is None:
        compiling = not getattr(kernel, "overloads", True)  # numba compiles on the first call
    compile_seconds = 0.0
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs, unit="epoch", desc="training")
    done = 0
    try:
        while done < epochs:
            n = chunk if chunk < epochs - done else epochs - done
            losses, accs = loss_hist[done:done + n], acc_hist[done:done + n]
            start = time.perf_counter()
            if threads > 1:
                # split kernels run BLAS inside their own threads: one BLAS thread each
                with one_blas_thread(True):
                    ran = kernel(X, Y, *params, *velocities, n, batch_size, lr, momentum,
                                 shuffle, state, order, losses, accs)
            else:
                ran = kernel(X, Y, *params, *velocities, n, batch_size, lr, momentum, shuffle,
                             state, order, losses, accs)
            elapsed = time.perf_counter() - start
            if compiling:
                compile_seconds, compiling = elapsed, False
            elif chunk_epochs is None and done + n < epochs:
                # about CHUNK_SECONDS per call, growing at most 4-fold at a time
                chunk = max(1, min(4 * n, int(CHUNK_SECONDS / max(elapsed / n, 1e-9))))
            if ran < n:
                return Ran(done + int(ran) if ran >= 0 else NOT_FINITE, loss_hist, acc_hist,
                           compile_seconds)
            done += n
            if bar is not None:
                bar.update(n)
                bar.set_postfix(loss=f"{loss_hist[done - 1]:.4g}")
    finally:
        if bar is not None:
            bar.close()
    return Ran(done, loss_hist, acc_hist, compile_seconds)
