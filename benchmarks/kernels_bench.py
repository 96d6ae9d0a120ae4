"""Timings of symprop's generated kernels: cold start, warm start from the cache, one step.

    python -m benchmarks.kernels_bench [--dtype float64|float32] [--repeat 30]

For each network — the lecture's 2-2-1 sigmoid network (one sample per step) and a
784-256-10 ReLU/softmax network (cross-entropy, 256 samples per step) — three fresh Python
processes run, the first on an empty ``SYMPROP_CACHE_DIR``:

- cold: ``import symprop`` → ``net.compile()`` (derive, generate, write, import the module:
  *generate*) → the first ``kernels.train`` call (numba compiles ``train_epochs``: *compile*);
- warm: the same in a new process on the same cache folder: the module file is there and numba
  loads its machine code from ``__pycache__`` (*warm start* = from before ``import symprop`` to
  the first step done; *process* = the same seen from outside, interpreter start-up included);
- step: in the warm process, the median time of one training step through ``kernels.train``
  (one epoch of one minibatch) and of the bare ``train_epochs`` kernel call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = {
    "lecture 2-2-1 sigmoid, sse, batch 1": {"spec": str(ROOT / "examples" / "lecture_221.toml"),
                                             "batch": 1},
    "784-256-10 relu/softmax, cross-entropy, batch 256": {
        "inputs": 784, "layers": [[256, "relu"], [10, "softmax"]], "loss": "cross-entropy",
        "batch": 256},
}


def _child(spec: dict, dtype: str, repeat: int) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    import symprop
    t_import = time.perf_counter()
    if "spec" in spec:
        net = symprop.load(spec["spec"])
    else:
        net = symprop.Network(inputs=spec["inputs"], loss=spec["loss"],
                              layers=[symprop.Dense(u, a) for u, a in spec["layers"]])
    t_net = time.perf_counter()
    from symprop.codegen.options import choose_shape

    kernels = net.compile(dtype=dtype, shape=choose_shape(net))   # per-network modules
    t_loaded = time.perf_counter()
    B = spec["batch"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(B, net.n_inputs)).astype(dtype)
    K = net.sizes[-1]
    Y = np.eye(K, dtype=dtype)[rng.integers(0, K, B)] if K > 1 else \
        rng.uniform(size=(B, 1)).astype(dtype)
    params = kernels.init_params(0)
    t_first = time.perf_counter()
    kernels.train(params, X, Y, epochs=1, batch_size=B, learning_rate=0.1, shuffle=False)
    t_done = time.perf_counter()

    def median(f) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    time.sleep(0.2)    # let idle BLAS threads go to sleep before timing
    step = median(lambda: kernels.train(params, X, Y, epochs=1, batch_size=B,
                                        learning_rate=0.1, shuffle=False))
    m = kernels.module
    arrays = [params[k] for k in kernels.param_shapes]
    velocity = [np.zeros_like(a) for a in arrays]
    state, order = np.zeros(1, np.uint64), np.empty(B, np.int64)
    hist = np.empty(1), np.empty(1)
    scalar = np.dtype(dtype).type
    kernel = median(lambda: m.train_epochs(X, Y, *arrays, *velocity, 1, B, scalar(0.1),
                                           scalar(0.0), False, state, order, *hist))
    return {"shape": kernels.shape, "import_s": t_import - t0, "generate_s": t_loaded - t_net,
            "first_call_s": t_done - t_first, "warm_start_s": t_done - t0,
            "step_s": step, "kernel_step_s": kernel, "samples": B}


def _run_child(spec: dict, dtype: str, repeat: int, cache: str) -> dict:
    env = dict(os.environ, SYMPROP_CACHE_DIR=cache)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "benchmarks.kernels_bench", "--child", json.dumps(spec),
           "--dtype", dtype, "--repeat", str(repeat)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument("--repeat", type=int, default=30, help="timed steps (median)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(json.loads(args.child), args.dtype, args.repeat)))
        return 0
    print(f"symprop kernels, {args.dtype}, load average {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores)\n")
    header = ("network", "shape", "cold: generate", "cold: compile+1st step", "warm start",
              "warm process", "1 step (train)", "1 step (kernel)", "samples/s (kernel)")
    rows = []
    for title, spec in NETWORKS.items():
        with tempfile.TemporaryDirectory(prefix="symprop-bench-") as cache:
            cold = _run_child(spec, args.dtype, args.repeat, cache)
            warm = _run_child(spec, args.dtype, args.repeat, cache)
        rows.append((title, cold["shape"], _ms(cold["generate_s"]), _ms(cold["first_call_s"]),
                     _ms(warm["warm_start_s"]), _ms(warm["process_s"]), _ms(warm["step_s"]),
                     _ms(warm["kernel_step_s"]),
                     f"{warm['samples'] / warm['kernel_step_s']:,.0f}"))
        print(f"{title}: import symprop {_ms(warm['import_s'])}, warm load "
              f"{_ms(warm['generate_s'])}, warm first call {_ms(warm['first_call_s'])}")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    print()
    for r in (header, tuple("-" * w for w in widths), *rows):
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
