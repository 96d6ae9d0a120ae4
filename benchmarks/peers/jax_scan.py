"""JAX, the whole training run as one compiled program.

``lax.scan`` runs the full batches of an epoch, one more step takes the last partial batch,
and ``lax.fori_loop`` repeats the epoch; the epoch count is a runtime argument, so the program
is compiled once (ahead of time, ``jit(...).lower(...).compile()``: ``compile_s``) and serves
both the one-epoch first call and the timed runs. ``first_call_s`` = compile + one epoch.
"""

from __future__ import annotations

import time

import numpy as np

from ..timing import FULL, Result, Timing, as_dtype, measure
from ..workloads import Workload
from ._jax_common import device_params, fetch, jax_modules, make_step


def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    jax, jnp = jax_modules()
    lax = jax.lax
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    n, B = Xd.shape[0], workload.batch_size
    nb, rest = divmod(n, B)
    full_x = jax.device_put(Xd[: nb * B].reshape(nb, B, -1))
    full_d = jax.device_put(Yd[: nb * B].reshape(nb, B, -1))
    last_x = jax.device_put(Xd[nb * B:])
    last_d = jax.device_put(Yd[nb * B:])
    step = make_step(workload, jax, jnp)

    def run(p, fx, fd, lx, ld, n_epochs):
        def epoch(_, p):
            if nb:
                p, _ = lax.scan(lambda q, xd: (step(q, xd[0], xd[1]), None), p, (fx, fd))
            if rest:
                p = step(p, lx, ld)
            return p

        return lax.fori_loop(0, n_epochs, epoch, p)

    init = device_params(params, dtype, jax)
    args = (init, full_x, full_d, last_x, last_d)
    extra: dict = {"jax": jax.__version__}
    compiled: dict = {}

    def fit(epochs: int):
        if "f" not in compiled:
            t0 = time.perf_counter()
            compiled["f"] = jax.jit(run).lower(*args, np.int32(1)).compile()
            extra["compile_s"] = time.perf_counter() - t0
        return jax.block_until_ready(compiled["f"](*args, np.int32(epochs)))

    return measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                   timing=timing, extra=extra)
