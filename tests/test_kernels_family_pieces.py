"""A user's own rows on the per-machine family: each row a piece compiled once per machine.

Oracles: the network's own per-network ``loops`` module (generated from the same derivation,
proven against SymPy in test_formula_rows), central differences of a NumPy loss written here,
and the spec's worked example (exact rationals). A second network with the same rows, in a fresh
process, must compile nothing and write nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from math import erf
from pathlib import Path

import numpy as np
import pytest
from golden_files import check_golden
from oracles import central_differences

import symprop
from symprop import Dense, Network
from symprop.codegen import machine, pieces
from symprop.codegen.options import family_refusals, supports
from symprop.derive import rules

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "own_activations.toml"
HUBER = "piecewise(((y - d)^2/2, abs(y - d) <= 1), (abs(y - d) - 1/2, true))"
FORMULAS = {"softsign": "z/(1+abs(z))", "swish": "z/(1+exp(-z))",
            "elu": "piecewise((z, z > 0), (exp(z) - 1, true))", "gelu": "z*(1+erf(z/sqrt(2)))/2",
            "leaky": "max(a*z, z)"}
NUMPY = {"softsign": lambda v: v / (1 + np.abs(v)), "swish": lambda v: v / (1 + np.exp(-v)),
         "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0))),
         "gelu": lambda v: v * (1 + np.vectorize(erf)(v / np.sqrt(2))) / 2,
         "leaky": lambda v: np.maximum(v / 100, v), "tanh": np.tanh,
         "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "linear": lambda v: v}


pytestmark = pytest.mark.usefixtures("own_rows_stay_in_their_test")


def own(name: str) -> str:
    """The key of a row of one's own (a built-in name is its own key)."""
    if name == "huber":
        return rules.Loss.from_formula("huber", HUBER).key
    if name not in FORMULAS:
        return name
    options = {"parameters": {"a": "1/100"}, "derivative_at_kinks": "1/100"} \
        if name == "leaky" else {}
    return rules.Activation.from_formula(name, FORMULAS[name], **options).key


# (hidden activations, output activation, loss): custom rows hidden, at the output, in the loss
CASES = [(("softsign",), "leaky", "huber"), (("swish", "elu"), "linear", "sse"),
         (("gelu",), "sigmoid", "log"), (("tanh",), "swish", "mse"),
         (("elu",), "tanh", "huber"), (("swish",), "softmax", "cross-entropy"),
         (("relu", "gelu"), "leaky", "sse")]


def network(hidden, out, loss, widths=(4, 3)) -> Network:
    layers = [Dense(widths[i], own(a), bias=i % 2 == 0) for i, a in enumerate(hidden)]
    return Network(inputs=3, layers=[*layers, Dense(2, own(out))], loss=own(loss))


def np_loss(net, hidden, out, loss, params, X, Y) -> float:
    a = X
    names = [*hidden, out]
    for l, lay in enumerate(net.layers, start=1):
        z = a @ params[f"W{l}"].T + (params[f"b{l}"] if lay.bias else 0)
        if names[l - 1] == "softmax":
            e = np.exp(z - z.max(1, keepdims=True))
            a = e / e.sum(1, keepdims=True)
        elif names[l - 1] == "relu":
            a = np.maximum(z, 0)
        else:
            a = NUMPY[names[l - 1]](z)
    r = a - Y
    per = {"huber": lambda: np.where(np.abs(r) <= 1, r ** 2 / 2, np.abs(r) - 0.5),
           "sse": lambda: r ** 2 / 2, "mse": lambda: r ** 2 / a.shape[1],
           "log": lambda: -(Y * np.log(a) + (1 - Y) * np.log(1 - a)),
           "cross-entropy": lambda: -Y * np.log(a)}[loss]
    return float(per().sum(1).mean())


def data(net, dtype="float64", n=7, seed=2):
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(-1, 1, s).astype(dtype) for k, s in net.param_shapes().items()}
    X = rng.uniform(-1.5, 1.5, (n, net.n_inputs)).astype(dtype)
    raw = rng.uniform(0.1, 1.0, (n, net.sizes[-1]))
    Y = raw / raw.sum(1, keepdims=True) if net.loss in ("log", "cross-entropy") else raw * 2 - 1
    return params, X, Y.astype(dtype)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join([*c[0], c[1], c[2]]))
