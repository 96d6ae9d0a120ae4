"""Exact gradient derivation: the lecture's numbers, proofs against sympy.diff, speed."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy as sp

from symprop import Dense, Network
from symprop.derive import derivatives, rules
from symprop.derive import symbols as S
from symprop.derive.backprop import derive
from symprop.derive.example import worked_example


def _numpy_step(W1, W2, x, d, eta):
    """An independent oracle: the 2-2-1 step written out by hand in float64."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h = sig(W1 @ x)
    y = sig(W2 @ h)
    delta2 = (y - d) * y * (1 - y)
    delta1 = h * (1 - h) * (W2.T @ delta2)
    W2n = W2 - eta * np.outer(delta2, h)
    W1n = W1 - eta * np.outer(delta1, x)
    y2 = sig(W2n @ sig(W1n @ x))
    return h, y, W1n, W2n, 0.5 * np.sum((y - d) ** 2), 0.5 * np.sum((y2 - d) ** 2)


def test_lecture_forward_pass_at_the_slides_precision(lecture):
    ex = worked_example(lecture)
    assert float(ex.value("net1[1]")) == pytest.approx(0.755, abs=1e-12)
    assert float(ex.value("net1[2]")) == pytest.approx(0.68, abs=1e-12)
    assert round(float(ex.value("out1[1]")), 2) == 0.68
    assert round(float(ex.value("out1[2]")), 4) == 0.6637
    assert round(float(ex.value("y[1]")), 2) == 0.69
    # the slide's 0.80133 is Σ w h with h rounded as on the slide (0.68, 0.6637)
    lay = derive(lecture).layer(2)
    slide = {S.w(2)[1, 1]: sp.Rational("0.3"), S.w(2)[1, 2]: sp.Rational("0.9"),
             S.out(1)[1]: sp.Rational("0.68"), S.out(1)[2]: sp.Rational("0.6637")}
    net2 = lay.net.subs(lay.unit, 1).doit().xreplace(slide)
    assert net2 == sp.Rational("0.80133")
    # and the exact value differs only in the fourth decimal
    assert float(ex.value("net2[1]")) == pytest.approx(0.80144499, abs=1e-8)


def test_lecture_all_six_updated_weights_match_an_independent_oracle(lecture):
    ex = worked_example(lecture)
    W1 = np.array([[0.1, 0.8], [0.4, 0.6]])
    W2 = np.array([[0.3, 0.9]])
    h, y, W1n, W2n, E, E_after = _numpy_step(W1, W2, np.array([0.35, 0.9]), np.array([0.5]), 1.0)
    for label, (mat, k, j) in {"w1": (W2n, 0, 0), "w2": (W2n, 0, 1), "w3": (W1n, 0, 0),
                               "w4": (W1n, 0, 1), "w5": (W1n, 1, 0), "w6": (W1n, 1, 1)}.items():
        assert float(ex.value(label)) == pytest.approx(mat[k, j], rel=1e-13), label
    assert float(ex.value("E")) == pytest.approx(E, rel=1e-13)
    assert float(ex.value("E+")) == pytest.approx(E_after, rel=1e-12)
    assert float(ex.value("E+")) < float(ex.value("E"))
    # the slide's w1+ = 0.272392 came from δ rounded to 0.0406; the exact value is 0.27233
    assert float(ex.value("w1")) == pytest.approx(0.272326, abs=1e-6)


def test_worked_example_is_exact(lecture):
    ex = worked_example(lecture)
    assert ex.exact("net1[1]") == sp.Rational(151, 200)
    assert ex.exact("out1[1]") == 1 / (1 + sp.exp(-sp.Rational(151, 200)))
    assert sp.N(ex.exact("E+"), 50).is_Float


def test_lecture_formulas_in_the_lectures_order(lecture):
    d = derive(lecture)
    k, j = d.layer(2).unit, d.layer(2).source
    y, dd, h = S.out(2)[k], S.d[k], S.out(1)[j]
    # ∂E/∂w_{k,j}^{(2)} = (y_k − d_k) y_k (1 − y_k) h_j^{(1)}, factor by factor
    assert d.layer(2).grad_w_full.parts == (y - dd, y * (1 - y), h)
    # δ_j^{(1)} = h_j (1 − h_j) Σ_k w_{k,j} δ_k
    assert d.layer(1).fprime == h * (1 - h)


