"""Rosenblatt's rule: converges on AND and OR, proven to cycle on XOR."""

from __future__ import annotations

import pytest
import sympy as sp

from symprop import Dense, Network, SpecError
from symprop.derive.perceptron import RULE, mcculloch_pitts, train, unit_output

X = [[0, 0], [0, 1], [1, 0], [1, 1]]
TABLES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


def _net(activation="step"):
    return Network(inputs=2, layers=[Dense(1, activation, bias=True)], loss="zero-one")


@pytest.mark.parametrize("name", ["and", "or"])
def test_converges_on_linearly_separable_tables(name):
    run = train(_net(), X, [[t] for t in TABLES[name]])
    assert run.converged and run.errors[-1] == 0
    for x, t in zip(X, TABLES[name], strict=True):
        net = sum(w * xi for w, xi in zip(run.weights[0], x, strict=True)) + run.bias[0]
        assert unit_output("step", net) == t


def test_xor_is_reported_as_not_converging():
    run = train(_net(), X, [[t] for t in TABLES["xor"]])
    assert not run.converged
    assert run.cycle_from is not None
    assert "not linearly separable" in run.statement
    assert all(e > 0 for e in run.errors)


def test_sign_units_with_minus_one_targets():
    run = train(_net("sign"), X, [[2 * t - 1] for t in TABLES["and"]], learning_rate=0.5)
    assert run.converged


def test_targets_must_be_unit_outputs():
    with pytest.raises(SpecError, match="targets in"):
        train(_net("sign"), X, [[t] for t in TABLES["and"]])


def test_rule_is_shown_as_a_rule_not_a_gradient():
    eta, y, yhat = sp.symbols("eta y yhat", real=True)
    assert RULE["b"] - sp.Symbol("b", real=True) == eta * (y - yhat)


def test_mcculloch_pitts_unit():
    assert mcculloch_pitts([1, 1], 2, [1, 1]) == 1
    assert mcculloch_pitts([1, 1], 2, [1, 0]) == 0
