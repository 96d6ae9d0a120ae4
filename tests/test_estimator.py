"""The scikit-learn style estimator and its Keras-like summary."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import symprop
from symprop import SpecError
from symprop.runtime.datasets import load_dataset, relu_sum
from symprop.runtime.estimator import MLP, MLPClassifier, MLPRegressor, summary

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
XOR_SPEC = EXAMPLES / "train_xor_221.toml"
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_ARGS = dict(max_iter=2000, batch_size=4, learning_rate_init=2.0, momentum=0.9,
                nesterovs_momentum=False, alpha=0.0, tol=0.0, n_iter_no_change=10**6,
                random_state=1)


@pytest.fixture(scope="module")
def xor_clf():
    # string labels: classes_ keeps them, predict gives them back
    y = np.array(["off", "on", "on", "off"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # max_iter is reached on purpose
        return MLPClassifier(network=XOR_SPEC, **XOR_ARGS).fit(X, y), y


def test_fit_returns_self_and_sets_fitted_attributes(xor_clf):
    clf, y = xor_clf
    assert isinstance(clf, MLPClassifier)
    assert clf.classes_.tolist() == ["off", "on"]
    assert clf.n_features_in_ == 2 and clf.n_outputs_ == 1 and clf.n_iter_ == 2000
    assert set(clf.params_) == {"W1", "b1", "W2", "b2"}
    assert len(clf.loss_curve_) == 2000
    assert clf.kernels_.network is clf.network_ and not clf.diverged_


def test_predict_score_and_proba(xor_clf):
    clf, y = xor_clf
    assert clf.predict(X).tolist() == y.tolist()
    assert clf.score(X, y) == 1.0
    proba = clf.predict_proba(X)
    assert proba.shape == (4, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1) == (y == "on")).all()


def test_params_follow_the_sklearn_convention(xor_clf):
    clf, _ = xor_clf
    params = clf.get_params()
    assert params["learning_rate_init"] == 2.0 and params["network"] == XOR_SPEC
    assert "task" not in params                      # fixed by the class, not an argument
    clone = type(clf)(**params)
    assert clone.get_params() == params and not hasattr(clone, "params_")
    assert clone.set_params(max_iter=5) is clone and clone.max_iter == 5
    with pytest.raises(ValueError, match="Invalid parameter 'lr'"):
        clone.set_params(lr=0.1)
    assert "max_iter=5" in repr(clone) and repr(MLPClassifier()) == "MLPClassifier()"


def test_summary_is_a_keras_like_table(xor_clf):
    clf, _ = xor_clf
    text = clf.summary()
    assert repr(text) == str(text)
    lines = str(text).splitlines()
    assert any(line.split()[:3] == ["Layer", "Units", "Activation"] for line in lines)
    assert any(line.startswith("dense_1") and line.split()[-1] == "6" for line in lines)
    assert any(line.startswith("dense_2") and "(None, 1)" in line for line in lines)
    assert "Total params: 9" in text and "Kernels: family" in text   # a short job


def test_summary_counts_biases_and_needs_a_network():
    net = symprop.load(EXAMPLES / "train_spiral.toml")
    assert "Total params: 337" in summary(net)
    assert "(None, 16)" in MLPClassifier(network=net).summary()
    with pytest.raises(SpecError, match="no network yet"):
        MLPClassifier().summary()


def test_three_classes_get_a_softmax_network():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 3], [3, -2], [-3, -2]], dtype=float)
    y = np.repeat([0, 1, 2], 30)
    Xc = centres[y] + rng.normal(0, 0.5, (90, 2))
    clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", max_iter=100,
                        learning_rate_init=0.1, batch_size=10, random_state=0).fit(Xc, y)
    assert clf.network_.layers[-1].activation == "softmax"
    assert clf.network_.loss == "cross-entropy"
    assert clf.score(Xc, y) > 0.95
    assert clf.predict_proba(Xc).shape == (90, 3)
    assert set(clf.predict(Xc)) <= {0, 1, 2}


def test_three_classes_for_one_sigmoid_unit_is_a_spec_error():
    with pytest.raises(SpecError, match="3 classes but the network has one sigmoid output"):
        MLPClassifier(network=XOR_SPEC, max_iter=1).fit(np.zeros((3, 2)), [0, 1, 2])


def test_regression_with_a_spec_network_scores_r2():
    net = symprop.load(EXAMPLES / "train_relu_sum.toml")
    ds = load_dataset("relu-sum")
    reg = MLPRegressor(network=net, max_iter=3000, batch_size=10, learning_rate_init=0.01,
                       alpha=0.0, nesterovs_momentum=False, tol=0.0, n_iter_no_change=10**6,
                       random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(ds.X, ds.Y[:, 0])
    assert reg.predict(ds.X).shape == (200,)
    assert reg.score(ds.X, relu_sum(ds.X[:, 0])) > 0.999
    assert not hasattr(reg, "classes_")
    assert not hasattr(reg, "predict_proba")         # regressors have none (scikit-learn)


def test_task_auto_and_the_built_architectures():
    mlp = MLP(hidden_layer_sizes=(3, 5), activation="relu")
    assert mlp._resolved_task(np.array([0.5, 1.25])) == "regression"
    assert mlp._resolved_task(np.array([0.0, 1.0, 1.0])) == "classification"
    assert mlp._resolved_task(np.array(["a", "b"])) == "classification"
    reg = mlp._build(4, 1, "regression")
    assert reg.sizes == (4, 3, 5, 1) and reg.layers[-1].activation == "linear"
    assert reg.loss == "sse"          # scikit-learn's gradient: that of ½Σ(y−d)²
    assert MLP()._build(2, 1, "classification").loss == "log"


@pytest.mark.parametrize("Xbad, ybad, match", [
    (np.zeros(4), [0, 1, 0, 1], "Expected 2D array"),
    (np.zeros((0, 2)), [], "0 sample"),
    (np.array([[0, np.nan], [1, 1]]), [0, 1], "NaN"),
    (np.zeros((4, 2)), [0, 1, 0], "inconsistent numbers of samples"),
    (np.zeros((4, 2)), [1, 1, 1, 1], "at least two classes"),
    (np.zeros((4, 3)), [0, 1, 0, 1], "has 2 inputs but X has 3"),
])
def test_bad_data_is_a_value_error(Xbad, ybad, match):
    # scikit-learn's own messages for what its validation finds (SpecError is a ValueError)
    with pytest.raises(ValueError, match=match):
        MLPClassifier(network=XOR_SPEC, max_iter=1).fit(Xbad, ybad)


def test_using_an_unfitted_or_mismatched_estimator(xor_clf):
    with pytest.raises(NotFittedError, match="not fitted"):
        MLPClassifier().predict(X)
    clf, _ = xor_clf
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.predict(np.zeros((2, 3)))


def test_a_perceptron_network_warns_when_it_cannot_converge():
    clf = MLPClassifier(network=EXAMPLES / "train_perceptron_xor.toml", learning_rate_init=1.0)
    with pytest.warns(ConvergenceWarning, match="not linearly separable"):
        clf.fit(X, [0, 1, 1, 0])
    assert clf.converged_ is False
    ok = MLPClassifier(network=EXAMPLES / "train_perceptron_and.toml", learning_rate_init=1.0)
    assert ok.fit(X, [0, 0, 0, 1]).score(X, [0, 0, 0, 1]) == 1.0


def test_divergence_warns_and_keeps_the_last_good_params():
    reg = MLPRegressor(network=EXAMPLES / "train_linear.toml", max_iter=50,
                       learning_rate_init=10.0, momentum=0.0)
    ds = load_dataset("reg-plane")
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(ds.X, ds.Y[:, 0])
    assert reg.diverged_ and not reg.converged_
    assert all(np.isfinite(v).all() for v in reg.params_.values())
