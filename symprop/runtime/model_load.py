"""``symprop.load_model(DIR)``: a fitted estimator back from its folder (`model_io`'s files).

Also the estimator that ``symprop train --save`` writes, made from a training run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SpecError
from .checkpoint import network_from_structure
from .estimator import MLPClassifier, MLPRegressor
from .model_io import bad, classes_of, meta_of, pipeline_of, weights_of


def load_model(folder: str | Path):
    """The model saved in ``folder``: a fitted `MLPClassifier`/`MLPRegressor`, or a
    scikit-learn ``Pipeline`` (StandardScaler, estimator) when it was trained on
    standardised inputs. A damaged or foreign folder raises `SpecError` (one line)."""
    folder = Path(folder)
    meta = meta_of(folder)
    estimator_classes = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    try:
        cls = estimator_classes[meta["estimator"]]
        network = network_from_structure(meta["network"], name=meta["estimator"].lower())
        task = meta["task"]
        if task not in ("classification", "regression"):
            raise ValueError(task)
        n_features = int(meta["n_features_in"])
        settings = {k: tuple(v) if isinstance(v, list) else v
                    for k, v in meta["settings"].items()
                    if k in cls().get_params() and v is not None}
    except SpecError as exc:
        raise bad(folder, "network", f"bad network: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(folder, "estimator", f"incomplete or malformed model ({exc!r})") from None
    if network.n_inputs != n_features:
        raise bad(folder, "n_features_in", "does not match the network's inputs")
    params = weights_of(folder, meta, network.param_shapes())
    if meta.get("network_given") is True:
        settings["network"] = network       # refitting keeps the saved architecture
    est = cls(**settings)
    est.network_, est.params_, est.task_ = network, params, task
    est.n_features_in_, est.n_outputs_ = n_features, network.sizes[-1]
    training = meta.get("training") or {}
    est.loss_curve_ = [float("nan") if v is None else float(v)
                       for v in training.get("loss_curve", [])]
    est.n_iter_ = int(training.get("n_iter", len(est.loss_curve_)))
    est.converged_ = bool(training.get("converged", False))
    est.diverged_ = bool(training.get("diverged", False))
    if task == "classification":
        est.classes_ = classes_of(folder, meta.get("classes"), network)
    scaler = meta.get("scaler")
    if scaler is None:
        return est
    return pipeline_of(folder, scaler, n_features, est)


def estimator_from_run(run, feature_names: tuple[str, ...] | None = None):
    """A fitted estimator holding what ``symprop train`` trained (for ``--save``)."""
    s = run.settings
    cls = MLPClassifier if run.task == "classification" else MLPRegressor
    est = cls(network=run.network, max_iter=max(s.epochs, 1),
              batch_size=s.batch_size or len(run.train),
              learning_rate_init=s.learning_rate, momentum=s.momentum,
              nesterovs_momentum=False, alpha=0.0, shuffle=s.shuffle, random_state=s.seed,
              dtype=s.dtype)
    network = run.network
    est.network_, est.kernels_, est.task_ = network, run.kernels, run.task
    est.params_ = {k: np.asarray(v) for k, v in run.params.items()}
    est.n_features_in_, est.n_outputs_ = network.n_inputs, network.sizes[-1]
    est.loss_curve_ = [float(v) for v in run.history.get("loss", [])]
    est.n_iter_ = len(est.loss_curve_)
    est.converged_ = bool(run.ok)
    est.diverged_ = run.stopped is not None and not network.is_perceptron
    if feature_names:
        est._feature_names = tuple(feature_names)
    if run.task == "classification":
        names = run.train.class_names
        est.classes_ = np.array(names) if names else np.arange(max(network.sizes[-1], 2))
    return est
