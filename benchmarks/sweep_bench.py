"""Sweep throughput: runs per second on 1 and 2 Dask workers, and compiles per worker.

    python -m benchmarks.sweep_bench [--quick] [--out reports/sweep_bench.md] [--json]

For each worker count, with a fresh, empty kernel cache (``SYMPROP_CACHE_DIR``) and a fresh
embedded LocalCluster:

1. cold: the sweep from a ready cluster to the last result; every worker compiles each network
   it meets (numba, no disk cache yet) — the compile count per worker is recorded;
2. warm: the same sweep again on the same cluster (``out`` elsewhere): kernels are in memory,
   nothing compiles; this is the steady-state throughput;
3. restart: a new cluster on the same cache folder: workers load numba's disk cache instead of
   compiling (compile seconds per worker drop to the loading time).

Each run is one small training (circle data, 2-h-1 tanh/sigmoid, log loss), so the numbers
show the per-run overhead of the cluster as much as training speed. On 2 cores, 2 workers can
at best double the rate. Other processes on the machine shift the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GRID = {"lr": [0.1, 0.3, 1.0], "hidden": [2, 4]}
SEEDS = list(range(4))
EPOCHS, BATCH, N = 1000, 10, 200


def _sweep(network: Any, data: Any, client: Any, out: Path, seeds: list[int]) -> dict[str, Any]:
    from symprop.sweep import run_sweep

    result = run_sweep(network, data, GRID, seeds, epochs=EPOCHS, batch_size=BATCH,
                       learning_rate=0.1, client=client, out=out, progress=False)
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} runs failed: {result.failed[0]}")
    compile_s: dict[str, float] = {}     # compiling, or loading from numba's disk cache
    for row in result.rows:
        if row.get("compiled") or row.get("from_disk"):
            compile_s[row["worker"]] = compile_s.get(row["worker"], 0.0) + row["compile_s"]
    return {"runs": result.ran, "wall_s": result.wall_s, "runs_per_s": result.runs_per_s,
            "compiles_per_worker": sorted(result.compiles.values(), reverse=True),
            "disk_loads_per_worker": sorted(result.disk_loads.values(), reverse=True),
            "compile_s_per_worker": sorted((round(v, 2) for v in compile_s.values()),
                                           reverse=True),
            "train_s_mean": sum(r["train_s"] for r in result.rows) / max(len(result.rows), 1)}


def bench(workers: int, seeds: list[int]) -> dict[str, Any]:
    import symprop
    from symprop.runtime.train import get_data
    from symprop.sweep.runner import connect

    network = symprop.Network(inputs=2, layers=[symprop.Dense(4, "tanh"),
                                                symprop.Dense(1, "sigmoid")],
                              loss="log", name="sweep_bench")
    data = get_data("circle", network, n=N, seed=0)
    out: dict[str, Any] = {"workers": workers}
    with tempfile.TemporaryDirectory(prefix="symprop-sweep-bench-") as tmp:
        folder = Path(tmp)
        os.environ["SYMPROP_CACHE_DIR"] = str(folder / "cache")   # workers inherit it
        t0 = time.perf_counter()
        with connect(workers=workers) as client:
            out["cluster_start_s"] = time.perf_counter() - t0
            out["cold"] = _sweep(network, data, client, folder / "cold.csv", seeds)
            out["warm"] = _sweep(network, data, client, folder / "warm.csv", seeds)
        with connect(workers=workers) as client:
            out["restart"] = _sweep(network, data, client, folder / "restart.csv", seeds)
    return out


def report(results: list[dict[str, Any]], seeds: list[int]) -> str:
    runs = len(seeds) * len(GRID["lr"]) * len(GRID["hidden"])
    lines = [
        "# Sweep benchmark",
        "",
        f"{runs} runs per sweep: grid lr={GRID['lr']} x hidden={GRID['hidden']}, "
        f"{len(seeds)} seeds; circle data, {N} points, {EPOCHS} epochs, batch {BATCH}; "
        "2-h-1 tanh/sigmoid, log loss, float64.",
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end.",
        "",
        "| workers | cluster start s | cold runs/s | compiles per worker (cold) | "
        "compile s per worker (cold) | warm runs/s | restart runs/s | "
        "disk-cache loads per worker (restart) | load s per worker (restart) | "
        "train time per run (warm) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c, w, s = r["cold"], r["warm"], r["restart"]
        lines.append(
            f"| {r['workers']} | {r['cluster_start_s']:.1f} | {c['runs_per_s']:.2f} | "
            f"{c['compiles_per_worker']} | {c['compile_s_per_worker']} | "
            f"{w['runs_per_s']:.2f} | {s['runs_per_s']:.2f} | {s['disk_loads_per_worker']} | "
            f"{s['compile_s_per_worker']} | "
            f"{w['train_s_mean'] * 1e3:.1f} ms |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds instead of 4")
    parser.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    parser.add_argument("--out", default=None, help="also write the Markdown report here")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args(argv)
    seeds = SEEDS[:2] if args.quick else SEEDS
    results = []
    for n in (int(x) for x in args.workers.split(",")):
        print(f"sweep_bench: {n} worker(s) ...", file=sys.stderr, flush=True)
        results.append(bench(n, seeds))
    text = json.dumps(results, indent=2) if args.json else report(results, seeds)
    if args.out:
        from symprop.io import write_atomic
        write_atomic(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
