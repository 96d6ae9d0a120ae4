"""Adding an activation is one row: a row added to the rule table at run time reaches the spec
reader, derive (and its proof), the LaTeX, check's mistakes, the kernels and training, with no
other file touched."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from oracles import central_differences

import symprop
from symprop.derive import derivatives, rules

SPEC = """
[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "softsign"
bias = true
[[network.layers]]
units = 1
activation = "linear"
bias = true
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
b1 = [0.1, -0.2]
W2 = [[0.3, 0.9]]
b2 = [0.05]
[example]
input = [0.35, 0.9]
target = [0.5]
learning_rate = 1
"""


@pytest.fixture
def softsign(monkeypatch):
    row = rules.Activation("softsign", lambda z: z / (1 + sp.Abs(z)), r"\mathrm{softsign}",
                           output_range=(-1.0, 1.0))
    monkeypatch.setitem(rules.ACTIVATIONS, "softsign", row)
    derivatives.output_derivative.cache_clear()
    yield row
    derivatives.output_derivative.cache_clear()


def test_one_row_reaches_every_stage(softsign, tmp_path, monkeypatch):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path))
    net = symprop.loads(SPEC)                      # the spec reader knows the name
    # derive: f' derived from the definition (in the output where SymPy proves one), and
    # every gradient checked against sympy.diff
    deriv = derivatives.output_derivative("softsign")
    z = derivatives.Z
    point = sp.Rational(-3, 7)
    assert sp.simplify(deriv.in_net.subs(z, point) - 1 / (1 + abs(point)) ** 2) == 0
    if deriv.in_output is not None:
        y_at = point / (1 + abs(point))
        assert sp.simplify(deriv.in_output.subs(derivatives.Y, y_at) -
                           1 / (1 + abs(point)) ** 2) == 0
    assert net.derive().verify().ok
    # LaTeX: the row's name in the lecture's notation
    from symprop.render.latex import derivation_latex
    from symprop.render.slides import render_deck

    assert r"\mathrm{softsign}" in render_deck(net)
    assert "delta" in derivation_latex(net.derive())
    # check: the row brings its mistakes (another activation's derivative used in its place)
    from symprop.check.mistakes import BY_ID

    details = [o.detail for o in BY_ID["wrong-activation-derivative"].options(net)]
    assert any("softsign" in d for d in details), details
    ex = net.worked_example()
    claims = {"h1[1]": f"{float(ex.value('h1[1]')):.6f}", "E": f"{float(ex.value('E')):.6f}"}
    verdicts = symprop.check.check(net.with_(claims=claims))
    assert {c.verdict for c in verdicts.claims} == {"correct"}
    # kernels and training: gradients against finite differences, and a loss that falls
    kernels = net.compile()
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    params = kernels.init_params(0)
    grads = kernels.gradients(params, X, Y)

    def loss(p):
        h = X @ p["W1"].T + p["b1"]
        h = h / (1 + np.abs(h))
        out = h @ p["W2"].T + p["b2"]
        return 0.5 * np.mean(np.sum((out - Y) ** 2, axis=1))

    numeric = central_differences(loss, params)
    for name, value in params.items():
        for idx in np.ndindex(*value.shape):
            assert grads[name][idx] == pytest.approx(numeric[name][idx], rel=1e-6, abs=1e-9)
    trained, history = kernels.train(params, X, Y, epochs=30, batch_size=4,
                                     learning_rate=0.1)
    assert history["loss"][-1] < history["loss"][0]
    assert loss(trained) == pytest.approx(kernels.loss(trained, X, Y), rel=1e-9)
