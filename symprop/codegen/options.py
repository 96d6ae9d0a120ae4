"""The kernel options (dtype, shape) and their checks: light, so a cache hit imports little."""

from __future__ import annotations

import importlib
import math
import os
from functools import cache

from ..errors import SpecError

DTYPES = ("float64", "float32")
SHAPES = ("unrolled", "loops")
UNROLL_MAX_PARAMS = 64          # networks up to this many weights and biases get scalar code


def n_params(network) -> int:
    return sum(math.prod(s) for s in network.param_shapes().values())


def choose_shape(network, shape: str | None = None) -> str:
    """``unrolled`` for small networks (≤ UNROLL_MAX_PARAMS parameters), else ``loops``."""
    if shape is None:
        return "unrolled" if n_params(network) <= UNROLL_MAX_PARAMS else "loops"
    if shape not in SHAPES:
        raise SpecError("unknown kernel shape", key="shape", expected=" or ".join(SHAPES),
                        got=shape)
    return shape


def check_options(network, dtype: str, shape: str | None) -> str:
    """The kernel shape to use; SpecError for a dtype we do not generate or a perceptron."""
    if dtype not in DTYPES:
        raise SpecError("unsupported dtype", key="dtype", expected=" or ".join(DTYPES), got=dtype)
    if network.is_perceptron:
        raise SpecError("threshold units (step/sign/threshold) have no gradient, so there are no "
                        "backpropagation kernels for them: use the perceptron rule "
                        "(symprop.derive.perceptron)", file=network.source, key="network.layers")
    return choose_shape(network, shape)


# -- splitting each minibatch over threads -----------------------------------------------------
MAX_PARTS = 8                     # at most this many threads share one minibatch
PARALLEL_MAX_LAYER_WEIGHTS = 64 * 128   # a bigger layer's products are big enough for BLAS's
#                                         own threads: threads of ours on top would fight them
MIN_PART_FLOP = 1_000_000         # a part smaller than this costs more to hand out than it saves
PARALLEL_MIN_ROWS = 32            # split only networks whose minibatch of this many rows makes
#                                   two parts: for smaller ones a second thread does not pay
#                                   for the longer compile of a parallel kernel (2-3×, measured)


def weights_per_layer(network) -> list[int]:
    return [math.prod(s) for name, s in network.param_shapes().items() if name.startswith("W")]


def flop_per_row(network) -> int:
    """Floating-point operations of one row's weight products in a training step: the forward
    product, the weight gradient and (above layer 1) the delta sent down, 2 per multiply-add."""
    weights = weights_per_layer(network)
    return 2 * (2 * sum(weights) + sum(weights[1:]))


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):     # not Linux
        return os.cpu_count() or 1


@cache
def fast_thread_pool() -> bool:
    """numba has a thread pool that starts a parallel loop in microseconds (OpenMP or TBB).

    Its fallback, the workqueue pool, takes about 50 µs a launch (measured): more than a
    minibatch of a small network costs, so the kernels stay serial without OpenMP or TBB.
    """
    for module in ("numba.np.ufunc.omppool", "numba.np.ufunc.tbbpool"):
        try:
            importlib.import_module(module)
            return True
        except ImportError:            # libgomp / the tbb package is not installed
            continue
    return False


def choose_parts(network, shape: str, threads: int | None = None,
                 dtype: str = "float64") -> int:
    """How many row slices each minibatch is split into, one thread each (1: serial kernels).

    ``threads`` None: the usable CPUs (at most MAX_PARTS) for float64 loop kernels whose
    layers are all small (≤ PARALLEL_MAX_LAYER_WEIGHTS weights: their products run
    single-threaded in BLAS) while a minibatch of PARALLEL_MIN_ROWS rows is worth two parts, if
    numba has a fast thread pool; else 1. float32 kernels stay serial: their products are too
    quick to gain (measured on 32-64⁴-1, batch 64, 2 cores: float64 207 k → 265 k samples/s,
    float32 375 k → 365 k). The slices' gradients are summed in a fixed order, so a kernel's
    results depend on its part count, never on how many threads actually run.
    """
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise SpecError("bad thread count", key="threads", expected="an integer >= 1",
                            got=threads)
        if threads > 1 and shape != "loops":
            raise SpecError("only loop kernels split a minibatch over threads", key="threads",
                            expected='1 for shape "unrolled"', got=threads)
        return threads
    if shape != "loops" or dtype != "float64" or usable_cpus() < 2:
        return 1
    if (max(weights_per_layer(network)) > PARALLEL_MAX_LAYER_WEIGHTS
            or PARALLEL_MIN_ROWS * flop_per_row(network) < 2 * MIN_PART_FLOP
            or not fast_thread_pool()):
        return 1
    return min(usable_cpus(), MAX_PARTS)
