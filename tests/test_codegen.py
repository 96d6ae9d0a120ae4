"""Code generation: the printer, the generated module's text, the golden file and the CLI.

Nothing here compiles with numba except the new-activation test (one small module).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from oracles import central_differences

import symprop
from symprop import Dense, Network, SpecError
from symprop.cli import main
from symprop.codegen import generate as gen
from symprop.codegen.cache import kernel_key
from symprop.codegen.printer import KernelPrinter, code, formula, print_block
from symprop.derive import derivatives, rules

GOLDEN = Path(__file__).parent / "golden"
y, z, d = sp.symbols("y z d", real=True)


# -- the printer ------------------------------------------------------------------------------
def test_numbers_are_float_literals_in_the_dtype():
    assert code(1 - y, "float64") == "1.0 - y"
    assert code(sp.Rational(1, 3) * y, "float64") == "0.3333333333333333*y"
    assert code(1 - y, "float32") == "np.float32(1.0) - y"
    assert code(y - 1, "float32") == "y - np.float32(1.0)"      # sign outside the call
    assert "np.float32(0.5)" in code(sp.Rational(1, 2) * (y - d) ** 2, "float32")


def test_powers_become_products_and_the_gaps_are_filled():
    assert code(y**2, "float64") == "(y*y)"
    assert code(1 / y**2, "float64") == "(1.0/(y*y))"
    # a product's printed power must stay grouped under a division
    expr = d / (y**2 + 1) ** 2 - y**-3
    value = eval(code(expr, "float64"), {"d": 0.7, "y": 1.3})  # noqa: S307
    assert value == pytest.approx(float(expr.subs({d: 0.7, y: 1.3})), rel=1e-15)
    assert code(sp.Heaviside(y, 0), "float64") == "np.float64(y > 0.0)"
    assert code(sp.Heaviside(y, 1), "float32") == "np.float32(y >= np.float32(0.0))"
    assert code(sp.Max(0, z), "float64") == "max(0.0, z)"
    assert code(sp.Max(y, z, d), "float64").count("max(") == 2


def test_log_of_one_plus_exp_cannot_overflow():
    text = code(sp.log(1 + sp.exp(z)), "float64")
    assert text == "(max(z, 0.0) + math.log1p(math.exp(-abs(z))))"
    softplus = eval(f"lambda z: {text}", {"math": __import__("math")})  # noqa: S307
    assert softplus(1000.0) == 1000.0
    assert softplus(-1000.0) == 0.0
    assert softplus(0.3) == pytest.approx(np.log1p(np.exp(0.3)), rel=1e-15)


def test_cse_names_temporaries_and_counts_operations():
    block = print_block([("a", (1 - y) * y * (y - d)), ("b", (1 - y) * y)], "float64")
    assert block.temporaries == (("_t0", "y*(1.0 - y)"),)
    assert dict(block.outputs) == {"a": "_t0*(-d + y)", "b": "_t0"}
    assert block.ops == sp.count_ops(y * (1 - y)) + sp.count_ops(sp.Symbol("t") * (y - d))


def test_factors_that_wait_on_the_layer_above_are_multiplied_in_last():
    """δ1 = δ2·h(1 − h)·w: the product of what is known early is made while δ2 is still being
    computed, so a sample's dependency chain gets one multiply instead of three."""
    delta, h, w = sp.symbols("delta2_1 out1_1 w2_1_1", real=True)
    expr = delta * h * w * (1 - h)
    late = print_block([("delta1_1", expr)], "float64", cse=False, late=("delta2_",))
    assert late.lines() == ["delta1_1 = delta2_1*(out1_1*w2_1_1*(1.0 - out1_1))"]
    assert eval(late.outputs[0][1], {"delta2_1": 0.3, "out1_1": 0.6, "w2_1_1": -1.7}) == \
        pytest.approx(0.3 * 0.6 * -1.7 * 0.4, rel=1e-15)
    plain = print_block([("delta1_1", expr)], "float64", cse=False)
    assert "(out1_1" not in plain.outputs[0][1]
    # one early factor: nothing to gain, the usual order stays
    single = print_block([("d", delta * w)], "float64", cse=False, late=("delta2_",))
    assert single.outputs[0][1] == code(delta * w, "float64")


def test_printer_rejects_an_unknown_dtype():
    with pytest.raises(ValueError):
        KernelPrinter({"dtype": "float16"})


def test_comment_formulas_read_like_the_lecture(lecture):
    lay = lecture.derive().layer(2)
    names = {"out2": "y", "out1": "h1"}
    assert formula(lay.dE_dout, names) == "y[k] - d[k]"
    assert formula(lay.net, names) == "sum_j(w2[k,j]*h1[j])"


