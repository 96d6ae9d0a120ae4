"""scikit-learn estimators over the generated kernels: a drop-in for scikit-learn's MLPs.

    >>> from symprop.runtime import MLPClassifier      # instead of sklearn.neural_network
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), activation="tanh", solver="sgd",
    ...                     learning_rate_init=0.05, max_iter=300, random_state=0)
    >>> clf.fit(X, y).score(X, y)

The constructor takes scikit-learn's names with scikit-learn's meanings (`sklearn_params`),
training is scikit-learn's SGD (`sgd`) run by the generated kernels, and the classes are built on
``sklearn.base`` so that ``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and ``clone`` work.
symprop's own arguments come last: ``output_activation``, ``loss``, ``bias``, ``dtype`` and
``network`` (a `symprop.Network` or a spec path that replaces the built architecture).
Two classes get one sigmoid output with the log loss, more a softmax with cross-entropy;
regression gets linear outputs with ½Σ(y−d)², whose gradient is scikit-learn's (its reported
loss, ½·mean over outputs, is what ``loss_curve_`` holds).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..errors import SpecError
from ..units import shown_name
from . import sgd
from . import train as T
from .datasets import Dataset
from .sklearn_params import SGDConfig, our_activation, random_state_of, resolve

_FEW = 20          # float targets with at most this many distinct whole values are classes
#: the final loss above this many times the loss of the initial weights: training diverged
DIVERGED_FACTOR = 2.0

#: checks of ``sklearn.utils.estimator_checks`` these estimators fail on purpose, with the
#: reason (scikit-learn >= 1.6 has no tag for them: they go to ``parametrize_with_checks``'s
#: ``expected_failed_checks``). None: every check passes.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


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


def _network_of(network: Any):
    from ..spec import load
    return load(network) if isinstance(network, str | Path) else network


class _BaseMLP(BaseEstimator):
    """A multilayer perceptron trained by scikit-learn's SGD in the generated numba kernels.

    Without a fixed task (`MLP`) it comes from ``y``: classes when ``y`` holds strings,
    booleans, integers or at most 20 distinct whole numbers.
    """

    _task = "auto"

    def __init__(self, hidden_layer_sizes: tuple[int, ...] | int = (100,),
                 activation: str = "relu", *, solver: str = "sgd", alpha: float = 0.0001,
                 batch_size: int | str = "auto", learning_rate: str = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: Any = None, tol: float = 1e-4,
                 verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 output_activation: str | None = None, loss: str | None = None,
                 bias: bool = True, dtype: str = "float64", network: Any = None,
                 epochs: int | None = None, seed: int | None = None,
                 progress: bool | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1            # adam's and lbfgs's: accepted for scripts, unused
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.output_activation = output_activation
        self.loss = loss
        self.bias = bias
        self.dtype = dtype
        self.network = network
        self.epochs = epochs            # deprecated names (sklearn_params.DEPRECATED)
        self.seed = seed
        self.progress = progress

    def __getstate__(self) -> dict[str, Any]:
        # the compiled kernels are a module: pickle the network and compile (from the cache)
        # again when unpickled
        state = super().__getstate__()
        state.pop("kernels_", None)
        return state

    def __getattr__(self, name: str) -> Any:
        # an unpickled fit compiles its kernels (from the cache) when first used
        if name == "kernels_" and "network_" in self.__dict__:
            self.kernels_ = T.compile_for(self.network_, self._dtype().name)
            return self.kernels_
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        if self._task == "regression":
            tags.target_tags.multi_output = True
        return tags

    # -- the data ---------------------------------------------------------------------------------
    def _resolved_task(self, y: np.ndarray) -> str:
        if self._task != "auto":
            return self._task
        if y.dtype.kind in "OUSbiu":
            return "classification"
        if y.ndim == 1 and np.all(np.isfinite(y)) and np.all(y == np.round(y)) \
                and np.unique(y).size <= _FEW:
            return "classification"
        return "regression"

    def _dtype(self) -> np.dtype:
        if self.dtype not in ("float64", "float32"):
            raise SpecError("bad dtype", key="dtype", expected="'float64' or 'float32'",
                            got=self.dtype)
        return np.dtype(self.dtype)

    def _targets(self, y: Any, task: str, first: bool, classes: Any = None) -> np.ndarray:
        """``y`` as the float matrix the network trains on; sets ``classes_`` on a first fit."""
        if task == "regression":
            Y = np.asarray(y, dtype=np.float64)
            return Y.reshape(-1, 1) if Y.ndim == 1 else Y
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:      # an indicator matrix: one column per class
            Y = y.astype(np.float64)
            if not (np.isin(Y, (0.0, 1.0)).all() and (Y.sum(axis=1) == 1).all()):
                raise SpecError("a 2-D y for classification must be one-hot (0/1)", key="y",
                                expected="one column per class, a single 1 per row")
            if first:
                self.classes_ = np.arange(Y.shape[1])
            return Y
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if labels.size < 2:
                raise SpecError("classification needs at least two classes in y (a classifier "
                                "can't train when only one class is present)", key="y",
                                expected="two or more distinct labels", got=labels.tolist())
            self.classes_ = labels
        unseen = np.setdiff1d(y, self.classes_)
        if unseen.size:
            raise SpecError("y holds labels the estimator was not fitted with", key="y",
                            expected="labels in " + str(self.classes_.tolist()),
                            got=unseen.tolist())
        index = np.searchsorted(self.classes_, y)
        if self.classes_.size == 2:
            return index.reshape(-1, 1).astype(np.float64)
        return np.eye(self.classes_.size)[index]

    def _build(self, n_features: int, n_outputs: int, task: str):
        from ..spec import Dense, Network

        if self.network is not None:
            return _network_of(self.network)
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, int | np.integer) else tuple(hidden)
        if not all(isinstance(h, int | np.integer) and h >= 1 for h in hidden):
            raise SpecError("bad hidden_layer_sizes", key="hidden_layer_sizes",
                            expected="a tuple of integers >= 1", got=self.hidden_layer_sizes)
        activation = our_activation(self.activation)
        output = our_activation(self.output_activation)
        if task == "classification":
            output = output or ("sigmoid" if n_outputs == 1 else "softmax")
            loss = self.loss or ("log" if output == "sigmoid" else
                                 "cross-entropy" if output == "softmax" else "sse")
        else:
            output = output or "linear"
            loss = self.loss or "sse"
        layers = [Dense(int(h), activation, bias=self.bias) for h in hidden]
        layers.append(Dense(n_outputs, output, bias=self.bias))
        return Network(inputs=n_features, layers=layers, loss=loss,
                       name=type(self).__name__.lower())

    def _fit_classes(self, network, Y: np.ndarray) -> np.ndarray:
        """Recode 0/1 targets for the network's output units, or say why they cannot fit."""
        units = network.sizes[-1]
        act = network.layers[-1].activation
        k = len(self.classes_)
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

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> _BaseMLP:
        """Train on (X, y) (continuing the last fit when ``warm_start``); returns ``self``."""
        return self._fit(X, y, incremental=False)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> _BaseMLP:
        config = resolve(self)
        first = not hasattr(self, "params_") or (not self.warm_start and not incremental)
        X, y = validate_data(self, X, y, reset=first, multi_output=True, dtype=np.float64,
                             y_numeric=self._task == "regression")
        task = self._resolved_task(np.asarray(y)) if first else self.task_
        Y = self._targets(y, task, first, classes)
        if first:
            self._initialize(config, X.shape[1], Y.shape[1], task)
        elif Y.shape[1] != self.n_outputs_ and task == "regression":
            raise SpecError("y has another number of columns than in the first fit", key="y",
                            expected=f"{self.n_outputs_} column(s)", got=Y.shape[1])
        network = self.network_
        if task == "classification":
            Y = self._fit_classes(network, Y)
        T.check_arrays(network, X, Y, where="fit")
        if network.is_perceptron:
            return self._fit_perceptron(config, X, Y)
        return self._train(config, X, Y, incremental)

    def _initialize(self, config: SGDConfig, n_features: int, n_outputs: int,
                    task: str) -> None:
        network = self._build(n_features, n_outputs, task)
        if task == "classification":
            k = len(self.classes_)
            if network.sizes[-1] == 1 and k > 2:
                raise SpecError(f"y has {k} classes but the network has one "
                                f"{network.layers[-1].activation} output unit, which separates "
                                "two", file=network.source, key="y",
                                expected=f"{k} softmax output units for {k} classes")
        if network.n_inputs != n_features:
            raise SpecError(f"the network has {network.n_inputs} inputs but X has "
                            f"{n_features} features", file=network.source, key="X",
                            expected=f"shape (n_samples, {network.n_inputs})")
        dtype = self._dtype()
        previous = getattr(self, "kernels_", None)
        if previous is not None and previous.network == network and \
                getattr(previous, "dtype", "float64") == dtype.name:
            kernels = previous       # the same architecture again: no new compile
        else:
            kernels = T.compile_for(network, dtype.name)
        self._rs = random_state_of(config.random_state)
        seed = int(self._rs.randint(0, 2**31 - 1))
        self.network_, self.kernels_ = network, kernels
        self.params_ = {k: np.array(v) for k, v in kernels.init_params(seed).items()}
        self.task_ = task
        self.n_outputs_ = network.sizes[-1]
        if task != "classification" and hasattr(self, "classes_"):
            del self.classes_
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_: list[float] = []
        self.loss_ = None
        self._no_improvement = 0
        self._kernel_rng = T.initial_rng(int(self._rs.randint(0, 2**31 - 1)))
        self._optimizer = sgd.Optimizer.start(config, self.params_)
        self._initial_loss = None
        if config.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self.converged_ = False
        self.diverged_ = False

    def _loss_scale(self) -> float:
        # our ½Σ_k(y−d)² has scikit-learn's gradient; its reported loss is ½·mean over outputs
        if self.task_ == "regression" and self.loss is None and self.network is None:
            return 1.0 / self.n_outputs_
        return 1.0

    def _train(self, config: SGDConfig, X: np.ndarray, Y: np.ndarray, incremental: bool
               ) -> _BaseMLP:
        if config.early_stopping and incremental:
            raise SpecError("partial_fit does not support early_stopping=True",
                            key="early_stopping", expected="False with partial_fit")
        dtype = self.kernels_.dtype if hasattr(self.kernels_, "dtype") else "float64"
        X_train, Y_train, X_val, Y_val = self._split(config, X, Y)
        X_train = np.ascontiguousarray(X_train, dtype=dtype)
        Y_train = np.ascontiguousarray(Y_train, dtype=dtype)
        n = X_train.shape[0]
        batch = config.batch_for(n)
        scale = self._loss_scale()
        params = {k: np.ascontiguousarray(v, dtype=dtype) for k, v in self.params_.items()}
        if not incremental:     # as scikit-learn: each fit starts its optimizer afresh
            self._optimizer = sgd.Optimizer.start(config, params)
        opt = self._optimizer
        if self._initial_loss is None:
            grads = {k: np.empty_like(v) for k, v in params.items()}
            with np.errstate(all="ignore"):
                self._initial_loss = scale * sgd.loss_and_gradients(
                    self.kernels_, params, X_train, Y_train, grads) + \
                    sgd.penalty(params, config.alpha, batch)
        bar = None
        if config.verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=1 if incremental else config.max_iter, unit="epoch",
                       desc=type(self).__name__)
        diverged = stopped = False
        best = None
        self.n_iter_ = 0
        try:
            for _ in range(config.max_iter):
                try:
                    with np.errstate(over="ignore", invalid="ignore"):
                        if config.exact_steps:
                            order = self._rs.permutation(n) if config.shuffle else None
                            loss = sgd.exact_epoch(self.kernels_, params, opt, X_train,
                                                   Y_train, batch, order, config.alpha, scale)
                        else:
                            params, self._kernel_rng, loss = sgd.kernel_epoch(
                                self.kernels_, params, opt, self._kernel_rng, X_train,
                                Y_train, batch, config.shuffle, dtype, scale)
                except sgd.Diverged:
                    diverged = True
                    break
                self.n_iter_ += 1
                self.t_ += n
                self.loss_ = float(loss)
                self.loss_curve_.append(self.loss_)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{self.loss_:.6g}")
                if config.early_stopping:
                    if self._validate(config, params, X_val, Y_val):
                        best = {k: v.copy() for k, v in params.items()}
                else:
                    self._count_no_improvement(config)
                opt.iteration_ends(self.t_)
                if self._no_improvement > config.n_iter_no_change:
                    if opt.trigger_stopping():
                        stopped = True
                        break
                    self._no_improvement = 0
                if incremental:
                    break
        finally:
            if bar is not None:
                bar.close()
        self.params_ = best if best is not None else params
        last = self.loss_curve_[-1] if self.loss_curve_ else self._initial_loss
        blown = not math.isfinite(last) or (
            math.isfinite(self._initial_loss) and last > DIVERGED_FACTOR * self._initial_loss)
        self.diverged_ = diverged or blown
        self.converged_ = stopped and not self.diverged_
        if self.diverged_:
            warnings.warn(f"training diverged: the loss went from {self._initial_loss:.4g} at "
                          f"the initial weights to {last:.4g} (learning_rate_init="
                          f"{config.learning_rate_init:g}); converged_ is False. Try a smaller "
                          "learning_rate_init", ConvergenceWarning, stacklevel=4)
        elif not stopped and not incremental and self.n_iter_ == config.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({config.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=4)
        return self

    def _split(self, config: SGDConfig, X: np.ndarray, Y: np.ndarray):
        """scikit-learn's validation split for ``early_stopping`` (stratified for classes)."""
        if not config.early_stopping:
            return X, Y, None, None
        from sklearn.model_selection import train_test_split

        stratify = None
        if self.task_ == "classification":
            stratify = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0]
        X_train, X_val, Y_train, Y_val = train_test_split(
            X, Y, random_state=self._rs, test_size=config.validation_fraction,
            stratify=stratify)
        if X_val.shape[0] < 2:
            raise SpecError("the validation set is too small", key="validation_fraction",
                            expected="a larger validation_fraction or more samples",
                            got=config.validation_fraction)
        return X_train, Y_train, X_val, Y_val

    def _validate(self, config: SGDConfig, params, X_val, Y_val) -> bool:
        """Score the validation set (accuracy or R²); True when it is the best so far."""
        with np.errstate(all="ignore"):
            out = np.asarray(self.kernels_.forward(params, X_val), dtype=np.float64)
        if self.task_ == "classification":
            score = T.accuracy(self.network_, out, Y_val, self._midpoint(Y_val))
        else:
            score = T.r2_score(out, Y_val)
        self.validation_scores_.append(score)
        if score < self.best_validation_score_ + config.tol:
            self._no_improvement += 1
        else:
            self._no_improvement = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            return True
        return False

    def _count_no_improvement(self, config: SGDConfig) -> None:
        if self.loss_curve_[-1] > self.best_loss_ - config.tol:
            self._no_improvement += 1
        else:
            self._no_improvement = 0
        if self.loss_curve_[-1] < self.best_loss_:
            self.best_loss_ = self.loss_curve_[-1]

    def _fit_perceptron(self, config: SGDConfig, X: np.ndarray, Y: np.ndarray) -> _BaseMLP:
        """Threshold units learn by the perceptron rule, in one go (no SGD settings apply)."""
        settings = T.Settings(epochs=0, learning_rate=config.learning_rate_init,
                              max_epochs=config.max_iter, dtype=self._dtype().name)
        data = Dataset("fit", X, Y, "classification",
                       tuple(f"x{i + 1}" for i in range(X.shape[1])),
                       tuple(f"y{k + 1}" for k in range(Y.shape[1])), len(self.classes_))
        run = T.fit(self.network_, data, settings, kernels=self.kernels_)
        self.params_ = run.params
        self.loss_curve_ = list(run.history.get("loss", []))
        self.n_iter_ = len(self.loss_curve_)
        self.loss_ = run.loss
        self.converged_ = run.converged
        if run.stopped is not None:
            warnings.warn(run.stopped, ConvergenceWarning, stacklevel=4)
        return self

    # -- using the fit ----------------------------------------------------------------------------
    @property
    def coefs_(self) -> list[np.ndarray]:
        """scikit-learn's layout: one (n_in, n_out) matrix per layer (W<l> transposed)."""
        check_is_fitted(self, "params_")
        return [self.params_[f"W{l}"].T for l in range(1, self.network_.depth + 1)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        check_is_fitted(self, "params_")
        return [self.params_.get(f"b{l}", np.zeros(u)) for l, u in
                enumerate(self.network_.sizes[1:], start=1)]

    @property
    def n_layers_(self) -> int:
        check_is_fitted(self, "params_")
        return self.network_.depth + 1

    def _midpoint(self, Y: np.ndarray | None = None) -> float:
        lo = -1.0 if T.label_coding(self.network_) == "pm1" else 0.0
        return (lo + 1.0) / 2

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "params_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with np.errstate(all="ignore"):
            return np.asarray(self.kernels_.forward(self.params_, X), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification) or predicted values (regression)."""
        out = self._outputs(X)
        if self.task_ == "classification":
            if out.shape[1] == 1:
                index = (out[:, 0] >= self._midpoint()).astype(np.int64)
            else:
                index = out.argmax(axis=1)
            return np.asarray(self.classes_)[index]
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy for classes, R² (coefficient of determination) for values."""
        check_is_fitted(self, "params_")
        if self.task_ == "classification":
            return ClassifierMixin.score(self, X, y, sample_weight)
        return RegressorMixin.score(self, X, y, sample_weight)

    def summary(self) -> Summary:
        """A Keras-like table of the network (after ``fit``, or with ``network=`` given)."""
        if hasattr(self, "network_"):
            return summary(self.network_, self.kernels_)
        if self.network is not None:
            return summary(_network_of(self.network))
        raise SpecError(f"this {type(self).__name__} has no network yet", key="summary",
                        expected="call fit(X, y) first (the input size comes from X), or "
                        "pass network=")

    def save(self, folder: str | Path) -> Path:
        """Write the fitted model to ``folder`` (see `symprop.runtime.model_io`)."""
        from .model_io import save_model
        return save_model(self, folder)


class MLP(_BaseMLP):
    """`_BaseMLP` whose task (classes or values) comes from ``y``."""

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "params_")
        if self.task_ != "classification":
            raise SpecError("predict_proba needs a classifier", key="predict_proba",
                            expected="an estimator fitted with classes")
        out = self._outputs(X)
        if out.shape[1] > 1:
            return out
        p = out[:, 0]
        if self._midpoint() == 0.0:                   # −1/+1 coding
            p = (p + 1.0) / 2.0
        p = np.clip(p, 0.0, 1.0)
        return np.column_stack([1 - p, p])



class MLPClassifier(ClassifierMixin, _BaseMLP):
    """scikit-learn's ``MLPClassifier`` (solver ``"sgd"``) on the generated kernels."""

    _task = "classification"
    predict_proba = MLP.predict_proba

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch on (X, y); the first call needs ``classes`` (all the labels)."""
        if not hasattr(self, "params_") and classes is None:
            raise SpecError("the first call of partial_fit needs classes", key="classes",
                            expected="every class label, e.g. classes=np.unique(y)")
        return self._fit(X, y, incremental=True,
                         classes=None if hasattr(self, "params_") else classes)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the second class (two classes, shape (n,)), else the outputs."""
        proba = self.predict_proba(X)
        if proba.shape[1] == 2:
            p = np.clip(proba[:, 1], 1e-300, 1.0)
            q = np.clip(proba[:, 0], 1e-300, 1.0)
            return np.log(p) - np.log(q)
        return proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """scikit-learn's ``MLPRegressor`` (solver ``"sgd"``) on the generated kernels."""

    _task = "regression"

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch on (X, y), continuing from the last fit."""
        return self._fit(X, y, incremental=True)
