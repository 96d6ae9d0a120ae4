"""Users' own activations and losses, written as formulas (issue 24).

Oracles: sympy.diff of an independently built expression, exact values at rational points,
central finite differences of a hand-written NumPy forward pass, and a hand-written NumPy
training loop.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from oracles import central_differences
from scipy.special import erf

import symprop
from symprop import SpecError
from symprop.cli import main
from symprop.derive import rules
from symprop.derive.derivatives import Y, Z, output_derivative
from symprop.derive.verify import verify

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "own_activations.toml"
HUBER = "piecewise(((y - d)^2/2, abs(y - d) <= 1), (abs(y - d) - 1/2, true))"
z = sp.Symbol("z", real=True)
# name: (formula, options, the same function built by hand in SymPy, and in NumPy)
ROWS = {
    "softsign": ("z/(1+abs(z))", {}, z / (1 + sp.Abs(z)), lambda v: v / (1 + np.abs(v))),
    "swish": ("z/(1+exp(-z))", {}, z * (1 / (1 + sp.exp(-z))), lambda v: v / (1 + np.exp(-v))),
    "elu": ("piecewise((z, z > 0), (exp(z) - 1, true))", {},
            sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)),
            lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0)))),
    "gelu": ("z*(1+erf(z/sqrt(2)))/2", {}, z * (1 + sp.erf(z / sp.sqrt(2))) / 2,
             lambda v: v * (1 + erf(v / np.sqrt(2))) / 2),
    "leaky": ("max(a*z, z)", {"parameters": {"a": "1/100"}}, sp.Max(z / 100, z),
              lambda v: np.maximum(v / 100, v)),
}


pytestmark = pytest.mark.usefixtures("own_rows_stay_in_their_test")


def row(name: str) -> rules.Activation:
    text, options, _, _ = ROWS[name]
    return rules.Activation.from_formula(name, text, **options)


def huber() -> rules.Loss:
    return rules.Loss.from_formula("huber", HUBER)


def np_huber(out, target):
    r = np.abs(out - target)
    return np.where(r <= 1, r**2 / 2, r - 0.5)


# -- derive: f' is sympy.diff's, proven; the output form where one exists ---------------------
@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_derivative_is_sympys_and_the_gradients_are_proven(name):
    made = row(name)
    deriv = output_derivative(made.key)
    oracle = sp.diff(ROWS[name][2], z)
    for point in (sp.Rational(-7, 3), sp.Rational(-1, 5), sp.Rational(2, 9), sp.Rational(5, 2)):
        assert sp.N(deriv.in_net.subs(Z, point) - oracle.subs(z, point), 40) == 0
        if deriv.in_output is not None:
            y = ROWS[name][2].subs(z, point)
            assert abs(sp.N(deriv.in_output.subs(Y, y) - oracle.subs(z, point), 40)) < 1e-35
    net = symprop.Network(inputs=2, layers=[symprop.Dense(2, made), symprop.Dense(1, "linear")],
                          loss=huber() if name == "leaky" else "sse")
    report = verify(net.derive())
    assert report.ok and report.proven, str(report)


def test_softsign_derivative_is_found_in_its_output():
    deriv = output_derivative(row("softsign").key)
    assert sp.simplify(deriv.in_output - (1 - sp.Abs(Y)) ** 2) == 0
    assert output_derivative(row("swish").key).in_output is None     # no output form: in z
    elu = output_derivative(row("elu").key).in_output                # a piece per side
    assert elu == sp.Piecewise((1, Y > 0), (Y + 1, True))


@pytest.mark.parametrize("at", [None, "1/2", "1/100"])
def test_kinks_take_the_declared_value(at):
    made = rules.Activation.from_formula("leaky", "max(z/100, z)", derivative_at_kinks=at)
    expected = sp.Rational(at) if at else sp.Rational(3, 10)      # else the network's value
    deriv = output_derivative(made.key, sp.Rational(3, 10))
    assert deriv.in_net.subs(Z, 0) == expected
    assert deriv.in_net.subs(Z, sp.Rational(-1, 2)) == sp.Rational(1, 100)
    assert deriv.in_net.subs(Z, sp.Rational(1, 2)) == 1


# -- kernels: equal to finite differences, both dtypes, no overflow --------------------------
def _np_loss(name, params, X, T, loss):
    h = ROWS[name][3](X @ params["W1"].T + params["b1"])
    out = h @ params["W2"].T + params["b2"]
    per = np_huber(out, T) if loss == "huber" else 0.5 * (out - T) ** 2
    return float(np.mean(np.sum(per, axis=1)))


@pytest.mark.parametrize("name", sorted(ROWS))
def test_kernel_gradients_equal_finite_differences(name, monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    loss = "huber" if name in ("leaky", "softsign") else "sse"
    net = symprop.Network(inputs=2, layers=[symprop.Dense(3, row(name)),
                                            symprop.Dense(1, "linear")],
                          loss=huber() if loss == "huber" else "sse")
    kernels = net.compile(dtype="float64", shape="loops")
    rng = np.random.default_rng(1)
    params = {k: v + rng.normal(0, 0.5, v.shape) for k, v in kernels.init_params(0).items()}
    X, T = rng.normal(size=(6, 2)), rng.normal(size=(6, 1)) * 2
    grads = kernels.gradients(params, X, T)
    numeric = central_differences(lambda p: _np_loss(name, p, X, T, loss), params)
    for key, value in params.items():
        for idx in np.ndindex(*value.shape):
            assert grads[key][idx] == pytest.approx(numeric[key][idx], rel=1e-5, abs=1e-8)
    # far out on both sides: finite values and gradients (swish: exp(-|z|) instead of exp(-z))
    far = np.array([[-900.0, 300.0], [900.0, -300.0], [0.0, 0.0]])
    assert np.isfinite(kernels.forward(params, far)).all()
    assert all(np.isfinite(v).all() for v in kernels.gradients(params, far, T[:3]).values())
    if name == "leaky":         # at the kink f' is the network's relu_derivative_at_zero (0)
        at_kink = {**params, "b1": np.zeros(3)}
        g = kernels.gradients(at_kink, np.zeros((2, 2)), np.ones((2, 1)))
        assert (g["b1"] == 0).all() and (g["b2"] != 0).all()
    if name == "swish":         # the same kernel in float32 agrees to float32's precision
        assert "cannot overflow" in kernels.source
        k32 = net.compile(dtype="float32", shape="loops")
        p32 = {k: v.astype(np.float32) for k, v in params.items()}
        g32 = k32.gradients(p32, X.astype(np.float32), T.astype(np.float32))
        for key in grads:
            np.testing.assert_allclose(g32[key], grads[key], rtol=1e-4, atol=1e-5)
        assert all(np.isfinite(v).all() for v in
                   k32.gradients(p32, far.astype(np.float32), T[:3].astype(np.float32)).values())


@pytest.mark.parametrize(("dtype", "rel"), [("float64", 1e-12), ("float32", 2e-5)])
def test_the_examples_kernel_equals_the_exact_derivation(dtype, rel, monkeypatch, tmp_path):
    """The spec's weights and example through the compiled kernel: every gradient equals the
    worked example's exact value (softsign, a leaky ReLU with its kink convention, Huber)."""
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    net = symprop.load(EXAMPLE)
    exact = net.worked_example()
    kernels = net.compile(dtype=dtype)
    params = kernels.init_params(0)           # the spec's weights
    X = np.array([[float(v) for v in net.example.input]], dtype=dtype)
    T = np.array([[float(v) for v in net.example.target]], dtype=dtype)
    grads = kernels.gradients(params, X, T)
    for name, value in grads.items():
        kind, layer = name[0], name[1:]
        for idx in np.ndindex(*value.shape):
            where = ",".join(str(i + 1) for i in idx)
            address = f"dE/d{kind.lower()}{layer}[{where}]"
            assert value[idx] == pytest.approx(float(exact.value(address)), rel=rel, abs=1e-7)


