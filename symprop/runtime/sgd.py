"""scikit-learn's stochastic gradient descent, one epoch at a time, on the generated kernels.

The update is scikit-learn's ``SGDOptimizer`` (``sklearn/neural_network/_stochastic_optimizers``):
``v = μ·v − η·g``, then ``w += v``, or with Nesterov ``w += μ·v − η·g``. ``g`` is the gradient
of the batch's mean loss plus ``alpha·W / n_batch`` for every weight matrix (not the biases):
the gradient of scikit-learn's L2 term ``½·alpha·Σ‖W‖² / n_batch``. The loss of an epoch is
the mean over its samples of the losses of their batches before each step, the L2 term
included. The learning rate changes at the end of an epoch (``invscaling``:
η = η₀ / (t + 1)^power_t with t the samples seen so far; ``adaptive``: divided by 5 when the
loss stalls, see `Optimizer.trigger_stopping`).

Two ways to run an epoch, with the same meaning:
- `kernel_epoch`: the fused ``train_epochs`` kernel (shuffling, every step, the loss), through
  :func:`symprop.runtime.train.run_epochs`; it has plain momentum and no L2 term.
- `exact_epoch`: one call of the generated ``backward`` per minibatch (its loss and gradient)
  and the step above in NumPy, for ``alpha > 0`` or Nesterov's momentum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import TrainingError
from . import train as T


class Diverged(Exception):
    """An epoch's loss was not finite; the parameters are those from before the epoch."""

    def __init__(self, value: float) -> None:
        super().__init__(f"the loss became {value}")
        self.value = value


@dataclass
class Optimizer:
    """What scikit-learn's ``SGDOptimizer`` keeps: the current rate and the velocities."""

    learning_rate_init: float
    schedule: str
    momentum: float
    nesterov: bool
    power_t: float
    learning_rate: float
    velocity: dict[str, np.ndarray]

    @classmethod
    def start(cls, config, params: dict[str, np.ndarray]) -> Optimizer:
        return cls(config.learning_rate_init, config.schedule, config.momentum,
                   config.nesterov, config.power_t, config.learning_rate_init,
                   {k: np.zeros_like(v) for k, v in params.items()})

    def iteration_ends(self, samples_seen: int) -> None:
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** self.power_t

    def trigger_stopping(self) -> bool:
        """The loss stalled: stop, unless ``adaptive`` can still divide the rate by 5."""
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return True
        self.learning_rate /= 5.0
        return False

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        mu, lr = self.momentum, self.learning_rate
        for name, g in grads.items():
            v = self.velocity[name]
            v *= mu
            v -= lr * g
            if self.nesterov:
                params[name] += mu * v - lr * g
            else:
                params[name] += v


def is_weight(name: str) -> bool:
    return name.startswith("W")


def penalty(params: dict[str, np.ndarray], alpha: float, n_batch: int) -> float:
    """scikit-learn's L2 term of one batch: ½·alpha·Σ‖W‖² / n_batch (biases excluded)."""
    if alpha == 0:
        return 0.0
    total = sum(float(np.dot(w.ravel(), w.ravel())) for k, w in params.items() if is_weight(k))
    return 0.5 * alpha * total / n_batch


def loss_and_gradients(kernels, params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray,
                       grads: dict[str, np.ndarray]) -> float:
    """The mean loss over the rows and its gradient (into ``grads``), in one kernel call.

    The generated ``backward(X, Y, *params, *grads)`` returns the loss it computed on the way:
    ``Kernels.loss`` would be a second pass and a third function for numba to compile for
    every network. ``X``, ``Y``, params and grads are C-contiguous in the kernels' dtype.
    """
    names = kernels.network.param_shapes()
    return float(kernels.module.backward(X, Y, *(params[k] for k in names),
                                         *(grads[k] for k in names)))


def exact_epoch(kernels, params: dict[str, np.ndarray], opt: Optimizer, X: np.ndarray,
                Y: np.ndarray, batch: int, order: np.ndarray | None, alpha: float,
                loss_scale: float) -> float:
    """One epoch of scikit-learn's SGD, stepping each minibatch here; returns its loss.

    ``order`` is the shuffled row order (None: in order). Raises `Diverged` with ``params``
    and the velocities put back as they were before the epoch.
    """
    saved = ({k: v.copy() for k, v in params.items()},
             {k: v.copy() for k, v in opt.velocity.items()})
    grads = {k: np.empty_like(v) for k, v in params.items()}
    n = X.shape[0]
    total = 0.0
    for start in range(0, n, batch):
        if order is None:
            Xb, Yb = X[start:start + batch], Y[start:start + batch]
        else:
            rows = order[start:start + batch]
            Xb, Yb = X[rows], Y[rows]
        nb = Xb.shape[0]
        loss = loss_and_gradients(kernels, params, Xb, Yb, grads) * loss_scale
        loss += penalty(params, alpha, nb)
        if not math.isfinite(loss):
            for k in params:
                params[k][...] = saved[0][k]
                opt.velocity[k][...] = saved[1][k]
            raise Diverged(loss)
        if alpha:
            for k, g in grads.items():
                if is_weight(k):
                    g += (alpha / nb) * params[k]
        opt.step(params, grads)
        total += loss * nb
    return total / n


def kernel_epoch(kernels, params: dict[str, np.ndarray], opt: Optimizer, rng: np.ndarray,
                 X: np.ndarray, Y: np.ndarray, batch: int, shuffle: bool, dtype: str,
                 loss_scale: float) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """One epoch in the fused kernel (no L2 term, plain momentum): (params, rng, loss)."""
    settings = T.Settings(epochs=1, batch_size=batch, learning_rate=opt.learning_rate,
                          momentum=opt.momentum, shuffle=shuffle, seed=0, dtype=dtype)
    state = T.State(params, opt.velocity, rng)
    try:
        new = T.run_epochs(kernels, state, X, Y, settings, 1)
    except TrainingError as exc:
        raise Diverged(float("nan")) from exc
    opt.velocity = new.velocity
    return new.params, new.rng, new.history["loss"][-1] * loss_scale
