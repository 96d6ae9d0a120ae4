"""The fixed cost of one ``kernels.train`` call: the call against its bare kernel.

    python -m benchmarks.call_overhead [--calls 2000] [--out reports/call-overhead.md]

XOR 2-2-1 (sigmoid, sse, no biases, 4 rows, batch 1), 1 and 500 epochs, on the per-network
unrolled module and on the per-machine family (``shape=None``, what a new network gets). For
each: the bare ``train_epochs`` kernel with every argument made beforehand, and
``kernels.train`` on a dict of C-contiguous float64 arrays; min over ``calls`` calls each
(the garbage collector off), interleaved in rounds so a slow phase of the shared machine hits
both alike. The difference is the fixed cost of the Python side. "No checks" is the work any
such call must do (`_floor`: new parameter arrays, the kernel, history lists, the result dict)
with no check at all: ``kernels.train`` minus it is what the checks cost.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import numpy as np

import symprop

from .timing import emit, sitting

ROWS = 4
BATCH = 1
LR = 0.5


def xor() -> tuple[symprop.Network, np.ndarray, np.ndarray]:
    net = symprop.Network(inputs=2, layers=[symprop.Dense(2, "sigmoid", bias=False),
                                            symprop.Dense(1, "sigmoid", bias=False)],
                          loss="sse")
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return net, X, np.array([[0.0], [1.0], [1.0], [0.0]])


def _scratch(kernels, epochs: int) -> tuple:
    """What `Kernels.train` keeps from call to call: row order, histories, random state, and
    the learning rate and momentum in the kernel's dtype."""
    dtype = np.dtype(kernels.dtype).type
    return (np.empty(ROWS, dtype=np.int64), np.empty(epochs), np.empty(epochs),
            np.zeros(1, dtype=np.uint64), dtype(LR), dtype(0.0))


def _bare(kernels, params: dict, X: np.ndarray, Y: np.ndarray, epochs: int):
    """The kernel call alone, every argument made beforehand (for the family, its unchecked
    entry point, as `Kernels.train` calls it)."""
    order, loss_hist, acc_hist, state, lr, mom = _scratch(kernels, epochs)
    module = kernels.module
    if getattr(module, "flat_kernel", None) is None:
        work = [p.copy() for p in params.values()]
        vel = [np.zeros_like(p) for p in work]
        kernel = module.train_epochs
        return lambda: kernel(X, Y, *work, *vel, epochs, BATCH, lr, mom, True, state, order,
                              loss_hist, acc_hist)
    theta = module.pack(list(params.values()))
    velocity = np.zeros_like(theta)
    kernel, extra = module.flat_kernel
    return lambda: kernel(X, Y, theta, velocity, *extra, epochs, BATCH, lr, mom, True, state,
                          order, loss_hist, acc_hist)


def _floor(kernels, params: dict, X: np.ndarray, Y: np.ndarray, epochs: int):
    """What a call must do whatever it checks: new parameter arrays (the caller's are left as
    they are), the kernel, the histories as lists, the result dict — and no check at all."""
    order, loss_hist, acc_hist, state, lr, mom = _scratch(kernels, epochs)
    names = tuple(params)
    module = kernels.module

    def result(arrays):
        return (dict(zip(names, arrays)),  # noqa: B905 — as Kernels does
                {"loss": loss_hist.tolist(), "accuracy": acc_hist.tolist()})

    if getattr(module, "flat_kernel", None) is None:
        kernel = module.train_epochs
        vel = [np.zeros_like(p) for p in params.values()]

        def call():
            work = [params[n].copy() for n in names]
            kernel(X, Y, *work, *vel, epochs, BATCH, lr, mom, True, state, order, loss_hist,
                   acc_hist)
            return result(work)
        return call
    kernel, extra = module.flat_kernel
    velocity = np.zeros(module.size)

    def call():
        theta, views = module.pack_views([params[n] for n in names])
        kernel(X, Y, theta, velocity, *extra, epochs, BATCH, lr, mom, True, state, order,
               loss_hist, acc_hist)
        return result(views)
    return call


