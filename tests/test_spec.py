"""The network description: TOML and Python API build the same network; bad input is named."""

from __future__ import annotations

import pytest
import sympy as sp

import symprop
from symprop import Dense, Network, SpecError
from symprop.addresses import Address, parse

GOOD = """
[network]
inputs = ["A", "B"]
loss = "sse"
[[network.layers]]
units = 2
activation = "sigmoid"
bias = false
[[network.layers]]
units = 1
activation = "sigmoid"
bias = false
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
W2 = [[0.3, 0.9]]
[example]
input = [0.35, 0.9]
target = [0.5]
learning_rate = 1
[labels]
w1 = "w2[1,1]"
"""


def test_toml_and_api_build_the_same_network(lecture):
    api = Network(inputs=["A", "B"], layers=[Dense(2, "sigmoid", bias=False),
                                             Dense(1, "sigmoid", bias=False)], loss="sse")
    assert lecture.sizes == api.sizes == (2, 2, 1)
    assert lecture.layers == api.layers
    assert lecture.input_names == ("A", "B")
    assert lecture.param_shapes() == {"W1": (2, 2), "W2": (1, 2)}


def test_weights_are_exact_rationals(lecture):
    assert lecture.weights["W1"][0] == (sp.Rational(1, 10), sp.Rational(4, 5))
    assert lecture.example.input == (sp.Rational(7, 20), sp.Rational(9, 10))


@pytest.mark.parametrize("text, kind, layer, index, after", [
    ("x[1]", "x", None, (1,), False), ("net2[1]", "net", 2, (1,), False),
    ("h1[2]", "out", 1, (2,), False), ("y[1]+", "out", 2, (1,), True),
    ("dE/dw2[1,2]", "dE/dw", 2, (1, 2), False), ("delta1[2]", "delta", 1, (2,), False),
    ("E+", "E", None, (), True), ("w1[2,1]+", "w", 1, (2, 1), True),
])
def test_addresses(text, kind, layer, index, after):
    assert parse(text, n_layers=2) == Address(kind, layer, index, after)


def test_labels_resolve(lecture):
    assert str(lecture.address("w1")) == "w2[1,1]+"
    assert str(lecture.address("y[1]")) == "out2[1]"


BAD = [
    ('activation = "sigmoid"', 'activation = "sigmoidd"',
     "network.layers[1].activation", "one of"),
    ("W2 = [[0.3, 0.9]]", "W2 = [[0.3, 0.9, 1.0]]", "weights.W2", "1 rows of 2 numbers"),
    ('w1 = "w2[1,1]"', 'w1 = "w3[1,1]"', "labels.w1", "points nowhere"),
    ("W1 = [[0.1, 0.8]", 'W1 = [["abc", 0.8]', "weights.W1[1][1]", "a number"),
    ('loss = "sse"', 'loss = "hinge"', "network.loss", "one of"),
    ("units = 1", "units = 0", "network.layers[2].units", "positive integer"),
]


@pytest.mark.parametrize("old, new, key, expected", BAD)
def test_bad_specs_name_file_key_and_expectation(tmp_path, old, new, key, expected):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        symprop.load(path)
    message = str(info.value)
    assert str(path) in message and key in message and expected in message


def test_malformed_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[network\ninputs = 2")
    with pytest.raises(SpecError, match="broken.toml.*not valid TOML"):
        symprop.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="cannot read"):
        symprop.load(tmp_path / "nope.toml")


def test_softmax_only_last():
    with pytest.raises(SpecError, match="softmax only as the last layer"):
        Network(inputs=2, layers=[Dense(3, "softmax"), Dense(1, "sigmoid")])


def test_api_rejects_unknown_activation():
    with pytest.raises(SpecError, match="unknown activation"):
        Dense(2, "no-such-activation")   # (a row named swish may be registered by now)
