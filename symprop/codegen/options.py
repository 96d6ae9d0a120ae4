"""The kernel options (dtype, shape) and their checks: light, so a cache hit imports little."""

from __future__ import annotations

import math

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
