"""Training with the generated kernels: XOR, the loop's exact semantics, NaN/Inf, bad input."""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest

from symprop import Dense, Network, SpecError, TrainingError
from symprop.codegen.support import shuffle_order

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0], dtype=float)
NETS = {
    "xor": Network(inputs=2, layers=[Dense(2, "sigmoid"), Dense(1, "sigmoid")], loss="sse",
                   name="xor"),
    "regression": Network(inputs=1, layers=[Dense(1, "linear")], loss="sse", name="line"),
    "logistic": Network(inputs=1, layers=[Dense(1, "sigmoid")], loss="log"),
    "softmax": Network(inputs=1, layers=[Dense(3, "softmax")], loss="cross-entropy"),
    "deep": Network(inputs=3, layers=[Dense(5, "tanh"), Dense(4, "relu"), Dense(3, "softmax")],
                    loss="cross-entropy", name="deep"),
}


pytestmark = pytest.mark.usefixtures("shared_kernel_cache")


@cache
def kernels(name: str, shape: str = "unrolled", dtype: str = "float64"):
    return NETS[name].compile(dtype=dtype, shape=shape)


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# -- XOR ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["unrolled", "loops"])
def test_xor_is_learned_to_accuracy_one(shape):
    k = kernels("xor", shape)
    params, history = k.train(k.init_params(1), XOR_X, XOR_Y, epochs=2000, batch_size=4,
                              learning_rate=2.0, momentum=0.9, seed=1)
    assert history["accuracy"][-1] == 1.0
    assert len(history["loss"]) == 2000 and history["loss"][-1] < 1e-3
    assert k.predict(params, XOR_X).tolist() == [0, 1, 1, 0]
    assert k.accuracy(params, XOR_X, XOR_Y) == 1.0


def test_both_shapes_train_to_the_same_numbers():
    a, b = kernels("xor", "unrolled"), kernels("xor", "loops")
    kw = dict(epochs=50, batch_size=3, learning_rate=0.5, momentum=0.5, seed=4)
    pa, ha = a.train(a.init_params(2), XOR_X, XOR_Y, **kw)
    pb, hb = b.train(b.init_params(2), XOR_X, XOR_Y, **kw)
    for key in pa:
        np.testing.assert_allclose(pa[key], pb[key], rtol=1e-12)
    np.testing.assert_allclose(ha["loss"], hb["loss"], rtol=1e-12)


# -- the loop's semantics -----------------------------------------------------------------------
def test_the_result_does_not_depend_on_chunking():
    k = kernels("xor")
    start = k.init_params(3)
    runs = [k.train(start, XOR_X, XOR_Y, epochs=30, batch_size=3, learning_rate=0.7,
                    momentum=0.3, seed=9, chunk_epochs=c) for c in (None, 1, 7, 30)]
    for params, history in runs[1:]:
        assert same(params, runs[0][0])
        assert history == runs[0][1]


def test_the_seed_decides_the_shuffle():
    k = kernels("xor")
    start = k.init_params(3)
    kw = dict(epochs=5, batch_size=1, learning_rate=0.5)
    p1, _ = k.train(start, XOR_X, XOR_Y, seed=1, **kw)
    p1b, _ = k.train(start, XOR_X, XOR_Y, seed=1, **kw)
    p2, _ = k.train(start, XOR_X, XOR_Y, seed=2, **kw)
    assert same(p1, p1b) and not same(p1, p2)
    assert same(start, k.init_params(3))            # train never touches its input


def test_train_is_minibatch_sgd_with_a_partial_last_batch_and_shuffling():
    """Replay two epochs by hand: the same orders, batches of 2, 2, 1, steps w -= lr g."""
    k = kernels("xor")
    X = np.vstack([XOR_X, [[0.5, 0.25]]])
    Y = np.append(XOR_Y, 1.0)
    lr, seed = 0.8, 5
    params, history = k.train(k.init_params(0), X, Y, epochs=2, batch_size=2,
                              learning_rate=lr, seed=seed)
    manual = k.init_params(0)
    state = np.array([seed], dtype=np.uint64)
    order = np.empty(5, dtype=np.int64)
    losses = []
    for _ in range(2):
        shuffle_order(order, state, True)
        total = 0.0
        for start in range(0, 5, 2):
            rows = order[start:start + 2]
            total += k.loss(manual, X[rows], Y[rows]) * len(rows)
            grads = k.gradients(manual, X[rows], Y[rows])
            manual = {n: manual[n] - lr * grads[n] for n in manual}
        losses.append(total / 5)
    for key in params:
        np.testing.assert_allclose(params[key], manual[key], rtol=1e-13)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-13)


