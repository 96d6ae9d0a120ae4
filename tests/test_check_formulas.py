"""Formulas a student derived: read safely (never executed), compared with the derivation."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest
import sympy as sp

import symprop
from symprop import SpecError
from symprop.check.formulas import check_formula
from symprop.check.judge import check, exact_side
from symprop.derive import symbols as S
from symprop.formula.syntax import FormulaError, parse, tokenize

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LECTURE = (EXAMPLES / "lecture_221.toml").read_text()


@pytest.fixture(scope="module")
def lecture_net():
    network = symprop.loads(LECTURE)
    derivation, _, _ = exact_side(network)
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
