"""What both JAX peers share: the import (float64 switched on) and the loss function."""

from __future__ import annotations

import numpy as np

from ..timing import PeerUnavailable, as_dtype
from ..workloads import Workload


def jax_modules():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        raise PeerUnavailable(f"not installed ({exc})") from None
    # float64 needs x64; float32 arrays stay float32 (the learning rate is a weak scalar)
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def make_step(workload: Workload, jax, jnp):
    """``step(params, x, d) -> params``: one plain SGD step on the batch mean loss."""
    layers = workload.layers
    L = len(layers)
    nn = jax.nn
    acts = {"linear": lambda z: z, "sigmoid": nn.sigmoid, "tanh": jnp.tanh, "relu": nn.relu}
    lr = workload.learning_rate

    def loss(p, x, d):
        a = x
        for l in range(1, L + 1):
            z = a @ p[f"W{l}"].T
            if layers[l - 1].bias:
                z = z + p[f"b{l}"]
            act = layers[l - 1].activation
            if l == L:
                if workload.loss == "cross-entropy" and act == "softmax":
                    return -jnp.mean(jnp.sum(d * nn.log_softmax(z, axis=1), axis=1))
                y = nn.softmax(z, axis=1) if act == "softmax" else acts[act](z)
                if workload.loss == "cross-entropy":
                    return -jnp.mean(jnp.sum(d * jnp.log(y), axis=1))
                return jnp.mean(0.5 * jnp.sum((y - d) ** 2, axis=1))
            a = acts[act](z)
        raise AssertionError

    grad = jax.grad(loss)

    def step(p, x, d):
        g = grad(p, x, d)
        return jax.tree_util.tree_map(lambda w, gw: w - lr * gw, p, g)

    return step


def device_params(params: dict[str, np.ndarray], dtype: str, jax):
    return {k: jax.device_put(as_dtype(v, dtype)) for k, v in params.items()}


def fetch(p) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in p.items()}
