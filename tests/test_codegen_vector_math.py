"""The vectorisable exp/expm1/tanh generated from SymPy: accurate, finite, and vectorised."""

from __future__ import annotations

import math
import os

import mpmath
import numpy as np
import pytest
from numba import njit

from symprop import Dense, Network
from symprop.codegen import generate as gen
from symprop.codegen import vector_math as vm
from symprop.codegen.vector_math_source import LIBRARY, helpers_called, library_source
from symprop.io import write_atomic


@njit(error_model="numpy")
def _apply64(which, x, out):
    for i in range(x.size):
        if which == 0:
            out[i] = vm.exp_float64(x[i])
        elif which == 1:
            out[i] = vm.expm1_float64(x[i])
        else:
            out[i] = vm.tanh_float64(x[i])


@pytest.fixture(scope="module")
def f64():
    return _apply64


def test_golden_vector_math_library():
    """The checked-in library is exactly what vector_math_source renders;
    SYMPROP_UPDATE_GOLDEN=1 rewrites it."""
    text = library_source()
    if os.environ.get("SYMPROP_UPDATE_GOLDEN") == "1":
        write_atomic(LIBRARY, text)
    assert LIBRARY.read_text(encoding="utf-8") == text, \
        "vector_math.py differs from what vector_math_source renders: review, then `make golden`"


def _relative_error(got: np.ndarray, exact: list) -> float:
    exact = np.array([float(v) for v in exact])
    scale = np.maximum(np.abs(exact), np.finfo(float).tiny)
    return float(np.max(np.abs(got - exact) / scale))


@pytest.mark.parametrize("lo,hi", [(-700.0, 700.0), (-20.0, 20.0), (-1.0, 1.0), (-1e-9, 1e-9)])
def test_float64_exp_expm1_tanh_to_about_one_ulp(f64, lo, hi):
    mpmath.mp.dps = 40
    x = np.random.default_rng(0).uniform(lo, hi, 400)
    out = np.empty_like(x)
    for which, fn in ((0, mpmath.exp), (1, mpmath.expm1), (2, mpmath.tanh)):
        f64(which, x, out)
        assert _relative_error(out, [fn(mpmath.mpf(float(v))) for v in x]) < 1e-15, which


def test_clamped_arguments_stay_finite(f64):
    x = np.array([-1e308, -800.0, -0.0, 0.0, 800.0, 1e308, 30.0, -30.0])
    out = np.empty_like(x)
    f64(0, x, out)
    assert np.all(np.isfinite(out)) and out[0] == 0.0 and out[2] == out[3] == 1.0
    f64(2, x, out)
    assert out.tolist() == [-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 1.0, -1.0]


def test_float32_helpers_to_float32_precision():
    exp32, tanh32 = vm.exp_float32, vm.tanh_float32
    for v in (-80.0, -3.3, -0.01, 0.0, 0.7, 5.0, 60.0):
        x = np.float32(v)
        assert exp32(x) == pytest.approx(math.exp(float(x)), rel=3e-7)
        assert tanh32(x) == pytest.approx(math.tanh(float(x)), rel=3e-7, abs=1e-30)
    # no float64 sneaks in: the results are float32
    assert str(exp32.nopython_signatures[0].return_type) == "float32"
    assert str(tanh32.nopython_signatures[0].return_type) == "float32"


def test_the_loop_kernels_call_them_and_the_unrolled_ones_do_not():
    net = Network(inputs=2, layers=[Dense(3, "tanh"), Dense(1, "sigmoid")])
    loops = gen.generate(net, shape="loops").source
    unrolled = gen.generate(net, shape="unrolled").source
    # imported from the library, compiled once per machine: never defined in the module
    assert "from symprop.codegen.vector_math import exp_float64, tanh_float64" in loops
    assert "def " + "tanh_float64" not in loops and "= tanh_float64(z)" in loops
    assert helpers_called(loops) == ["exp_float64", "tanh_float64"]
    assert "tanh_float64" not in unrolled and "math.tanh(" in unrolled
    assert "vector_math" not in unrolled and helpers_called(unrolled) == []
    # the stable sigmoid's branches share one exp(-|z|): computed once (vectorised), then a
    # select of the numerator and one division, never a libm call inside a branch
    assert "_f0 = exp_float64(-abs(z))" in loops
    assert "= ((1.0) if (z >= 0.0) else (_f0))/(_f0 + 1.0)" in loops
    assert "math.exp(" not in loops.split("def forward")[1].split("def loss")[0]
    assert "_f2_1_0 = math.exp(-abs(net2_1))" in unrolled
