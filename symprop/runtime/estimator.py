"""A scikit-learn style estimator over the generated kernels, with a Keras-like ``summary()``.

    >>> clf = MLPClassifier(hidden_layer_sizes=(2,), activation="sigmoid", epochs=2000,
    ...                     batch_size=4, learning_rate=5.0, momentum=0.9)
    >>> clf.fit(X, y).score(X, y)
    1.0

The conventions are scikit-learn's (without depending on it): the constructor only stores its
arguments; ``get_params``/``set_params`` see exactly those; ``fit`` returns ``self`` and sets the
fitted attributes, whose names end in ``_`` (``network_``, ``kernels_``, ``params_``,
``history_``, ``n_features_in_``, ``classes_`` …). Training is :func:`symprop.runtime.train.fit`,
the same path as ``symprop train``.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError, TrainingError
from ..units import shown_name
from . import train as T
from .datasets import Dataset

_FEW = 20       # float targets with at most this many distinct integer values are classes


class Summary(str):
    """A table that shows itself as text in a REPL or notebook (not as a quoted string)."""

    def __repr__(self) -> str:
        return str(self)


def summary(network, kernels=None, title: str | None = None) -> Summary:
    """A Keras-like table of a network: layer, units, activation, output shape, parameters."""
    rows = [("input", str(network.n_inputs), "-", "-", f"(None, {network.n_inputs})", "0")]
    total = 0
    for l, layer in enumerate(network.layers, start=1):
        fan_in = network.sizes[l - 1]
        count = layer.units * fan_in + (layer.units if layer.bias else 0)
        total += count
        rows.append((f"dense_{l}", str(layer.units), shown_name(layer.activation),
                     "yes" if layer.bias else "no", f"(None, {layer.units})", f"{count:,}"))
    head = ("Layer", "Units", "Activation", "Bias", "Output shape", "Params")
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    right = {1, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "-" * len(line(tuple("-" * w for w in widths)))
    shape = " → ".join([str(network.n_inputs)] + [f"{lay.units} {shown_name(lay.activation)}"
                                                   for lay in network.layers])
    out = [title or f"Network {network.name!r}: {shape}", rule, line(head), rule]
    out += [line(r) for r in rows]
    out += [rule, f"Total params: {total:,} (all trainable)", f"Loss: {shown_name(network.loss)}"]
    if kernels is not None:
        kind = getattr(kernels, "shape", "perceptron rule")
        out.append(f"Kernels: {kind}, {getattr(kernels, 'dtype', 'float64')}, "
                   f"{Path(kernels.path).name}")
    return Summary("\n".join(out))


class MLP:
    """A multilayer perceptron trained by the generated numba kernels (SGD with momentum).

    ``task`` is ``"classification"``, ``"regression"`` or ``"auto"`` (classes when ``y`` holds
    strings, booleans, integers, or at most 20 distinct whole numbers). Two classes get one
    sigmoid output with the log loss, more get softmax with cross-entropy; regression gets
    linear outputs with the mean squared error. ``output_activation`` and ``loss`` override
    these. ``network`` (a `symprop.Network` or a spec path) replaces the whole architecture.
    """

    def __init__(self, hidden_layer_sizes: tuple[int, ...] | int = (8,),
                 activation: str = "tanh", *, output_activation: str | None = None,
                 loss: str | None = None, bias: bool = True, epochs: int = 200,
                 batch_size: int | None = 32, learning_rate: float = 0.1,
                 momentum: float = 0.9, shuffle: bool = True, seed: int = 0,
                 dtype: str = "float64", network: Any = None, task: str = "auto",
                 progress: bool = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.bias = bias
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.shuffle = shuffle
        self.seed = seed
        self.dtype = dtype
        self.network = network
        self.task = task
        self.progress = progress

    # -- scikit-learn's parameter protocol ---------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments as set (``deep`` is accepted for compatibility)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> MLP:
        """Set constructor arguments; unknown names are a `SpecError`. Returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise SpecError(f"unknown parameter {name!r} for {type(self).__name__}",
                                key=name, expected="one of " + ", ".join(valid))
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        changed = []
        for name in self._param_names():
            default = sig.parameters[name].default
            value = getattr(self, name)
            if not (value is default or (type(value) is type(default) and value == default)):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    # -- fitting --------------------------------------------------------------------------------
    def _resolved_task(self, y: np.ndarray) -> str:
        if self.task in ("classification", "regression"):
            return self.task
        if self.task != "auto":
            raise SpecError("unknown task", key="task",
                            expected="'classification', 'regression' or 'auto'", got=self.task)
        if y.dtype.kind in "OUSbiu":
            return "classification"
        if y.ndim == 1 and np.all(np.isfinite(y)) and np.all(y == np.round(y)) \
                and np.unique(y).size <= _FEW:
            return "classification"
        return "regression"

    def _settings(self) -> T.Settings:
        return T.Settings(epochs=self.epochs, batch_size=self.batch_size,
                          learning_rate=self.learning_rate, momentum=self.momentum,
                          shuffle=self.shuffle, seed=self.seed, dtype=self.dtype)

    def _build(self, n_features: int, n_outputs: int, task: str):
        from ..spec import Dense, Network, load

        if self.network is not None:
            net = self.network if not isinstance(self.network, str | Path) else \
                load(self.network)
            return net
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        if task == "classification":
            out_act = self.output_activation or ("sigmoid" if n_outputs == 1 else "softmax")
            loss = self.loss or ("log" if out_act == "sigmoid" else
                                 "cross-entropy" if out_act == "softmax" else "sse")
        else:
            out_act = self.output_activation or "linear"
            loss = self.loss or "mse"
        layers = [Dense(int(h), self.activation, bias=self.bias) for h in hidden]
        layers.append(Dense(n_outputs, out_act, bias=self.bias))
        return Network(inputs=n_features, layers=layers, loss=loss,
                       name=type(self).__name__.lower())

    def _inputs(self, X: Any, fitted: bool) -> np.ndarray:
        try:
            X = np.array(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise SpecError("X is not an array of numbers", key="X",
                            expected="an array of shape (n_samples, n_features)") from None
        if X.ndim != 2:
            raise SpecError("X must be 2-D, one row per sample", key="X",
                            expected="shape (n_samples, n_features); for one feature use "
                            "X.reshape(-1, 1)", got=X.shape)
        if X.shape[0] == 0:
            raise SpecError("empty dataset: X has no rows", key="X",
                            expected="at least one sample")
        if fitted and X.shape[1] != self.n_features_in_:
            raise SpecError(f"X has {X.shape[1]} features but the estimator was fitted with "
                            f"{self.n_features_in_}", key="X",
                            expected=f"shape (n_samples, {self.n_features_in_})", got=X.shape)
        if not np.all(np.isfinite(X)):
            raise SpecError("X contains NaN or infinity", key="X", expected="finite numbers")
        return X

    def _encode(self, y: Any, n: int, task: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Targets as a float matrix, and the class labels (classification)."""
        y = np.asarray(y)
        if y.shape[:1] != (n,):
            raise SpecError("X and y have different numbers of rows", key="y",
                            expected=f"{n} rows", got=y.shape)
        if task == "regression":
            try:
                Y = np.array(y, dtype=np.float64)
            except (TypeError, ValueError):
                raise SpecError("regression targets must be numbers", key="y") from None
            return (Y.reshape(-1, 1) if Y.ndim == 1 else Y), None
        if y.ndim == 2:      # an indicator matrix: one column per class
            Y = np.array(y, dtype=np.float64)
            if not np.isin(Y, (0.0, 1.0)).all():
                raise SpecError("a 2-D y for classification must be one-hot (0/1)", key="y",
                                expected="one column per class, a single 1 per row")
            return Y, np.arange(Y.shape[1])
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise SpecError("y contains NaN or infinity", key="y", expected="class labels")
        classes, index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise SpecError("classification needs at least two classes in y", key="y",
                            expected="two or more distinct labels", got=classes.tolist())
        if classes.size == 2:
            return index.reshape(-1, 1).astype(np.float64), classes
        return np.eye(classes.size)[index], classes

    def fit(self, X: Any, y: Any) -> MLP:
        """Build the network for the data, compile its kernels, train; returns ``self``."""
        X = self._inputs(X, fitted=False)
        y_arr = np.asarray(y)
        task = self._resolved_task(y_arr)
        Y, classes = self._encode(y_arr, X.shape[0], task)
        network = self._build(X.shape[1], Y.shape[1], task)
        if task == "classification":
            Y = self._fit_classes(network, Y, classes)
        if network.n_inputs != X.shape[1]:
            raise SpecError(f"the network has {network.n_inputs} inputs but X has "
                            f"{X.shape[1]} features", file=network.source, key="X",
                            expected=f"shape (n_samples, {network.n_inputs})", got=X.shape)
        names = tuple(f"x{i + 1}" for i in range(X.shape[1]))
        data = Dataset("fit", X, Y, task, names,
                       tuple(f"y{k + 1}" for k in range(Y.shape[1])),
                       len(classes) if classes is not None else None)
        kernels = None
        previous = getattr(self, "kernels_", None)
        if previous is not None and previous.network == network and \
                getattr(previous, "dtype", self.dtype) == self.dtype:
            kernels = previous       # refitting the same architecture: no new compile
        run = T.fit(network, data, self._settings(), kernels=kernels, progress=self.progress)
        self.network_, self.kernels_, self.run_ = network, run.kernels, run
        self.params_, self.history_ = run.params, run.history
        self.n_features_in_ = X.shape[1]
        self.n_outputs_ = Y.shape[1]
        self.task_ = task
        self.loss_ = run.loss
        self.n_iter_ = len(run.history.get("loss", []))
        self._midpoint = T.class_midpoint(network, Y) if task == "classification" else None
        if task == "classification":
            self.classes_ = classes
        elif hasattr(self, "classes_"):
            del self.classes_
        self.converged_ = run.converged
        if run.stopped is not None:
            if network.is_perceptron:
                warnings.warn(run.stopped, RuntimeWarning, stacklevel=2)
            else:
                exc = TrainingError(run.stopped)
                exc.params = run.params
                exc.history = run.history
                raise exc
        return self

    def _fit_classes(self, network, Y: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Recode 0/1 targets for the network's output units, or say why they cannot fit."""
        units = network.sizes[-1]
        act = network.layers[-1].activation
        k = len(classes)
        if units == 1 and Y.shape[1] > 1:
            raise SpecError(f"y has {k} classes but the network has one {act} output unit, "
                            "which separates two", file=network.source, key="y",
                            expected=f"{k} softmax output units for {k} classes")
        if units == 2 and Y.shape[1] == 1 and act == "softmax":
            return np.column_stack([1 - Y[:, 0], Y[:, 0]])
        if units != Y.shape[1]:
            raise SpecError(f"y has {k} classes but the network has {units} output units",
                            file=network.source, key="y",
                            expected=f"{Y.shape[1]} output unit(s)")
        if T.label_coding(network) == "pm1":
            return 2 * Y - 1
        return Y

    # -- using the fit --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise SpecError(f"this {type(self).__name__} is not fitted yet", key="fit",
                            expected="call fit(X, y) first")

    def _outputs(self, X: Any) -> np.ndarray:
        self._check_fitted()
        X = self._inputs(X, fitted=True)
        return np.asarray(self.kernels_.forward(self.params_, X), dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """The network's raw outputs, shape (n_samples, n_outputs)."""
        return self._outputs(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        self._check_fitted()
        if self.task_ != "classification":
            raise SpecError("predict_proba needs a classifier", key="predict_proba",
                            expected="an estimator fitted with task='classification'")
        out = self._outputs(X)
        if out.shape[1] > 1:
            return out
        p = out[:, 0]
        lo, hi = 2 * self._midpoint - 1, 1.0      # targets were 0/1 or −1/+1
        if lo < 0:
            p = (p - lo) / (hi - lo)
        p = np.clip(p, 0.0, 1.0)
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification) or predicted values (regression)."""
        self._check_fitted()
        if self.task_ == "classification":
            out = self._outputs(X)
            if out.shape[1] == 1:
                index = (out[:, 0] >= self._midpoint).astype(np.int64)
            else:
                index = out.argmax(axis=1)
            return np.asarray(self.classes_)[index]
        out = self._outputs(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X: Any, y: Any) -> float:
        """Accuracy for classifiers, R² (coefficient of determination) for regressors."""
        self._check_fitted()
        y = np.asarray(y)
        if self.task_ == "classification":
            pred = self.predict(X)
            if y.ndim == 2:
                y = np.asarray(self.classes_)[y.argmax(axis=1)]
            if y.shape != pred.shape:
                raise SpecError("y does not match X", key="y", expected=str(pred.shape),
                                got=y.shape)
            return float(np.mean(pred == y))
        out = self._outputs(X)
        Y = np.asarray(y, dtype=np.float64).reshape(out.shape)
        return T.r2_score(out, Y)

    def summary(self) -> Summary:
        """A Keras-like table of the network (after ``fit``, or with ``network=`` given)."""
        if hasattr(self, "network_"):
            return summary(self.network_, self.kernels_)
        if self.network is not None:
            from ..spec import load
            net = self.network if not isinstance(self.network, str | Path) else \
                load(self.network)
            return summary(net)
        raise SpecError(f"this {type(self).__name__} has no network yet", key="summary",
                        expected="call fit(X, y) first (the input size comes from X), or "
                        "pass network=")


class MLPClassifier(MLP):
    """`MLP` for classification: ``score`` is accuracy, ``predict_proba`` gives probabilities."""

    def __init__(self, hidden_layer_sizes: tuple[int, ...] | int = (8,),
                 activation: str = "tanh", *, output_activation: str | None = None,
                 loss: str | None = None, bias: bool = True, epochs: int = 200,
                 batch_size: int | None = 32, learning_rate: float = 0.1,
                 momentum: float = 0.9, shuffle: bool = True, seed: int = 0,
                 dtype: str = "float64", network: Any = None, progress: bool = False) -> None:
        super().__init__(hidden_layer_sizes, activation, output_activation=output_activation,
                         loss=loss, bias=bias, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, momentum=momentum, shuffle=shuffle,
                         seed=seed, dtype=dtype, network=network, task="classification",
                         progress=progress)


class MLPRegressor(MLP):
    """`MLP` for regression: linear outputs, mean squared error, ``score`` is R²."""

    def __init__(self, hidden_layer_sizes: tuple[int, ...] | int = (8,),
                 activation: str = "tanh", *, output_activation: str | None = None,
                 loss: str | None = None, bias: bool = True, epochs: int = 200,
                 batch_size: int | None = 32, learning_rate: float = 0.1,
                 momentum: float = 0.9, shuffle: bool = True, seed: int = 0,
                 dtype: str = "float64", network: Any = None, progress: bool = False) -> None:
        super().__init__(hidden_layer_sizes, activation, output_activation=output_activation,
                         loss=loss, bias=bias, epochs=epochs, batch_size=batch_size,
                         learning_rate=learning_rate, momentum=momentum, shuffle=shuffle,
                         seed=seed, dtype=dtype, network=network, task="regression",
                         progress=progress)
