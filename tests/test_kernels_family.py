"""The per-machine kernel family against independent oracles, and its life on disk.

Oracles: a NumPy forward pass and per-sample loss written here from the lecture's definitions
(central differences of it are the gradient oracle), the exact derivation (Derivation.gradient
at exact rational points, from test_kernels_gradients), and plain SGD steps made from the
family's own proven gradients. Every activation in every (output activation, loss) pair, both
dtypes, with and without bias, depth 1 to 5.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy as sp
from golden_files import check_golden

from symprop import Dense, Network
from symprop.codegen import machine
from symprop.codegen.family import ACTIVATIONS, LOSSES
from symprop.errors import SpecError

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
PAIRS = list(itertools.product(ACTIVATIONS, LOSSES))


def unbounded_log(out: str, loss: str) -> bool:
    """A log loss on outputs not confined to (0, 1): defined only where they happen to be."""
    return loss in ("log", "cross-entropy") and out not in ("sigmoid", "softmax")


def pair_network(i: int, out: str, loss: str) -> Network:
    """A network ending in ``out`` with ``loss``; hidden activations and biases vary with i."""
    hidden = HIDDEN[i % len(HIDDEN)]
    return Network(inputs=3, layers=[
        Dense(4, hidden, bias=i % 2 == 0),
        Dense(3, out, bias=i % 3 != 0 or unbounded_log(out, loss))], loss=loss)


def point(net: Network, dtype: str = "float64", n: int = 5, seed: int = 3):
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(-1.0, 1.0, size=s).astype(dtype)
              for k, s in net.param_shapes().items()}
    X = rng.uniform(-1.5, 1.5, size=(n, net.n_inputs)).astype(dtype)
    K, L = net.sizes[-1], net.depth
    if unbounded_log(net.layers[-1].activation, net.loss):
        # net inputs of the outputs in (0.1, 0.5): every output inside (0, 1)
        params[f"W{L}"] = rng.uniform(-0.01, 0.01, size=params[f"W{L}"].shape).astype(dtype)
        params[f"b{L}"] = np.full(K, 0.3, dtype=dtype)
    if net.loss in ("log", "cross-entropy") or net.layers[-1].activation == "softmax":
        raw = rng.uniform(0.1, 1.0, size=(n, K))
        Y = raw / raw.sum(axis=1, keepdims=True)
    else:
        Y = rng.uniform(-1.0, 1.0, size=(n, K))
    return params, X, Y.astype(dtype)


def reference_loss(net: Network, params, X, Y) -> float:
    """The mean per-sample loss, in NumPy float64 from the definitions (no symprop code)."""
    f = {"linear": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
         "relu": lambda z: np.maximum(z, 0), "softplus": lambda z: np.log1p(np.exp(z)),
         "softmax": lambda z: np.exp(z - z.max(1, keepdims=True)) /
         np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)}
    a = np.asarray(X, dtype=np.float64)
    for l, lay in enumerate(net.layers, start=1):
        z = a @ np.asarray(params[f"W{l}"], dtype=np.float64).T
        if lay.bias:
            z = z + params[f"b{l}"]
        a = f[lay.activation](z)
    y, d, K = a, np.asarray(Y, dtype=np.float64), a.shape[1]
    per_sample = {"sse": 0.5 * ((y - d) ** 2).sum(1), "mse": ((y - d) ** 2).sum(1) / K,
                  "log": -(d * np.log(y) + (1 - d) * np.log(1 - y)).sum(1),
                  "cross-entropy": -(d * np.log(y)).sum(1)}[net.loss]
    return float(per_sample.mean())


def numeric_gradients(net, params, X, Y, h=1e-6):
    out = {}
    for key, value in params.items():
        g = np.zeros(value.shape)
        for idx in np.ndindex(*value.shape):
            up = {n: v.astype(np.float64) for n, v in params.items()}
            down = {n: v.astype(np.float64) for n, v in params.items()}
            up[key][idx] += h
            down[key][idx] -= h
            g[idx] = (reference_loss(net, up, X, Y) - reference_loss(net, down, X, Y)) / (2 * h)
        out[key] = g
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_pair_loss_and_gradients_match_numpy_finite_differences(dtype):
    """All 24 (output activation, loss) pairs, every hidden activation, bias or not."""
    tol = 1e-6 if dtype == "float64" else 2e-3
    for i, (out, loss) in enumerate(PAIRS):
        net = pair_network(i, out, loss)
        k = net.compile(dtype=dtype)
        assert k.shape == "family", k
        params, X, Y = point(net, dtype)
        label = f"{out}/{loss} (hidden {net.layers[0].activation})"
        assert k.loss(params, X, Y) == pytest.approx(reference_loss(net, params, X, Y),
                                                     rel=tol), label
        np.testing.assert_allclose(
            k.forward(params, X), _forward(net, params, X), rtol=tol, atol=tol, err_msg=label)
        got = k.gradients(params, X, Y)
        assert all(g.dtype == np.dtype(dtype) for g in got.values())
        want = numeric_gradients(net, params, X, Y)
        scale = max(float(np.abs(v).max()) for v in want.values())
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=tol * 10, atol=tol * 10 * scale,
                                       err_msg=f"{label} {key}")


def _forward(net, params, X):
    y, d = None, None
    a = X.astype(np.float64)
    f = {"linear": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
         "relu": lambda z: np.maximum(z, 0), "softplus": lambda z: np.log1p(np.exp(z)),
         "softmax": lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True)}
    for l, lay in enumerate(net.layers, start=1):
        z = a @ params[f"W{l}"].astype(np.float64).T
        if lay.bias:
            z = z + params[f"b{l}"]
        a = f[lay.activation](z)
    del y, d
    return a


@pytest.mark.parametrize("name", ["lecture-sigmoid-sse-nobias", "softplus-softmax-crossentropy",
                                  "depth1-softmax-log", "depth3-relu-mse-nobias",
                                  "depth5-mixed-sse", "tanh-sigmoid-crossentropy"])
def test_gradients_equal_the_exact_derivation(name):
    from tests.test_kernels_gradients import NETWORKS, _assert_close, exact_gradients
    from tests.test_kernels_gradients import point as exact_point

    net = NETWORKS[name][0]
    k = net.compile()
    assert k.shape == "family"
    params, X, Y = exact_point(name)
    _assert_close(k.gradients(params, X, Y), exact_gradients(name, params, X, Y), rtol=1e-12)


def test_training_is_plain_sgd_with_momentum_from_the_proven_gradients():
    net = Network(inputs=3, layers=[Dense(4, "tanh"), Dense(2, "relu", False),
                                    Dense(3, "softmax")], loss="cross-entropy")
    k = net.compile()
    params, X, Y = point(net, n=7)
    trained, history = k.train(params, X, Y, epochs=3, batch_size=3, learning_rate=0.3,
                               momentum=0.5, shuffle=False)
    want = {n: v.copy() for n, v in params.items()}
    velocity = {n: np.zeros_like(v) for n, v in params.items()}
    losses = []
    for _ in range(3):
        seen = 0.0
        for start in range(0, 7, 3):
            xs, ys = X[start:start + 3], Y[start:start + 3]
            seen += k.loss(want, xs, ys) * len(xs)
            grads = k.gradients(want, xs, ys)
            for n in want:
                velocity[n] = 0.5 * velocity[n] - 0.3 * grads[n]
                want[n] = want[n] + velocity[n]
        losses.append(seen / 7)
    for n in want:
        np.testing.assert_allclose(trained[n], want[n], rtol=1e-12, atol=1e-13, err_msg=n)
    np.testing.assert_allclose(history["loss"], losses, rtol=1e-12)
    assert len(history["accuracy"]) == 3
    assert params["W1"] is not trained["W1"]


def test_chunked_training_equals_one_run_and_both_dtypes_agree():
    net = Network(inputs=2, layers=[Dense(5, "sigmoid"), Dense(1, "sigmoid")], loss="log")
    results = {}
    for dtype in ("float64", "float32"):
        k = net.compile(dtype=dtype)
        params, X, _ = point(net, dtype, n=9)
        Y = (X[:, :1] > 0).astype(dtype)
        one, h1 = k.train(params, X, Y, epochs=6, batch_size=4, learning_rate=0.5, seed=3)
        chunked, h2 = k.train(params, X, Y, epochs=6, batch_size=4, learning_rate=0.5, seed=3,
                              chunk_epochs=1)
        for n in one:
            np.testing.assert_array_equal(one[n], chunked[n])
        assert h1 == h2
        results[dtype] = one
    for n in results["float64"]:
        np.testing.assert_allclose(results["float32"][n], results["float64"][n], rtol=1e-4,
                                   atol=1e-5)


def test_a_non_finite_loss_stops_and_restores():
    from symprop.errors import TrainingError

    net = Network(inputs=1, layers=[Dense(1, "linear")], loss="sse")
    k = net.compile()
    X = np.array([[1e200], [1.0]])
    Y = np.array([[0.0], [1.0]])
    params = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}
    with pytest.raises(TrainingError) as info:
        k.train(params, X, Y, epochs=5, batch_size=1, learning_rate=1.0, shuffle=False)
    assert info.value.epoch == 1
    np.testing.assert_array_equal(info.value.params["W1"], params["W1"])


def test_shapes_can_be_forced_and_the_family_refuses_what_it_lacks():
    net = Network(inputs=2, layers=[Dense(2, "tanh"), Dense(1, "sigmoid")], loss="log")
    assert net.compile().shape == "family"
    assert net.compile(shape="family").shape == "family"
    with pytest.raises(SpecError, match="per-machine"):
        net.compile(shape="family", threads=2)
    with pytest.raises(SpecError, match="per-machine"):
        net.compile(shape="family", fastmath=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relu_with_another_derivative_at_zero_trains_on_the_family(dtype):
    """ReLU'(0) = c ≠ 0: the ReLU layers go through a piece derived with c (hidden and output
    layers alike); the net inputs here are exactly 0 on some rows, where only c decides."""
    X = np.array([[1.0, -1.0], [0.5, 0.25], [-1.0, 1.0], [2.0, 0.0]], dtype=dtype)
    Y = np.array([[0.5], [1.0], [0.0], [2.0]], dtype=dtype)
    params = {"W1": np.array([[1.0, 1.0], [0.5, -0.5]], dtype=dtype),      # z = 0 on rows 0, 2
              "W2": np.array([[0.75, -1.0]], dtype=dtype)}
    grads = {}
    for c in (0, 1, sp.Rational(1, 2)):
        for out in ("linear", "relu"):
            net = Network(inputs=2, layers=[Dense(2, "relu", False), Dense(1, out, False)],
                          loss="sse", relu_at_zero=c)
            family = net.compile(dtype=dtype)
            assert family.shape == "family" and machine.supports(net)
            grads[c, out] = family.gradients(params, X, Y)
            if dtype == "float32" and c == 0:
                continue        # float32 against its own module only where a piece is used
            own = net.compile(dtype=dtype, shape="unrolled")
            want = own.gradients(params, X, Y)
            for key in want:
                np.testing.assert_allclose(grads[c, out][key], want[key], rtol=1e-6, atol=1e-7)
            job = dict(epochs=3, batch_size=2, learning_rate=0.1, momentum=0.5, seed=2)
            (got, h1), (ref, h2) = family.train(params, X, Y, **job), own.train(params, X, Y,
                                                                                **job)
            for key in ref:
                np.testing.assert_allclose(got[key], ref[key], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-5)
    # one unit, one input: dE/dw1 = (y - d) · w2 · ReLU'(x·w1) · x against the hand formula,
    # on every kernel shape — ReLU'(z < 0) is 0 whatever ReLU'(0) is
    for c in (1, sp.Rational(1, 2)):
        net = Network(inputs=1, layers=[Dense(1, "relu", False), Dense(1, "linear", False)],
                      loss="sse", relu_at_zero=c)
        for x, w1, slope in ((-1.0, 1.0, 0.0), (2.0, 0.0, float(c)), (2.0, 1.0, 1.0)):
            one = {"W1": np.array([[w1]], dtype=dtype), "W2": np.array([[3.0]], dtype=dtype)}
            y = 3.0 * max(x * w1, 0.0)
            want = (y - 1.0) * 3.0 * slope * x
            for shape in ("unrolled", "loops", None) if dtype == "float64" else (None,):
                got = net.compile(dtype=dtype, shape=shape).gradients(
                    one, np.array([[x]], dtype=dtype), np.array([[1.0]], dtype=dtype))
                assert got["W1"][0, 0] == pytest.approx(want, abs=1e-6), (c, x, w1, shape)
    # the kink's share of the W1 gradient (the rows at z = 0) is linear in c
    kink_share = grads[1, "linear"]["W1"][0] - grads[0, "linear"]["W1"][0]
    assert np.abs(kink_share).max() > 0.1
    np.testing.assert_allclose(grads[sp.Rational(1, 2), "linear"]["W1"][0] -
                               grads[0, "linear"]["W1"][0], kink_share / 2, rtol=1e-6)


def _ahead_of_time() -> bool:
    """Was this session's family built ahead of time? (Not without a C compiler and Python's
    headers: then numba's cache serves, and the tests check that instead.)"""
    return bool(getattr(machine.load_family("float64"), "AOT", False))