# -- training reaches the hand-written NumPy reference's loss --------------------------------
def test_training_matches_a_numpy_reference(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    net = symprop.Network(inputs=2, layers=[symprop.Dense(4, row("softsign")),
                                            symprop.Dense(1, "linear")], loss=huber())
    kernels = net.compile()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(32, 2))
    T = (np.sin(X[:, :1]) + 2 * X[:, 1:]) * 1.5
    start = kernels.init_params(0)
    trained, history = kernels.train(start, X, T, epochs=40, batch_size=32, learning_rate=0.1,
                                     shuffle=False)
    p = {k: v.copy() for k, v in start.items()}
    for _ in range(40):                     # the same full-batch steps, written out by hand
        net1 = X @ p["W1"].T + p["b1"]
        h = net1 / (1 + np.abs(net1))
        out = h @ p["W2"].T + p["b2"]
        r = out - T
        delta2 = np.where(np.abs(r) <= 1, r, np.sign(r)) / len(X)
        delta1 = (delta2 @ p["W2"]) / (1 + np.abs(net1)) ** 2
        p["W2"] -= 0.1 * delta2.T @ h
        p["b2"] -= 0.1 * delta2.sum(0)
        p["W1"] -= 0.1 * delta1.T @ X
        p["b1"] -= 0.1 * delta1.sum(0)
    final = lambda q: float(np.mean(np_huber(  # noqa: E731
        (X @ q["W1"].T + q["b1"]) / (1 + np.abs(X @ q["W1"].T + q["b1"])) @ q["W2"].T + q["b2"],
        T)))
    assert final(trained) == pytest.approx(final(p), rel=1e-9)
    assert final(trained) < 0.5 * final(start)
    for key in p:
        np.testing.assert_allclose(trained[key], p[key], rtol=1e-9, atol=1e-12)


