"""The benchmark workloads W1–W4: network shape, loss, data, schedule and initial weights.

Every peer trains exactly this: plain SGD, no momentum, no shuffling (samples in order, the
last partial batch included), the loss of a batch is the mean over its samples of the
per-sample loss, and every peer starts from the same weights.

Parameter convention (symprop's): ``W<l>`` has shape (units_l, units_{l-1}), so a row belongs to
the receiving unit; ``b<l>`` has shape (units_l,). Weights are Glorot-uniform from
``numpy.random.default_rng(seed)`` drawn layer by layer; biases start at zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import numpy as np

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softmax")
LOSSES = ("sse", "cross-entropy")


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str
    bias: bool = True


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    n_in: int
    layers: tuple[Layer, ...]
    loss: str                    # "sse" (½Σ_k (y_k − d_k)² per sample) or "cross-entropy"
    batch_size: int
    epochs: int
    quick_epochs: int
    learning_rate: float
    dataset: str                 # key into DATASETS
    n_samples: int | None = None  # None: the whole data set
    seed: int = 0

    def __post_init__(self) -> None:
        for i, layer in enumerate(self.layers):
            if layer.activation not in ACTIVATIONS:
                raise ValueError(f"{self.name}: unknown activation {layer.activation!r}")
            if layer.activation == "softmax" and i != len(self.layers) - 1:
                raise ValueError(f"{self.name}: softmax only on the output layer")
        if self.loss not in LOSSES:
            raise ValueError(f"{self.name}: unknown loss {self.loss!r}")

    # -- shape ---------------------------------------------------------------------------------
    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.n_in, *(layer.units for layer in self.layers))

    @property
    def n_weights(self) -> int:
        """Entries of the weight matrices (biases not counted)."""
        s = self.sizes
        return sum(s[i] * s[i + 1] for i in range(len(s) - 1))

    @property
    def n_params(self) -> int:
        return self.n_weights + sum(layer.units for layer in self.layers if layer.bias)

    @property
    def flops_per_sample(self) -> int:
        """Multiply-adds ×2 of one forward+backward pass: the usual ≈ 6·Σ weights, less the
        input-side gradient of layer 1, which nobody computes (2·ΣW forward, 2·ΣW for the
        weight gradients, 2·ΣW of layers 2…L to carry δ back)."""
        s = self.sizes
        per_layer = [s[i] * s[i + 1] for i in range(len(s) - 1)]
        return 4 * sum(per_layer) + 2 * sum(per_layer[1:])

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {}
        for l, layer in enumerate(self.layers, start=1):
            shapes[f"W{l}"] = (layer.units, self.sizes[l - 1])
            if layer.bias:
                shapes[f"b{l}"] = (layer.units,)
        return shapes

    def describe(self) -> str:
        acts = "/".join(dict.fromkeys(layer.activation for layer in self.layers))
        bias = "" if all(layer.bias for layer in self.layers) else ", no biases"
        return (f"{'-'.join(map(str, self.sizes))} {acts}, {self.loss}{bias}, "
                f"batch {self.batch_size}")

    # -- schedule ------------------------------------------------------------------------------
    def epochs_for(self, quick: bool) -> int:
        return self.quick_epochs if quick else self.epochs

    def scaled(self, *, n_samples: int | None = None, epochs: int | None = None) -> Workload:
        """A smaller copy (for smoke tests): the first ``n_samples`` samples, ``epochs`` epochs."""
        changes: dict = {}
        if n_samples is not None:
            changes["n_samples"] = n_samples
        if epochs is not None:
            changes["epochs"] = epochs
            changes["quick_epochs"] = epochs
        return replace(self, **changes)

    # -- data and weights ----------------------------------------------------------------------
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, Y), fresh float64 copies: X (n, n_in), Y (n, n_out); classes one-hot."""
        X, Y = _dataset(self.dataset)
        if self.n_samples is not None:
            X, Y = X[: self.n_samples], Y[: self.n_samples]
        if X.shape[1] != self.n_in or Y.shape[1] != self.layers[-1].units:
            raise ValueError(f"{self.name}: data shape {X.shape}/{Y.shape} does not fit "
                             f"{self.sizes}")
        return np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)

    def dataset_note(self) -> str:
        return DATASET_NOTES.get(self.dataset, self.dataset)

    def init_params(self) -> dict[str, np.ndarray]:
        """Glorot-uniform weights (float64), zero biases; deterministic in ``seed``."""
        rng = np.random.default_rng(self.seed)
        params: dict[str, np.ndarray] = {}
        for l, layer in enumerate(self.layers, start=1):
            fan_in, fan_out = self.sizes[l - 1], layer.units
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            params[f"W{l}"] = rng.uniform(-limit, limit, size=(fan_out, fan_in))
            if layer.bias:
                params[f"b{l}"] = np.zeros(fan_out)
        return params


