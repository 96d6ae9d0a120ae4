"""Kernels of rows written as formulas against the built-in row of the same cost.

    python -m benchmarks.own_rows [--repeats 7] [--out reports/own-rows.md]

Pairs: swish (z/(1 + e^−z), its derivative in z) vs sigmoid, softsign (z/(1 + |z|)) vs tanh,
leaky ReLU (max(z/100, z), the slope at the kink declared) vs relu. Each network is
2-64-64-1 (both hidden layers the row under test, a linear output, sse), a per-network
``loops`` module each, trained by ``kernels.train`` with minibatches of 64 on 8192 rows for
3 epochs, in float64 and float32. The two kernels of a pair are timed alternately in one
process after one untimed warm-up each (compilation): throughput = samples·epochs / the
fastest run, the median beside it (the machine is shared; see `benchmarks/timing.py` for why
the fastest run).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

import numpy as np

import symprop
from symprop.io import write_atomic

PAIRS = (
    ("swish", "z/(1+exp(-z))", {}, "sigmoid"),
    ("softsign", "z/(1+abs(z))", {}, "tanh"),
    ("leaky", "max(a*z, z)", {"parameters": {"a": "1/100"}, "derivative_at_kinks": "1/100"},
     "relu"),
)
ROWS, BATCH, EPOCHS, WIDTH = 8192, 64, 3, 64


def network(activation) -> symprop.Network:
    return symprop.Network(inputs=2, layers=[symprop.Dense(WIDTH, activation),
                                             symprop.Dense(WIDTH, activation),
                                             symprop.Dense(1, "linear")], loss="sse")


def timed(kernels, params, X, Y) -> float:
    gc.disable()
    try:
        t0 = time.perf_counter()
        kernels.train(params, X, Y, epochs=EPOCHS, batch_size=BATCH, learning_rate=0.01,
                      shuffle=False)
        return time.perf_counter() - t0
    finally:
        gc.enable()


def measure(repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    results = []
    for name, formula, options, builtin in PAIRS:
        row = symprop.Activation.from_formula(name, formula, **options)
        for dtype in ("float64", "float32"):
            X = rng.normal(size=(ROWS, 2)).astype(dtype)
            Y = (np.sin(X[:, :1]) * X[:, 1:]).astype(dtype)
            runs: dict[str, list[float]] = {name: [], builtin: []}
            setups = {}
            for which, act in ((name, row), (builtin, builtin)):
                # the per-network modules: each row's formulas compiled into the kernel (on the
                # per-machine family an own row is a call through its address instead:
                # `benchmarks.custom_rows_family`)
                kernels = network(act).compile(dtype=dtype, shape="loops")
                params = kernels.init_params(0)
                timed(kernels, params, X[:BATCH], Y[:BATCH])      # compile, untimed
                setups[which] = (kernels, params)
            for _ in range(repeats):
                for which in (name, builtin):
                    runs[which].append(timed(*setups[which], X, Y))
            row_out = {"pair": f"{name} vs {builtin}", "dtype": dtype,
                       "shape": setups[name][0].shape}
            for which in (name, builtin):
                row_out[which] = (ROWS * EPOCHS / min(runs[which]),
                                  ROWS * EPOCHS / statistics.median(runs[which]))
            row_out["ratio"] = min(runs[name]) / min(runs[builtin])
            row_out["ratio_median"] = statistics.median(runs[name]) / \
                statistics.median(runs[builtin])
            row_out["names"] = (name, builtin)
            results.append(row_out)
            print(row_out, flush=True)
    return results


def report(results: list[dict], repeats: int) -> str:
    lines = ["# Rows written as formulas vs the built-in row of the same cost", "",
             __doc__.strip().split("\n\n", 1)[1], "",
             f"{repeats} alternating runs per kernel. Throughput in samples/s (fastest run; "
             "median in brackets); time ratio = own row / built-in (1.00 = equal, < 1.5 "
             "required).", "",
             "| pair | dtype | shape | own row | built-in | time ratio (fastest) | (median) |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        own, builtin = r["names"]
        lines.append(f"| {r['pair']} | {r['dtype']} | {r['shape']} | "
                     f"{r[own][0]:,.0f} ({r[own][1]:,.0f}) | "
                     f"{r[builtin][0]:,.0f} ({r[builtin][1]:,.0f}) | {r['ratio']:.2f} | "
                     f"{r['ratio_median']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    text = report(measure(args.repeats), args.repeats)
    if args.out:
        write_atomic(Path(args.out), text)
    print(text)


if __name__ == "__main__":
    main()