@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_loop_training_replays_as_gradient_steps(momentum):
    """The loop kernel folds each weight step into the gradient's BLAS product (bias steps stay
    separate); replayed with `gradients` (its own products) and NumPy steps, it must agree."""
    k = kernels("deep", "loops")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(7, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=7)]
    lr, seed = 0.3, 2
    params, history = k.train(k.init_params(5), X, Y, epochs=3, batch_size=3,
                              learning_rate=lr, momentum=momentum, seed=seed)
    manual = k.init_params(5)
    velocity = {n: np.zeros_like(v) for n, v in manual.items()}
    state = np.array([seed], dtype=np.uint64)
    order = np.empty(7, dtype=np.int64)
    for _ in range(3):
        shuffle_order(order, state, True)
        for start in range(0, 7, 3):         # batches of 3, 3 and 1 rows
            rows = order[start:start + 3]
            grads = k.gradients(manual, X[rows], Y[rows])
            for n in manual:
                velocity[n] = momentum * velocity[n] - lr * grads[n]
                manual[n] = manual[n] + velocity[n]
    for key in params:
        np.testing.assert_allclose(params[key], manual[key], rtol=1e-12, atol=1e-15)
    assert history["loss"][-1] < history["loss"][0]


def test_momentum_accumulates_a_velocity():
    k = kernels("xor")
    start, lr, mu = k.init_params(0), 0.5, 0.9
    params, _ = k.train(start, XOR_X, XOR_Y, epochs=3, batch_size=4, learning_rate=lr,
                        momentum=mu, shuffle=False)
    manual = {n: v.copy() for n, v in start.items()}
    velocity = {n: np.zeros_like(v) for n, v in start.items()}
    for _ in range(3):
        grads = k.gradients(manual, XOR_X, XOR_Y)
        for n in manual:
            velocity[n] = mu * velocity[n] - lr * grads[n]
            manual[n] = manual[n] + velocity[n]
    for key in params:
        np.testing.assert_allclose(params[key], manual[key], rtol=1e-13)


def test_progress_bar_and_zero_epochs(capsys):
    k = kernels("xor")
    params, history = k.train(k.init_params(0), XOR_X, XOR_Y, epochs=3, progress=True)
    assert len(history["loss"]) == 3
    assert "epoch" in capsys.readouterr().err
    same_params, empty = k.train(params, XOR_X, XOR_Y, epochs=0)
    assert same(same_params, params) and empty == {"loss": [], "accuracy": []}


# -- NaN/Inf ------------------------------------------------------------------------------------
def test_divergence_stops_with_the_epoch_and_the_last_good_parameters():
    k = kernels("regression")
    X = np.linspace(-50, 50, 11).reshape(-1, 1)
    Y = 3 * X[:, 0] + 1
    start = {"W1": np.array([[0.5]]), "b1": np.array([0.0])}
    with pytest.raises(TrainingError, match=r"epoch \d+") as info:
        k.train(start, X, Y, epochs=500, batch_size=11, learning_rate=1.0, shuffle=False)
    exc = info.value
    assert exc.epoch > 1
    assert len(exc.history["loss"]) == exc.epoch - 1
    assert np.all(np.isfinite(exc.history["loss"]))
    assert all(np.all(np.isfinite(v)) for v in exc.params.values())
    before, _ = k.train(start, X, Y, epochs=exc.epoch - 1, batch_size=11, learning_rate=1.0,
                        shuffle=False)
    assert same(before, exc.params)


