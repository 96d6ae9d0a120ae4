"""The perceptron rule through its generated @njit kernel equals the exact rule, bit for bit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symprop
from symprop import Dense, Network, SpecError
from symprop.derive.perceptron import train as exact_train
from symprop.runtime.datasets import load_dataset
from symprop.runtime.perceptron import compile_perceptron, render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


@pytest.fixture(scope="module")
def step_unit():
    net = symprop.load(EXAMPLES / "train_perceptron_and.toml")
    return net, compile_perceptron(net)


def _same_as_exact(net, kernels, X, Y, eta=1):
    run = kernels.train(kernels.init_params(), X, Y, learning_rate=eta)
    ref = exact_train(net, X.astype(int).tolist(), Y.astype(int).tolist(), learning_rate=eta)
    assert run.converged == ref.converged
    assert run.epochs == ref.epochs
    assert run.errors == ref.errors
    assert run.cycle_from == ref.cycle_from
    assert np.array_equal(run.params["W1"], np.array(ref.weights, dtype=float))
    if "b1" in run.params:
        assert np.array_equal(run.params["b1"], np.array(ref.bias, dtype=float))
    return run, ref


@pytest.mark.parametrize("name", ["and", "or", "nand"])
def test_kernel_equals_exact_rule_on_separable_tables(step_unit, name):
    net, k = step_unit
    ds = load_dataset(name)
    run, _ = _same_as_exact(net, k, ds.X, ds.Y)
    assert run.converged and run.errors[-1] == 0
    assert np.array_equal(k.forward(run.params, ds.X), ds.Y)


def test_xor_is_stopped_with_a_statement_not_silently(step_unit):
    net, k = step_unit
    ds = load_dataset("xor")
    run, ref = _same_as_exact(net, k, ds.X, ds.Y)
    assert not run.converged and run.cycle_from is not None
    assert run.statement.startswith("not linearly separable: ")
    assert "cycles forever" in run.statement and "mistakes in the last epoch" in run.statement
    assert ref.statement in run.statement


def test_sign_units_and_a_fractional_rate_match_too():
    net = Network(inputs=2, layers=[Dense(1, "sign")], loss="zero-one")
    k = compile_perceptron(net)
    Y = np.array([[-1], [-1], [-1], [1]], dtype=float)
    run, _ = _same_as_exact(net, k, X, Y, eta=0.5)
    assert run.converged


def test_several_units_without_bias_match():
    net = Network(inputs=3, layers=[Dense(2, "step", bias=False)], loss="zero-one")
    k = compile_perceptron(net)
    X3 = np.column_stack([X, np.ones(4)])          # a constant input in place of a bias
    Y = np.array([[0, 0], [1, 0], [1, 0], [1, 1]], dtype=float)   # OR, AND
    run, _ = _same_as_exact(net, k, X3, Y)
    assert run.converged and "b1" not in run.params


def test_wide_layers_use_the_looped_sum_and_still_match():
    net = Network(inputs=10, layers=[Dense(2, "step")], loss="zero-one")
    k = compile_perceptron(net)
    assert "_dot(" in k.source
    rng = np.random.default_rng(0)
    X10 = rng.integers(-3, 4, (30, 10)).astype(float)
    Y = (X10 @ rng.integers(-2, 3, (2, 10)).T >= 0).astype(float)
    run, _ = _same_as_exact(net, k, X10, Y)
    assert run.converged and np.array_equal(k.forward(run.params, X10), Y)


def test_epoch_limit_is_reported_with_the_error_count(step_unit):
    _, k = step_unit
    ds = load_dataset("and")
    run = k.train(k.init_params(), ds.X, ds.Y, max_epochs=2)
    assert not run.converged and run.epochs == 2
    assert run.statement.startswith("did not converge within 2 epochs")


def test_bad_targets_and_shapes_are_spec_errors(step_unit):
    _, k = step_unit
    with pytest.raises(SpecError, match="not an output of a step unit"):
        k.train(k.init_params(), X, np.array([0, 1, 2, 1.0]))
    with pytest.raises(SpecError, match="wrong input shape"):
        k.train(k.init_params(), X[:, :1], np.zeros(4))
    with pytest.raises(SpecError, match="needs threshold units|threshold"):
        compile_perceptron(symprop.load(EXAMPLES / "train_xor_221.toml"))


def test_mcculloch_pitts_hidden_layer_computes_xor():
    net = symprop.load(EXAMPLES / "train_mcculloch_pitts_xor.toml")
    k = compile_perceptron(net)
    assert k.forward(k.init_params(), X)[:, 0].tolist() == [0, 1, 1, 0]
    with pytest.raises(SpecError, match="no learning rule"):
        k.train(k.init_params(), X, np.zeros((4, 1)))


def test_generated_module_is_a_real_cached_file(step_unit):
    net, k = step_unit
    ast.parse(k.source)
    assert "@njit(cache=True)" in k.source and "def train_epochs" in k.source
    assert k.path.is_file() and k.path.read_text(encoding="utf-8") == k.source
    assert sys.modules[k.module.__name__] is k.module
    assert k.module.__file__ == str(k.path)
    assert render(net) == k.source          # deterministic: the content hash names the file
    assert k.path.name.startswith("symprop_perceptron_")


def test_cache_dir_comes_from_the_environment(tmp_path):
    code = ("import symprop; from symprop.runtime.perceptron import compile_perceptron; "
            "k = compile_perceptron(symprop.Network(inputs=1, layers=[symprop.Dense(1, 'step')],"
            " loss='zero-one')); print(k.path)")
    env = {**__import__("os").environ, "SYMPROP_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=ROOT)
    path = Path(out.stdout.strip())
    assert path.parent == tmp_path and path.is_file()