def test_gradients_equal_the_per_network_module_and_central_differences(case):
    hidden, out, loss = case
    net = network(hidden, out, loss)
    assert supports(net), family_refusals(net)
    family, own_module = net.compile(), net.compile(shape="loops")
    assert family.shape == "family" and own_module.shape == "loops"
    params, X, Y = data(net)
    got, want = family.gradients(params, X, Y), own_module.gradients(params, X, Y)
    assert family.loss(params, X, Y) == pytest.approx(own_module.loss(params, X, Y), rel=1e-13)
    numeric = central_differences(lambda p: np_loss(net, hidden, out, loss, p, X, Y), params)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-14, err_msg=key)
        np.testing.assert_allclose(got[key], numeric[key], rtol=1e-5, atol=1e-7, err_msg=key)
    np.testing.assert_allclose(family.forward(params, X), own_module.forward(params, X),
                               rtol=1e-13, atol=1e-15)
    f32 = net.compile(dtype="float32")
    p32, X32, Y32 = ({k: v.astype(np.float32) for k, v in params.items()},
                     X.astype(np.float32), Y.astype(np.float32))
    got32 = f32.gradients(p32, X32, Y32)
    for key in want:
        assert got32[key].dtype == np.float32
        np.testing.assert_allclose(got32[key], want[key], rtol=2e-4, atol=2e-5, err_msg=key)


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: "-".join([*c[0], c[1], c[2]]))
def test_training_equals_the_per_network_module(case):
    net = network(*case)
    params, X, Y = data(net, n=11)
    settings = {"epochs": 4, "batch_size": 3, "learning_rate": 0.2, "momentum": 0.5, "seed": 1}
    got, h1 = net.compile().train(params, X, Y, **settings)
    want, h2 = net.compile(shape="loops").train(params, X, Y, **settings)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-13, err_msg=key)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)


@pytest.mark.parametrize(("dtype", "rel"), [("float64", 1e-12), ("float32", 2e-5)])
def test_the_examples_family_kernel_equals_the_exact_derivation(dtype, rel):
    net = symprop.load(EXAMPLE)
    exact = net.worked_example()
    kernels = net.compile(dtype=dtype)
    assert kernels.shape == "family"
    params = kernels.init_params(0)
    X = np.array([[float(v) for v in net.example.input]], dtype=dtype)
    T = np.array([[float(v) for v in net.example.target]], dtype=dtype)
    for name, value in kernels.gradients(params, X, T).items():
        for idx in np.ndindex(*value.shape):
            where = ",".join(str(i + 1) for i in idx)
            address = f"dE/d{name[0].lower()}{name[1:]}[{where}]"
            assert value[idx] == pytest.approx(float(exact.value(address)), rel=rel, abs=1e-7)


def test_what_stays_on_per_network_modules_says_why():
    softmax_huber = Network(inputs=2, layers=[Dense(3, own("softsign")), Dense(2, "softmax")],
                            loss=own("huber"))
    assert any("layerwise" in r for r in family_refusals(softmax_huber))
    assert softmax_huber.compile().shape != "family"
    with pytest.raises(symprop.SpecError, match="layerwise"):
        softmax_huber.compile(shape="family")
    kink = rules.Activation.from_formula("kinked", "max(z/2, z)").key    # no declared f'(0)
    net = Network(inputs=2, layers=[Dense(2, kink), Dense(1, "linear")], loss="sse")
    assert supports(net)
    # an undeclared kink takes the network's ReLU'(0): its piece is derived with it
    odd = Network(inputs=2, layers=[Dense(2, kink), Dense(1, "linear")], loss="sse",
                  relu_at_zero=1)
    assert family_refusals(odd) == [] and odd.compile().shape == "family"
    X = np.array([[1.0, -1.0], [0.5, 0.25]])
    Y = np.array([[0.5], [1.0]])
    params = {"W1": np.array([[1.0, 1.0], [0.5, -0.5]]), "b1": np.zeros(2),
              "W2": np.array([[0.75, -1.0]]), "b2": np.zeros(1)}
    got = odd.compile().gradients(params, X, Y)
    want = odd.compile(shape="loops").gradients(params, X, Y)
    assert not np.allclose(got["W1"], net.compile().gradients(params, X, Y)["W1"])
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-14, err_msg=key)