def _fresh_process(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_a_new_network_trains_in_a_fresh_process_without_compiling_or_sympy(tmp_path):
    machine.load_family("float64")          # built once (or found) by this session
    code = """
        import sys, json
        import numpy as np
        from symprop import Dense, Network
        net = Network(inputs=7, layers=[Dense(13, "softplus"), Dense(6, "relu", False),
                                        Dense(4, "softmax")], loss="cross-entropy")
        k = net.compile()
        rng = np.random.default_rng(0)
        X = rng.normal(size=(50, 7)); Y = rng.integers(0, 4, size=50)
        p, h = k.train(k.init_params(1), X, Y, epochs=3, batch_size=8)
        f = k.module.family
        misses = 0 if getattr(f, "AOT", False) else sum(
            sum(fn.stats.cache_misses.values()) for fn in (f.train_epochs, f.forward))
        print(json.dumps({"shape": k.shape, "sympy": "sympy" in sys.modules,
                          "numba": "numba" in sys.modules, "aot": getattr(f, "AOT", False),
                          "misses": misses, "loss": h["loss"][-1]}))
    """
    run = _fresh_process(code, {"SYMPROP_CACHE_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {**result, "shape": "family", "sympy": False, "misses": 0}
    if _ahead_of_time():        # built ahead of time: the process never even imports numba
        assert result["aot"] is True and result["numba"] is False
    assert np.isfinite(result["loss"])
    assert run.stderr == ""
    # the same network on the same data in this process (the JIT module where no extension
    # loads) gives the same loss: one source, two ways of compiling it
    net = Network(inputs=7, layers=[Dense(13, "softplus"), Dense(6, "relu", False),
                                    Dense(4, "softmax")], loss="cross-entropy")
    k = net.compile()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 7))
    Y = rng.integers(0, 4, size=50)
    _, h = k.train(k.init_params(1), X, Y, epochs=3, batch_size=8)
    assert h["loss"][-1] == pytest.approx(result["loss"], rel=1e-12)


def test_a_tampered_family_is_detected_and_rebuilt(tmp_path):
    """Edited, truncated, missing, damaged numba files: each is a reason not to trust it; one
    rebuild heals (the other reasons are checked without paying for a rebuild each)."""
    import shutil

    source = machine.family_folder()
    module = machine.load_family("float64")
    folder = machine.family_folder(tmp_path)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".lock*"))
    path, manifest = folder / "family_float64.py", folder / "family_float64.json"

    def problem() -> str | None:
        return machine._problem(path, manifest)[1]

    assert problem() is None
    original = path.read_bytes()
    path.write_bytes(original + b"\nprint('injected')\n")
    assert "hash" in problem()
    path.write_bytes(original[:100])
    assert "hash" in problem()
    path.write_bytes(original)
    record = json.loads(manifest.read_text(encoding="utf-8"))
    if "extension" in record:       # truncated: hashed, never loaded (that would kill us)
        extension = folder / record["extension"]["file"]
        good = extension.read_bytes()
        extension.write_bytes(good[: len(good) // 2])
        assert "hash" in problem()
        extension.write_bytes(good)
    else:
        index = next(iter((folder / "__pycache__").glob("family_float64.*.nbi")))
        good = index.read_bytes()
        index.write_bytes(good[: len(good) // 2])
        assert "numba" in problem()
        index.write_bytes(good)
    manifest.write_text("{not json", encoding="utf-8")
    assert "damaged" in problem()
    manifest.unlink()
    assert "missing" in problem()
    # one real heal, by two processes at once: the injected line never runs, exactly one of
    # them rebuilds (the other waits on the lock and finds it done), nothing is corrupted
    shutil.copy(source / "family_float64.json", manifest)
    path.write_bytes(original + b"\nraise SystemExit('injected code ran')\n")
    code = ("import sys; from symprop.codegen import machine\n"
            f"m = machine.load_family('float64', {str(tmp_path)!r})\n"
            "print(m.train_epochs is not None)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [proc.communicate(timeout=600) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outs
    assert [out.strip() for out, _ in outs] == ["True", "True"]
    err = "".join(e for _, e in outs)
    assert err.count("cannot be used") == 1 and "rebuilding" in err and "kernels are built" in err
    assert "injected" not in err
    assert problem() is None and module is not None
    assert path.read_bytes() == original


def test_an_extension_that_does_not_load_falls_back_to_numba_cache(tmp_path):
    """A sound (hash-matching) extension that will not import — built against another NumPy,
    say — is not built again: the family is rebuilt into numba's cache, once, and a later
    process loads that without compiling."""
    import hashlib
    import shutil

    if not _ahead_of_time():
        pytest.skip("the family was not built ahead of time here (no C compiler or headers)")
    folder = machine.family_folder(tmp_path)
    shutil.copytree(machine.family_folder(), folder, ignore=shutil.ignore_patterns(".lock*"))
    manifest = folder / "family_float64.json"
    record = json.loads(manifest.read_text(encoding="utf-8"))
    extension = folder / record["extension"]["file"]
    extension.write_bytes(b"not an ELF file")
    record["extension"]["sha256"] = hashlib.sha256(b"not an ELF file").hexdigest()
    manifest.write_text(json.dumps(record), encoding="utf-8")
    code = f"""
        import json, sys
        import numpy as np
        from symprop.codegen import machine
        from symprop import Dense, Network
        f = machine.load_family("float64", {str(tmp_path)!r})
        net = Network(inputs=3, layers=[Dense(4, "tanh"), Dense(1, "sigmoid")], loss="log")
        k = machine.NetworkKernels(net, f)
        X = np.linspace(-1, 1, 12).reshape(4, 3)
        Y = np.array([[0.0], [1.0], [1.0], [0.0]])
        theta = np.linspace(-0.3, 0.3, k.size)
        loss = f.loss(X, Y, theta, k.layout, k.pair)
        misses = sum(f.loss.stats.cache_misses.values())
        print(json.dumps({{"aot": getattr(f, "AOT", False), "misses": misses,
                          "loss": float(loss)}}))
    """
    first = _fresh_process(code)
    assert first.returncode == 0, first.stderr
    assert "does not load" in first.stderr and "numba's cache" in first.stderr
    again = _fresh_process(code)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert result["aot"] is False and result["misses"] == 0
    record = json.loads(manifest.read_text(encoding="utf-8"))
    assert "extension" not in record and record["compiled"]
    # the same kernel through the extension (this session's) gives the same loss
    f = machine.load_family("float64")
    net = Network(inputs=3, layers=[Dense(4, "tanh"), Dense(1, "sigmoid")], loss="log")
    k = machine.NetworkKernels(net, f)
    X = np.linspace(-1, 1, 12).reshape(4, 3)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    theta = np.linspace(-0.3, 0.3, k.size)
    assert f.loss(X, Y, theta, k.layout, k.pair) == pytest.approx(result["loss"], rel=1e-14)


def test_the_family_refuses_arrays_of_the_wrong_kind_instead_of_reading_past_them():
    """An ahead-of-time export trusts its argument types (a float32 array where float64 is
    declared is read past its end): the module's functions check them first. In a child
    process, so a missing check fails the test instead of killing the session."""
    code = """
        import numpy as np
        from symprop import Dense, Network
        from symprop.codegen import machine
        f = machine.load_family("float64")
        net = Network(inputs=3, layers=[Dense(4, "tanh"), Dense(1, "sigmoid")], loss="log")
        k = machine.NetworkKernels(net, f)
        X = np.linspace(-1, 1, 12).reshape(4, 3)
        theta = np.linspace(-0.3, 0.3, k.size)
        good = f.forward(X, theta, k.layout)
        for bad in (X.astype(np.float32), np.asfortranarray(X), X[:, ::2], X[0], X.tolist()):
            try:
                f.forward(bad, theta, k.layout)
            except TypeError:
                continue
            assert not getattr(f, "AOT", False), "accepted an array of the wrong kind"
        # NetworkKernels makes any such array what the family takes: the same outputs
        params = k.views(theta)
        for other in (np.asfortranarray(X), X.tolist(), np.repeat(X, 2, axis=1)[:, ::2]):
            assert np.array_equal(k.forward(other, *params), good)
        rounded = X.astype(np.float32)
        assert np.array_equal(k.forward(rounded, *params),
                              f.forward(rounded.astype(np.float64), theta, k.layout))
        print("ok")
    """
    run = _fresh_process(code)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_a_per_network_module_only_for_jobs_that_repay_its_compile():
    from symprop.codegen.options import (
        LOOPS_MIN_FLOP,
        UNROLL_MIN_STEPS,
        choose_shape_for_job,
        flop_per_row,
    )

    tiny = Network(inputs=2, layers=[Dense(2, "tanh"), Dense(1, "sigmoid")], loss="log")
    assert choose_shape_for_job(tiny, rows=400, epochs=200, batch_size=10) is None
    assert choose_shape_for_job(tiny, rows=4, epochs=UNROLL_MIN_STEPS // 4, batch_size=1) \
        == "unrolled"
    assert choose_shape_for_job(tiny, rows=4, epochs=UNROLL_MIN_STEPS // 4 - 1,
                                batch_size=1) is None
    wide = Network(inputs=784, layers=[Dense(256, "relu"), Dense(10, "softmax")],
                   loss="cross-entropy")
    assert choose_shape_for_job(wide, rows=8192, epochs=2, batch_size=256) is None
    epochs = -(-LOOPS_MIN_FLOP // (60_000 * flop_per_row(wide)))
    assert choose_shape_for_job(wide, rows=60_000, epochs=epochs, batch_size=256) == "loops"


@pytest.mark.parametrize("shape", ["family", "loops"])
def test_golden_module_per_shape(shape):
    """The family module (float64) and the loops shape of a small net, checked in;
    SYMPROP_UPDATE_GOLDEN=1 (`make golden`) rewrites them."""

    if shape == "family":
        from symprop.codegen.family import family_source

        source = family_source("float64").source
    else:
        from symprop.codegen.generate import generate

        net = Network(inputs=2, layers=[Dense(3, "tanh"), Dense(2, "softmax")],
                      loss="cross-entropy", name="golden loops")
        source = generate(net, shape="loops").source
    check_golden(source, f"{shape}_float64.py")


def test_a_cache_folder_that_cannot_be_written_is_one_spec_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    net = Network(inputs=2, layers=[Dense(1, "sigmoid")], loss="log")
    with pytest.raises(SpecError, match="cache_dir.*per-machine|per-machine.*cache_dir"):
        net.compile(cache_dir=blocker / "cache")


def test_the_kernel_shape_table_names_real_templates():
    from pathlib import Path

    from symprop.codegen import options

    folder = Path(options.__file__).parent / "templates"
    assert set(options.KERNEL_SHAPES) == {"family", "unrolled", "loops"}
    assert options.SHAPES == ("unrolled", "loops")
    for row in options.KERNEL_SHAPES.values():
        assert (folder / row.template).exists(), row
        assert row.needs and row.chosen


def test_kernels_train_hands_a_long_job_to_a_per_network_module(monkeypatch, tmp_path):
    """net.compile() chose the family; a job past the line (sizes and counts only) trains on
    the network's own module, with the very numbers that module gives when asked for."""
    from symprop.codegen import options

    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(options, "UNROLL_MIN_STEPS", 40)
    net = Network(inputs=2, layers=[Dense(2, "sigmoid"), Dense(1, "sigmoid")], loss="sse")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    kernels = net.compile()
    assert kernels.shape == "family"
    p0 = kernels.init_params(3)
    short, _ = kernels.train(p0, X, Y, epochs=9, batch_size=1, learning_rate=0.5)    # 36 steps
    assert not kernels._per_network
    long, history = kernels.train(p0, X, Y, epochs=10, batch_size=1, learning_rate=0.5)
    assert set(kernels._per_network) == {"unrolled"}
    own = net.compile(shape="unrolled")
    expected, expected_history = own.train(p0, X, Y, epochs=10, batch_size=1, learning_rate=0.5)
    for name in expected:
        assert np.array_equal(long[name], expected[name])
    assert history["loss"] == expected_history["loss"]
    forced = net.compile(shape="family")          # asked for: never handed on
    forced.train(p0, X, Y, epochs=10, batch_size=1, learning_rate=0.5)
    assert not forced._per_network
