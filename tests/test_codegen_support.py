"""The shared `support` helpers the generated modules import, against NumPy."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from symprop import Dense, Network
from symprop.codegen import generate as gen
from symprop.codegen import support
from symprop.codegen.support import step_weights


@njit(cache=False)
def _step_first_rows(D, below, W, v, lr, momentum, rows):
    step_weights(D[:rows], below[:rows], W, v, lr, momentum)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-14), ("float32", 2e-6)])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_step_weights_is_the_sgd_step_of_the_batch_gradient(dtype, rtol, momentum):
    rng = np.random.default_rng(3)
    D = rng.normal(size=(9, 4)).astype(dtype)          # 9 rows of buffer, 6 in use
    below = rng.normal(size=(9, 5)).astype(dtype)
    W0 = rng.normal(size=(4, 5)).astype(dtype)
    v0 = rng.normal(size=(4, 5)).astype(dtype)
    g = D[:6].astype(float).T @ below[:6].astype(float)
    v_ref = momentum * v0 - 0.125 * g if momentum else v0
    W_ref = W0 + v_ref if momentum else W0 - 0.125 * g
    runs = (_step_first_rows,                                      # inside a kernel
             lambda *a: step_weights(a[0][:6], a[1][:6], *a[2:6]),  # the cached dispatcher
             lambda *a: support._gemm_step(a[0][:6], a[1][:6], *a[2:6]))  # NumPy reference
    for run in runs:
        W, v = W0.copy(), v0.copy()
        run(D, below, W, v, np.dtype(dtype).type(0.125), np.dtype(dtype).type(momentum), 6)
        np.testing.assert_allclose(W, W_ref, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(v, v_ref, rtol=rtol, atol=rtol)
        assert W.dtype == np.dtype(dtype)


def test_step_weights_takes_a_float64_rate_for_float32_arrays():
    W = np.ones((3, 4), dtype=np.float32)
    v = np.zeros_like(W)
    _step_first_rows(np.ones((2, 3), np.float32), np.ones((2, 4), np.float32), W, v, 0.25, 0.0, 2)
    np.testing.assert_array_equal(W, np.full((3, 4), 0.5, dtype=np.float32))


def test_step_weights_refuses_arrays_that_do_not_fit():
    W = np.ones((3, 4))
    with pytest.raises(ValueError, match="shapes or memory layout"):
        _step_first_rows(np.ones((2, 3)), np.ones((2, 5)), W, np.zeros_like(W), 0.1, 0.0, 2)
    with pytest.raises(ValueError, match="shapes or memory layout"):   # a column view
        _step_first_rows(np.ones((2, 3)), np.ones((2, 8))[:, ::2], W, np.zeros_like(W),
                         0.1, 0.0, 2)
    with pytest.raises(ValueError, match="shapes or memory layout"):   # the NumPy reference
        support._gemm_step(np.ones((2, 3)), np.ones((2, 8))[:, ::2], W, np.zeros_like(W),
                           0.1, 0.0)


NETS = [
    Network(inputs=3, layers=[Dense(8, "tanh"), Dense(2, "softmax")], loss="cross-entropy"),
    Network(inputs=3, layers=[Dense(8, "sigmoid", bias=False), Dense(1, "sigmoid", bias=False)],
            loss="sse"),
]


@pytest.mark.parametrize("net", NETS, ids=["biases", "no-biases"])
@pytest.mark.parametrize("shape,threads", [("loops", 1), ("loops", 2), ("unrolled", 1)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_support_import_names_exactly_the_helpers_the_module_calls(net, shape, threads,
                                                                       dtype):
    source = gen.generate(net, dtype=dtype, shape=shape, threads=threads).source
    tree = ast.parse(source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "symprop.codegen.support" for alias in node.names}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    defined = ast.parse(Path(support.__file__).read_text()).body
    helpers = {node.name for node in defined if isinstance(node, ast.FunctionDef)}
    helpers |= {target.id for node in defined if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    assert imported == used & helpers
    assert ("step_weights" in imported) == (shape == "loops" and threads == 1)


def test_the_cached_allocators_make_the_arrays_asked_for():
    W = np.ones((3, 5), dtype=np.float32)
    for made, shape, dtype in (
            (support.empty_matrix(4, 7, np.float32), (4, 7), np.float32),
            (support.empty_vector(6, np.int64), (6,), np.int64),
            (support.empty_like(W), (3, 5), np.float32),
            (support.empty_stack(2, W), (2, 3, 5), np.float32)):
        assert made.shape == shape and made.dtype == dtype and made.flags.c_contiguous


@pytest.mark.parametrize("net", NETS, ids=["biases", "no-biases"])
@pytest.mark.parametrize("shape,threads", [("loops", 1), ("loops", 2), ("unrolled", 1)])
def test_allocation_sizes_are_never_number_literals(net, shape, threads):
    """numba specialises a call on a literal int: `empty_matrix(rows, 32, ...)` would compile the
    once-per-machine allocator anew for every width. Sizes come from shapes or variables."""
    source = gen.generate(net, shape=shape, threads=threads).source
    calls = re.findall(r"\bempty_(?:matrix|vector|stack)\(([^()]*(?:\([^()]*\))?[^()]*)\)", source)
    assert calls
    for args in calls:
        sizes = [a.strip() for a in args.split(",")][:-1]
        assert all(not re.fullmatch(r"\d+|[A-Z_]+", size) for size in sizes), args


def test_matrix_view_is_the_reshaped_slice_and_writes_through():
    matrix_view = support.matrix_view

    @njit
    def view_and_write(flat, start, rows, cols):
        view = matrix_view(flat, start, rows, cols)
        view[rows - 1, cols - 1] = -1.0
        return view.copy()

    flat = np.arange(12.0)
    expected = flat[2:8].reshape(2, 3).copy()
    expected[1, 2] = -1.0
    np.testing.assert_array_equal(view_and_write(flat, 2, 2, 3), expected)
    assert flat[7] == -1.0


def test_borrowed_array_and_its_views_write_through():
    borrowed, matrix_view = support.borrowed, support.matrix_view

    @njit
    def write_through_views(flat):
        view = borrowed(flat)
        matrix_view(view, 2, 2, 3)[1, 2] = -1.0
        view[0:2][1] = 5.0
        return view[7] + view[1]

    flat = np.arange(12.0)
    assert write_through_views(flat) == 4.0
    assert flat[7] == -1.0 and flat[1] == 5.0