def _min_ns(functions: list, calls: int) -> list[float]:
    """Min over ``calls`` calls of each function, in rounds of 50 alternating between them."""
    best = [float("inf")] * len(functions)
    clock = time.perf_counter_ns
    gc.disable()
    try:
        for _ in range(max(1, calls // 50)):
            for i, f in enumerate(functions):
                for _ in range(50):
                    t0 = clock()
                    f()
                    t = clock() - t0
                    if t < best[i]:
                        best[i] = t
    finally:
        gc.enable()
    return best


def measure(calls: int = 2000, epochs_list: tuple[int, ...] = (1, 500)) -> list[dict]:
    """One row per (module, epochs): bare kernel and ``kernels.train``, µs (min over calls)."""
    net, X, Y = xor()
    rows = []
    for label, shape in (("unrolled", "unrolled"), ("family", None)):
        kernels = net.compile(dtype="float64", shape=shape)
        # what a training loop hands back: the parameters a call returned
        params, _ = kernels.train(kernels.init_params(0), X, Y, epochs=1, batch_size=BATCH,
                                  learning_rate=LR)
        for epochs in epochs_list:
            bare = _bare(kernels, params, X, Y, epochs)
            train = kernels.train

            def call(train=train, params=params, epochs=epochs):
                return train(params, X, Y, epochs=epochs, batch_size=BATCH, learning_rate=LR)

            floor = _floor(kernels, params, X, Y, epochs)
            bare(), floor(), call()      # compiled (or loaded) before the timing
            n = calls if epochs < 100 else max(50, calls // 10)
            kernel_ns, floor_ns, train_ns = _min_ns([bare, floor, call], n)
            rows.append({"module": label, "epochs": epochs, "calls": n,
                         "kernel_us": kernel_ns / 1e3, "floor_us": floor_ns / 1e3,
                         "train_us": train_ns / 1e3,
                         "fixed_us": (train_ns - kernel_ns) / 1e3})
    return rows


def jax_scan_us(epochs_list: tuple[int, ...], calls: int) -> dict[int, float] | None:
    """The same job (XOR 2-2-1 sigmoid sse, 4 rows, batch 1, float64) as one compiled JAX
    program (the `jax_scan` peer: ``fori_loop`` over epochs of ``lax.scan`` steps, compiled
    once beforehand), µs per call, min over calls; None without JAX (``make bench`` has it)."""
    from .peers._jax_common import device_params, jax_modules, make_step
    from .timing import PeerUnavailable
    from .workloads import WORKLOADS

    try:
        jax, jnp = jax_modules()
    except PeerUnavailable:
        return None
    workload = WORKLOADS["W1"]
    net, X, Y = xor()
    step = make_step(workload, jax, jnp)
    xs, ds = jax.device_put(X.reshape(ROWS, 1, -1)), jax.device_put(Y.reshape(ROWS, 1, -1))

    def run(p, xs, ds, n_epochs):
        def epoch(_, p):
            p, _ = jax.lax.scan(lambda q, xd: (step(q, xd[0], xd[1]), None), p, (xs, ds))
            return p
        return jax.lax.fori_loop(0, n_epochs, epoch, p)

    params = device_params(net.compile(shape="unrolled").init_params(0), "float64", jax)
    compiled = jax.jit(run).lower(params, xs, ds, np.int32(1)).compile()
    out = {}
    for epochs in epochs_list:
        n = calls if epochs < 100 else max(50, calls // 10)
        def call(e=epochs):
            return jax.block_until_ready(compiled(params, xs, ds, np.int32(e)))

        call()
        out[epochs] = _min_ns([call], n)[0] / 1e3
    return out


def table(rows: list[dict]) -> str:
    lines = ["| module | epochs | kernel alone (µs) | no checks (µs) | `kernels.train` (µs) | "
             "fixed cost (µs) | of which checks (µs) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['module']} | {r['epochs']} | {r['kernel_us']:.2f} | "
                     f"{r['floor_us']:.2f} | {r['train_us']:.2f} | {r['fixed_us']:.2f} | "
                     f"{r['train_us'] - r['floor_us']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = measure(args.calls)
    jax_us = jax_scan_us(tuple(sorted({r["epochs"] for r in rows})), args.calls)
    text = (f"{table(rows)}\n\nXOR 2-2-1, {ROWS} rows, batch {BATCH}, float64; min over the "
            f"calls (500 epochs: a tenth as many); {sitting()}.\n")
    if jax_us is None:
        text += "\nJAX is not installed here: no comparison (`make bench` has it).\n"
    else:
        text += ("\nThe same calls as one compiled JAX `lax.scan` program (float64, compiled "
                 "before; symprop ÷ JAX as a speed ratio, > 1: symprop faster):\n\n"
                 "| epochs | JAX lax.scan (µs) | symprop unrolled | symprop family |\n"
                 "|---|---|---|---|\n")
        for epochs, us in jax_us.items():
            by = {r["module"]: r["train_us"] for r in rows if r["epochs"] == epochs}
            text += (f"| {epochs} | {us:.1f} | {us / by['unrolled']:.2f}× | "
                     f"{us / by['family']:.2f}× |\n")
    emit(text, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
