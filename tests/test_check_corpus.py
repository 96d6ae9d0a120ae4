"""The checker against a careful marker: a corpus of student sheets made by a simulated student.

`student_sim` (independent of symprop, mpmath at 50 digits) fills in one backpropagation step
on three networks — sigmoid/SSE without biases, tanh + softmax/cross-entropy with biases, ReLU
with biases — writing every quantity at 4 decimal places: carrying the unrounded values, the
written ones, after an arithmetic slip, and with each usual mistake of the rule table made once
and carried forward. For every claim the simulator records the marker's verdict (and the
mistake for a wrong one); the checker must give the same verdict and name the same mistake.
"""

from __future__ import annotations

from decimal import Decimal

import mpmath as mp
import pytest
from student_sim import Net, _exact, simulate

import symprop
from symprop.addresses import parse as parse_address
from symprop.check.display import render
from symprop.check.exact import exact_side
from symprop.check.judge import check
from symprop.check.replay import Replay

NETS = {
    "sigmoid-sse": Net(
        "sigmoid-sse", [2, 2, 1], ["sigmoid", "sigmoid"], [False, False], "sse",
        [[["0.1", "0.8"], ["0.4", "0.6"]], [["0.3", "0.9"]]], [[], []],
        ["0.35", "0.9"], ["0.5"], "0.5"),
    "tanh-softmax-ce": Net(
        "tanh-softmax-ce", [3, 3, 2], ["tanh", "softmax"], [True, True], "cross-entropy",
        [[["0.2", "-0.1", "0.4"], ["-0.3", "0.5", "0.1"], ["0.6", "0.2", "-0.4"]],
         [["0.3", "-0.2", "0.5"], ["-0.4", "0.2", "0.1"]]],
        [["0.1", "-0.1", "0.0"], ["0.05", "-0.05"]], ["1.0", "0.5", "-0.5"], ["0", "1"], "0.5"),
    "relu-sse": Net(
        "relu-sse", [2, 3, 1], ["relu", "sigmoid"], [True, True], "sse",
        [[["0.5", "-0.4"], ["0.3", "0.8"], ["-0.6", "0.2"]], [["0.7", "-0.5", "0.4"]]],
        [["0.1", "0.0", "-0.2"], ["0.1"]], ["0.6", "0.4"], ["1"], "0.5"),
}
MISTAKES = ("missing-activation-derivative", "wrong-activation-derivative", "derivative-of-net",
            "extra-activation-derivative", "loss-factor", "flipped-update-sign",
            "learning-rate", "bias-not-updated", "missing-sum", "updated-weights-in-backprop")
# (mistake, carry, slip): fully correct carrying the calculator's digits, rounding at every
# step, an early slip carried forward, then each mistake alone, carried forward
SHEETS = [(None, True, None), (None, False, None), (None, True, "net1[1]"),
          *((m, True, None) for m in MISTAKES)]


def _sheet_text(net: Net, claims: dict[str, str]) -> str:
    return net.toml() + "[claims]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in claims.items())


@pytest.mark.parametrize("name", sorted(NETS))
def test_checker_marks_every_sheet_like_a_careful_marker(name):
    net = NETS[name]
    sheets = claims = wrong = 0
    for mistake, carry, slip in SHEETS:
        sheet = simulate(net, mistake, carry=carry, slip=slip)
        if mistake is not None and not any(v == "wrong" for v, _ in sheet.expected.values()):
            continue        # the mistake does not show in this network (no bias, one unit …)
        network = symprop.loads(_sheet_text(net, sheet.claims))
        result = check(network)
        sheets += 1
        for r in result.claims:
            want, want_mistake = sheet.expected[r.claim.name]
            where = (name, mistake, carry, slip, r.claim.name, r.claim.text)
            assert r.verdict == want, (*where, r.verdict, render(r.explanation, network))
            if want == "wrong" and want_mistake is not None:
                assert want_mistake == r.mistake or want_mistake in r.also, (
                    *where, r.mistake, r.also)
            if want == "wrong" and want_mistake is None:       # the slip: no mistake invented
                assert r.mistake is None, (*where, r.mistake)
            if carry and want == "consistent":
                # correct roundings of the student's own chain are never "truncated"
                assert "truncated" not in render(r.explanation, network), where
            claims += 1
            wrong += want == "wrong"
    # every mistake that can show in this network was made (the counts are in the README)
    assert sheets >= 9 and claims >= 9 * 22 and wrong > 0


@pytest.mark.parametrize("name", sorted(NETS))
def test_exact_values_agree_with_the_independent_student(name):
    net = NETS[name]
    network = symprop.loads(net.toml())
    _, plan = exact_side(network)
    base = Replay(plan).run()
    W = [[[mp.mpf(v) for v in row] for row in layer] for layer in net.W]
    B = [[mp.mpf(v) for v in layer] for layer in net.b]
    exact = _exact(net, W, B, [mp.mpf(v) for v in net.x], [mp.mpf(v) for v in net.d],
                   mp.mpf(net.eta))
    for key, value in exact.items():
        addr = network.address(key)
        assert abs(base.raw[addr] - Decimal(mp.nstr(value, 45))) < Decimal("1e-40"), key


def test_carried_digits_name_the_digits_and_do_not_say_truncated():
    # the case: a slip in net₂⁽²⁾, then y₂ from it written at 4 places and
    # E = −ln y₂ computed from the unrounded y₂ (4 places from the written y₂ differ)
    net = NETS["tanh-softmax-ce"]
    n1, n2 = mp.mpf("0.4626"), mp.mpf("-0.0578")
    y2 = mp.exp(n2) / (mp.exp(n1) + mp.exp(n2))
    E = -mp.log(y2)
    claims = {"net2[1]": "0.4626", "net2[2]": "-0.0578", "y[2]": mp.nstr(y2, 4),
              "E": mp.nstr(E, 4)}
    assert mp.nstr(-mp.log(mp.mpf(claims["y[2]"])), 4) != claims["E"]    # the case at hand
    network = symprop.loads(_sheet_text(net, claims))
    by = {r.claim.name: r for r in check(network).claims}
    assert by["net2[2]"].verdict == "wrong"
    assert by["y[2]"].verdict == "consistent" and by["E"].verdict == "consistent"
    text = render(by["E"].explanation, network)
    assert "digits you carried" in text and "written " + claims["y[2]"] in text
    assert mp.nstr(y2, 8) in text and "truncated" not in text


def test_a_value_beyond_the_written_intervals_stays_wrong():
    net = NETS["tanh-softmax-ce"]
    claims = {"net2[1]": "0.4626", "net2[2]": "-0.0578", "y[2]": "0.3728", "E": "0.9881"}
    network = symprop.loads(_sheet_text(net, claims))
    by = {r.claim.name: r for r in check(network).claims}
    # −ln y over y ∈ [0.37275, 0.37285] is 0.98666 … 0.98693: 0.9881 is not reachable
    assert by["E"].verdict == "wrong"


def test_label_with_a_trailing_plus_is_the_updated_weight():
    net = NETS["sigmoid-sse"]
    text = net.toml() + '[labels]\nw1 = "w2[1,1]"\nv = "out1[1]"\n'
    network = symprop.loads(text + '[claims]\n"w1+" = "0.3000"\n')
    (r,) = check(network).claims
    assert r.claim.address == parse_address("w2[1,1]+") and r.verdict == "wrong"
    with pytest.raises(symprop.SpecError, match="no updated value"):
        check(symprop.loads(text + '[claims]\n"v+" = "0.5"\n'))
