"""Checking hand calculations: correct / consistent / wrong, rounding, and the mistake table.

Every wrong value below is computed in the test itself from the lecture's hand formulas, with
the mistake made on purpose; the checker has to name that mistake.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest
import sympy as sp

import symprop
from symprop import SpecError
from symprop.addresses import Address
from symprop.check.claims import parse_value
from symprop.check.display import render
from symprop.check.judge import check, exact_side
from symprop.check.mistakes import MISTAKES
from symprop.check.numeric import Rounding, to_decimal
from symprop.check.replay import Replay
from symprop.derive.example import WorkedExample

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

LECTURE = (EXAMPLES / "lecture_221.toml").read_text()

# a 2-2-1 sigmoid network with biases and η = 0.5: for the bias and learning-rate mistakes
BIASED = """
[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "sigmoid"
bias = true
[[network.layers]]
units = 1
activation = "sigmoid"
bias = true
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
b1 = [0.1, -0.2]
W2 = [[0.3, 0.9]]
b2 = [0.25]
[example]
input = [0.35, 0.9]
target = [0.5]
learning_rate = 0.5
"""


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# the lecture's example by hand, in floats
X1, X2, D = 0.35, 0.9, 0.5
NET1 = 0.1 * X1 + 0.8 * X2
NET2 = 0.4 * X1 + 0.6 * X2
H1, H2 = sigma(NET1), sigma(NET2)
NET = 0.3 * H1 + 0.9 * H2
Y = sigma(NET)
DELTA = (Y - D) * Y * (1 - Y)


def claims_for(spec: str, claims: dict[str, str]) -> symprop.Network:
    body = "\n".join(f'"{k}" = "{v}"' for k, v in claims.items())
    return symprop.loads(f"{spec}\n[claims]\n{body}\n")


def result_for(spec: str, claims: dict[str, str]):
    network = claims_for(spec, claims)
    result = check(network)
    return network, {r.claim.name: r for r in result.claims}, result


# -- the lecture's slide -----------------------------------------------------------------------
def test_lecture_slide_is_correct_or_consistent():
    network = symprop.load(EXAMPLES / "check_lecture_slide.toml")
    result = check(network)
    by = {r.claim.name: r for r in result.claims}
    assert {n: r.verdict for n, r in by.items()} == {
        "out1[1]": "correct", "out1[2]": "correct", "y[1]": "correct",
        "net2[1]": "consistent", "w1": "consistent", "w2": "consistent"}
    assert result.exit_code == 0
    # net2 comes from the rounded h's: 0.3 × 0.68 + 0.9 × 0.6637
    net2 = render(by["net2[1]"].explanation, network)
    assert "0.3 × 0.68 + 0.9 × 0.6637 = 0.80133" in net2
    # w1⁺, w2⁺: δ was rounded to 0.0406 before multiplying
    for name, worked in (("w1", "0.3 − 0.0406 × 0.68 = 0.272392"),
                         ("w2", "0.9 − 0.0406 × 0.6637 = 0.87305378")):
        r = by[name]
        text = render(r.explanation, network)
        assert "rounded to 0.0406" in text and worked in text
        (addr, rule, before, after), = r.roundings
        assert addr == Address("delta", 2, (1,)) and after == Decimal("0.0406")
        assert rule == Rounding("dp", 4)
        assert before == Decimal("0.040641")        # (0.69 − 0.5) × 0.69 × (1 − 0.69)
    # the exact values are shown: w2[1,1]+ = 0.27232596…
    assert str(by["w1"].exact).startswith("0.27232596")
    assert by["w1"].expected_from_your_values == Decimal("0.27236412")
    assert by["w1"].claim.address == Address("w", 2, (1, 1), after=True)


def test_exact_values_come_from_the_worked_example(lecture):
    derivation, example, plan = exact_side(lecture)
    assert isinstance(example, WorkedExample)
    replay = Replay(plan).run()
    assert set(replay.values) == set(example.values)     # the same quantities
    for addr, value in example.values.items():
        assert abs(replay.values[addr] - to_decimal(value)) < Decimal("1e-40"), addr


# -- precision ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value, tolerance", [
    ("0.68", "0.68", "0.005"), ("0.6637", "0.6637", "0.00005"),
    ("4.06e-2", "0.0406", "0.00005"), ("1200", "1200", "50"), ("1200.", "1200", "0.5"),
    ("-0.5", "-0.5", "0.05"), (".5", "0.5", "0.05"),
])
def test_written_precision(text, value, tolerance):
    v, _, tol, _, _ = parse_value(text)
    assert v == Decimal(value) and tol == Decimal(tolerance)


def test_half_unit_rule_includes_both_ends():
    network, by, _ = result_for(LECTURE, {"out1[1]": "0.6803", "out1[2]": "0.66374",
                                          "y[1]": "0.6903", "net1[1]": "0.76"})
    assert by["out1[1]"].verdict == "correct"          # 0.680267 → 0.6803
    assert by["out1[2]"].verdict == "correct"          # 0.6637387 → 0.66374
    assert by["net1[1]"].verdict == "correct"          # 0.755 is a tie: 0.75 or 0.76 both fine


def test_truncated_last_digit_is_consistent():
    network, by, _ = result_for(LECTURE, {"E": "0.0181", "out1[1]": "0.6802"})
    assert by["E"].verdict == "correct"                 # 0.018104 → 0.0181
    assert by["out1[1]"].verdict == "consistent"        # 0.680267 cut to 0.6802
    assert "truncated" in render(by["out1[1]"].explanation, network)


# -- consistent: error carried forward ----------------------------------------------------------
def test_error_carried_forward():
    # net1[1] from W1 read the wrong way round; out1[1] then follows from the wrong net
    wrong_net = 0.1 * X1 + 0.4 * X2
    network, by, result = result_for(LECTURE, {"net1[1]": f"{wrong_net:.4f}",
                                               "out1[1]": f"{sigma(wrong_net):.4f}"})
    assert by["net1[1]"].verdict == "wrong"
    assert by["net1[1]"].mistake == "transposed-weights"
    assert by["out1[1]"].verdict == "consistent"
    assert by["out1[1]"].mistake is None
    text = render(by["out1[1]"].explanation, network)
    assert "σ(0.3950)" in text and "Error carried forward" in text
    assert result.exit_code == 1


def test_rounding_search_without_intermediates():
    # only the final number, computed with h, y at 2 places and δ at 4 (as the slide does)
    network, by, _ = result_for(LECTURE, {"w1": "0.272392"})
    r = by["w1"]
    assert r.verdict == "consistent"
    rounded = {addr: after for addr, _, _, after in r.roundings}
    assert rounded[Address("delta", 2, (1,))] == Decimal("0.0406")


# -- wrong, with each mistake made on purpose ------------------------------------------------------
HAND_MISTAKES = {
    # w1⁺ = w − η δ h with the sign flipped: 0.3 + 0.0406811… × 0.68027…
    "flipped-update-sign": {"w1": 0.3 + DELTA * H1},
    # δ without f′ = y(1 − y)
    "missing-activation-derivative": {"w1": 0.3 - (Y - D) * H1},
    # f′ evaluated at net: net(1 − net) instead of y(1 − y)
    "derivative-of-net": {"w1": 0.3 - (Y - D) * NET * (1 - NET) * H1},
    # E = Σ(y − d)² without the ½: δ doubled
    "loss-factor": {"delta2[1]": 2 * DELTA},
    # hidden δ with the already-updated w1⁺ = 0.3 − δ h1
    "updated-weights-in-backprop": {"w3": 0.1 - H1 * (1 - H1) * (0.3 - DELTA * H1) * DELTA * X1},
    # W1 read the wrong way round: w_{1,2} taken as w_{2,1} = 0.4
    "transposed-weights": {"net1[1]": 0.1 * X1 + 0.4 * X2},
}


@pytest.mark.parametrize("mistake", sorted(HAND_MISTAKES))
def test_each_mistake_is_named(mistake):
    claims = {k: f"{v:.6f}" for k, v in HAND_MISTAKES[mistake].items()}
    network, by, result = result_for(LECTURE, claims)
    (r,) = by.values()
    assert r.verdict == "wrong", render(r.explanation, network)
    assert r.mistake == mistake, render(r.explanation, network)
    assert "Likely mistake" in render(r.explanation, network)
    assert result.exit_code == 1


def test_where_the_chain_departs():
    w3 = HAND_MISTAKES["updated-weights-in-backprop"]["w3"]
    _, by, _ = result_for(LECTURE, {"w3": f"{w3:.6f}"})
    assert by["w3"].departs_at == Address("delta", 1, (1,))
    _, by, _ = result_for(LECTURE, {"delta2[1]": f"{2 * DELTA:.6f}"})
    assert by["delta2[1]"].departs_at == Address("delta", 2, (1,))


def test_mistake_with_rounded_values():
    # the slide's student, with the update sign flipped: 0.3 + 0.0406 × 0.68
    network, by, _ = result_for(LECTURE, {"out1[1]": "0.68", "y[1]": "0.69", "w1": "0.327608"})
    r = by["w1"]
    assert (r.verdict, r.mistake) == ("wrong", "flipped-update-sign")
    assert "rounded to 0.0406" in render(r.explanation, network)
    assert r.departs_at == Address("w", 2, (1, 1), after=True)


def _biased_by_hand():
    eta, b1, b2 = 0.5, (0.1, -0.2), 0.25
    n1, n2 = 0.1 * X1 + 0.8 * X2 + b1[0], 0.4 * X1 + 0.6 * X2 + b1[1]
    h1, h2 = sigma(n1), sigma(n2)
    y = sigma(0.3 * h1 + 0.9 * h2 + b2)
    d2 = (y - D) * y * (1 - y)
    d1 = (h1 * (1 - h1) * 0.3 * d2, h2 * (1 - h2) * 0.9 * d2)
    w1 = [[0.1 - eta * d1[0] * X1, 0.8 - eta * d1[0] * X2],
          [0.4 - eta * d1[1] * X1, 0.6 - eta * d1[1] * X2]]
    w2 = [0.3 - eta * d2 * h1, 0.9 - eta * d2 * h2]
    return dict(eta=eta, b1=b1, b2=b2, h1=h1, h2=h2, d2=d2, d1=d1, w1=w1, w2=w2)


def test_bias_not_updated():
    v = _biased_by_hand()
    w1, w2, b1, b2 = v["w1"], v["w2"], v["b1"], v["b2"]
    # the further forward pass with updated weights but the old biases
    h1 = sigma(w1[0][0] * X1 + w1[0][1] * X2 + b1[0])
    h2 = sigma(w1[1][0] * X1 + w1[1][1] * X2 + b1[1])
    y_after = sigma(w2[0] * h1 + w2[1] * h2 + b2)
    network, by, _ = result_for(BIASED, {"b2[1]+": f"{b2:.4f}", "y[1]+": f"{y_after:.6f}"})
    for name in ("b2[1]+", "y[1]+"):
        assert (by[name].verdict, by[name].mistake) == ("wrong", "bias-not-updated"), \
            render(by[name].explanation, network)
    # and the right update is correct
    _, by, _ = result_for(BIASED, {"b2[1]+": f"{b2 - v['eta'] * v['d2']:.6f}"})
    assert by["b2[1]+"].verdict == "correct"


def test_learning_rate_ignored():
    v = _biased_by_hand()
    w = 0.3 - 1.0 * v["d2"] * v["h1"]          # η = 0.5 left out
    network, by, _ = result_for(BIASED, {"w2[1,1]+": f"{w:.6f}"})
    r = by["w2[1,1]+"]
    assert (r.verdict, r.mistake) == ("wrong", "learning-rate"), render(r.explanation, network)
    assert "η left out" in r.mistake_detail


def test_wrong_without_a_known_mistake():
    network, by, _ = result_for(LECTURE, {"y[1]": "0.75", "E": "0.5"})
    for name in ("y[1]", "E"):
        r = by[name]
        assert r.verdict == "wrong" and r.mistake is None
    # y is the first wrong value above E: the chain departs there
    assert by["E"].departs_at == Address("out", 2, (1,))
    assert by["y[1]"].departs_at == Address("out", 2, (1,))
    text = render(by["y[1]"].explanation, network)
    assert "expected 0.69028" in text and "σ(0.801445)" in text


def test_mistake_table_keeps_the_contract_ids():
    ids = [v.id for v in MISTAKES]
    # the ids of CONTRACTS.md stay; new rows are additions
    assert set(ids) >= {
        "updated-weights-in-backprop", "missing-activation-derivative", "derivative-of-net",
        "flipped-update-sign", "loss-factor", "learning-rate", "transposed-weights",
        "bias-not-updated"}
    assert len(ids) == len(set(ids))
    assert all(v.description and v.step for v in MISTAKES)


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("claims, key, words", [
    ({"nope": "0.5"}, "claims.nope", "unknown address or label"),
    ({"y[1]": "zero point five"}, "claims.y[1]", "not a number"),
    ({"w2[1,1]+": "0.27", "w1": "0.27"}, "claims.w1", "claimed twice"),
    ({"delta2[1]+": "0.1"}, "claims.delta2[1]+", "not a quantity of the worked example"),
    ({"out1[3]": "0.1"}, "claims.out1[3]", "unknown address or label"),
])
def test_bad_claims_name_file_and_key(claims, key, words):
    network = claims_for(LECTURE, claims)
    with pytest.raises(SpecError) as info:
        check(network)
    assert info.value.key == key and info.value.file == "<string>"
    assert words in str(info.value)


def test_nothing_to_check():
    with pytest.raises(SpecError, match="nothing to check"):
        check(symprop.loads(LECTURE))


def test_exact_expression_is_kept(lecture):
    network, by, _ = result_for(LECTURE, {"net1[1]": "0.755"})
    assert by["net1[1]"].exact_expr == sp.Rational(151, 200)


LINEAR_222 = """
[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "linear"
bias = false
[[network.layers]]
units = 2
activation = "linear"
bias = false
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
W2 = [[0.3, 0.9], [0.5, 0.2]]
[example]
input = [0.35, 0.9]
target = [0.5, 0.1]
learning_rate = 1
"""


def test_transposed_weights_in_the_backward_sum():
    W1, W2, x, d = [[0.1, 0.8], [0.4, 0.6]], [[0.3, 0.9], [0.5, 0.2]], [0.35, 0.9], [0.5, 0.1]
    h = [W1[k][0] * x[0] + W1[k][1] * x[1] for k in range(2)]
    y = [W2[k][0] * h[0] + W2[k][1] * h[1] for k in range(2)]
    delta2 = [y[k] - d[k] for k in range(2)]                 # linear: f′ = 1
    # δ_1^(1) = Σ_k w_{k,1} δ_k, written with w_{1,k}: 0.3 δ_1 + 0.9 δ_2
    delta1 = W2[0][0] * delta2[0] + W2[0][1] * delta2[1]
    network, by, _ = result_for(LINEAR_222, {"delta1[1]": f"{delta1:.6f}"})
    r = by["delta1[1]"]
    assert (r.verdict, r.mistake) == ("wrong", "transposed-weights"), \
        render(r.explanation, network)
    assert "backward sum" in r.mistake_detail


def test_decimal_replay_evaluates_any_sympy_function():
    """A rule-table row may use a function with no Decimal form of its own (atan, erf)."""
    from decimal import Decimal

    from symprop.check.numeric import compile_expr

    x = sp.Symbol("x")
    for expr in (sp.atan(x) + x**2, sp.erf(x) * sp.exp(x), sp.Piecewise((1, x >= 0), (0, True))):
        got = compile_expr(expr)(lambda key: Decimal("0.3"))
        want = sp.N(expr.subs(x, sp.Rational(3, 10)), 50)
        assert abs(got - Decimal(str(want))) < Decimal("1e-45"), expr
