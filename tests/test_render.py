"""LaTeX in the lecture's notation: factor order, notation keys, slide-style numbers."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import jinja2
import numpy as np
import pytest
import sympy as sp

import symprop
from symprop import Dense, Network, SpecError
from symprop.addresses import Address
from symprop.derive import symbols as S
from symprop.derive.example import worked_example
from symprop.render.blocks import environment
from symprop.render.latex import LecturePrinter, chain_latex, derivation_latex
from symprop.render.lines import lines_latex
from symprop.render.numbers import Precision, PrecisionTable, show, truncated
from symprop.render.slides import render_deck
from symprop.render.steps import (
    activation_lines,
    hidden_layer_lines,
    mcculloch_pitts_lines,
    output_layer_lines,
    perceptron_lines,
    vectorised_lines,
)
from symprop.render.worked import SlideExample, precise_values

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def slide_lecture():
    return symprop.load(EXAMPLES / "lecture_221_slides.toml")


@pytest.fixture(scope="module")
def slide_example(slide_lecture):
    return SlideExample(slide_lecture)


def _rhs(lines):
    return [line.rhs for line in lines]


# -- the lecture's formulas, factor by factor ------------------------------------------------
def test_output_layer_in_the_lectures_order(lecture):
    text = "\n".join(line.lhs + " " + line.rhs for line in output_layer_lines(lecture.derive()))
    assert r"\frac{\partial E}{\partial y_{k}} = y_{k} - d_{k}" in text
    assert r"y_{k} (1 - y_{k}) h_{j}^{(1)}" in text
    assert r"\frac{\partial E}{\partial w_{k,j}^{(2)}}" in text
    assert r"= (y_{k} - d_{k}) y_{k} (1 - y_{k}) h_{j}^{(1)}" in text
    assert r"\leftarrow w_{k,j}^{(2)} - \eta (y_{k} - d_{k}) y_{k} (1 - y_{k}) h_{j}^{(1)}" in text
    assert r"\frac{d" not in text and "-d_{k} + y_{k}" not in text


def test_hidden_layer_sums_over_the_layer_above(lecture):
    text = "\n".join(_rhs(hidden_layer_lines(lecture.derive(), 1)))
    assert r"\sum_{k} w_{k,j}^{(2)} \delta_{k}^{(2)}" in text
    # the lecture's full form: h_j(1 − h_j) Σ_k w_{k,j}(y_k − d_k) y_k (1 − y_k) x_m
    assert (r"h_{j}^{(1)} (1 - h_{j}^{(1)}) \sum_{k} \left[w_{k,j}^{(2)} (y_{k} - d_{k}) "
            r"y_{k} (1 - y_{k})\right] x_{m}") in text


def test_any_depth_gets_a_frame_per_hidden_layer():
    net = Network(inputs=2, layers=[Dense(3, "tanh"), Dense(2, "relu"), Dense(2, "sigmoid")])
    d = net.derive()
    assert r"(1 - (h_{i}^{(1)})^{2})" in "".join(_rhs(hidden_layer_lines(d, 1)))
    assert r"\mathbf{1}[h_{j}^{(2)} > 0]" in "".join(_rhs(hidden_layer_lines(d, 2)))


def test_notation_keys_rename_symbols_and_flip_weight_indices():
    net = Network(inputs=2, layers=[Dense(2, "sigmoid", bias=False),
                                    Dense(1, "sigmoid", bias=False)],
                  notation={"y": "o", "h": "z", "d": "t", "eta": r"\alpha", "weight_order": "jk"})
    text = "".join(line.lhs + line.rhs for line in output_layer_lines(net.derive()))
    assert r"(o_{k} - t_{k}) o_{k} (1 - o_{k}) z_{j}^{(1)}" in text
    assert r"w_{j,k}^{(2)}" in text and r"\alpha" in text


def test_chains_keep_their_order_and_numbers_get_times(lecture):
    lay = lecture.derive().layer(2)
    values = {S.out(2)[1]: "0.69", S.d[1]: "0.5", S.out(1)[1]: "0.68"}
    chain = lay.grad_w_full.subs({lay.unit: 1, lay.source: 1})
    assert chain_latex(chain, LecturePrinter(lecture, values=values)) == \
        r"(0.69 - 0.5) \times 0.69 \times (1 - 0.69) \times 0.68"


def test_loss_is_half_a_sum(lecture):
    d = lecture.derive()
    assert LecturePrinter(lecture)._print(d.loss) == r"\frac{1}{2} \sum_{k} (y_{k} - d_{k})^{2}"


def test_repr_latex_for_jupyter(lecture):
    d = lecture.derive()
    body = derivation_latex(d)
    assert not body.startswith("$") and body.startswith(r"\begin{aligned}")
    assert d._repr_latex_() == "$$" + body + "$$"
    shown = worked_example(lecture)._repr_latex_()
    assert shown.startswith("$$") and "0.755" in shown and r"\times" in shown


# -- activations, perceptron, vectorised ---------------------------------------------------------
def test_activation_derivatives_in_their_output(lecture):
    sig, remark = activation_lines(lecture, "sigmoid")
    # one notation: the deck's activation symbol f, or the lecture's g when [notation] says so
    assert sig[-1].rhs == "= f(z) (1 - f(z))" and "simplifies to 0" in remark
    assert activation_lines(lecture, "tanh")[0][-1].rhs == "= 1 - f(z)^{2}"
    lecture_g = lecture.with_(notation={**lecture.notation, "g": "g"})
    assert activation_lines(lecture_g, "tanh")[0][-1].rhs == "= 1 - g(z)^{2}"
    relu = "".join(_rhs(activation_lines(lecture, "relu")[0]))
    assert r"\begin{cases} 1, & z > 0" in relu
    soft = "".join(_rhs(activation_lines(lecture, "softmax")[0]))
    assert r"\mathbf{1}[k' = k]" in soft
    step, remark = activation_lines(lecture, "step")
    assert "perceptron rule" in remark


def test_perceptron_is_a_rule_and_mcculloch_pitts_a_threshold():
    net = symprop.load(EXAMPLES / "perceptron.toml")
    rows = lines_latex(perceptron_lines(net))
    assert r"w_i &\leftarrow w_i + \eta(y - \hat{y})x_i" in rows
    assert r"b &\leftarrow b + \eta(y - \hat{y})" in rows and r"\partial" not in rows
    assert r"-1 & \text{otherwise}" in rows
    mp = lines_latex(mcculloch_pitts_lines(net))
    assert r"0 & \text{if } \mathrm{net}_j < T_j" in mp


def test_vectorised_form_has_the_lectures_shapes():
    net = symprop.load(EXAMPLES / "two_layer_two_neuron.toml")
    fwd, bwd = vectorised_lines(net.derive())
    text = "".join(line.lhs + line.rhs for line in fwd)
    for shape in ("(1,3)", "(3,2)", "(1,2)", "(2,1)", "(1,1)"):
        assert f"_{{{shape}}}" in text
    assert r"W^{(1)\top}" in text
    assert r"{\delta^{(1)}}^{\top}" in "".join(line.rhs for line in bwd)


# -- numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "precision", "text", "rounded"), [
    ("0.755", "4sf", "0.755", False), ("0.68", "2dp", "0.68", False),
    ("0.680267", "2dp", "0.68", True), ("0.6637387", "4sf", "0.6637", True),
    ("0.01805", "3sf", "0.0181", True),             # half-up, as a calculator rounds
    ("0.099996", "3sf", "0.100", True), ("123456", "2sf", "120000", True),
    ("-0.0716", "2sf", "-0.072", True), ("100", "4sf", "100", False),
])
def test_slide_rounding(value, precision, text, rounded):
    shown = show(sp.Rational(value), Precision.parse(precision))
    assert (shown.text, shown.rounded) == (text, rounded)


def test_truncated_exact_value_has_one_more_digit():
    assert truncated(sp.Rational("0.8014449967"), Precision(5, "dp")) == r"0.801444\ldots"
    assert truncated(sp.Rational("0.5"), Precision(3, "sf")) == "0.5"


@pytest.mark.parametrize("bad", ["4x", "-1", "0sf", True, "many"])
def test_bad_precision_is_a_spec_error(bad):
    with pytest.raises(SpecError, match="notation.precision"):
        Precision.parse(bad, key="notation.precision")


def test_precision_table_most_specific_key_wins(slide_lecture):
    table = PrecisionTable(slide_lecture)
    assert table(Address("out", 1, (1,))) == Precision(2, "dp")            # "h1[1]"
    assert table(Address("out", 1, (1,), after=True)) == Precision(4, "sf")  # "h1[1]+"
    assert table(Address("out", 2, (1,))) == Precision(2, "dp")            # "y[1]"
    assert table(Address("w", 2, (1, 1), after=True)) == Precision(6, "dp")  # label w1
    assert table(Address("E", after=True)) == Precision(3, "sf")           # kind
    assert table(Address("net", 1, (2,))) == Precision(4, "sf")            # default
    with pytest.raises(SpecError, match="notation.precision.nowhere"):
        PrecisionTable(slide_lecture, {"nowhere": "2dp"})


def test_precision_from_a_single_notation_value():
    net = Network(inputs=1, layers=[Dense(1, "sigmoid")], notation={"precision": 3})
    assert PrecisionTable(net)(Address("E")) == Precision(3, "dp")


# -- the worked example in slide style ------------------------------------------------------------
def test_the_lectures_numbers_slide_by_slide(slide_example):
    ex = slide_example
    shown = {str(nl.address): nl for nl in ex.forward + ex.backward + [ex.error]}
    assert shown["net1[1]"].shown.text == "0.755" and not shown["net1[1]"].shown.rounded
    assert shown["net1[2]"].shown.text == "0.68"
    assert shown["out1[1]"].shown.text == "0.68" and shown["out1[2]"].shown.text == "0.6637"
    # Σ w h from the rounded h's, with the exact value beside it
    assert shown["net2[1]"].numbers == (r"0.3 \times 0.68 + 0.9 \times 0.6637",)
    assert shown["net2[1]"].shown.text == "0.80133"
    assert shown["net2[1]"].exact.startswith("0.80144")
    assert shown["out2[1]"].shown.text == "0.69" and shown["delta2[1]"].shown.text == "0.0406"
    assert shown["E"].shown.text == "0.0181"


def test_all_six_updated_weights(slide_example):
    ex = slide_example
    new = {str(nl.address): nl for l in ex.updates for nl in ex.updates[l]}
    assert new["w2[1,1]+"].shown.text == "0.272392"          # the slide's w1+
    assert new["w2[1,1]+"].exact.startswith("0.272325")       # and the exact 0.2723…
    assert new["w2[1,2]+"].shown.text == "0.87305"           # the slide's w2+
    assert [new[f"w1[{k},{j}]+"].shown.text for k in (1, 2) for j in (1, 2)] == \
        ["0.09907", "0.7976", "0.3971", "0.5927"]            # the slide's four "?"
    assert new["w2[1,1]+"].lhs.startswith("w1^{+}")
    assert r"(0.69 - 0.5) \times 0.69 \times (1 - 0.69) \times 0.68" in new["w2[1,1]+"].numbers[0]


def test_further_forward_pass_compares_the_errors(slide_example):
    sentence = slide_example.comparison()
    assert "E = 0.0181" in sentence and "E^{+} = 0.0166" in sentence
    assert "the error decreased" in sentence


def test_lines_fit_the_slide_width(slide_example):
    from symprop.render.breaking import note_width
    from symprop.render.width import FRAME_WIDTH, width

    for nl in slide_example.forward + slide_example.backward:
        for line in nl.lines():
            used = width(nl.lhs) + width(line.rhs)
            assert used + (note_width(line.note) if line.note else 0) <= FRAME_WIDTH + 1


def test_precise_values_equal_the_exact_worked_example(lecture):
    exact = worked_example(lecture)
    precise = precise_values(lecture, exact.derivation)
    assert list(precise) == list(exact.values)
    for addr, value in precise.items():
        assert abs(value - sp.N(exact.values[addr], 50)) < sp.Float("1e-45"), addr


def test_precise_values_match_a_numpy_oracle_on_a_deep_softmax_network():
    net = symprop.load(EXAMPLES / "deep_softmax.toml")
    values = precise_values(net, net.derive())
    Ws = [np.array(net.weights[f"W{l}"], dtype=float) for l in range(1, 5)]
    bs = [np.array(net.weights[f"b{l}"], dtype=float) for l in range(1, 5)]
    x = np.array([float(v) for v in net.example.input])
    d = np.array([float(v) for v in net.example.target])
    outs = [x]
    for W, b in zip(Ws[:3], bs[:3], strict=True):
        outs.append(np.tanh(W @ outs[-1] + b))
    z = Ws[3] @ outs[-1] + bs[3]
    y = np.exp(z) / np.exp(z).sum()
    deltas = [y - d]
    for l in (3, 2, 1):
        deltas.insert(0, (1 - outs[l] ** 2) * (Ws[l].T @ deltas[0]))
    for l in range(1, 5):
        grad = np.outer(deltas[l - 1], outs[l - 1])
        got = np.array([[float(values[Address("dE/dw", l, (k + 1, j + 1))])
                         for j in range(grad.shape[1])] for k in range(grad.shape[0])])
        np.testing.assert_allclose(got, grad, rtol=1e-12, atol=1e-14)
    assert float(values[Address("E")]) == pytest.approx(-math.log(y[1]), rel=1e-12)


# -- templates --------------------------------------------------------------------------------
def test_templates_are_strict():
    env = environment()
    assert env.undefined is jinja2.StrictUndefined and env.trim_blocks and env.lstrip_blocks
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("deck.tex.jinja").render(title="t")


def test_a_deck_without_an_example_has_no_worked_example_frames(lecture):
    net = lecture.with_(example=None)
    tex = render_deck(net)
    assert "Output layer: the chain rule" in tex and "Worked example" not in tex


def test_backprop_decks_refuse_data(lecture):
    with pytest.raises(SpecError, match="--data"):
        render_deck(lecture, data="xor")


def test_decimal_rounding_is_exact():
    # 0.0406 exactly: a binary float would give 0.040599999…
    assert Precision(4, "dp").round(Decimal("0.04064")) == Decimal("0.0406")
