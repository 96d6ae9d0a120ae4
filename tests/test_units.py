"""The SymPy-free unit table agrees with the rule table, and the cache-hit path needs no SymPy."""

import subprocess
import sys
import textwrap

from symprop import units
from symprop.derive import rules


def test_builtin_traits_match_the_rule_table():
    assert set(units.BUILTIN_ACTIVATIONS) == set(rules.BUILTIN_ACTIVATION_ROWS)
    for name, traits in units.BUILTIN_ACTIVATIONS.items():
        row = rules.ACTIVATIONS[name]
        assert (traits.differentiable, traits.layerwise, traits.outputs) == (
            row.differentiable, row.layerwise, row.outputs)
    assert set(units.BUILTIN_LOSSES) == set(rules.BUILTIN_LOSS_ROWS)
    for name, traits in units.BUILTIN_LOSS_TRAITS.items():
        row = rules.LOSSES[name]
        assert (traits.differentiable, traits.probabilistic, traits.one_hot) == (
            row.differentiable, row.probabilistic, row.one_hot)


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
    changed = rules.Activation("tanh", lambda z: rules.sp.tanh(2 * z), r"\tanh")
    monkeypatch.setitem(rules.ACTIVATIONS, "tanh", changed)
    assert not units.is_builtin_activation("tanh")
    assert kernel_key(net, "float64", "unrolled", False) != before
