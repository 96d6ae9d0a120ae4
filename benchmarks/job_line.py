"""Where a per-network unrolled module repays its compile: the line of `choose_shape_for_job`.

    python -m benchmarks.job_line [--repeats 3] [--out reports/job-line-table.md]

For small networks (≤ UNROLL_MAX_PARAMS parameters) a job runs on the per-machine family
(nothing to compile) unless it has at least ``UNROLL_MIN_STEPS`` minibatch steps. Per network:
the family's and the unrolled module's time per minibatch step (one ``kernels.train`` call of
many epochs, min over repeats, both loaded before), and the unrolled module's compile in a
fresh process with an empty cache folder (``net.compile`` and the first call, median of
``repeats``). The break-even is compile ÷ (family step − unrolled step): from that many steps
on, compiling is the faster way to a trained network.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .timing import emit, sitting

NETS = [  # (label, inputs, [(units, activation)], loss, batch)
    ("XOR 2-2-1 sigmoid, sse, batch 1", 2, [(2, "sigmoid"), (1, "sigmoid")], "sse", 1),
    ("XOR 2-2-1 sigmoid, sse, batch 10", 2, [(2, "sigmoid"), (1, "sigmoid")], "sse", 10),
    ("2-4-1 tanh → sigmoid log, batch 4", 2, [(4, "tanh"), (1, "sigmoid")], "log", 4),
    ("2-8-1 tanh → sigmoid log, batch 1", 2, [(8, "tanh"), (1, "sigmoid")], "log", 1),
    ("2-8-1 tanh → sigmoid log, batch 10", 2, [(8, "tanh"), (1, "sigmoid")], "log", 10),
    ("4-6-3 relu → softmax CE, batch 1", 4, [(6, "relu"), (3, "softmax")], "cross-entropy", 1),
    ("4-6-3 relu → softmax CE, batch 8", 4, [(6, "relu"), (3, "softmax")], "cross-entropy", 8),
]
ROWS = 200

COMPILE_CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
import numpy as np
from symprop import Dense, Network
inputs, layers, loss, batch = json.loads(sys.argv[1])
net = Network(inputs=inputs, layers=[Dense(u, a) for u, a in layers], loss=loss)
t1 = time.perf_counter()
k = net.compile(shape="unrolled")
X = np.zeros((batch, inputs)); Y = np.zeros((batch, net.sizes[-1])); Y[:, 0] = 1
k.train(k.init_params(0), X, Y, epochs=1, batch_size=batch)
print(time.perf_counter() - t1)
"""


def _network(inputs: int, layers: list, loss: str):
    from symprop import Dense, Network

    return Network(inputs=inputs, layers=[Dense(u, a) for u, a in layers], loss=loss)


def _step_ns(kernels, X, Y, batch: int, epochs: int, repeats: int) -> float:
    params = kernels.init_params(0)
    kernels.train(params, X, Y, epochs=1, batch_size=batch, learning_rate=0.05)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        kernels.train(params, X, Y, epochs=epochs, batch_size=batch, learning_rate=0.05)
        best = min(best, time.perf_counter() - start)
    steps = epochs * -(-X.shape[0] // batch)
    return best / steps * 1e9


def _compile_seconds(inputs: int, layers: list, loss: str, batch: int, repeats: int) -> float:
    import json

    walls = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            out = subprocess.run(
                [sys.executable, "-c", COMPILE_CHILD, json.dumps([inputs, layers, loss, batch])],
                env={**os.environ, "SYMPROP_CACHE_DIR": cache}, capture_output=True, text=True,
                check=True)
            walls.append(float(out.stdout.split()[-1]))
    return statistics.median(walls)


def measure(repeats: int) -> list[dict]:
    from symprop.codegen.options import n_params

    rng = np.random.default_rng(0)
    rows = []
    for label, inputs, layers, loss, batch in NETS:
        net = _network(inputs, layers, loss)
        X = rng.normal(size=(ROWS, inputs))
        Y = np.eye(net.sizes[-1])[rng.integers(0, net.sizes[-1], ROWS)] \
            if net.sizes[-1] > 1 else (X[:, :1] > 0).astype(float)
        epochs = max(1, 200_000 // ROWS * batch // 10)
        family = net.compile()
        unrolled = net.compile(shape="unrolled")
        fam_ns = _step_ns(family, X, Y, batch, epochs, repeats)
        unr_ns = _step_ns(unrolled, X, Y, batch, epochs, repeats)
        compile_s = _compile_seconds(inputs, layers, loss, batch, repeats)
        saving = fam_ns - unr_ns
        rows.append({"net": label, "params": n_params(net), "family_ns": fam_ns,
                     "unrolled_ns": unr_ns, "compile_s": compile_s,
                     "break_even": compile_s * 1e9 / saving if saving > 0 else float("inf")})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| network | parameters | family (ns/step) | unrolled (ns/step) | unrolled compile "
             "(s) | break-even (steps) |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['net']} | {r['params']} | {r['family_ns']:,.0f} | "
                     f"{r['unrolled_ns']:,.0f} | {r['compile_s']:.2f} | "
                     f"{r['break_even']:.2e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from symprop.codegen.options import UNROLL_MIN_STEPS

    rows = measure(args.repeats)
    emit(f"{table(rows)}\n\n{ROWS} rows, float64; UNROLL_MIN_STEPS = {UNROLL_MIN_STEPS:,}; "
         f"{sitting()}.\n", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
