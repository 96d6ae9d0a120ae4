"""The one loss that judges every peer: NumPy, float64, from the parameters a peer returned.

Mean over the samples of the per-sample loss: sse = ½Σ_k (y_k − d_k)², cross-entropy =
−Σ_k d_k ln y_k (with softmax outputs it is evaluated as −Σ_k d_k log_softmax(net)_k).
"""

from __future__ import annotations

import numpy as np

from .workloads import Workload


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "sigmoid":
        return np.exp(-np.logaddexp(0.0, -z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def forward(workload: Workload, params: dict[str, np.ndarray], X: np.ndarray,
            *, logits: bool = False) -> np.ndarray:
    """Outputs y (or, with ``logits``, the output layer's net input) in float64."""
    a = np.asarray(X, dtype=np.float64)
    last = len(workload.layers)
    for l, layer in enumerate(workload.layers, start=1):
        z = a @ np.asarray(params[f"W{l}"], dtype=np.float64).T
        if layer.bias:
            z = z + np.asarray(params[f"b{l}"], dtype=np.float64)
        if l == last and logits:
            return z
        a = _act(layer.activation, z)
    return a


def mean_loss(workload: Workload, params: dict[str, np.ndarray], X: np.ndarray,
              Y: np.ndarray) -> float:
    D = np.asarray(Y, dtype=np.float64)
    if workload.loss == "sse":
        y = forward(workload, params, X)
        return float(np.mean(0.5 * np.sum((y - D) ** 2, axis=1)))
    if workload.loss == "cross-entropy":
        if workload.layers[-1].activation == "softmax":
            z = forward(workload, params, X, logits=True)
            m = z.max(axis=1, keepdims=True)
            logp = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
        else:
            with np.errstate(divide="ignore"):
                logp = np.log(forward(workload, params, X))
        return float(np.mean(-np.sum(np.where(D != 0, D * logp, 0.0), axis=1)))
    raise ValueError(workload.loss)


def check_params(workload: Workload, params: dict[str, np.ndarray]) -> None:
    """Raise if a peer handed back parameters of the wrong names or shapes."""
    want = workload.param_shapes()
    if set(params) != set(want):
        raise ValueError(f"parameters {sorted(params)} != expected {sorted(want)}")
    for k, shape in want.items():
        if tuple(np.shape(params[k])) != shape:
            raise ValueError(f"{k} has shape {np.shape(params[k])}, expected {shape}")