def test_the_estimator_takes_a_row(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    from symprop.runtime.estimator import MLPRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] - X[:, 1]
    est = MLPRegressor(hidden_layer_sizes=(3,), activation=row("leaky"), loss=huber(),
                       epochs=5)
    from sklearn.base import clone
    assert clone(est).activation == est.activation
    est.fit(X, y)
    assert est.predict(X).shape == (40,) and np.isfinite(est.predict(X)).all()
    assert "leaky" in str(est.summary()) and "@" not in str(est.summary())


# -- spec, identity, processes ---------------------------------------------------------------
SPEC = """
[activations.mine]
formula = "{formula}"
[network]
inputs = 1
[[network.layers]]
units = 1
activation = "mine"
"""


def test_one_name_two_formulas_in_one_process_stay_apart():
    a = symprop.loads(SPEC.format(formula="z/(1+abs(z))"))
    b = symprop.loads(SPEC.format(formula="tanh(z)"))
    ka, kb = a.layers[0].activation, b.layers[0].activation
    assert ka != kb and ka.startswith("mine@") and kb.startswith("mine@")
    assert rules.ACTIVATIONS[ka](Z) != rules.ACTIVATIONS[kb](Z)
    assert symprop.loads(SPEC.format(formula="z/(1+abs(z))")).layers[0].activation == ka
    with pytest.raises(SpecError, match="unknown activation"):     # a spec sees only its own
        symprop.loads(SPEC.replace('activation = "mine"', 'activation = "softsign"')
                      .format(formula="z"))


def test_python_api_by_row_and_by_name():
    made = rules.Activation.from_formula("cube_root_free", "z/(1+z^2)")
    assert symprop.Dense(3, "cube_root_free").activation == made.key
    rules.Activation.from_formula("cube_root_free", "2*z/(1+z^2)")
    with pytest.raises(SpecError, match="unknown activation"):     # two of that name: pass the row
        symprop.Dense(3, "cube_root_free")
    assert symprop.Dense(3, made).activation == made.key
    with pytest.raises(SpecError, match="built-in"):
        rules.Activation.from_formula("tanh", "z/(1+abs(z))")


