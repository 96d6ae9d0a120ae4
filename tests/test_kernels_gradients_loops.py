"""The loop kernels' gradients (exact and finite differences), float32, and both shapes agreeing.

The cases and helpers are in test_kernels_gradients.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels_gradients import (
    BOTH,
    FINITE_LOOPS,
    FLOAT32,
    LOOPS,
    NETWORKS,
    _assert_close,
    exact_gradients,
    kernels,
    point,
)
from test_kernels_gradients import (
    test_gradients_equal_central_finite_differences as _finite_differences,
)

pytestmark = pytest.mark.usefixtures("shared_kernel_cache")


@pytest.mark.parametrize("name,shape", LOOPS)
def test_loop_gradients_equal_the_exact_symbolic_ones(name, shape):
    k = kernels(name, shape)
    params, X, Y = point(name)
    _assert_close(k.gradients(params, X, Y), exact_gradients(name, params, X, Y), rtol=1e-12)


@pytest.mark.parametrize("name,shape", FINITE_LOOPS)
def test_loop_gradients_equal_central_finite_differences(name, shape):
    _finite_differences(name, shape)


@pytest.mark.parametrize("name,shape", [("softplus-softmax-crossentropy", "loops")])
def test_the_loop_loss_is_the_mean_of_the_per_sample_losses(name, shape):
    k = kernels(name, shape)
    params, X, Y = point(name, n=4)
    out = k.forward(params, X)
    assert k.loss(params, X, Y) == pytest.approx(
        float(np.mean(-np.sum(Y * np.log(out), axis=1))), rel=1e-13)


@pytest.mark.parametrize("name,shape", FLOAT32)
def test_float32_gradients_to_float32_precision(name, shape):
    k = kernels(name, shape, "float32")
    params, X, Y = point(name, dtype="float32")
    got = k.gradients(params, X, Y)
    assert all(g.dtype == np.float32 for g in got.values())
    assert k.forward(params, X).dtype == np.float32
    _assert_close({n: g.astype(np.float64) for n, g in got.items()},
                  exact_gradients(name, params, X, Y), rtol=2e-5)


@pytest.mark.parametrize("name", [n for n, (_, shapes) in NETWORKS.items() if shapes == BOTH])
def test_both_kernel_shapes_agree(name):
    params, X, Y = point(name, n=5, seed=3)
    a, b = kernels(name, "unrolled"), kernels(name, "loops")
    ga, gb = a.gradients(params, X, Y), b.gradients(params, X, Y)
    for key in ga:
        np.testing.assert_allclose(ga[key], gb[key], rtol=1e-12, atol=1e-15)