CASES = [
    (("sigmoid", "sigmoid"), "sse"), (("tanh", "tanh"), "sse"), (("relu", "linear"), "sse"),
    (("linear", "linear"), "sse"), (("tanh", "softmax"), "cross-entropy"),
    (("sigmoid", "sigmoid"), "log"), (("tanh", "sigmoid"), "mse"),
]


@pytest.mark.parametrize("activations, loss", CASES)
@pytest.mark.parametrize("bias", [False, True])
def test_derived_gradients_equal_brute_force_diff(activations, loss, bias):
    net = Network(inputs=2, layers=[Dense(2, activations[0], bias=bias),
                                    Dense(2, activations[1], bias=bias)], loss=loss)
    report = derive(net).verify(points=1)
    assert report.ok, str(report)
    assert len(report.checks) == len(derive(net).parameters())


def test_deeper_network_at_random_rational_points():
    net = Network(inputs=3, layers=[Dense(3, "tanh"), Dense(2, "sigmoid"), Dense(2, "relu"),
                                    Dense(1, "linear")], loss="sse")
    report = derive(net).verify(mode="points", points=1, max_params=8)
    assert report.ok and len(report.checks) == 8


def test_verification_can_fail():
    """A wrong formula is caught: the proof is not a rubber stamp."""
    net = Network(inputs=1, layers=[Dense(1, "sigmoid", bias=False)], loss="sse")
    d = derive(net)
    lay = d.layer(1)
    broken = lay.__class__(**{**lay.__dict__, "delta_full": lay.delta_full.__class__(
        lay.delta_full.parts[:1])})   # drop f': the missing-activation-derivative mistake
    bad = d.__class__(d.network, (broken,), d.loss)
    assert not bad.verify().ok


def test_softmax_cross_entropy_delta_is_y_minus_d():
    net = Network(inputs=2, layers=[Dense(3, "softmax")], loss="cross-entropy")
    lay = derive(net).layer(1)
    assert lay.delta.expr() == S.out(1)[lay.unit] - S.d[lay.unit]


def test_log_loss_with_sigmoid_simplifies():
    net = Network(inputs=2, layers=[Dense(1, "sigmoid")], loss="log")
    lay = derive(net).layer(1)
    assert lay.delta.expr() == S.out(1)[lay.unit] - S.d[lay.unit]


def test_derivatives_are_written_in_the_output():
    Y = derivatives.Y
    assert derivatives.output_derivative("sigmoid").in_output == Y * (1 - Y)
    assert derivatives.output_derivative("tanh").in_output == 1 - Y**2
    assert derivatives.output_derivative("linear").in_output == 1
    assert derivatives.output_derivative("relu").in_output == sp.Heaviside(Y, 0)
    # with ReLU'(0) = 1/2 the output cannot say it: y = 0 at z = 0 (f' = 1/2) and for z < 0
    # (f' = 0) alike; f' is read from the net input
    half = derivatives.output_derivative("relu", sp.Rational(1, 2))
    assert half.in_output is None and half.in_net == sp.Heaviside(derivatives.Z,
                                                                  sp.Rational(1, 2))


def test_derivative_steps_show_the_proven_output_form():
    steps = derivatives.output_derivative("sigmoid").steps
    assert steps[0].startswith("f'(z) = ") and "f(z)*(1 - f(z))" in steps[1]
    assert "proven" in steps[1]
    assert derivatives.output_derivative("softmax").steps == ("∂y_j/∂net_k = y_j (δ_jk − y_k)",)


@pytest.mark.parametrize("name", [n for n, row in rules.LOSSES.items() if row.differentiable])
def test_loss_gradients_are_the_forms_simplify_gives(name):
    """The cheap tidy (factor, minus into a sum) gives simplify's very expression tree."""
    Y = derivatives.Y
    raw = sp.diff(rules.LOSSES[name].term(Y, derivatives.D, derivatives.K), Y)
    assert sp.srepr(derivatives.loss_gradient(name)) == sp.srepr(sp.simplify(raw))


