"""``symprop sweep``: a grid of trainings on Dask, streamed to CSV, with a summary and a plot.

    symprop sweep SPEC.toml --data circle --grid "lr=0.1,0.5,2" --grid "hidden=2,4,8" \\
        --seeds 0-9 [--scheduler tcp://host:8786 | --workers 2] [--epochs 100 --batch-size 32]
        [--out results.csv] [--plot sweep.png] [--resume]
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SpecError
from .grid import parse_grid, parse_seeds
from .runner import DEFAULTS, run_sweep


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="the network's TOML spec")
    parser.add_argument("--data", required=True, metavar="NAME|FILE.csv",
                        help="a dataset name (xor, circle, spiral, ...) or a CSV file")
    parser.add_argument("--n", type=int, default=None, metavar="N",
                        help="points of a generated dataset")
    parser.add_argument("--noise", type=float, default=0.0, help="noise of a generated dataset")
    parser.add_argument("--data-seed", type=int, default=0, metavar="SEED",
                        help="seed of a generated dataset (the same data for every run)")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                        help="a parameter and its values: lr, momentum, epochs, batch_size, "
                        "hidden (every hidden layer), hidden<l>, activation; repeatable")
    parser.add_argument("--seeds", default="0", metavar="0-9|0,3,5",
                        help="seeds of each grid point (initial weights and shuffling)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="an existing Dask scheduler (default: an embedded LocalCluster)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the embedded cluster (default 2)")
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"],
                        help=f"epochs per run (default {DEFAULTS['epochs']})")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"],
                        help=f"minibatch size (default {DEFAULTS['batch_size']})")
    parser.add_argument("--lr", type=float, default=DEFAULTS["lr"],
                        help=f"learning rate (default {DEFAULTS['lr']})")
    parser.add_argument("--momentum", type=float, default=DEFAULTS["momentum"],
                        help=f"momentum (default {DEFAULTS['momentum']})")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument("--retries", type=int, default=2,
                        help="extra attempts for a run that fails or loses its worker")
    parser.add_argument("--out", default="results.csv", metavar="CSV",
                        help="results, one line per run as it finishes (default results.csv)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in --out (matched on grid point and seed; "
                        "keep the other settings as they were) and run only the rest")
    parser.add_argument("--plot", default=None, metavar="PNG",
                        help="final loss/accuracy against each grid parameter")
    parser.add_argument("--top", type=int, default=10, help="rows of the summary table")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _check_sizes(network, grid, seeds, args: argparse.Namespace) -> None:
    """Refuse, before any worker starts, a sweep beyond what it can do in reasonable time."""
    from ..limits import check
    from ..runtime.cli import check_sizes as check_training
    from .grid import network_for, points

    check("sweep_runs", len(points(grid)) * len(seeds), key="--grid/--seeds", what="runs")
    check("sweep_workers", args.workers, key="--workers")
    if args.workers < 1 or args.retries < 0:
        raise SpecError("bad worker or retry count", key="--workers/--retries",
                        expected="--workers >= 1 and --retries >= 0",
                        got=(args.workers, args.retries))
    check("sweep_retries", args.retries, key="--retries")
    for name in ("epochs", "batch_size"):
        for value in [getattr(args, name), *grid.get(name, [])]:
            check({"epochs": "train_epochs"}.get(name, name), int(value),
                  key=f"--{name.replace('_', '-')}")
    for point in points(grid):
        check_training(network_for(network, point), argparse.Namespace(n=args.n))


def run(args: argparse.Namespace) -> int:
    from ..runtime.train import get_data
    from ..spec import load

    network = load(args.spec)
    grid = parse_grid(args.grid)
    seeds = parse_seeds(args.seeds)
    _check_sizes(network, grid, seeds, args)
    # coded for the output layer as `symprop train` does (-1/+1 for tanh, one-hot for softmax)
    data = get_data(args.data, network, n=args.n, noise=args.noise, seed=args.data_seed)
    result = run_sweep(network, data, grid, seeds, epochs=args.epochs,
                       batch_size=args.batch_size, learning_rate=args.lr,
                       momentum=args.momentum, dtype=args.dtype, scheduler=args.scheduler,
                       workers=args.workers, out=args.out, resume=args.resume,
                       retries=args.retries, progress=not args.no_progress)
    print(result.table(args.top))
    print()
    ran = f"{result.ran} run(s) in {result.wall_s:.1f} s"
    if result.ran:
        ran += f" ({result.runs_per_s:.2f} runs/s on {result.workers} worker(s))"
    if result.resumed:
        ran += f"; {result.resumed} already in {args.out}"
    print(ran)
    workers = sorted(set(result.compiles) | set(result.disk_loads))
    if workers:
        counts = ", ".join(f"{w}: {result.compiles.get(w, 0)} compiled, "
                           f"{result.disk_loads.get(w, 0)} from disk" for w in workers)
        print(f"kernels per worker: {counts}")
    print(f"results: {args.out}")
    if args.plot and result.rows:
        print(f"plot: {result.plot(args.plot)}")
    if result.failed:
        print(f"symprop sweep: {len(result.failed)} run(s) failed; run again with --resume "
              "to retry them", file=sys.stderr)
        return 1
    return 0
