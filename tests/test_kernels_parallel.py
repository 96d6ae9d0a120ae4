"""Loop kernels that split each minibatch over threads: same results as the serial kernel (up to
the order of one sum), bit-identical whatever number of threads runs them, only when asked
for, with BLAS on one thread meanwhile."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from symprop import Dense, Network, SpecError
from symprop.codegen import options
from symprop.codegen.generate import generate
from symprop.errors import TrainingError

pytestmark = pytest.mark.usefixtures("shared_kernel_cache")

# 16-64-64-1: 29,056 FLOP per row, so a minibatch of 200 rows makes 5 slices of 1 MFLOP and
# with threads=3 is split in three (66, 67 and 67 rows)
NET = Network(inputs=16, layers=[Dense(64, "tanh"), Dense(64, "sigmoid"), Dense(1, "linear")],
              loss="sse", name="split")


@pytest.fixture(scope="module")
def kernels():
    return NET.compile(threads=1), NET.compile(threads=3)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((530, 16))
    Y = np.sin(X[:, :1]) + 0.1 * X[:, 1:2]
    return X, Y


def test_flop_per_row_counts_the_three_products():
    # forward and weight gradient for every layer, the delta sent down for layers 2 and 3
    assert options.flop_per_row(NET) == 2 * (2 * (16 * 64 + 64 * 64 + 64) + (64 * 64 + 64))


def test_kernels_are_serial_unless_threads_are_asked_for():
    deep = Network(inputs=32, layers=[*(Dense(64, "tanh") for _ in range(4)), Dense(1, "sigmoid")])
    small = Network(inputs=4, layers=[Dense(16, "tanh"), Dense(3, "softmax")],
                    loss="cross-entropy")
    assert options.choose_parts("loops") == 1
    assert options.choose_parts("unrolled") == 1
    assert options.choose_parts("loops", 4) == 4       # asked for: given
    assert deep.compile().threads == 1
    assert small.compile(dtype="float32").threads == 1


@pytest.mark.parametrize("threads", [0, -2, 1.5, True, "2"])
def test_a_bad_thread_count_is_refused_by_name(threads):
    with pytest.raises(SpecError, match="threads"):
        options.choose_parts("loops", threads)


def test_unrolled_kernels_do_not_split():
    with pytest.raises(SpecError, match="unrolled"):
        options.choose_parts("unrolled", 2)


def test_a_split_kernel_runs_blas_on_one_thread_and_gives_the_count_back(kernels, data,
                                                                       monkeypatch):
    from symprop.runtime import blas, driver

    if blas.blas_threads() is None:
        pytest.skip("numba's BLAS here is not SciPy's bundled OpenBLAS: nothing to pin")
    seen = []
    real = driver.one_blas_thread

    def spy(active=True):
        seen.append((active, blas.blas_threads()))
        return real(active)

    monkeypatch.setattr(driver, "one_blas_thread", spy)
    before = blas.blas_threads()
    serial, split = kernels
    X, Y = data
    serial.train(serial.init_params(0), X, Y, epochs=1, batch_size=200)
    split.train(split.init_params(0), X, Y, epochs=1, batch_size=200)
    assert [active for active, _ in seen] == [True]     # only the split kernel pins BLAS
    assert blas.blas_threads() == before
    with blas.one_blas_thread():
        assert blas.blas_threads() == 1
    with blas.one_blas_thread(active=False):
        assert blas.blas_threads() == before
    assert blas.blas_threads() == before


@pytest.mark.parametrize("threads", [0, -2, 1.5, "2", True])
def test_a_bad_thread_count_is_a_spec_error(threads):
    with pytest.raises(SpecError, match="threads"):
        NET.compile(threads=threads)


def test_unrolled_kernels_have_no_threads():
    tiny = Network(inputs=2, layers=[Dense(2, "sigmoid"), Dense(1, "sigmoid")])
    with pytest.raises(SpecError, match="threads"):
        tiny.compile(threads=2)
    assert tiny.compile(threads=1).threads == 1


def test_the_module_says_how_it_splits():
    serial, split = (generate(NET, threads=n).source for n in (1, 3))
    assert "PARTS = 3" in split and "parallel=True" in split and "prange(parts)" in split
    assert "PARTS = 1" in serial and "parallel=True" not in serial and "prange" not in serial
    # the serial kernel is the one there was before threads: its name in the cache is unchanged
    from symprop.codegen.cache import kernel_key
    assert kernel_key(NET, "float64", "loops", False) == kernel_key(NET, "float64", "loops",
                                                                     False, 1)
    assert kernel_key(NET, "float64", "loops", False, 3) != kernel_key(NET, "float64", "loops",
                                                                       False, 1)


@pytest.mark.parametrize("settings", [
    {"batch_size": 200, "shuffle": False, "momentum": 0.0},   # 3 slices, the last batch 130 rows
    {"batch_size": 100, "shuffle": True, "momentum": 0.9},    # 2 slices of 50
    {"batch_size": 7, "shuffle": True, "momentum": 0.0},      # too small to split: 1 slice
])
def test_split_training_equals_serial_training(kernels, data, settings):
    serial, split = kernels
    assert (serial.threads, split.threads) == (1, 3)
    X, Y = data
    start = serial.init_params(seed=3)
    a, ha = serial.train(start, X, Y, epochs=4, learning_rate=0.05, seed=11, **settings)
    b, hb = split.train(start, X, Y, epochs=4, learning_rate=0.05, seed=11, **settings)
    for name in a:
        # only the order of the minibatch's sum differs
        np.testing.assert_allclose(b[name], a[name], rtol=1e-12, atol=1e-14)
        assert not np.array_equal(a[name], start[name])
    np.testing.assert_allclose(hb["loss"], ha["loss"], rtol=1e-12)


def test_gradients_of_the_split_module_equal_the_serial_ones(kernels, data):
    serial, split = kernels
    X, Y = data
    params = serial.init_params(seed=5)
    g1, g2 = serial.gradients(params, X, Y), split.gradients(params, X, Y)
    for name in g1:
        np.testing.assert_allclose(g2[name], g1[name], rtol=1e-12, atol=1e-15)
    assert split.loss(params, X, Y) == pytest.approx(serial.loss(params, X, Y), rel=1e-14)


def test_results_do_not_depend_on_how_many_threads_run(kernels, data):
    _, split = kernels
    X, Y = data
    start = split.init_params(seed=1)
    settings = {"epochs": 3, "batch_size": 200, "learning_rate": 0.5, "shuffle": True}
    before = numba.get_num_threads()
    try:
        many, _ = split.train(start, X, Y, **settings)
        again, _ = split.train(start, X, Y, **settings)
        numba.set_num_threads(1)
        one, _ = split.train(start, X, Y, **settings)
    finally:
        numba.set_num_threads(before)
    for name in many:
        assert np.array_equal(many[name], again[name])
        assert np.array_equal(many[name], one[name])


def test_a_diverging_split_run_stops_with_the_last_good_parameters(kernels, data):
    _, split = kernels
    X, Y = data
    start = split.init_params(seed=2)
    far = 1e200 * Y           # (y - d)²/2 overflows: the first epoch's loss is not finite
    with pytest.raises(TrainingError) as info:
        split.train(start, X, far, epochs=3, batch_size=200, learning_rate=0.1, shuffle=False)
    assert info.value.epoch == 1 and info.value.history["loss"] == []
    for name in start:
        assert np.array_equal(info.value.params[name], start[name])
