"""JAX, one ``jax.jit``-compiled SGD step per batch, driven from a Python loop.

The first call compiles twice: the full batch shape and the last partial batch.
"""

from __future__ import annotations

import numpy as np

from ..timing import FULL, Result, Timing, as_dtype, batches, measure
from ..workloads import Workload
from ._jax_common import device_params, fetch, jax_modules, make_step


def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    jax, jnp = jax_modules()
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    parts = [(jax.device_put(Xd[s]), jax.device_put(Yd[s]))
             for s in batches(Xd.shape[0], workload.batch_size)]
    step = jax.jit(make_step(workload, jax, jnp))
    init = device_params(params, dtype, jax)

    def fit(epochs: int):
        p = init
        for _ in range(epochs):
            for x, d in parts:
                p = step(p, x, d)
        return jax.block_until_ready(p)

    return measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                   timing=timing, extra={"jax": jax.__version__})
