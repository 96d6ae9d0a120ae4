"""Ahead-of-time kernels: the same bits as the JIT, and a new process that loads them trains
without importing numba or SymPy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest

from symprop import Dense, Network, SpecError, TrainingError
from symprop.cli import main
from symprop.codegen import aot

if not aot.has_c_compiler():
    pytest.skip("!! no C compiler (cc/gcc) on PATH: the ahead-of-time kernel tests cannot run; "
                ".ci/run installs gcc", allow_module_level=True)
if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
    pytest.skip("!! no Python.h (python3-dev): the ahead-of-time kernel tests cannot run",
                allow_module_level=True)

SOFTMAX = Network(inputs=5, layers=[Dense(7, "tanh"), Dense(3, "softmax")],
                  loss="cross-entropy", name="aot softmax")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aot-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SYMPROP_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((61, 5))
    return X, rng.integers(0, 3, 61)


@pytest.fixture(scope="module", params=["float64", "float32"])
def pair(request, cache):
    """(ahead-of-time kernels, JIT kernels) of SOFTMAX as a loop module."""
    built = SOFTMAX.compile(dtype=request.param, shape="loops", aot=True)
    return built, SOFTMAX.compile(dtype=request.param, shape="loops", aot=False)


def test_the_build_is_an_extension_beside_the_module(pair):
    built, jit = pair
    assert built.aot and not jit.aot and "ahead of time" in repr(built)
    assert built.path == jit.path                    # one generated source for both
    extension = aot.extension_path(built.path)
    assert extension.exists() and aot.cpu_tag() in extension.name
    assert built.module.PARAMS == jit.module.PARAMS and built.module.CLASSIFIER
    assert not hasattr(built.module.train_epochs, "signatures")    # not a numba dispatcher


def test_ahead_of_time_kernels_give_the_jit_bits(pair, data):
    built, jit = pair
    X, labels = data
    params = built.init_params(3)
    np.testing.assert_array_equal(built.forward(params, X), jit.forward(params, X))
    np.testing.assert_array_equal(built.predict(params, X), jit.predict(params, X))
    assert built.loss(params, X, labels) == jit.loss(params, X, labels)
    for name, g in built.gradients(params, X, labels).items():
        np.testing.assert_array_equal(g, jit.gradients(params, X, labels)[name])
    a, history_a = built.train(params, X, labels, epochs=7, batch_size=8, learning_rate=0.3,
                               momentum=0.5, seed=11)
    b, history_b = jit.train(params, X, labels, epochs=7, batch_size=8, learning_rate=0.3,
                             momentum=0.5, seed=11)
    assert history_a == history_b
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    # and the gradient is right, not only equal: central differences in float64
    if built.dtype == "float64":
        h, w = 1e-6, params["W1"].copy()
        w[2, 1] += h
        up = built.loss({**params, "W1": w}, X, labels)
        w[2, 1] -= 2 * h
        down = built.loss({**params, "W1": w}, X, labels)
        grad = built.gradients(params, X, labels)["W1"][2, 1]
        assert abs((up - down) / (2 * h) - grad) < 1e-8


def test_a_loss_that_blows_up_stops_with_the_last_good_parameters(cache):
    line = Network(inputs=1, layers=[Dense(1, "linear")], loss="sse", name="line")
    built = line.compile(aot=True)
    X = np.linspace(-50, 50, 11).reshape(-1, 1)
    Y = 3 * X[:, 0] + 1
    start = {"W1": np.array([[0.5]]), "b1": np.array([0.0])}
    with pytest.raises(TrainingError, match=r"epoch \d+") as info:
        built.train(start, X, Y, epochs=500, batch_size=11, learning_rate=1.0, shuffle=False)
    assert built.aot and info.value.epoch > 1
    assert all(np.isfinite(v).all() for v in info.value.params.values())
    with pytest.raises(TrainingError) as jit_info:
        line.compile(shape="unrolled", aot=False).train(start, X, Y, epochs=500, batch_size=11,
                                      learning_rate=1.0, shuffle=False)
    assert jit_info.value.epoch == info.value.epoch


FRESH = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    import symprop
    net = symprop.Network(inputs=2, layers=[symprop.Dense(2, "sigmoid", bias=False),
                                            symprop.Dense(1, "sigmoid", bias=False)],
                          loss="sse", name="xor aot")
    t0 = time.perf_counter()
    kernels = net.compile()
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    params, history = kernels.train(kernels.init_params(0), X, Y, epochs=50, batch_size=1,
                                    learning_rate=0.5, shuffle=False)
    print(json.dumps({"aot": kernels.aot, "seconds": time.perf_counter() - t0,
                      "numba": "numba" in sys.modules, "sympy": "sympy" in sys.modules,
                      "loss": history["loss"],
                      "params": {k: v.tolist() for k, v in params.items()}}))
""")


