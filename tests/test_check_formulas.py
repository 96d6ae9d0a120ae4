"""Formulas a student derived: read safely (never executed), compared with the derivation."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symprop
from symprop import SpecError
from symprop.check.exact import exact_side
from symprop.check.formulas import check_formula
from symprop.check.judge import check
from symprop.derive import symbols as S
from symprop.formula.syntax import FormulaError, parse, tokenize

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LECTURE = (EXAMPLES / "lecture_221.toml").read_text()


@pytest.fixture(scope="module")
def lecture_net():
    network = symprop.loads(LECTURE)
    derivation, _ = exact_side(network)
    return network, derivation


@pytest.mark.parametrize("address, text", [
    ("dE/dw2[1,1]", "(y - d) * y * (1 - y) * h1"),
    ("dE/dw2[1,1]", "(y - t) y (1 - y) h_1"),
    ("dE/dw2[1,2]", "(y - d) * y * (1 - y) * h2"),
    ("dE/dw2[1,1]", r"(y_k - d_k) y_k (1 - y_k) h_j^{(1)}"),
    ("dE/dw2[1,2]", r"(y_k - d_k) \cdot y_k \times (1 - y_k) \, h_j^{(1)}"),
    ("dE/dw2[1,1]", r"\left(y_1 - d_1\right) y_1 \left(1 - y_1\right) h_{1}^{(1)}"),
    ("dE/dw2[1,1]", "(y − d) × y × (1 − y) × h1"),
    ("dE/dw2[1,1]", r"\frac{(y - t) e^{-net_k^{(2)}}}{(1 + e^{-net_k^{(2)}})^2} h_1"),
    ("dE/dw2[1,1]", r"(\sigma(net_1^{(2)}) - t) \sigma(net_1^{(2)}) (1 - \sigma(net_1^{(2)})) h_1"),
    ("dE/dw2[1,1]", "delta_k * h_j"),
    ("dE/dw2[1,1]", "δ h_1"),
    ("dE/dw1[1,1]",
     r"h_j^{(1)} (1 - h_j^{(1)}) \sum_k w_{k,j}^{(2)} (y_k - d_k) y_k (1 - y_k) x_m"),
    ("dE/dw1[1,1]", "(y - t) y (1 - y) w_1 h_1 (1 - h_1) A"),     # the slide's w3 line
    ("dE/dw1[2,2]", "(y - t)*y*(1 - y)*w2*h_2*(1 - h_2)*B"),
    ("w1", "w1 - eta*(y - t)*y*(1 - y)*h1"),
    ("w1", r"w_1 - \eta (y - t) y (1 - y) h_1"),
    ("w1", "w1 - (y - t)*y*(1 - y)*h1"),                          # η = 1 left out, as the slide
    ("delta2[1]", "(y - d)*y*(1 - y)"),
    ("delta1[2]", "h2 (1 - h2) w_{12}^{(2)} delta_1^{(2)}"),
])
def test_equivalent_formulas(lecture_net, address, text):
    network, derivation = lecture_net
    result = check_formula(network, derivation, address, text)
    assert result.equivalent, (text, result.proof, result.point)
    assert result.proof.startswith("proven")


def test_names_map_to_the_claimed_gradient(lecture_net):
    network, derivation = lecture_net
    r = check_formula(network, derivation, "dE/dw2[1,2]", "y * h")
    # for w_{1,2}^{(2)} the h is h_2^{(1)} (j = 2) and y is y_1
    assert r.student == S.out(2)[1] * S.out(1)[2]


def test_different_formula_has_a_counterexample(lecture_net):
    network, derivation = lecture_net
    r = check_formula(network, derivation, "dE/dw2[1,1]", "(d - y) * y * (1 - y) * h1")
    assert not r.equivalent
    assert r.factor == -1                     # the sign is flipped
    assert r.point["_example"] is True        # the example's own values tell them apart
    yours, derived = r.values
    assert abs(float(yours) + float(derived)) < 1e-12 and abs(float(derived) - 0.027674) < 1e-6
    r = check_formula(network, derivation, "dE/dw2[1,1]", "(y - d) * h1")   # f′ left out
    assert not r.equivalent and r.factor is None and r.values is not None


def test_random_point_when_the_example_cannot_tell(lecture_net):
    # with the example's d = 1/2 the extra term is 0: only another point tells them apart
    network, derivation = lecture_net
    r = check_formula(network, derivation, "dE/dw2[1,1]",
                      "(y - d) * y * (1 - y) * h1 + (d - 1/2) * h1")
    assert not r.equivalent and r.point["_example"] is False


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: __import__('os').system('touch {marker}')",
    "eval(\"__import__('os').system('touch {marker}')\")",
    "exec('import os')",
    "getattr(y, 'x')",
    "y.__class__",
    "os.system('touch {marker}')",
    "open('{marker}', 'w')",
    "[x for x in ()]",
    "y; import os",
    "y # comment",
    "y @ d",
    "f'{{y}}'",
    "y^99999999",
    "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((y))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
])
def test_formula_text_is_never_executed(lecture_net, tmp_path, monkeypatch, text):
    network, derivation = lecture_net
    marker = tmp_path / "pwned"
    text = text.format(marker=marker)
    # string evaluation of any kind would be a bug: make it loud
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec/parse_expr called")
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr("sympy.parsing.sympy_parser.parse_expr", refuse)
    r = check_formula(network, derivation, "dE/dw2[1,1]", text)
    # unreadable or too large, or (f'{y}: f′(y)) read as a formula and found different
    assert r.verdict in ("unreadable", "too-large", "different"), (r.verdict, r.reason)
    assert r.verdict != "different" or text.startswith("f'")
    assert not marker.exists()


def test_check_with_formulas_still_works_without_eval(lecture_net, monkeypatch):
    network, derivation = lecture_net
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    r = check_formula(network, derivation, "dE/dw2[1,1]", "(y - d) * y * (1 - y) * h1")
    assert r.equivalent


@pytest.mark.parametrize("text, words", [
    ("(y - d", "expected ')'"),
    ("y +", "unexpected the end"),
    ("y $ d", "unexpected character '$' at position 3"),
    (r"\partial E", r"unknown LaTeX command \partial"),
    ("q * y", "unknown name 'q'"),
    ("y_{kj}", "y takes one index"),
    ("h_3", "out of range"),
    ("w", "w needs its indices"),
])
def test_unreadable_formulas_say_why(lecture_net, text, words):
    network, derivation = lecture_net
    r = check_formula(network, derivation, "delta2[1]", text)
    assert r.verdict == "unreadable" and words in r.reason, r.reason


def test_tokenizer_and_parser_build_trees_only():
    assert [t.kind for t in tokenize(r"\frac{a}{b}")] == ["frac", "op", "name", "op", "op",
                                                           "name", "op", "end"]
    assert parse("2 y")[0] == "mul"
    assert parse("y^2")[0] == "pow"
    assert parse(r"h_j^{(1)}") == ("name", "h", ["j"], 1, 0, False)
    with pytest.raises(FormulaError):
        parse("1 2 3 )")


def test_formulas_in_a_check_file_set_the_exit_code():
    network = symprop.loads(LECTURE + '\n[formulas]\n"dE/dw2[1,1]" = "(y - d) * h1"\n')
    result = check(network)
    assert result.claims == [] and result.exit_code == 1
    assert result.summary["formulas_different"] == 1
    network = symprop.loads(LECTURE + '\n[formulas]\n"dE/dw2[1,1]" = "(y - d) y (1 - y) h1"\n')
    assert check(network).exit_code == 0


def test_formula_for_a_quantity_without_a_formula(lecture_net):
    network, derivation = lecture_net
    with pytest.raises(SpecError, match="no derived formula"):
        check_formula(network, derivation, "out1[1]", "y")


def test_student_expression_is_sympy(lecture_net):
    network, derivation = lecture_net
    r = check_formula(network, derivation, "dE/dw2[1,1]", "1/2 * 2 * (y - d) y (1 - y) h1")
    assert isinstance(r.student, sp.Expr) and r.equivalent


# -- formulas the way students write them (issue 20) -------------------------------------------
@pytest.mark.parametrize("address, text", [
    ("delta2[1]", r"(y - d) \sigma(1-\sigma)"),
    ("delta2[1]", "(y - d) σ'(net_1^{(2)})"),
    ("delta2[1]", "(y - d) σ′(net)"),
    ("delta2[1]", "(y - d) f'(net_1^{(2)})"),
    ("delta2[1]", "(y-d) · y × (1 - y)"),
    ("delta2[1]", r"(y-d) e^{-net_1^{(2)}}/(1+\exp(-net_1^{(2)}))^2"),
    ("delta2[1]", r"(y - d) \exp(-net) (1 + e^{-net})^{-2}"),
    ("delta2[1]", "(y - d)y(1 - y)"),
])
def test_students_spellings_are_read(lecture_net, address, text):
    network, derivation = lecture_net
    r = check_formula(network, derivation, address, text)
    assert r.verdict == "equivalent", (text, r.verdict, r.reason, r.point)


TANH_SOFTMAX = """
[network]
inputs = 3
loss = "cross-entropy"
[[network.layers]]
units = 3
activation = "tanh"
bias = true
[[network.layers]]
units = 2
activation = "softmax"
bias = true
[weights]
W1 = [[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1], [0.6, 0.2, -0.4]]
b1 = [0.1, -0.1, 0.0]
W2 = [[0.3, -0.2, 0.5], [-0.4, 0.2, 0.1]]
b2 = [0.05, -0.05]
[example]
input = [1.0, 0.5, -0.5]
target = [0, 1]
learning_rate = 0.5
"""


@pytest.fixture(scope="module")
def tanh_net():
    network = symprop.loads(TANH_SOFTMAX)
    return network, exact_side(network)[0]


@pytest.mark.parametrize("address, text", [
    ("delta1[1]", r"(1 - h_1^2) \sum_k w_{k,1}^{(2)} (y_k - d_k)"),
    ("delta1[1]", r"(1 - tanh^2(net_1^{(1)})) \sum_k w_{k,1}^{(2)} (y_k - d_k)"),
    ("delta1[1]", r"(1 - \tanh^2(net_1^{(1)})) \sum_k w_{k,1}^{(2)} \delta_k^{(2)}"),
    ("delta1[1]", r"f'(net_1^{(1)}) \sum_k w_{k,1}^{(2)} (y_k - d_k)"),
    ("delta2[1]", "y_1 - d_1"),
])
def test_tanh_softmax_forms(tanh_net, address, text):
    network, derivation = tanh_net
    r = check_formula(network, derivation, address, text)
    assert r.verdict == "equivalent", (text, r.verdict, r.reason, r.point)


@pytest.mark.parametrize("address, text, mistake", [
    # the four wrong formulas: sigmoid-style output δ, h(1 − h) for tanh, the sum over
    # k missing, a stray x in a bias gradient
    ("delta2[1]", "(y - d) y (1 - y)", "extra-activation-derivative"),
    ("delta1[1]", r"h_1 (1 - h_1) \sum_k w_{k,1}^{(2)} (y_k - d_k)",
     "wrong-activation-derivative"),
    ("delta1[1]", r"(1 - h_1^2) w_{1,1}^{(2)} (y_1 - d_1)", "missing-sum"),
    ("dE/db1[1]", r"\delta_1^{(1)} x_2", "bias-gradient-times-input"),
    ("delta2[2]", "-d/y", "missing-activation-derivative"),
])
def test_wrong_formulas_name_the_mistake(tanh_net, address, text, mistake):
    network, derivation = tanh_net
    r = check_formula(network, derivation, address, text)
    assert r.verdict == "different" and r.mistake == mistake, (text, r.mistake, r.mistake_detail)


def test_one_unreadable_or_too_large_formula_does_not_stop_the_others():
    import time
    nested = "((((((9)^12)^12)^12)^12)^12)^12"
    text = LECTURE + ('\n[formulas]\n"dE/dw2[1,1]" = "(y - d) y (1 - y) h1 $"\n'
                      f'"dE/dw2[1,2]" = "{nested}"\n'
                      '"dE/dw1[1,1]" = "((y+t+h1+h2+x1+x2+y+t)^12)^12"\n'
                      '"dE/dw1[1,2]" = "(y+t+h1+h2)^12*(y+t+h1+h2)^12*(y+t+h1+h2)^12"\n'
                      '"delta2[1]" = "(y - d) y (1 - y)"\n')
    start = time.monotonic()
    result = check(symprop.loads(text))
    assert time.monotonic() - start < 30
    verdicts = [f.verdict for f in result.formulas]
    assert verdicts == ["unreadable", "too-large", "too-large", "too-large", "equivalent"]
    where = "(y - d) y (1 - y) h1 $".index("$") + 1
    assert f"position {where}" in result.formulas[0].reason
    assert result.summary["formulas_too_large"] == 3 and result.exit_code == 1


def test_a_weight_without_a_layer_is_ambiguous_when_the_readings_differ(lecture_net):
    network, derivation = lecture_net
    r = check_formula(network, derivation, "dE/dw1[1,1]",
                      "(y - t) y (1 - y) w_{11} h_1 (1 - h_1) x_1")
    assert r.verdict == "ambiguous"
    assert "w_{1,1}^{(1)}" in r.reason and "w_{1,1}^{(2)}" in r.reason
    # written with its layer it is one formula, and right
    r = check_formula(network, derivation, "dE/dw1[1,1]",
                      "(y - t) y (1 - y) w_{11}^{(2)} h_1 (1 - h_1) x_1")
    assert r.verdict == "equivalent"
    # every reading wrong: different, with the readings said
    r = check_formula(network, derivation, "dE/dw2[1,1]", "(y - t) y (1 - y) w_{11}")
    assert r.verdict == "different" and "every reading" in r.notes[0]


def test_the_clock_stops_work_the_estimate_cannot_see():
    import time

    from symprop.check.budget import TooLarge, deadline
    start = time.monotonic()
    with pytest.raises(TooLarge, match="longer than 0.2 s"), deadline(0.2):
        while True:
            sum(range(1000))
    assert time.monotonic() - start < 5


def test_a_layer_decided_by_which_indices_exist_is_said():
    network = symprop.loads(TANH_SOFTMAX)
    derivation = exact_side(network)[0]
    # w_{3,1}: layer 2 has 2 units, so only w^{(1)} has a unit 3
    r = check_formula(network, derivation, "delta1[3]",
                      r"(1 - h_3^2) \sum_k w_{k,3}^{(2)} (y_k - d_k) + 0 w_{31}")
    assert r.verdict == "equivalent"
    assert any("w_{3,1} has no layer: read as w_{3,1}^{(1)}" in n for n in r.notes), r.notes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list("yhdxwbt0123456789+-*/^()_{},. σδη'·×e") +
                                [r"\sigma", r"\frac", r"\sum_k", "tanh", "net", "^{(1)}", "^+",
                                 "**", "12", "^12"]), max_size=30).map("".join))
def test_any_text_gets_a_verdict_quickly(lecture_net, text):
    import time
    network, derivation = lecture_net
    start = time.monotonic()
    r = check_formula(network, derivation, "dE/dw2[1,1]", text)
    assert r.verdict in ("equivalent", "different", "unreadable", "ambiguous", "too-large")
    assert time.monotonic() - start < 15