def _fresh_process(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **env})


SECOND_NETWORK = """
    import json, sys
    import numpy as np
    from symprop import Dense, Network
    from symprop.derive import rules
    soft = rules.Activation.from_formula("softsign", {soft!r}).key
    huber = rules.Loss.from_formula("huber", {huber!r}).key
    net = Network(inputs=5, layers=[Dense(9, soft), Dense(7, "tanh", False), Dense(3, soft)],
                  loss=huber)
    k = net.compile()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5)); Y = rng.normal(size=(40, 3))
    p, h = k.train(k.init_params(1), X, Y, epochs=3, batch_size=8)
    f = k.module.family
    misses = 0 if getattr(f, "AOT", False) else sum(
        sum(fn.stats.cache_misses.values()) for fn in (f.train_epochs, f.forward))
    print(json.dumps({{"shape": k.shape, "misses": misses, "loss": h["loss"][-1]}}))
"""


def _files(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".lock")}


def test_a_second_network_with_the_same_rows_compiles_nothing(tmp_path):
    """The pieces of a first network (another shape) are all a second one needs: in a fresh
    process nothing is compiled, no numba cache file appears or changes, no per-network module
    is written."""
    first = network(("softsign",), "softsign", "huber")
    first.compile().gradients(*data(first))               # builds (or finds) the pieces
    folder = machine.family_folder()
    before = _files(folder)
    assert any(name.startswith("pieces/") and name.endswith(".nbi") for name in before)
    cache = tmp_path / "cache"
    run = _fresh_process(SECOND_NETWORK.format(soft=FORMULAS["softsign"], huber=HUBER),
                         {"SYMPROP_CACHE_DIR": str(cache)})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["shape"] == "family" and result["misses"] == 0
    assert np.isfinite(result["loss"])
    assert run.stderr == ""                                # no build line
    assert _files(folder) == before
    assert not cache.exists() or not any(cache.rglob("*.py"))


def test_a_tampered_piece_is_rebuilt(tmp_path):
    key = own("softsign")
    folder = tmp_path / "pieces"
    module = pieces.load_piece("activation", key, "float64", folder, machine.piece_problem,
                               machine.piece_lock)
    path = Path(module.__file__)
    manifest = path.with_suffix(".json")
    assert machine.piece_problem(path, manifest) is None
    path.write_text(path.read_text() + "\nraise SystemExit('injected')\n")
    assert "hash" in machine.piece_problem(path, manifest)
    rebuilt = pieces._build("activation", key, "float64", path, manifest, "_rebuilt_piece")
    assert machine.piece_problem(path, manifest) is None
    assert rebuilt.value(0.5) == pytest.approx(0.5 / 1.5)
    assert pieces.addresses(rebuilt)[0] != 0


def test_golden_piece():
    """The softsign piece (float64), checked in; `make golden` rewrites it."""
    source = pieces.piece_source("activation", own("softsign"), "float64")
    check_golden(source, "piece_softsign_float64.py")


def test_two_processes_building_one_piece_at_once(tmp_path):
    """One builds under the lock, the other waits and finds it built: one build line, one
    sound piece, the same function in both."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from symprop.codegen import machine, pieces
        from symprop.derive import rules
        key = rules.Activation.from_formula("softsign", {FORMULAS["softsign"]!r}).key
        m = pieces.load_piece("activation", key, "float32", Path({str(tmp_path)!r}),
                              machine.piece_problem, machine.piece_lock)
        print(m.value(2.0))
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outs
    assert [float(out) for out, _ in outs] == [pytest.approx(2 / 3)] * 2
    assert "".join(err for _, err in outs).count("symprop: building") == 1
    path = next(tmp_path.glob("activation_*_float32.py"))
    assert machine.piece_problem(path, path.with_suffix(".json")) is None
