"""symprop's generated kernels, through its public API only.

```python
net = symprop.Network(inputs=n_in, layers=[symprop.Dense(units, activation, bias=...), ...],
                      loss="sse" | "cross-entropy")
kernels = net.compile(dtype="float64" | "float32")
params, history = kernels.train(params, X, Y, epochs=E, batch_size=B, learning_rate=lr,
                                momentum=0.0, shuffle=False, seed=0)
```

Measured here, besides the common protocol (first call, throughput, final loss):
- cold: a fresh Python process (numba's in-process state cannot help) with an empty
  ``SYMPROP_CACHE_DIR``; warm: a second fresh process on the same cache dir. In each,
  ``<tag>_compile_s`` = ``net.compile`` (generate or find the module), ``<tag>_ready_s`` = from
  ``import symprop`` to ``net.compile`` returned, ``<tag>_first_step_s`` = the first ``train``
  call on one batch (numba compiles each function on its first call, or loads it from its
  cache), ``<tag>_trained_s`` = from ``import symprop`` to that step done: the time to really
  ready kernels. ``CHILD_TIMEOUT_S`` (``--child-timeout``) bounds each child.
An API that is not there yet (ImportError, AttributeError, NotImplementedError) makes the peer
"unavailable: <reason>", not an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..timing import FULL, PeerUnavailable, Result, Timing, as_dtype, measure
from ..workloads import Workload

_NOT_YET = (ImportError, AttributeError, NotImplementedError)
_REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 600.0
MEASURE_STARTS = True       # the cold/warm child processes; the smoke test turns them off


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def network_spec(workload: Workload) -> dict[str, Any]:
    return {"inputs": workload.n_in, "loss": workload.loss, "batch_size": workload.batch_size,
            "layers": [[la.units, la.activation, la.bias] for la in workload.layers]}


def _network(symprop, spec: dict[str, Any]):
    layers = [symprop.Dense(units, activation, bias=bias)
              for units, activation, bias in spec["layers"]]
    return symprop.Network(inputs=spec["inputs"], layers=layers, loss=spec["loss"])


# -- the child process ------------------------------------------------------------------------
def _child(spec: dict[str, Any], dtype: str) -> dict[str, Any]:
    """Runs in a fresh interpreter: import, build, compile, one step; prints JSON timings."""
    out: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        import symprop
        from symprop.codegen.options import choose_shape
        t_import = time.perf_counter()
        net = _network(symprop, spec)
        t_net = time.perf_counter()
        # steady-state throughput: the per-network module, as before the per-machine family
        kernels = net.compile(dtype=dtype, shape=choose_shape(net))
        t_ready = time.perf_counter()
        out.update(import_s=t_import - t0, compile_s=t_ready - t_net, ready_s=t_ready - t0)
        B, n_in = spec["batch_size"], spec["inputs"]
        sizes = [n_in] + [units for units, _, _ in spec["layers"]]
        rng = np.random.default_rng(0)
        params = {}
        for l, (units, _, bias) in enumerate(spec["layers"], start=1):
            params[f"W{l}"] = rng.uniform(-0.1, 0.1, (units, sizes[l - 1])).astype(dtype)
            if bias:
                params[f"b{l}"] = np.zeros(units, dtype=dtype)
        X = rng.normal(size=(B, n_in)).astype(dtype)
        Y = np.zeros((B, sizes[-1]), dtype=dtype)
        Y[:, 0] = 1.0
        t1 = time.perf_counter()
        kernels.train(params, X, Y, epochs=1, batch_size=B, learning_rate=0.1, momentum=0.0,
                      shuffle=False, seed=0)
        out["first_step_s"] = time.perf_counter() - t1
    except _NOT_YET as exc:
        out["unavailable"] = _reason(exc)
    except Exception as exc:
        out["error"] = _reason(exc)
    return out


def _run_child(workload: Workload, dtype: str, cache_dir: str) -> dict[str, Any]:
    # cwd = the cache dir, so the child imports the same symprop as this process (its path
    # first, then the repository root for `benchmarks`), not whatever the cwd holds
    env = dict(os.environ, SYMPROP_CACHE_DIR=cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(_REPO)) if p)
    cmd = [sys.executable, "-m", "benchmarks.peers.symprop_peer", "--child",
           json.dumps(network_spec(workload)), dtype]
    try:
        proc = subprocess.run(cmd, cwd=cache_dir, env=env, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"not done after {CHILD_TIMEOUT_S:g} s (--child-timeout), stopped"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"child exited {proc.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1])


# -- the peer ---------------------------------------------------------------------------------
def train(workload: Workload, dtype: str, params: dict[str, np.ndarray], X: np.ndarray,
          Y: np.ndarray, *, timing: Timing = FULL) -> Result:
    try:
        import symprop
        _network(symprop, network_spec(workload))
    except _NOT_YET as exc:
        raise PeerUnavailable(f"unavailable: {_reason(exc)}") from None

    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="symprop-bench-cache-") as cache_dir:
        if MEASURE_STARTS:
            for tag, child in (("cold", _run_child(workload, dtype, cache_dir)),
                               ("warm", _run_child(workload, dtype, cache_dir))):
                if "unavailable" in child:
                    raise PeerUnavailable(f"unavailable: {child['unavailable']}")
                if "error" in child:
                    raise RuntimeError(f"{tag} start: {child['error']}")
                extra.update({f"{tag}_compile_s": child["compile_s"],
                              f"{tag}_ready_s": child["ready_s"],
                              f"{tag}_first_step_s": child["first_step_s"],
                              f"{tag}_trained_s": child["ready_s"] + child["first_step_s"]})
        previous = os.environ.get("SYMPROP_CACHE_DIR")
        os.environ["SYMPROP_CACHE_DIR"] = cache_dir
        try:
            return _train_here(symprop, workload, dtype, params, X, Y, timing, extra)
        finally:
            if previous is None:
                os.environ.pop("SYMPROP_CACHE_DIR", None)
            else:
                os.environ["SYMPROP_CACHE_DIR"] = previous


def _train_here(symprop, workload, dtype, params, X, Y, timing, extra) -> Result:
    try:
        t0 = time.perf_counter()
        from symprop.codegen.options import choose_shape

        net = _network(symprop, network_spec(workload))
        kernels = net.compile(dtype=dtype, shape=choose_shape(net))
        extra["in_process_compile_s"] = time.perf_counter() - t0
        extra["threads"] = getattr(kernels, "threads", 1)
        train_fn = kernels.train
    except _NOT_YET as exc:
        raise PeerUnavailable(f"unavailable: {_reason(exc)}") from None
    Xd, Yd = as_dtype(X, dtype), as_dtype(Y, dtype)
    state: dict[str, dict[str, np.ndarray]] = {}

    def prepare() -> None:
        state["p"] = {k: as_dtype(v, dtype) for k, v in params.items()}

    def fit(epochs: int):
        trained, _history = train_fn(state["p"], Xd, Yd, epochs=epochs,
                                     batch_size=workload.batch_size,
                                     learning_rate=workload.learning_rate, momentum=0.0,
                                     shuffle=False, seed=0)
        return trained

    def fetch(trained) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in dict(trained).items()}

    try:
        return measure(workload, dtype, Xd, Yd, fit=fit, fetch=fetch, epochs=workload.epochs,
                       timing=timing, prepare=prepare, extra=extra)
    except _NOT_YET as exc:
        raise PeerUnavailable(f"unavailable: {_reason(exc)}") from None


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(json.loads(sys.argv[2]), sys.argv[3])), flush=True)
    else:
        sys.exit("usage: python -m benchmarks.peers.symprop_peer --child SPEC_JSON DTYPE")
