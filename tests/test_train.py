"""The training driver: XOR solved, the ReLU sum fitted, NaN stops, bad data refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import symprop
from symprop import SpecError, TrainingError
from symprop.runtime import train as T
from symprop.runtime.datasets import Dataset, load_dataset, relu_sum

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# the demo's settings (tests and demo share the compiled kernels through the cache)
XOR = T.Settings(epochs=2000, batch_size=4, learning_rate=2.0, momentum=0.9, seed=1)
RELU = T.Settings(epochs=10000, batch_size=10, learning_rate=0.01, momentum=0.9, seed=0)
RELU_BOUND = 0.05      # max |Z(x) − network(x)| on [-2, 2] after training (0.0126 measured)


@pytest.fixture(scope="module")
def xor_net():
    net = symprop.load(EXAMPLES / "train_xor_221.toml")
    return net, net.compile()


@pytest.fixture(scope="module")
def linear_net():
    net = symprop.load(EXAMPLES / "train_linear.toml")
    return net, net.compile()


def test_xor_is_solved_from_a_fixed_seed(xor_net, tmp_path):
    net, k = xor_net
    run = T.fit(net, "xor", XOR, kernels=k, plot=tmp_path / "xor.png")
    assert run.ok and run.accuracy == 1.0
    out = k.forward(run.params, run.data.X)[:, 0]
    assert np.all((out > 0.5) == (run.data.Y[:, 0] > 0.5))
    assert len(run.history["loss"]) == len(run.history["accuracy"]) == 2000
    assert run.history["loss"][-1] < run.history["loss"][0]
    assert {"loss_curve", "decision_boundary"} <= set(run.files)
    assert all(Path(p).stat().st_size > 0 for p in run.files.values())


def test_driver_equals_kernels_train_bit_for_bit(xor_net):
    """The resumable loop runs the same kernel as Kernels.train: same bits from the same seed."""
    net, k = xor_net
    s = T.Settings(epochs=7, batch_size=1, learning_rate=0.5, momentum=0.9, seed=5)
    ds = load_dataset("xor")
    params, history = k.train(k.init_params(5), ds.X, ds.Y, epochs=7, batch_size=1,
                              learning_rate=0.5, momentum=0.9, seed=5)
    state = T.run_epochs(k, T.start(k, s), ds.X, ds.Y, s, 7)
    assert all(np.array_equal(params[n], state.params[n]) for n in params)
    assert history["loss"] == state.history["loss"]
    assert history["accuracy"] == state.history["accuracy"]


def test_relu_sum_is_fitted_to_a_small_max_error():
    net = symprop.load(EXAMPLES / "train_relu_sum.toml")
    run = T.fit(net, "relu-sum", RELU)
    grid = np.linspace(-2, 2, 2001).reshape(-1, 1)
    error = np.max(np.abs(run.kernels.forward(run.params, grid)[:, 0] - relu_sum(grid[:, 0])))
    assert error < RELU_BOUND
    assert run.task == "regression" and run.accuracy is None and run.r2 > 0.999


def test_relu_sum_is_represented_exactly_by_the_lectures_weights():
    net = symprop.load(EXAMPLES / "train_relu_sum_exact.toml")
    k = net.compile()
    grid = np.linspace(-2, 2, 801)
    out = k.forward(k.init_params(0), grid.reshape(-1, 1))[:, 0]
    assert np.max(np.abs(out - relu_sum(grid))) < 1e-12


def test_nan_stops_training_naming_the_epoch_and_keeping_good_params(linear_net):
    net, k = linear_net
    huge = T.Settings(epochs=50, batch_size=32, learning_rate=10.0, seed=0)
    run = T.fit(net, "reg-plane", huge, kernels=k)
    assert not run.ok and run.stopped is not None
    epoch = len(run.history["loss"]) + 1               # the epoch that blew up
    assert f"in epoch {epoch}" in run.stopped
    assert all(np.isfinite(v).all() for v in run.params.values())
    # the kept parameters are exactly those after the last good epoch
    good = T.fit(net, "reg-plane", T.Settings(epochs=epoch - 1, batch_size=32,
                                              learning_rate=10.0, seed=0), kernels=k)
    assert good.ok
    assert all(np.array_equal(run.params[n], good.params[n]) for n in run.params)
    assert run.history["loss"] == good.history["loss"]


def test_run_epochs_raises_training_error_with_params(linear_net):
    net, k = linear_net
    s = T.Settings(epochs=50, batch_size=32, learning_rate=10.0)
    ds = load_dataset("reg-plane")
    with pytest.raises(TrainingError, match=r"in epoch \d+") as info:
        T.run_epochs(k, T.start(k, s), ds.X, ds.Y, s, 50)
    assert set(info.value.params) == {"W1", "b1"}
    assert info.value.state.epoch == info.value.epoch - 1


def test_a_small_rate_trains_the_linear_unit(linear_net):
    net, k = linear_net
    run = T.fit(net, "reg-plane", T.Settings(epochs=50, learning_rate=0.01), kernels=k)
    assert run.ok and run.r2 > 0.9999
    assert np.allclose(run.params["W1"], [[0.1, 0.1]], atol=1e-4)


# --- input validation ----------------------------------------------------------------------------
def _ds(X, Y, task="classification"):
    X, Y = np.asarray(X, float), np.asarray(Y, float).reshape(len(Y), -1)
    return Dataset("d", X, Y, task, tuple(f"x{i}" for i in range(X.shape[1])),
                   tuple(f"y{i}" for i in range(Y.shape[1])))


@pytest.mark.parametrize("X, Y, match", [
    (np.zeros((4, 3)), np.zeros(4), "has 2 inputs but"),
    (np.zeros((0, 2)), np.zeros(0), "empty dataset"),
    (np.zeros((4, 2)), np.zeros(3), "different numbers of rows"),
    (np.array([[0, 0], [np.nan, 1]]), np.zeros(2), "NaN or infinite"),
    (np.zeros((2, 2)), np.array([0, np.inf]), "NaN or infinite"),
    (np.zeros((3, 2)), np.array([0, 1, 2]), "outside what a sigmoid output unit"),
    (np.zeros((2, 2)), np.zeros((2, 2)), "has 1 output unit"),
])
def test_bad_arrays_are_spec_errors(xor_net, X, Y, match):
    net, _ = xor_net
    with pytest.raises(SpecError, match=match):
        T.check_arrays(net, X, Y)


def test_log_loss_needs_targets_in_0_1():
    net = symprop.Network(inputs=2, layers=[symprop.Dense(1, "sigmoid")], loss="log")
    with pytest.raises(SpecError, match=r"outside \[0, 1\] cannot be used with the log loss"):
        T.check_arrays(net, np.zeros((2, 2)), np.array([0.0, 1.5]))


def test_cross_entropy_needs_one_hot_rows():
    net = symprop.Network(inputs=2, layers=[symprop.Dense(3, "softmax")], loss="cross-entropy")
    with pytest.raises(SpecError, match="sums to 2"):
        T.check_arrays(net, np.zeros((2, 2)), np.array([[1, 0, 0], [1, 1, 0.0]]))


def test_step_targets_must_be_unit_outputs():
    net = symprop.load(EXAMPLES / "train_perceptron_and.toml")
    with pytest.raises(SpecError, match="not an output of a step unit"):
        T.check_arrays(net, np.zeros((2, 2)), np.array([0.0, -1.0]))


def test_data_and_network_must_agree(xor_net):
    net, k = xor_net
    with pytest.raises(SpecError, match="has 2 inputs but the data 'relu-sum' has 1"):
        T.fit(net, "relu-sum", XOR, kernels=k)
    with pytest.raises(SpecError, match="unknown dataset"):
        T.fit(net, "no-such-data", XOR, kernels=k)
    three = _ds(np.zeros((3, 2)), np.eye(3))
    with pytest.raises(SpecError, match="3 target column"):
        T.fit(net, three, XOR, kernels=k)


@pytest.mark.parametrize("kwargs, key", [
    ({"epochs": -1}, "epochs"), ({"batch_size": 0}, "batch_size"),
    ({"learning_rate": 0.0}, "learning_rate"), ({"momentum": 1.0}, "momentum"),
    ({"learning_rate": float("nan")}, "learning_rate"), ({"dtype": "float16"}, "dtype"),
])
def test_bad_settings_are_spec_errors(kwargs, key):
    with pytest.raises(SpecError) as info:
        T.Settings(**kwargs)
    assert info.value.key == key


def test_label_coding_follows_the_output_unit():
    sign = symprop.Network(inputs=2, layers=[symprop.Dense(1, "sign")], loss="zero-one")
    assert T.label_coding(sign) == "pm1"
    ds = T.get_data("and", sign)
    assert set(np.unique(ds.Y)) == {-1.0, 1.0}


def test_binary_classes_become_one_hot_for_a_two_unit_softmax():
    net = symprop.Network(inputs=2, layers=[symprop.Dense(4, "tanh"),
                                            symprop.Dense(2, "softmax")], loss="cross-entropy")
    ds = T.get_data("xor", net)
    assert ds.Y.tolist() == [[1, 0], [0, 1], [0, 1], [1, 0]]


def test_perceptron_networks_take_the_same_path():
    net = symprop.load(EXAMPLES / "train_perceptron_xor.toml")
    run = T.fit(net, "xor", T.Settings())
    assert not run.ok and run.stopped.startswith("not linearly separable")
    and_run = T.fit(symprop.load(EXAMPLES / "train_perceptron_and.toml"), "and", T.Settings())
    assert and_run.ok and and_run.accuracy == 1.0 and and_run.history["errors"][-1] == 0


def test_metrics():
    net = symprop.load(EXAMPLES / "train_xor_221.toml")
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    assert T.accuracy(net, np.array([0.2, 0.7, 0.4, 0.1]), Y) == 0.75
    assert T.accuracy(net, np.array([[0.9, 0.1], [0.2, 0.8]]),
                      np.array([[1.0, 0.0], [1.0, 0.0]])) == 0.5
    assert T.r2_score(Y, Y) == 1.0
    assert T.r2_score(np.full_like(Y, 0.5), Y) == 0.0


def test_mcculloch_pitts_layers_are_run_with_their_given_weights():
    net = symprop.load(EXAMPLES / "train_mcculloch_pitts_xor.toml")
    run = T.fit(net, "xor", T.Settings())
    assert run.ok and run.accuracy == 1.0 and "no learning rule" in run.statement
    wrong = T.fit(net, "and", T.Settings())
    assert not wrong.ok and "misclassify 3 of 4" in wrong.stopped
    with pytest.raises(SpecError, match="weights must be given"):
        T.fit(net.with_(weights={}), "xor", T.Settings())