# -- the generated module ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def lecture_source(lecture) -> str:
    return gen.generate(lecture, dtype="float64", shape="unrolled").source


def test_golden_lecture_module(lecture_source):
    """The lecture's 2-2-1 module, checked in; SYMPROP_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / "lecture_221_float64_unrolled.py"
    if os.environ.get("SYMPROP_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(lecture_source, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run `make golden`"
    assert lecture_source == path.read_text(encoding="utf-8"), \
        "generated code changed: review the diff, then `make golden`"


def test_module_reads_like_the_derivation(lecture_source):
    src = lecture_source
    assert src.startswith("# Generated by symprop")
    assert "do not edit" in src.splitlines()[0]
    assert "'lecture_221'" in src
    assert "# delta2[k] = (y[k] - d[k]) * y[k]*(1 - y[k])" in src
    assert "# delta1[j] = h1[j]*(1 - h1[j]) * sum_k(w2[k,j] * delta2[k])" in src
    assert "# Total ops:" in src
    assert '@njit(cache=True, error_model="numpy")' in src
    assert "fastmath=True" not in src
    tree = ast.parse(src)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"forward", "backward", "train_epochs", "predict", "loss"} <= functions


def test_the_loop_shape_uses_blas_into_buffers(lecture):
    import inspect

    from symprop.codegen import support

    src = gen.generate(lecture, shape="loops").source
    assert "matmul_nt(xs[:rows], W1, Z1[:rows])" in src
    assert "np.dot(A, B.T, out)" in inspect.getsource(support.matmul_nt)
    train = src[src.index("def train_epochs"):]
    loop = train[train.index("for epoch in range(epochs):"):train.index("return done")]
    assert "np.empty" not in loop and "np.zeros" not in loop   # nothing allocated per step


def test_float32_module_has_no_float64_literal(lecture):
    src = gen.generate(lecture, dtype="float32", shape="unrolled").source
    body = src[src.index("def forward"):]
    assert "np.float64" not in body
    assert " 1.0" not in body.replace("np.float32(1.0)", "")


@pytest.mark.parametrize("name", ['"; import os', "x\nimport os\nos.system('echo hi')",
                                  "'''\"\"\"", "é\u2028\x00"])
def test_a_hostile_network_name_is_only_ever_a_string(name):
    net = Network(inputs=2, layers=[Dense(1, "sigmoid")], name=name)
    src = gen.generate(net).source
    tree = ast.parse(src)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                and any(a.name == "os" for a in n.names)]
    constants = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert name in constants                     # NAME = repr(name)
    assert all(name not in (n.id if isinstance(n, ast.Name) else "")
               for n in ast.walk(tree))


def test_shape_is_chosen_by_size_and_can_be_forced():
    small = Network(inputs=2, layers=[Dense(2), Dense(1)])
    big = Network(inputs=64, layers=[Dense(32, "tanh"), Dense(10, "softmax")],
                  loss="cross-entropy")
    assert gen.choose_shape(small) == "unrolled"
    assert gen.choose_shape(big) == "loops"
    assert gen.choose_shape(small, "loops") == "loops"
    with pytest.raises(SpecError, match="kernel shape"):
        gen.choose_shape(small, "diagonal")


def test_perceptrons_and_bad_dtypes_are_told_what_to_do():
    perceptron = Network(inputs=2, layers=[Dense(1, "step")])
    with pytest.raises(SpecError, match="perceptron rule"):
        gen.generate(perceptron)
    with pytest.raises(SpecError, match="perceptron rule"):
        perceptron.compile()
    with pytest.raises(SpecError, match="dtype"):
        gen.generate(Network(inputs=2, layers=[Dense(1)]), dtype="float16")


def test_the_cache_key_follows_everything_that_changes_the_text(lecture):
    base = kernel_key(lecture, "float64", "unrolled", False)
    assert base == kernel_key(lecture, "float64", "unrolled", False)
    assert base != kernel_key(lecture, "float32", "unrolled", False)
    assert base != kernel_key(lecture, "float64", "loops", False)
    assert base != kernel_key(lecture, "float64", "unrolled", True)
    assert base != kernel_key(lecture.with_(loss="mse"), "float64", "unrolled", False)
    assert base != kernel_key(lecture.with_(name="other"), "float64", "unrolled", False)


def test_the_jinja_environment_is_strict_and_built_once():
    from jinja2 import StrictUndefined

    env = gen.environment()
    assert env is gen.environment()
    assert env.undefined is StrictUndefined
    assert env.trim_blocks and env.lstrip_blocks and env.keep_trailing_newline


# -- the command line -------------------------------------------------------------------------
def test_cli_prints_the_module(lecture_spec, capsys, lecture_source):
    assert main(["codegen", str(lecture_spec)]) == 0
    assert capsys.readouterr().out == lecture_source


def test_cli_writes_a_float32_loop_module(lecture_spec, tmp_path):
    out = tmp_path / "kernels.py"
    assert main(["codegen", str(lecture_spec), "-o", str(out), "--dtype", "float32",
                 "--shape", "loops"]) == 0
    text = out.read_text()
    assert 'SHAPE = "loops"' in text and "DTYPE = np.float32" in text
    ast.parse(text)


def test_cli_writes_a_split_loop_module_or_says_why_not(lecture_spec, tmp_path, capsys):
    out = tmp_path / "kernels.py"
    assert main(["codegen", str(lecture_spec), "-o", str(out), "--shape", "loops",
                 "--threads", "2"]) == 0
    text = out.read_text()
    assert "PARTS = 2" in text and "prange(parts)" in text
    assert "2 threads" in capsys.readouterr().err
    # the lecture network is unrolled by default: threads there are a spec error, exit 2
    assert main(["codegen", str(lecture_spec), "--threads", "2"]) == 2
    assert "threads" in capsys.readouterr().err


def test_cli_bad_input_exits_2(tmp_path, capsys):
    assert main(["codegen", str(tmp_path / "missing.toml")]) == 2
    bad = tmp_path / "perceptron.toml"
    bad.write_text('[network]\ninputs = 2\n[[network.layers]]\nunits = 1\nactivation = "step"\n')
    assert main(["codegen", str(bad)]) == 2
    assert "perceptron rule" in capsys.readouterr().err


# -- a new activation is one row ----------------------------------------------------------------
@pytest.mark.parametrize("shape", ["unrolled", "loops"])
def test_a_new_activation_row_reaches_the_kernels(monkeypatch, tmp_path, shape):
    """swish(z) = z σ(z): its derivative has no form in the output, so δ uses the net input
    (the loop kernel keeps Z1 for it, which it drops for layers whose δ reads only outputs)."""
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    row = rules.Activation("swish", lambda v: v / (1 + sp.exp(-v)), r"\mathrm{swish}")
    monkeypatch.setitem(rules.ACTIVATIONS, "swish", row)
    derivatives.output_derivative.cache_clear()
    try:
        net = Network(inputs=2, layers=[Dense(3, "swish"), Dense(1, "linear")], loss="sse")
        lay = net.derive().layer(1)
        assert not lay.fprime_in_output
        src = gen.generate(net, shape=shape).source
        assert "swish" in src
        if shape == "loops":
            assert "Z1[r, k] = z" in src
            tanh = Network(inputs=2, layers=[Dense(3, "tanh"), Dense(1, "linear")], loss="sse")
            assert "Z1[r, k] = z" not in gen.generate(tanh, shape="loops").source
        kernels = net.compile(shape=shape)
        rng = np.random.default_rng(0)
        params = {k: v + rng.normal(0, 0.2, v.shape) for k, v in kernels.init_params(1).items()}
        X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
        grads = kernels.gradients(params, X, Y)

        def f(w):
            h = (X @ w["W1"].T + w["b1"])
            h = h / (1 + np.exp(-h))
            out = h @ w["W2"].T + w["b2"]
            return 0.5 * np.mean(np.sum((out - Y) ** 2, axis=1))

        numeric = central_differences(f, params)
        for name, value in params.items():
            for idx in np.ndindex(*value.shape):
                assert grads[name][idx] == pytest.approx(numeric[name][idx], rel=1e-6, abs=1e-9)
    finally:
        derivatives.output_derivative.cache_clear()


def test_compile_returns_kernels_with_the_contract(lecture, monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    default = symprop.load(lecture.source).compile(dtype="float64")
    assert default.shape == "family" and default.source == default.path.read_text()
    kernels = symprop.load(lecture.source).compile(dtype="float64", shape="unrolled")
    assert kernels.shape == "unrolled" and kernels.dtype == "float64"
    assert kernels.path.parent == tmp_path and kernels.path.exists()
    assert kernels.source == kernels.path.read_text()
    params = kernels.init_params(0)
    assert params["W1"].tolist() == [[0.1, 0.8], [0.4, 0.6]]   # the spec's weights
    assert params["W2"].dtype == np.float64
