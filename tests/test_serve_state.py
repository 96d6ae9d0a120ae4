"""The page's state in pure Python: URL settings, the network they build, the spec TOML."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symprop
from symprop.errors import SpecError
from symprop.serve import state

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_spec_toml_reads_back_to_the_same_network(example):
    net = symprop.load(example)
    again = symprop.loads(state.spec_toml(net))
    for field in ("inputs", "layers", "loss", "weights", "example", "labels", "claims",
                  "formulas", "notation", "relu_at_zero"):
        assert getattr(again, field) == getattr(net, field), field


@given(st.lists(st.fractions(min_value=-10, max_value=10, max_denominator=10**6), min_size=1,
                max_size=4))
@settings(max_examples=40, deadline=None)
def test_any_exact_weight_survives_the_toml(values):
    row = ", ".join(f'"{v.numerator}/{v.denominator}"' for v in values)
    text = (f"[network]\ninputs = {len(values)}\n[[network.layers]]\nunits = 1\n"
            f"bias = false\n[weights]\nW1 = [[{row}]]\n")
    net = symprop.loads(text)
    again = symprop.loads(state.spec_toml(net))
    assert [Fraction(str(v)) for v in again.weights["W1"][0]] == values


def test_the_url_holds_the_whole_builder_state():
    s = state.settings_from_query({"inputs": "3", "layers": "4:relu:1,2:softmax:0",
                                   "loss": "cross-entropy", "seed": "7", "dataset": "spiral",
                                   "noise": "0,1", "lr": "0.05", "batch": "16"})
    assert s.noise == 0.1                                # decimal comma
    assert state.settings_from_query(s.query()) == s
    net = state.network_from_settings(s)
    assert net.sizes == (3, 4, 2) and net.layers[0].bias and not net.layers[1].bias
    assert state.network_from_settings(s).weights == net.weights     # the seed decides
    other = state.network_from_settings(state.settings_from_query({**s.query(), "seed": "8"}))
    assert other.weights != net.weights
    # every weight is a nonzero tenth, the target is one-hot for softmax + cross-entropy
    assert all(v != 0 and (v * 10).is_integer for row in net.weights["W1"] for v in row)
    assert [int(t) for t in net.example.target] == [1, 0]


@pytest.mark.parametrize("activation, loss", [("sigmoid", "log"), ("tanh", "sse"),
                                              ("linear", "mse"), ("softplus", "sse")])
def test_every_built_network_has_a_reachable_example_target(activation, loss):
    s = state.settings_from_query({"layers": f"2:tanh:1,2:{activation}:1", "loss": loss})
    net = state.network_from_settings(s)
    row = __import__("symprop.derive.rules", fromlist=["x"]).ACTIVATIONS[activation]
    lo, hi = row.output_range
    assert all(lo <= float(t) <= hi for t in net.example.target)


@pytest.mark.parametrize("query, key", [
    ({"inputs": "0"}, "inputs"), ({"inputs": "-1"}, "inputs"), ({"inputs": "7"}, "inputs"),
    ({"layers": ""}, "layers"), ({"layers": "1:relu:1," * 5}, "layers"),
    ({"layers": "2:step:1"}, "layers[1].activation"), ({"layers": "2:relu:yes"}, "layers[1].bias"),
    ({"layers": "2:relu:1:9"}, "layers[1]"), ({"loss": "zero-one"}, "loss"),
    ({"lr": "1e400"}, "lr"), ({"lr": "-1"}, "lr"), ({"noise": "0.9"}, "noise"),
    ({"seed": "3.5"}, "seed"), ({"batch": "0"}, "batch"), ({"dataset": "/etc/passwd"}, "dataset"),
])
def test_bad_url_settings_name_the_parameter(query, key):
    with pytest.raises(SpecError) as err:
        state.settings_from_query(query)
    assert str(err.value).startswith(key + ":")


@given(st.dictionaries(st.sampled_from(["inputs", "layers", "loss", "seed", "dataset", "noise",
                                        "lr", "batch"]), st.text(max_size=30), max_size=8))
@settings(max_examples=60, deadline=None)
def test_hostile_url_settings_give_a_settings_or_a_spec_error(query):
    try:
        s = state.settings_from_query(query)
    except SpecError:
        return
    state.network_from_settings(s)


@pytest.mark.parametrize("text, ok", [("0,68", "0.68"), (" -1.5e-3 ", "-1.5e-3"), (",5", ".5")])
def test_decimal_comma(text, ok):
    assert state.decimal_text(text, "x") == ok


@pytest.mark.parametrize("text", ["1/3", "0.6.8", "__import__('os')", "1e99999", "", "nan"])
def test_only_plain_numbers_are_read(text):
    with pytest.raises(SpecError):
        state.decimal_text(text, "x")