XOR = Network(inputs=2, layers=[Dense(2, "sigmoid", bias=False), Dense(1, "sigmoid", bias=False)],
              loss="sse", name="xor aot")


def test_a_new_process_trains_an_unrolled_network_without_numba(cache):
    built = XOR.compile(aot=True)
    assert built.shape == "unrolled" and built.aot
    env = {**os.environ, "SYMPROP_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", FRESH], env=env,
                          capture_output=True, text=True, check=True, timeout=120)
    fresh = json.loads(done.stdout)
    assert fresh["aot"] and not fresh["numba"] and not fresh["sympy"]
    jit = XOR.compile(shape="unrolled", aot=False)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    params, history = jit.train(jit.init_params(0), X, Y, epochs=50, batch_size=1,
                                learning_rate=0.5, shuffle=False)
    assert fresh["loss"] == history["loss"]
    assert fresh["params"] == {k: v.tolist() for k, v in params.items()}


def test_a_damaged_or_foreign_build_falls_back_to_the_jit(cache, tmp_path):
    net = Network(inputs=3, layers=[Dense(2, "sigmoid"), Dense(1, "linear")], name="damaged")
    jit = net.compile(cache_dir=tmp_path, shape="unrolled")
    extension = aot.extension_path(jit.path)
    extension.write_bytes(b"not an ELF file")
    again = net.compile(cache_dir=tmp_path, shape="unrolled")   # a new process would see the same
    assert not again.aot
    extension.write_bytes(b"not an ELF file")
    foreign = extension.with_name(extension.name.replace(aot.cpu_tag(), "00000000"))
    extension.rename(foreign)
    assert not net.compile(cache_dir=tmp_path, shape="unrolled").aot


def test_threads_and_an_ahead_of_time_build_do_not_mix(cache, pair, monkeypatch):
    with pytest.raises(SpecError, match="one thread"):
        SOFTMAX.compile(shape="loops", threads=2, aot=True)
    built, _ = pair
    # threads left to symprop: where it would split the minibatch, the one-thread build made on
    # purpose is taken; asked for threads, the split JIT kernel
    monkeypatch.setattr("symprop.codegen.options.choose_parts", lambda *args: 2)
    assert SOFTMAX.compile(dtype=built.dtype, shape="loops").aot
    monkeypatch.undo()
    assert not SOFTMAX.compile(dtype=built.dtype, shape="loops", threads=2).aot


def test_module_constants_are_read_without_importing_the_module(pair):
    built, jit = pair
    constants = aot.module_constants(built.path)
    for name in ("NAME", "SHAPE", "PARAMS", "PARAM_SHAPES", "N_INPUTS", "CLASSIFIER", "PARTS"):
        assert constants[name] == getattr(jit.module, name)


def test_cli_builds_beside_the_output_file(cache, lecture, lecture_spec, tmp_path, capsys):
    out = tmp_path / "kernels.py"
    assert main(["codegen", str(lecture_spec), "-o", str(out), "--aot"]) == 0
    assert "ahead of time" in capsys.readouterr().err
    module = aot.load(out, "_cli_aot_kernels")
    assert module is not None and module.SHAPE == "unrolled"
    params = lecture.compile(aot=False).init_params(0)      # the spec's weights
    y = module.forward(np.array([[0.35, 0.9]]), *params.values())
    # the lecture's worked example: y = 0.69 (to two places)
    assert round(float(y[0, 0]), 2) == 0.69
    assert main(["codegen", str(lecture_spec), "-o", str(out), "--aot", "--threads", "2"]) == 2


def test_a_truncated_extension_is_hashed_before_import_and_removed(cache):
    """A .so cut to 20,000 bytes killed the importing process (SIGBUS): now it is never loaded."""
    built = XOR.compile(aot=True)
    extension = aot.extension_path(built.path)
    # a new file renamed into place: this process has the old one mapped
    cut = extension.with_name("cut.tmp")
    cut.write_bytes(extension.read_bytes()[:20_000])
    os.replace(cut, extension)
    code = ("import symprop, json\n"
            "net = symprop.Network(inputs=2, layers=[symprop.Dense(2, 'sigmoid', bias=False),"
            " symprop.Dense(1, 'sigmoid', bias=False)], loss='sse', name='xor aot')\n"
            "print(json.dumps(net.compile(shape='unrolled').aot))\n")
    env = {**os.environ, "SYMPROP_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) is False
    assert "cannot be used" in done.stderr and not extension.exists()
