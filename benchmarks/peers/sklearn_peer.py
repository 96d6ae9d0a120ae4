"""scikit-learn's MLPClassifier / MLPRegressor with solver="sgd", set up to be plain SGD.

Settings: momentum=0 (nesterovs_momentum=False), learning_rate="constant",
learning_rate_init = the workload's, batch_size = the workload's, shuffle=False, alpha=0 (no L2),
early_stopping=False, tol=0 with n_iter_no_change = epochs + 1 (scikit-learn refuses tol=-inf;
this way the no-improvement rule can never stop training early), max_iter = epochs.
Its batches are ``gen_batches``: in order, the last partial batch included, as ours.

Initial weights: scikit-learn has no parameter for them, and ``warm_start`` would skip its
``_initialize`` (leaving n_layers_, out_activation_, … unset). We subclass the estimator and
override ``_initialize``: it runs the original (which sets every attribute) and then replaces
``coefs_`` / ``intercepts_`` with ours (scikit-learn stores W transposed, (n_in, n_out)).

Conventions checked against scikit-learn's source (``_backprop``, ``_base``):
- its gradient is that of the mean over the batch; the output delta is always ``y - d``, which
  is right for softmax + cross-entropy (log_loss), logistic + binary log-loss and identity +
  squared error, and for nothing else;
- its squared loss is ½·mean over samples *and outputs* of (y−d)², equal to our per-sample
  ½Σ_k(y_k−d_k)² only with one output; its log_loss is −Σ_k d_k ln y_k averaged over samples;
- every layer has biases, all hidden layers share one activation.
So: W2 and W3 (tanh/ReLU hidden, softmax + cross-entropy, ≥3 classes) match exactly; W1 (no
biases, sigmoid output with sse) and W4 (sigmoid output with sse) cannot. For those the peer
raises `NotComparable`, with the throughput of the nearest model scikit-learn has (identity
output + squared error, with biases; one timed run) as an indication only.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from ..timing import FULL, NotComparable, PeerUnavailable, Result, Timing, as_dtype, measure
from ..workloads import Workload

_ACT = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "linear": "identity"}


def _classes(sklearn_cls):
    class Seeded(sklearn_cls):
        """The estimator, starting from ``self.symprop_init`` = (coefs, intercepts)."""

        def _initialize(self, y, layer_units, dtype):
            super()._initialize(y, layer_units, dtype)
            coefs, intercepts = self.symprop_init
            self.coefs_ = [np.array(c, dtype=dtype) for c in coefs]
            self.intercepts_ = [np.array(b, dtype=dtype) for b in intercepts]
            self._best_coefs = [c.copy() for c in self.coefs_]
            self._best_intercepts = [b.copy() for b in self.intercepts_]

    Seeded.__name__ = Seeded.__qualname__ = f"Seeded{sklearn_cls.__name__}"
    return Seeded


def mismatch(workload: Workload) -> str | None:
    """Why scikit-learn cannot train exactly this workload (None: it can)."""
    layers = workload.layers
    hidden = {layer.activation for layer in layers[:-1]}
    out = layers[-1]
    why = []
    if not all(layer.bias for layer in layers):
        why.append("it always trains biases (this network has none)")
    if len(hidden) > 1 or not hidden <= set(_ACT):
        why.append("hidden layers must share one of logistic/tanh/relu/identity")
    if workload.loss == "cross-entropy":
        if out.activation != "softmax" or out.units < 3:
            why.append("cross-entropy only as softmax over ≥3 classes")
    else:
        if out.activation != "linear":
            why.append(f"its output delta is always y−d, right for sse only with an identity "
                       f"output (here {out.activation})")
        if out.units != 1:
            why.append("its squared loss is ½·mean over outputs, ours ½·sum: equal for one "
                       "output only")
    return "; ".join(why) or None


def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    try:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    except ImportError as exc:
        raise PeerUnavailable(f"not installed ({exc})") from None
    why = mismatch(workload)
    layers = workload.layers
    L = len(layers)
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    classify = why is None and workload.loss == "cross-entropy"
    if classify:
        target = np.argmax(Yd, axis=1)
        if np.unique(target).size != layers[-1].units or not np.all(Yd.sum(axis=1) == 1):
            why = "targets must be one-hot with every class present"
    if why is None:
        target = target if classify else Yd[:, 0]
    else:
        target = Yd[:, 0] if Yd.shape[1] == 1 else Yd  # nearest: a regressor on the targets
    coefs = [as_dtype(params[f"W{l}"].T, dtype) for l in range(1, L + 1)]
    intercepts = [as_dtype(params[f"b{l}"], dtype) if layers[l - 1].bias
                  else np.zeros(layers[l - 1].units, dtype=dtype) for l in range(1, L + 1)]
    hidden_act = layers[0].activation if L > 1 else "linear"
    cls = _classes(MLPClassifier if classify else MLPRegressor)

    def fit(epochs: int):
        est = cls(hidden_layer_sizes=tuple(layer.units for layer in layers[:-1]),
                  activation=_ACT.get(hidden_act, "identity"), solver="sgd", alpha=0.0,
                  batch_size=workload.batch_size, learning_rate="constant",
                  learning_rate_init=workload.learning_rate, momentum=0.0,
                  nesterovs_momentum=False, max_iter=epochs, shuffle=False, tol=0.0,
                  n_iter_no_change=epochs + 1, early_stopping=False, random_state=0)
        est.symprop_init = (coefs, intercepts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # ConvergenceWarning at max_iter, by design
            est.fit(Xd, target)
        return est

    def fetch(est) -> dict[str, np.ndarray]:
        out = {}
        for l in range(1, L + 1):
            out[f"W{l}"] = est.coefs_[l - 1].T.copy()
            if layers[l - 1].bias:
                out[f"b{l}"] = est.intercepts_[l - 1].copy()
        return out

    if why is not None:
        approx = measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                         timing=replace(timing, min_runs=1, max_runs=1, min_total_s=0.0))
        raise NotComparable(why, {"samples_per_s": approx.samples_per_s,
                                  "model": "identity output, squared error, with biases"})
    return measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                   timing=timing, extra={"estimator": cls.__name__})
