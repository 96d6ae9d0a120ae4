"""PyTorch, CPU, eager mode: autograd and ``torch.optim.SGD`` (momentum 0), 2 threads."""

from __future__ import annotations

import numpy as np

from ..timing import FULL, PeerUnavailable, Result, Timing, as_dtype, batches, measure
from ..workloads import Workload


def _torch():
    try:
        import torch
    except ImportError as exc:
        raise PeerUnavailable(f"not installed ({exc})") from None
    torch.set_num_threads(2)
    return torch


def make_loss(workload: Workload, torch):
    layers = workload.layers
    L = len(layers)
    F = torch.nn.functional
    acts = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "relu": torch.relu}

    def loss(p, x, d):
        a = x
        for l in range(1, L + 1):
            b = p.get(f"b{l}")
            a_next = F.linear(a, p[f"W{l}"], b)       # a @ W.T + b
            act = layers[l - 1].activation
            if l == L:
                if workload.loss == "cross-entropy" and act == "softmax":
                    return -(d * F.log_softmax(a_next, dim=1)).sum(dim=1).mean()
                y = torch.softmax(a_next, dim=1) if act == "softmax" else acts[act](a_next)
                if workload.loss == "cross-entropy":
                    return -(d * torch.log(y)).sum(dim=1).mean()
                return 0.5 * ((y - d) ** 2).sum(dim=1).mean()
            a = acts[act](a_next)
        raise AssertionError

    return loss


def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    torch = _torch()
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    Xt, Yt = torch.from_numpy(Xd), torch.from_numpy(Yd)
    parts = [(Xt[s], Yt[s]) for s in batches(Xd.shape[0], workload.batch_size)]
    loss_fn = make_loss(workload, torch)
    init = {k: torch.from_numpy(as_dtype(v, dtype)) for k, v in params.items()}
    state: dict = {}

    def prepare() -> None:
        state["p"] = {k: v.clone().requires_grad_(True) for k, v in init.items()}

    def fit(epochs: int):
        p = state["p"]
        opt = torch.optim.SGD(list(p.values()), lr=workload.learning_rate, momentum=0.0)
        for _ in range(epochs):
            for x, d in parts:
                opt.zero_grad(set_to_none=True)
                loss_fn(p, x, d).backward()
                opt.step()
        return p

    def fetch(p) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy().copy() for k, v in p.items()}

    return measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                   timing=timing, prepare=prepare,
                   extra={"threads": torch.get_num_threads()})