def test_deriving_and_generating_never_import_sympy_physics():
    """`sympy.simplify` imports sympy.physics (half a second of a cold start) on its first
    call: the kernel path derives without it."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from symprop import Dense, Network\n"
        "from symprop.codegen.generate import generate\n"
        "nets = [Network(inputs=2, layers=[Dense(2, 'sigmoid'), Dense(1, 'sigmoid')],\n"
        "                loss='sse'),\n"
        "        Network(inputs=4, layers=[Dense(3, 'tanh'), Dense(3, 'softmax')],\n"
        "                loss='cross-entropy'),\n"
        "        Network(inputs=4, layers=[Dense(3, 'relu'), Dense(1, 'sigmoid')], loss='log')]\n"
        "for net in nets:\n"
        "    generate(net, shape='loops')\n"
        "assert 'sympy.physics' not in sys.modules, 'sympy.physics was imported'\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


def test_a_new_smooth_activation_by_its_formula_alone(monkeypatch):
    """One row with a formula: the output form is found and proven, not typed in."""
    monkeypatch.setitem(rules.ACTIVATIONS, "scaled-tanh",
                        rules.Activation("scaled-tanh", lambda z: 2 * sp.tanh(z / 2), "g"))
    monkeypatch.setitem(rules.ACTIVATIONS, "arctan",
                        rules.Activation("arctan", sp.atan, r"\arctan"))
    derivatives.output_derivative.cache_clear()
    try:
        Y = derivatives.Y
        assert sp.expand(derivatives.output_derivative("scaled-tanh").in_output) == 1 - Y**2 / 4
        assert sp.simplify(derivatives.output_derivative("arctan").in_output - sp.cos(Y) ** 2) == 0
    finally:
        derivatives.output_derivative.cache_clear()


def test_swish_has_no_output_form_and_uses_the_net(monkeypatch):
    monkeypatch.setitem(rules.ACTIVATIONS, "swish",
                        rules.Activation("swish", lambda z: z / (1 + sp.exp(-z)), "s"))
    derivatives.output_derivative.cache_clear()
    try:
        assert derivatives.output_derivative("swish").in_output is None
    finally:
        derivatives.output_derivative.cache_clear()


def test_index_form_does_not_grow_with_width():
    wide = Network(inputs=1024, layers=[Dense(1024, "tanh") for _ in range(9)]
                   + [Dense(10, "softmax")], loss="cross-entropy")
    derive(wide)   # warm the rule table
    start = time.perf_counter()
    d = derive(wide)
    assert time.perf_counter() - start < 1.0
    assert len(d.layers) == 10


def test_expanded_form_is_fast(lecture):
    derive(lecture).expanded()
    start = time.perf_counter()
    formulas = derive(lecture).expanded()
    assert time.perf_counter() - start < 0.5
    assert len(formulas) == 6


def test_lecture_w3_formula_expanded(lecture):
    """w3⁺ = w3 − (y − t) y (1 − y) w1 h1 (1 − h1) A, as the slide writes it."""
    chain = derive(lecture).weight_chain(1, 1, 1)
    y, h, dd = S.out(2)[1], S.out(1)[1], S.d[1]
    assert sp.expand(chain.expr() - (y - dd) * y * (1 - y) * S.w(2)[1, 1] * h * (1 - h)
                     * S.x[1]) == 0
    assert chain.parts[0] == h * (1 - h)


def test_sigmoid_value_matches_math(lecture):
    ex = worked_example(lecture)
    assert float(ex.value("out1[1]")) == pytest.approx(1 / (1 + math.exp(-0.755)), rel=1e-15)


def test_stable_forms_equal_their_definitions_on_both_sides_of_zero():
    """The kernels evaluate a row's ``stable`` form: it must be the same function."""
    from symprop.derive.rules import ACTIVATIONS

    pos = sp.Symbol("p", positive=True)
    for name, row in ACTIVATIONS.items():
        if row.stable is None:
            continue
        for z in (pos, -pos, sp.Integer(0)):
            assert sp.simplify(row.stable(z) - row.definition(z)) == 0, (name, z)
        # and it stays finite where the definition's exp would overflow
        for z in (1000, -1000):
            value = row.stable(sp.Float(z)).evalf()
            assert value.is_finite and 0 <= value <= 1, (name, z)
