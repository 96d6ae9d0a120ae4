"""Time to first train of a new network with rows of one's own: the family and its pieces
against a per-network module, each run a fresh process.

    python -m benchmarks.custom_rows_family [--rounds 5]

Job: 2-H-H-1, softsign → softsign → leaky, Huber loss, 400 rows, batch 10, 200 epochs, float64.
Per round (H = 16, 17, …: a width never trained before): the family path (`net.compile()`) new and
again, then a per-network ``loops`` module (the default for such a network before the pieces)
new, in a fresh cache folder, and again. The family and the pieces are built once, before the
first round, in one per-machine folder for all rounds (``$SYMPROP_MACHINE_DIR`` or a new one).
Results: reports/custom-rows-family.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
t0 = time.perf_counter()
import numpy as np
from symprop import Dense, Network
from symprop.derive import rules
soft = rules.Activation.from_formula("softsign", "z/(1+abs(z))").key
leaky = rules.Activation.from_formula("leaky", "max(a*z, z)", parameters={"a": "1/100"},
                                      derivative_at_kinks="1/100").key
huber = rules.Loss.from_formula(
    "huber", "piecewise(((y - d)^2/2, abs(y - d) <= 1), (abs(y - d) - 1/2, true))").key
H, shape = int(sys.argv[1]), None if sys.argv[2] == "default" else sys.argv[2]
net = Network(inputs=2, layers=[Dense(H, soft), Dense(H, soft), Dense(1, leaky)], loss=huber)
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 2)); Y = np.sin(X[:, :1]) + X[:, 1:]
k = net.compile(shape=shape)
p, h = k.train(k.init_params(0), X, Y, epochs=200, batch_size=10, learning_rate=0.05)
print(k.shape, time.perf_counter() - t0, h["loss"][-1])
"""


def run(width: int, shape: str, cache: str, machine: str) -> tuple[str, float, str]:
    """(kernel shape, wall seconds of the whole process, its stderr)."""
    env = {**os.environ, "SYMPROP_CACHE_DIR": cache, "SYMPROP_MACHINE_DIR": machine}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(width), shape], env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()[0], time.perf_counter() - start, out.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {"family, new": [], "family, again": [],
                                     "per-network loops, new": [], "per-network loops, again": []}
    # one per-machine folder for every round: the family and the pieces are built once, here
    # (a first use on this machine: timed, not counted as a "new network")
    machine = os.environ.get("SYMPROP_MACHINE_DIR") or tempfile.mkdtemp(prefix="symprop-crf-")
    _, wall, err = run(15, "default", tempfile.mkdtemp(), machine)
    print(f"first use (family and pieces built if missing): {wall:.1f} s\n{err}", flush=True)
    for r in range(args.rounds):
        width = 16 + r
        family_cache, own_cache = tempfile.mkdtemp(), tempfile.mkdtemp()
        for name, shape, cache in (("family, new", "default", family_cache),
                                   ("family, again", "default", family_cache),
                                   ("per-network loops, new", "loops", own_cache),
                                   ("per-network loops, again", "loops", own_cache)):
            kind, wall, err = run(width, shape, cache, machine)
            walls[name].append(wall)
            print(f"round {r} {name}: {kind} {wall:.2f} s {err[:70]}", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f}\n\n| path | median | min |\n|---|---|---|")
    for name, values in walls.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f} s |")


if __name__ == "__main__":
    main()
