"""The estimators against scikit-learn's own MLPs, and inside scikit-learn's tools."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import symprop
from symprop import Dense, Network, SpecError
from symprop.runtime.estimator import MLPClassifier, MLPRegressor

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)


def _seeded(sk_cls, coefs, intercepts):
    """scikit-learn's estimator started from the given weights (it has no argument for them)."""
    class Seeded(sk_cls):
        def _initialize(self, y, layer_units, dtype):
            super()._initialize(y, layer_units, dtype)
            self.coefs_ = [np.array(c, dtype=dtype) for c in coefs]
            self.intercepts_ = [np.array(b, dtype=dtype) for b in intercepts]
    return Seeded


def _network(sizes, hidden, output, loss, seed=0):
    rng = np.random.default_rng(seed)
    weights, coefs, intercepts = {}, [], []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
        W = rng.uniform(-0.7, 0.7, (n_out, n_in))
        b = rng.uniform(-0.3, 0.3, n_out)
        weights[f"W{l}"], weights[f"b{l}"] = W.tolist(), b.tolist()
        coefs.append(W.T)
        intercepts.append(b)
    layers = [Dense(u, hidden) for u in sizes[1:-1]] + [Dense(sizes[-1], output)]
    return Network(inputs=sizes[0], layers=layers, loss=loss, weights=weights), coefs, intercepts


SAME = dict(solver="sgd", shuffle=False, max_iter=12, batch_size=40, tol=0.0,
            n_iter_no_change=1000)


@pytest.mark.parametrize("settings", [
    dict(alpha=1e-2, momentum=0.9, nesterovs_momentum=True, learning_rate="invscaling",
         learning_rate_init=0.3, power_t=0.25),                          # exact steps
    dict(alpha=0.0, momentum=0.8, nesterovs_momentum=False, learning_rate_init=0.05),  # kernel
])
def test_the_same_training_as_scikit_learn(settings):
    # same initial weights, same batches: scikit-learn's loss curve to rounding
    net, coefs, intercepts = _network((4, 5, 3), "tanh", "softmax", "cross-entropy")
    ours = MLPClassifier(network=net, **SAME, **settings)
    theirs = _seeded(SkClassifier, coefs, intercepts)(hidden_layer_sizes=(5,),
                                                      activation="tanh", **SAME, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X_IRIS, Y_IRIS)
        theirs.fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    for a, b in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_regression_loss_scale_and_adaptive_schedule_match_scikit_learn():
    # two outputs: scikit-learn's gradient is that of ½Σ(y−d)², its loss ½·mean; adaptive
    # divides the rate by 5 whenever tol is missed n_iter_no_change + 1 times
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3))
    Y = np.column_stack([X[:, 0] - X[:, 1], np.sin(X[:, 2])])
    net, coefs, intercepts = _network((3, 4, 2), "tanh", "linear", "sse", seed=2)
    kw = dict(SAME, max_iter=40, tol=0.05, n_iter_no_change=2, learning_rate="adaptive",
              alpha=1e-3, learning_rate_init=0.1)
    ours = MLPRegressor(network=net, **kw)
    theirs = _seeded(SkRegressor, coefs, intercepts)(hidden_layer_sizes=(4,),
                                                     activation="tanh", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, Y)
        ours.set_params(network=None, hidden_layer_sizes=(4,), activation="tanh")
        ours._build = lambda *a: net          # the built net, seeded like scikit-learn's
        ours.fit(X, Y)
    assert ours.n_iter_ == theirs.n_iter_ < 40
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.converged_


def test_similar_accuracy_to_scikit_learn_on_iris():
    kw = dict(hidden_layer_sizes=(16,), activation="tanh", solver="sgd",
              learning_rate_init=0.05, max_iter=150, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = cross_val_score(MLPClassifier(**kw), X_IRIS, Y_IRIS, cv=3).mean()
        theirs = cross_val_score(SkClassifier(**kw), X_IRIS, Y_IRIS, cv=3).mean()
    assert ours > 0.9 and abs(ours - theirs) < 0.05


def test_pipeline_gridsearch_clone_and_pickle():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(6,),
                                                         learning_rate_init=0.1,
                                                         max_iter=60, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__learning_rate_init": [0.05, 0.2]}, cv=2,
                        n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_score_ > 0.8 and len(grid.cv_results_["mean_test_score"]) == 2
    fitted = grid.best_estimator_
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    c = clone(fitted[-1])
    assert c.get_params() == fitted[-1].get_params() and not hasattr(c, "params_")


@pytest.mark.parametrize("steps", [{}, {"alpha": 0.0, "nesterovs_momentum": False}])
def test_divergence_warns_and_is_not_converged(steps):
    # the case: learning rate 1e4 (the old float spelling), in both ways of stepping
    with pytest.warns(DeprecationWarning, match="learning_rate_init"), \
            pytest.warns(ConvergenceWarning, match="diverged"):
        clf = MLPClassifier(hidden_layer_sizes=(6,), learning_rate=1e4, max_iter=20,
                            random_state=0, **steps).fit(X_IRIS, Y_IRIS)
    assert clf.converged_ is False and clf.diverged_ is True
    assert all(np.isfinite(c).all() for c in clf.coefs_)


def test_verbose_shows_a_progress_bar(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, verbose=True,
                      random_state=0).fit(X_IRIS, Y_IRIS)
    err = capsys.readouterr().err
    assert "MLPClassifier" in err and "3/3" in err and "loss=" in err


def test_max_iter_warns_and_tol_converges():
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0)
        clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3 and not clf.converged_
    clf.set_params(max_iter=500, tol=0.1, learning_rate_init=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X_IRIS, Y_IRIS)
    assert clf.converged_ and clf.n_iter_ < 500


