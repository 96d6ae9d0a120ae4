"""Plain NumPy: hand-written forward and backward passes, SGD in place, in the run's dtype."""

from __future__ import annotations

import numpy as np

from ..timing import FULL, NotComparable, Result, Timing, as_dtype, batches, measure
from ..workloads import Workload


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "sigmoid":
        # 1/(1+e^-z) without overflow warnings: tanh form, exact in floating point terms
        return 0.5 * (np.tanh(0.5 * z) + 1.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def _dact(name: str, y: np.ndarray) -> np.ndarray:
    """f'(z) written in the output y = f(z)."""
    if name == "linear":
        return np.ones_like(y)
    if name == "sigmoid":
        return y * (1 - y)
    if name == "tanh":
        return 1 - y * y
    if name == "relu":
        return (y > 0).astype(y.dtype)
    raise ValueError(name)


def make_step(workload: Workload):
    """One SGD step on a batch, in place; mean-over-samples gradient."""
    layers = workload.layers
    L = len(layers)
    out = layers[-1].activation
    if workload.loss == "cross-entropy" and out != "softmax":
        raise NotComparable("NumPy peer: cross-entropy implemented with a softmax output only")
    if workload.loss == "sse" and out == "softmax":
        raise NotComparable("NumPy peer: sse with a softmax output not implemented")
    lr = workload.learning_rate

    def step(p: dict[str, np.ndarray], x: np.ndarray, d: np.ndarray) -> None:
        acts = [x]
        a = x
        for l in range(1, L + 1):
            z = a @ p[f"W{l}"].T
            if layers[l - 1].bias:
                z += p[f"b{l}"]
            a = _act(layers[l - 1].activation, z)
            acts.append(a)
        n = x.shape[0]
        delta = (a - d) / n if out == "softmax" else (a - d) * _dact(out, a) / n
        for l in range(L, 0, -1):
            gW = delta.T @ acts[l - 1]
            if l > 1:
                back = (delta @ p[f"W{l}"]) * _dact(layers[l - 2].activation, acts[l - 1])
            if layers[l - 1].bias:
                p[f"b{l}"] -= lr * delta.sum(axis=0)
            p[f"W{l}"] -= lr * gW
            if l > 1:
                delta = back

    return step


def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    step = make_step(workload)
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    parts = [(Xd[s], Yd[s]) for s in batches(Xd.shape[0], workload.batch_size)]
    state: dict[str, dict[str, np.ndarray]] = {}

    def prepare() -> None:
        state["p"] = {k: as_dtype(v, dtype) for k, v in params.items()}

    def fit(epochs: int) -> dict[str, np.ndarray]:
        p = state["p"]
        for _ in range(epochs):
            for x, d in parts:
                step(p, x, d)
        return p

    return measure(workload, dtype, Xd, Yd, fit=fit, fetch=lambda p: p, epochs=workload.epochs,
                   timing=timing, prepare=prepare)
