"""The generated kernels' gradients against the exact symbolic ones and finite differences.

This file: the unrolled kernels in float64, and the shared cases and helpers;
test_kernels_gradients_loops.py: the loop kernels, float32, and the two shapes against each other.
A covering set of networks — every activation (linear, sigmoid, tanh, relu, softplus, softmax
output), every loss (sse, mse, log, cross-entropy), with and without bias, depth 1 to 5, both
kernel shapes, float64 and float32 — not the full cross product: each module costs a compile.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import sympy as sp

from symprop import Dense, Network
from symprop.derive import symbols as S
from symprop.derive.verify import composed_outputs

BOTH = ("unrolled", "loops")
NETWORKS: dict[str, tuple[Network, tuple[str, ...]]] = {
    "lecture-sigmoid-sse-nobias": (Network(
        inputs=2, layers=[Dense(2, "sigmoid", False), Dense(1, "sigmoid", False)], loss="sse"),
        BOTH),
    "tanh-linear-mse": (Network(
        inputs=3, layers=[Dense(3, "tanh"), Dense(2, "linear")], loss="mse"), ("unrolled",)),
    "relu-sigmoid-log": (Network(
        inputs=2, layers=[Dense(3, "relu"), Dense(1, "sigmoid")], loss="log"), ("unrolled",)),
    "softplus-softmax-crossentropy": (Network(
        inputs=2, layers=[Dense(2, "softplus"), Dense(3, "softmax")], loss="cross-entropy"),
        BOTH),
    "sigmoid-softmax-sse": (Network(
        inputs=2, layers=[Dense(2, "sigmoid", False), Dense(3, "softmax")], loss="sse"), BOTH),
    "depth1-linear-sse": (Network(inputs=3, layers=[Dense(1, "linear")], loss="sse"),
                          ("unrolled",)),
    "depth1-softmax-log": (Network(
        inputs=2, layers=[Dense(3, "softmax", False)], loss="log"), ("unrolled",)),
    "depth1-sigmoid-mse": (Network(
        inputs=2, layers=[Dense(2, "sigmoid")], loss="mse"), ("loops",)),
    "depth3-relu-mse-nobias": (Network(
        inputs=2, layers=[Dense(3, "relu", False), Dense(2, "relu", False),
                          Dense(2, "linear", False)], loss="mse"), ("loops",)),
    "tanh-sigmoid-crossentropy": (Network(
        inputs=2, layers=[Dense(2, "tanh"), Dense(2, "sigmoid")], loss="cross-entropy"),
        ("unrolled",)),
    "depth5-mixed-sse": (Network(
        inputs=2, layers=[Dense(2, "tanh"), Dense(2, "relu"), Dense(2, "sigmoid"),
                          Dense(2, "softplus"), Dense(2, "linear")], loss="sse"), BOTH),
}
CASES = [(name, shape) for name, (_, shapes) in NETWORKS.items() for shape in shapes]
FLOAT32 = [("lecture-sigmoid-sse-nobias", "unrolled"), ("softplus-softmax-crossentropy", "loops"),
           ("depth5-mixed-sse", "unrolled")]
UNROLLED = [(name, shape) for name, shape in CASES if shape == "unrolled"]
LOOPS = [(name, shape) for name, shape in CASES if shape == "loops"]
# finite differences need each module's loss kernel too: every unrolled case, two loop cases
FINITE_LOOPS = [("softplus-softmax-crossentropy", "loops"), ("depth3-relu-mse-nobias", "loops")]


pytestmark = pytest.mark.usefixtures("shared_kernel_cache")


@cache
def kernels(name: str, shape: str, dtype: str = "float64"):
    return NETWORKS[name][0].compile(dtype=dtype, shape=shape)


def point(name: str, dtype: str = "float64", n: int = 3, seed: int = 7):
    """Parameters, inputs and targets where every loss and derivative is defined."""
    net = NETWORKS[name][0]
    rng = np.random.default_rng(seed)
    params = {}
    for key, shape in net.param_shapes().items():
        params[key] = rng.uniform(-1.2, 1.2, size=shape).astype(dtype)
    X = rng.uniform(-1.5, 1.5, size=(n, net.n_inputs)).astype(dtype)
    K = net.sizes[-1]
    if net.layers[-1].activation == "softmax" or net.loss == "cross-entropy":
        raw = rng.uniform(0.1, 1.0, size=(n, K))
        Y = raw / raw.sum(axis=1, keepdims=True)         # targets that sum to one
    elif net.loss == "log":
        Y = rng.uniform(0.05, 0.95, size=(n, K))
    else:
        Y = rng.uniform(-1.0, 1.0, size=(n, K))
    return params, X, Y.astype(dtype)


@cache
def _gradient_exprs(name: str) -> dict[tuple[str, tuple[int, ...]], sp.Expr]:
    net = NETWORKS[name][0]
    deriv = net.derive()
    exprs = {}
    for key, shape in net.param_shapes().items():
        l = int(key[1:])
        for idx in np.ndindex(*shape):
            addr = (f"dE/dw{l}[{idx[0] + 1},{idx[1] + 1}]" if key[0] == "W"
                    else f"dE/db{l}[{idx[0] + 1}]")
            exprs[key, idx] = deriv.gradient(addr).doit()
    return exprs


def exact_gradients(name: str, params, X, Y) -> dict[str, np.ndarray]:
    """Derivation.gradient at the same (binary, hence exact rational) point, batch mean."""
    net = NETWORKS[name][0]
    grads = {k: np.zeros(v.shape) for k, v in params.items()}
    for row in range(X.shape[0]):
        values = {S.x[i + 1]: sp.Rational(float(X[row, i])) for i in range(net.n_inputs)}
        values.update({S.d[k + 1]: sp.Rational(float(Y[row, k]))
                       for k in range(net.sizes[-1])})
        for l, layer in enumerate(net.layers, start=1):
            for k in range(layer.units):
                for j in range(net.sizes[l - 1]):
                    values[S.w(l)[k + 1, j + 1]] = sp.Rational(float(params[f"W{l}"][k, j]))
                if layer.bias:
                    values[S.b(l)[k + 1]] = sp.Rational(float(params[f"b{l}"][k]))
        outs = [[sp.N(o, 40) for o in layer] for layer in composed_outputs(net, values)]
        at = dict(values)
        for l, layer in enumerate(net.layers, start=1):
            for k in range(1, layer.units + 1):
                at[S.out(l)[k]] = outs[l][k - 1]
                z = sum(values[S.w(l)[k, j]] * outs[l - 1][j - 1]
                        for j in range(1, net.sizes[l - 1] + 1))
                at[S.net(l)[k]] = z + values[S.b(l)[k]] if layer.bias else z
        for (key, idx), expr in _gradient_exprs(name).items():
            grads[key][idx] += float(sp.N(expr.xreplace(at), 30))
    return {k: v / X.shape[0] for k, v in grads.items()}


def _assert_close(got: dict, want: dict, rtol: float) -> None:
    assert got.keys() == want.keys()
    scale = max(float(np.max(np.abs(v))) for v in want.values())
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=rtol * scale,
                                   err_msg=key)


@pytest.mark.parametrize("name,shape", UNROLLED)
def test_gradients_equal_the_exact_symbolic_ones(name, shape):
    k = kernels(name, shape)
    params, X, Y = point(name)
    got = k.gradients(params, X, Y)
    assert all(g.dtype == np.float64 and g.shape == params[n].shape for n, g in got.items())
    _assert_close(got, exact_gradients(name, params, X, Y), rtol=1e-12)


@pytest.mark.parametrize("name,shape", UNROLLED)
def test_gradients_equal_central_finite_differences(name, shape):
    k = kernels(name, shape)
    params, X, Y = point(name, seed=11)
    got = k.gradients(params, X, Y)
    h = 1e-5
    for key, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(*value.shape):
            up = {n: v.copy() for n, v in params.items()}
            down = {n: v.copy() for n, v in params.items()}
            up[key][idx] += h
            down[key][idx] -= h
            numeric[idx] = (k.loss(up, X, Y) - k.loss(down, X, Y)) / (2 * h)
        np.testing.assert_allclose(got[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("name,shape", [("relu-sigmoid-log", "unrolled"),
                                        ("tanh-linear-mse", "unrolled"),
                                        ("tanh-sigmoid-crossentropy", "unrolled")])
def test_the_loss_is_the_mean_of_the_per_sample_losses(name, shape):
    net = NETWORKS[name][0]
    k = kernels(name, shape)
    params, X, Y = point(name, n=4)
    out = k.forward(params, X)
    per_sample = {
        "sse": lambda o, t: 0.5 * np.sum((o - t) ** 2, axis=1),
        "mse": lambda o, t: np.mean((o - t) ** 2, axis=1),
        "log": lambda o, t: -np.sum(t * np.log(o) + (1 - t) * np.log(1 - o), axis=1),
        "cross-entropy": lambda o, t: -np.sum(t * np.log(o), axis=1),
    }[net.loss](out, Y)
    assert k.loss(params, X, Y) == pytest.approx(float(np.mean(per_sample)), rel=1e-13)