# -- saturation -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["unrolled", "loops"])
def test_saturated_sigmoid_and_log_loss_stay_finite(shape):
    k = kernels("logistic", shape)
    params = {"W1": np.array([[1000.0]]), "b1": np.array([0.0])}
    X, Y = np.array([[1.0], [-1.0], [1.0]]), np.array([1.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = k.forward(params, X)
        loss = k.loss(params, X, Y)
        grads = k.gradients(params, X, Y)
    assert out.ravel().tolist() == [1.0, 0.0, 1.0]
    # the wrong saturated sample costs the clipped -ln(eps), not inf
    assert loss == pytest.approx(-np.log(np.finfo(float).eps) / 3, rel=1e-12)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    np.testing.assert_allclose(grads["W1"], [[1 / 3]], rtol=1e-15)   # mean of (y - d) x


@pytest.mark.parametrize("shape", ["unrolled", "loops"])
def test_saturated_softmax_cross_entropy_is_exact(shape):
    k = kernels("softmax", shape)
    params = {"W1": np.array([[1000.0], [-1000.0], [0.0]]), "b1": np.zeros(3)}
    X = np.array([[1.0], [-1.0]])
    labels = np.array([1, 0])                       # integer labels become one-hot rows
    out = k.forward(params, X)
    assert np.all(np.isfinite(out)) and out[0].tolist() == [1.0, 0.0, 0.0]
    assert k.loss(params, X, labels) == pytest.approx(2000.0, rel=1e-15)   # log-sum-exp
    assert k.predict(params, X).tolist() == [0, 1]
    grads = k.gradients(params, X, labels)
    # delta = y - d: [1, -1, 0] for the first sample, [-1, 1, 0] for the second
    assert grads["b1"].tolist() == [0.0, 0.0, 0.0]
    assert grads["W1"].ravel().tolist() == [1.0, -1.0, 0.0]


# -- parameters and bad input ---------------------------------------------------------------------
def test_init_params_glorot_uniform_from_the_seed():
    k = kernels("xor")
    a, b, c = k.init_params(0), k.init_params(0), k.init_params(1)
    assert same(a, b) and not same(a, c)
    assert a["W1"].shape == (2, 2) and a["W2"].shape == (1, 2) and a["b1"].shape == (2,)
    assert np.all(np.abs(a["W1"]) <= np.sqrt(6 / 4)) and np.all(a["b1"] == 0)
    assert a["W1"].dtype == np.float64


@pytest.mark.parametrize("call,match", [
    (lambda k, p: k.forward(p, np.zeros((3, 3))), "input shape"),
    (lambda k, p: k.forward(p, np.zeros(2)), "X.reshape"),
    (lambda k, p: k.forward(p, np.zeros((0, 2))), "empty"),
    (lambda k, p: k.forward(p, [[np.nan, 0.0]]), "NaN"),
    (lambda k, p: k.loss(p, XOR_X, [0.0, 1.0]), "differ in length"),
    (lambda k, p: k.loss(p, XOR_X, [0.0, np.inf, 1.0, 0.0]), "NaN or infinity"),
    (lambda k, p: k.loss(p, XOR_X, np.zeros((4, 2))), "target shape"),
    (lambda k, p: k.forward({"W1": p["W1"]}, XOR_X), "do not match"),
    (lambda k, p: k.forward({**p, "W1": np.zeros((2, 3))}, XOR_X), "parameter shape"),
    (lambda k, p: k.train(p, XOR_X, XOR_Y, batch_size=0), "batch_size"),
    (lambda k, p: k.train(p, XOR_X, XOR_Y, momentum=1.0), "momentum"),
    (lambda k, p: k.train(p, XOR_X, XOR_Y, learning_rate=-1), "learning_rate"),
    (lambda k, p: k.train(p, XOR_X, XOR_Y, epochs=2.5), "epochs"),
    (lambda k, p: k.accuracy(p, XOR_X, XOR_Y) and kernels("regression").accuracy(
        {"W1": np.ones((1, 1)), "b1": np.zeros(1)}, [[1.0]], [1.0]), "classifier"),
])
def test_bad_input_is_a_spec_error(call, match):
    k = kernels("xor")
    with pytest.raises(SpecError, match=match):
        call(k, k.init_params(0))


def test_float32_kernels_train_in_float32():
    k = kernels("xor", "unrolled", "float32")
    params, history = k.train(k.init_params(1), XOR_X, XOR_Y, epochs=20, batch_size=2,
                              learning_rate=1.0, seed=1)
    assert all(v.dtype == np.float32 for v in params.values())
    reference, ref_history = kernels("xor").train(kernels("xor").init_params(1), XOR_X, XOR_Y,
                                                  epochs=20, batch_size=2, learning_rate=1.0,
                                                  seed=1)
    for key in params:
        np.testing.assert_allclose(params[key], reference[key], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=1e-4)