def test_partial_fit_warm_start_and_early_stopping():
    clf = MLPClassifier(hidden_layer_sizes=(6,), learning_rate_init=0.1, random_state=0)
    with pytest.raises(SpecError, match="needs classes"):
        clf.partial_fit(X_IRIS, Y_IRIS)
    for _ in range(3):
        clf.partial_fit(X_IRIS[:100], Y_IRIS[:100], classes=[0, 1, 2])
    assert len(clf.loss_curve_) == 3 and clf.n_iter_ == 1 and clf.t_ == 300
    assert list(clf.classes_) == [0, 1, 2]
    warm = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, warm_start=True,
                         learning_rate_init=0.1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X_IRIS, Y_IRIS)
        first = warm.coefs_[0].copy()
        warm.fit(X_IRIS, Y_IRIS)
    assert len(warm.loss_curve_) == 10 and warm.loss_curve_[5] < warm.loss_curve_[0]
    assert not np.array_equal(first, warm.coefs_[0])
    early = MLPClassifier(hidden_layer_sizes=(6,), early_stopping=True, max_iter=200,
                          learning_rate_init=0.1, n_iter_no_change=3, random_state=0)
    early.fit(X_IRIS, Y_IRIS)
    assert len(early.validation_scores_) == early.n_iter_ < 200
    assert early.best_validation_score_ == max(early.validation_scores_)


def test_scikit_learn_names_and_the_deprecated_ones():
    with pytest.raises(SpecError, match="solver='adam' is not available"):
        MLPClassifier(solver="adam").fit(X_IRIS, Y_IRIS)
    with pytest.raises(SpecError, match="learning_rate"):
        MLPClassifier(learning_rate="sometimes").fit(X_IRIS, Y_IRIS)
    with pytest.warns(DeprecationWarning, match="max_iter"), \
            pytest.warns(DeprecationWarning, match="random_state"):
        clf = MLPClassifier(hidden_layer_sizes=(6,), epochs=4, seed=3, tol=0.0,
                            n_iter_no_change=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 4
    same = MLPClassifier(hidden_layer_sizes=(6,), max_iter=4, random_state=3, tol=0.0,
                         n_iter_no_change=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        same.fit(X_IRIS, Y_IRIS)
    assert same.loss_curve_ == clf.loss_curve_


def test_save_and_load_model(tmp_path):
    y = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    clf = MLPClassifier(hidden_layer_sizes=(6,), learning_rate_init=0.1, max_iter=30,
                        random_state=0, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_IRIS, y)
    clf.save(tmp_path / "m")
    back = symprop.load_model(tmp_path / "m")
    assert isinstance(back, MLPClassifier) and back.get_params() == clf.get_params()
    np.testing.assert_array_equal(back.predict(X_IRIS), clf.predict(X_IRIS))
    np.testing.assert_array_equal(back.predict_proba(X_IRIS), clf.predict_proba(X_IRIS))
    assert back.loss_curve_ == clf.loss_curve_


def _damage(folder, how):
    import json
    meta = folder / "model.json"
    if how == "missing":
        meta.unlink()
    elif how == "json":
        meta.write_text("{not json")
    elif how == "weights":
        data = bytearray((folder / "weights.npz").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / "weights.npz").write_bytes(bytes(data))
    elif how == "pickle":          # an object array: refused without unpickling it
        np.savez(folder / "weights.npz", W1=np.array([object()], dtype=object))
        m = json.loads(meta.read_text())
        import hashlib
        m["weights_sha256"] = hashlib.sha256((folder / "weights.npz").read_bytes()).hexdigest()
        meta.write_text(json.dumps(m))
    elif how == "units":
        m = json.loads(meta.read_text())
        m["network"]["layers"][0]["units"] = -3
        meta.write_text(json.dumps(m))
    elif how == "classes":
        m = json.loads(meta.read_text())
        m["classes"]["values"] = m["classes"]["values"][:1]
        meta.write_text(json.dumps(m))


@pytest.mark.parametrize("how, match", [
    ("missing", "not a model folder"), ("json", "unreadable"),
    ("weights", "do not belong"), ("pickle", "unreadable weights|do not match|bad array"),
    ("units", "bad network"), ("classes", "class labels"),
])
def test_a_damaged_model_folder_is_one_line(tmp_path, how, match):
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_IRIS, Y_IRIS)
    clf.save(tmp_path / "m")
    _damage(tmp_path / "m", how)
    with pytest.raises(SpecError, match=match) as info:
        symprop.load_model(tmp_path / "m")
    assert "\n" not in str(info.value)
