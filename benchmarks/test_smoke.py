"""Smoke test of the benchmark peers: tiny W1 and W2, one epoch, float64.

All peers that can run must end with the same parameters and the same final loss (1e-6
relative): that shows the workloads are identical across peers. Not part of tests/ (it needs
the bench venv's torch/jax/scikit-learn). Run it with either of

    .venv-bench/bin/python -m benchmarks.test_smoke
    .venv-bench/bin/python -m pytest benchmarks/test_smoke.py     (if pytest is installed)
"""

from __future__ import annotations

import sys

import numpy as np

from . import peers as peer_registry
from . import reference
from .peers import symprop_peer
from .timing import SMOKE, NotComparable, PeerUnavailable
from .workloads import WORKLOADS

RTOL = 1e-6
TINY = {"W1": dict(epochs=1), "W2": dict(n_samples=300, epochs=1)}   # 300: all 10 digits


def _run_all(name: str) -> tuple[dict, dict, float]:
    symprop_peer.MEASURE_STARTS = False          # no cold/warm child processes here
    w = WORKLOADS[name].scaled(**TINY[name])
    X, Y = w.data()
    params = w.init_params()
    initial = reference.mean_loss(w, params, X, Y)
    done, skipped = {}, {}
    for peer in peer_registry.PEERS:
        try:
            res = peer_registry.load(peer).train(w, "float64", {k: v.copy() for k, v in
                                                                params.items()},
                                                 X.copy(), Y.copy(), timing=SMOKE)
        except (PeerUnavailable, NotComparable) as exc:
            skipped[peer] = str(exc)
            continue
        done[peer] = res
    return done, skipped, initial


def _check(name: str) -> None:
    done, skipped, initial = _run_all(name)
    for peer, why in skipped.items():
        print(f"  {name} {peer}: skipped ({why})")
    assert "numpy" in done, "the NumPy peer must always run"
    ref = done["numpy"]
    assert abs(ref.final_loss - initial) > 1e-8 * abs(initial), "training did not move the loss"
    scale = max(float(np.max(np.abs(v))) for v in ref.params.values())
    for peer, res in done.items():
        rel = abs(res.final_loss - ref.final_loss) / abs(ref.final_loss)
        dp = max(float(np.max(np.abs(res.params[k] - ref.params[k]))) for k in ref.params)
        print(f"  {name} {peer}: loss {res.final_loss:.15g} (rel. Δ {rel:.1e}), "
              f"max |Δparam| {dp:.1e}")
        assert rel <= RTOL, f"{name}: {peer} loss {res.final_loss} != numpy {ref.final_loss}"
        assert dp <= RTOL * scale, f"{name}: {peer} parameters differ from numpy's by {dp}"
    # the real peers must be here in the bench venv; symprop may still be unavailable
    missing = {"torch", "jax-jit", "jax-scan", "numpy"} - set(done)
    assert not missing, f"peers did not run: {missing}: {skipped}"
    if name != "W1":   # scikit-learn cannot train W1 (no biases, sigmoid+sse): not comparable
        assert "sklearn" in done, f"sklearn did not run: {skipped.get('sklearn')}"


def test_w1_peers_agree() -> None:
    _check("W1")


def test_w2_peers_agree() -> None:
    _check("W2")


if __name__ == "__main__":
    passed = failed = 0
    for test in (test_w1_peers_agree, test_w2_peers_agree):
        print(test.__name__)
        try:
            test()
            passed += 1
        except AssertionError as exc:
            print(f"  FAILED: {exc}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