def test_a_network_carries_its_rows_to_another_process(monkeypatch):
    net = symprop.Network(inputs=1, layers=[symprop.Dense(1, row("gelu"))], loss=huber())
    blob = pickle.dumps(net)
    monkeypatch.delitem(rules.ACTIVATIONS, net.layers[0].activation)
    monkeypatch.delitem(rules.LOSSES, net.loss)
    again = pickle.loads(blob)
    assert again.layers[0].activation in rules.ACTIVATIONS and again.loss in rules.LOSSES
    from symprop.runtime.checkpoint import network_from_structure, network_structure
    structure = json.loads(json.dumps(network_structure(net)))
    monkeypatch.delitem(rules.ACTIVATIONS, net.layers[0].activation)
    rebuilt = network_from_structure(structure)
    assert network_structure(rebuilt) == structure


# -- bad formulas: exit 2, one line naming the key -------------------------------------------
@pytest.mark.parametrize(("formula", "says"), [
    ("foo(z)", "unknown function"),
    ("z*q", "unknown name 'q'"),
    ("z/(z - z)", "division by zero"),
    ("1/z", "not a finite real number at z = 0"),
    ("z/(3*z - 1)", "not a finite real number at z = 1/3"),
    ("log(z)", "not a finite real number"),
    ("sqrt(abs(z))", "f' is not a finite real number at z = 0"),
    ("piecewise((1 + z, z > 0), (z, true))", "jumps at z = 0"),
    ("z^99", "power 99"),
    ("__import__(z)", "unexpected '_'"),
    ("z; 1", "unexpected character"),
    ("7", "a constant is not an activation"),
])
def test_bad_formulas_exit_2_with_one_line_naming_the_key(formula, says, tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(SPEC.format(formula=formula))
    assert main(["derive", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "activations.mine.formula" in err and says in err, err


@pytest.mark.parametrize(("table", "says"), [
    ('[losses.h]\nterm = "log(y - d)"', "losses.h.term"),
    ('[losses.h]\nterm = "d"', "losses.h.term"),
    ('[activations.m]\nformula = "max(a*z, z)"\nparameters = { a = "x" }', "parameters.a"),
    ('[activations.m]\nformula = "a*z"\nparameters = { a = "1e999999999" }', "parameters.a"),
    ('[activations.m]\nformula = "max(z/100, z)"\nderivative_at_kinks = "1/0"',
     "activations.m.derivative_at_kinks"),
    ('[activations.m]\nformula = "z"\nlatex = "\\\\input{x}"', "activations.m.latex"),
    ('[activations.m]\nformul = "z"', "did you mean 'formula'"),
    ('[activations.tanh]\nformula = "z"', "built-in"),
])
def test_bad_tables_are_refused_in_one_line(table, says, tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(table + '\n[network]\ninputs = 1\n[[network.layers]]\nunits = 1\n')
    assert main(["derive", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err


def test_a_probabilistic_custom_loss_is_recognised():
    assert rules.Loss.from_formula("xent", "-(d*log(y) + (1-d)*log(1-y))").probabilistic
    assert not huber().probabilistic


# -- the example: derive --verify, a checked sheet, a deck -----------------------------------
def test_the_example_derives_and_verifies(capsys):
    assert main(["derive", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "2 softsign +bias -> 1 leaky +bias; loss huber" in out and "@" not in out
    assert "(1 - Abs(h1[j]))**2" in out
    assert main(["derive", str(EXAMPLE), "--verify"]) == 0
    assert "all gradients proven" in capsys.readouterr().out


def test_a_checked_sheet_finds_the_missing_derivative(tmp_path, capsys):
    claims = ('\n[claims]\n"out1[1]" = "-0.0783"\n"y[1]" = "0.0219"\n"delta2[1]" = "-0.4781"\n'
              '"delta1[1]" = "-0.3824"\n'
              '\n[formulas]\n"dE/dw1[1,1]" = "(y - d) f\'(net_1^{(2)}) w_{1,1}^{(2)} '
              'f\'(net_1^{(1)}) x_1"\n'
              '"dE/dw1[1,2]" = "(y - d) leaky\'(net_1^{(2)}) w_{1,1}^{(2)} '
              'softsign\'(net_1^{(1)}) x_2"\n'
              '"dE/dw1[2,1]" = "(y - d) leaky\'(net_1^{(2)}) w_{1,2}^{(2)} x_1"\n')
    spec = tmp_path / "sheet.toml"
    spec.write_text(EXAMPLE.read_text() + claims)
    assert main(["check", str(spec), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    verdicts = {c["name"]: c for c in report["claims"]}
    assert [verdicts[a]["verdict"] for a in ("out1[1]", "y[1]", "delta2[1]")] == ["correct"] * 3
    assert verdicts["delta1[1]"]["verdict"] == "wrong"
    assert verdicts["delta1[1]"]["mistake"] == "missing-activation-derivative"
    formulas = {f["name"]: f["verdict"] for f in report["formulas"]}
    assert formulas == {"dE/dw1[1,1]": "equivalent", "dE/dw1[1,2]": "equivalent",
                        "dE/dw1[2,1]": "different"}, report["formulas"]
    assert report["formulas"][2]["mistake"] == "missing-activation-derivative"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_a_deck_with_own_rows_compiles_and_fits(tmp_path):
    """ELU (pieces; its f' in the output, a piece per side) then swish (f' in the net)."""
    from symprop.render.slides import compile_pdf, render_deck
    text = EXAMPLE.read_text().replace('loss = "huber"', 'loss = "sse"')
    text = text.replace('activation = "softsign"', 'activation = "elu"')
    spec = tmp_path / "deck.toml"
    spec.write_text(text.replace('activation = "leaky"', 'activation = "swish"'))
    tex = render_deck(symprop.load(spec), output="deck.tex")
    assert r"\operatorname{ITE}" not in tex and r"- \eta -" not in tex
    assert r"h_{j}^{(1)} + 1 & \text{otherwise}" in tex        # ELU' = y + 1 for y <= 0
    result = compile_pdf(tex, tmp_path / "d.pdf")
    assert result.pdf.stat().st_size > 10_000 and result.overfull == [], result.overfull


# -- hostile text: a formula is refused in one SpecError or read, never anything else ---------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["z", "a", "q", "1", "0", "2.5", "+", "-", "*", "/", "^", "(", ")", ",", "<=", ">",
          "exp", "log", "abs", "max", "min", "piecewise", "true", "erf", "sqrt", "tanh", " ",
          "__class__", "lambda", ";", "'", "e", "pi", "\\frac", "{", "}"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_any_text_is_read_or_refused_in_one_line(pieces):
    text = "".join(pieces)
    try:
        made = rules.Activation.from_formula("fuzz", text, parameters={"a": "1/3"})
    except SpecError as exc:
        assert "\n" not in str(exc) and "activations.fuzz" in str(exc)
    else:
        assert made.definition(Z).has(Z)


def test_a_sweep_grid_takes_the_specs_own_rows_by_name():
    from symprop.sweep import grid as g
    net = symprop.load(EXAMPLE)
    parsed = g.parse_grid(["activation=softsign,swish,tanh"])
    assert parsed["activation"] == ["softsign", "swish", "tanh"]
    g.check_against(net, parsed)
    hidden = [g.network_for(net, p).layers[0].activation for p in g.points(parsed)]
    assert hidden[0] == net.layers[0].activation and hidden[1].startswith("swish@")
    assert hidden[2] == "tanh"
    with pytest.raises(SpecError, match="unknown hidden activation"):
        g.parse_grid(["activation=softsine"])


def test_kinks_are_found_where_nested_abs_switch():
    made = rules.Activation.from_formula("zigzag", "abs(abs(z) - 1)", derivative_at_kinks="1/3")
    assert made.kinks == (-1, 0, 1)
    deriv = output_derivative(made.key).in_net
    assert [deriv.subs(Z, v) for v in (-1, 0, 1)] == [sp.Rational(1, 3)] * 3
    assert [deriv.subs(Z, sp.Rational(v, 2)) for v in (-3, -1, 1, 3)] == [-1, 1, -1, 1]