# ---------------------------------------------------------------------------------------------
DATASET_NOTES: dict[str, str] = {}


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    Y = np.zeros((labels.size, k))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _standardise(X: np.ndarray) -> np.ndarray:
    mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / np.where(std > 0, std, 1.0)


def _xor() -> tuple[np.ndarray, np.ndarray]:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([[0.0], [1.0], [1.0], [0.0]])


def _blobs(n: int, dim: int, k: int, seed: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, spread, size=(k, dim))
    labels = rng.integers(0, k, size=n)
    labels[:k] = np.arange(k)            # every class present even in a small prefix
    X = centres[labels] + rng.normal(0.0, 1.0, size=(n, dim))
    return X, _one_hot(labels, k)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        DATASET_NOTES["digits"] = ("synthetic stand-in for the 8×8 digits (1,797 × 64, "
                                   "10 classes; scikit-learn not installed)")
        X, Y = _blobs(1797, 64, 10, seed=64, spread=1.0)
        return _standardise(X), Y
    DATASET_NOTES["digits"] = "scikit-learn's 8×8 digits, 1,797 samples, standardised per pixel"
    bunch = load_digits()
    return _standardise(bunch.data.astype(np.float64)), _one_hot(bunch.target, 10)


def _blobs784() -> tuple[np.ndarray, np.ndarray]:
    return _blobs(8192, 784, 10, seed=784, spread=0.3)


def _teacher32() -> tuple[np.ndarray, np.ndarray]:
    """Inputs N(0, 1); targets in (0, 1) from a fixed random tanh teacher."""
    rng = np.random.default_rng(32)
    X = rng.normal(size=(8192, 32))
    A = rng.normal(size=(32, 16)) / np.sqrt(32)
    v = rng.normal(size=(16, 1)) / np.sqrt(16)
    return X, 1.0 / (1.0 + np.exp(-2.0 * (np.tanh(X @ A) @ v)))


DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "xor": _xor, "digits": _digits, "blobs784": _blobs784, "teacher32": _teacher32,
}
DATASET_NOTES.update({
    "xor": "the 4 XOR rows",
    "blobs784": "synthetic: 8,192 Gaussian blobs in 784-d around 10 fixed centres (seed 784)",
    "teacher32": "synthetic: 8,192 N(0,1) inputs, targets from a fixed random tanh teacher",
})


@cache
def _dataset(key: str) -> tuple[np.ndarray, np.ndarray]:
    return DATASETS[key]()


# ---------------------------------------------------------------------------------------------
WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("W1", "XOR 2-2-1", 2,
                 (Layer(2, "sigmoid", False), Layer(1, "sigmoid", False)),
                 loss="sse", batch_size=1, epochs=10_000, quick_epochs=1_000,
                 learning_rate=0.5, dataset="xor"),
        Workload("W2", "digits 64-32-10", 64,
                 (Layer(32, "tanh"), Layer(10, "softmax")),
                 loss="cross-entropy", batch_size=32, epochs=20, quick_epochs=3,
                 learning_rate=0.1, dataset="digits"),
        Workload("W3", "blobs 784-256-10", 784,
                 (Layer(256, "relu"), Layer(10, "softmax")),
                 loss="cross-entropy", batch_size=256, epochs=3, quick_epochs=1,
                 learning_rate=0.1, dataset="blobs784"),
        Workload("W4", "deep 32-64×4-1", 32,
                 (*(Layer(64, "tanh") for _ in range(4)), Layer(1, "sigmoid")),
                 loss="sse", batch_size=64, epochs=5, quick_epochs=1,
                 learning_rate=0.1, dataset="teacher32"),
    )
}

DTYPES = ("float64", "float32")
