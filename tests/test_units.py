"""The SymPy-free unit table agrees with the rule table, and the cache-hit path needs no SymPy."""

import subprocess
import sys
import textwrap

import pytest
import sympy as sp

from symprop import units
from symprop.derive import rules


def test_traits_are_read_from_the_rule_rows():
    """units is a view of the rule table: a row added there is known here at once."""
    assert set(units.activation_names()) == set(rules.ACTIVATIONS)
    assert set(units.loss_names()) == set(rules.LOSSES)
    for name, row in rules.ACTIVATIONS.items():
        assert units.activation_traits(name) == units.Traits(
            row.differentiable, row.layerwise, row.outputs, row.output_range)
        # other tests register users' own rows: only the built-in ones are built in
        assert units.is_builtin_activation(name) == (name in rules.BUILTIN_ACTIVATION_ROWS)
    for name, row in rules.LOSSES.items():
        assert units.loss_traits(name) == units.LossTraits(
            row.differentiable, row.probabilistic, row.one_hot)


@pytest.mark.parametrize("name", sorted(rules.BUILTIN_ACTIVATION_ROWS))
def test_declared_output_ranges_are_the_definitions_range(name):
    """A row's output_range is the infimum and supremum of its definition (SymPy's limits at
    ±oo for the monotone built-in rows), so nothing downstream types them in again."""
    import sympy as sp

    from symprop.derive.derivatives import Z

    row = rules.ACTIVATIONS[name]
    if row.outputs is not None:       # a threshold unit takes exactly its two values
        assert row.output_range == tuple(float(v) for v in row.outputs)
        return
    ends = []
    for end in (-sp.oo, sp.oo):
        value = row.definition(sp.Symbol("z_end", real=True))
        if row.layerwise:      # a softmax output alone: exp(z)/(exp(z) + c), c > 0
            value = value / (value + 1)
        ends.append(sp.limit(value, sp.Symbol("z_end", real=True), end))
    low, high = (float(e) for e in ends)
    assert row.output_range == (low, high), (name, ends)
    assert Z.is_real


def test_a_cached_kernel_loads_without_sympy(tmp_path):
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import symprop
        net = symprop.Network(inputs=2, layers=[symprop.Dense(3, "tanh"),
                                                symprop.Dense(1, "sigmoid")], loss="sse")
        kernels = net.compile()
        params, _ = kernels.train(kernels.init_params(0), np.zeros((4, 2)), np.ones((4, 1)),
                                  epochs=1, batch_size=2)
        print("sympy" in sys.modules)
    """)
    env = {"SYMPROP_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True)
    assert first.stdout.split()[-1] == "True"        # generating the module derives it
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, check=True)
    assert second.stdout.split()[-1] == "False", second.stderr


def test_the_estimator_fits_from_the_cache_without_sympy(tmp_path):
    # the target checks and the estimator's own tables come from symprop.units
    script = textwrap.dedent("""
        import sys
        import numpy as np
        from symprop.runtime import MLPClassifier
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
        clf = MLPClassifier(hidden_layer_sizes=(3,), epochs=2, batch_size=2)
        clf.fit(X, np.array([0, 1, 1, 0]))
        print(clf.predict(X).shape == (4,), "sympy" in sys.modules)
    """)
    env = {"SYMPROP_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True) for _ in range(2)]
    assert runs[0].stdout.split() == ["True", "True"]     # the first fit generates the module
    assert runs[1].stdout.split() == ["True", "False"], runs[1].stderr


def test_a_registered_activation_changes_the_kernel_key(monkeypatch):
    from symprop import Dense, Network
    from symprop.codegen.cache import kernel_key

    net = Network(inputs=1, layers=[Dense(1, "tanh")])
    before = kernel_key(net, "float64", "unrolled", False)
    changed = rules.Activation("tanh", lambda z: sp.tanh(2 * z), r"\tanh")
    monkeypatch.setitem(rules.ACTIVATIONS, "tanh", changed)
    assert not units.is_builtin_activation("tanh")
    assert kernel_key(net, "float64", "unrolled", False) != before
