"""The measuring protocol every peer goes through, and the peers' result type.

A peer hands `measure` two callables: ``fit(epochs)`` trains from the initial parameters and
returns once the work is done (timed), ``fetch(handle)`` turns what ``fit`` returned into
NumPy arrays (not timed). ``prepare()``, if given, runs untimed before each ``fit``.

1. first call: ``fit(1)`` in a fresh state; includes tracing/JIT compilation. It is also the
   warm-up of everything below.
2. timed runs: ``fit(epochs)`` at least ``min_runs`` times (and until ``min_total_s`` of timed
   work or ``max_runs``), back to back (``pause_s`` = 0): every peer runs in its own process,
   so no other peer's BLAS/OpenMP threads are left spinning, and a pause only makes the next
   run start on an idle CPU (measured: a 0.2 s sleep before each 50 ms W2 run cost symprop
   about 25 %); the garbage collector is off while a run is timed. Throughput =
   samples·epochs / the fastest run: this 2-core machine shares its host, and the same kernel
   in one process swings between about 0.7× and 1× of its speed in phases of seconds
   (measured), so the fastest run is the steadiest estimate, for every peer alike; the median
   is reported beside it. ``extra["other_processes_cpu"]`` is the
   share of the machine's CPU time that other processes took during the timed runs.
3. final loss: from the parameters of the last timed run, by `reference.mean_loss` (NumPy,
   float64) on the training set the peer saw, for every peer alike.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import reference
from .workloads import Workload


class PeerUnavailable(Exception):
    """The peer cannot run here (library not installed, API not there yet)."""


class NotComparable(Exception):
    """The peer cannot train exactly this workload; ``approx`` may hold a nearest figure."""

    def __init__(self, reason: str, approx: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.approx = approx or {}


@dataclass
class Timing:
    min_runs: int = 3
    max_runs: int = 15
    min_total_s: float = 1.0
    pause_s: float = 0.2


QUICK = Timing(min_runs=3, max_runs=3, min_total_s=0.0, pause_s=0.0)
FULL = Timing(min_runs=3, max_runs=15, min_total_s=2.0, pause_s=0.0)
SMOKE = Timing(min_runs=1, max_runs=1, min_total_s=0.0, pause_s=0.0)


@dataclass
class Result:
    samples_per_s: float
    first_call_s: float
    final_loss: float
    params: dict[str, np.ndarray]
    runs_s: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)   # compile_s, cold/warm start, notes


def cpu_snapshot() -> tuple[float, float, float] | None:
    """(wall s, CPU-seconds busy on the whole machine, CPU-seconds of this process), Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        with open("/proc/self/stat", encoding="ascii") as f:
            mine = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return time.perf_counter(), busy / tick, (int(mine[11]) + int(mine[12])) / tick


class ForeignLoad:
    """Share of the machine's CPU time used by *other* processes while we were timing."""

    def __init__(self) -> None:
        self.wall = self.other = 0.0
        self._start: tuple[float, float, float] | None = None

    def start(self) -> None:
        self._start = cpu_snapshot()

    def stop(self) -> None:
        end = cpu_snapshot()
        if self._start is not None and end is not None:
            self.wall += end[0] - self._start[0]
            self.other += max(0.0, (end[1] - self._start[1]) - (end[2] - self._start[2]))
        self._start = None

    def share(self) -> float | None:
        """None when too little was timed for the 10 ms clock ticks to say anything."""
        if self.wall < 0.2:
            return None
        return min(1.0, self.other / (self.wall * (os.cpu_count() or 1)))


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def measure(workload: Workload, dtype: str, X: np.ndarray, Y: np.ndarray, *,
            fit: Callable[[int], Any], fetch: Callable[[Any], dict[str, np.ndarray]],
            epochs: int, timing: Timing, prepare: Callable[[], None] | None = None,
            extra: dict[str, Any] | None = None) -> Result:
    """Run the protocol above. ``X``/``Y`` are the data as the peer saw them (its dtype)."""
    extra = {} if extra is None else extra

    gc.collect()     # once: with torch/jax loaded a full collection costs ~0.2 s
    foreign = ForeignLoad()

    def timed(n_epochs: int) -> tuple[float, Any]:
        if prepare is not None:
            prepare()
        pause(timing.pause_s)
        gc_was = gc.isenabled()
        gc.disable()
        foreign.start()
        try:
            t0 = time.perf_counter()
            handle = fit(n_epochs)
            return time.perf_counter() - t0, handle
        finally:
            foreign.stop()
            if gc_was:
                gc.enable()

    first_call_s, _ = timed(1)
    runs: list[float] = []
    handle = None
    while len(runs) < timing.min_runs or (sum(runs) < timing.min_total_s
                                          and len(runs) < timing.max_runs):
        seconds, handle = timed(epochs)
        runs.append(seconds)
    extra["other_processes_cpu"] = foreign.share()
    params = {k: np.array(v) for k, v in fetch(handle).items()}
    reference.check_params(workload, params)
    loss = reference.mean_loss(workload, params, X, Y)
    samples = X.shape[0] * epochs
    return Result(samples_per_s=samples / min(runs), first_call_s=first_call_s,
                  final_loss=loss, params=params, runs_s=runs, extra=extra)


def batches(n: int, batch_size: int) -> list[slice]:
    """Samples in order, the last partial batch included."""
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def as_dtype(a: np.ndarray, dtype: str) -> np.ndarray:
    """A fresh, writable, C-contiguous copy in ``dtype``."""
    return np.array(a, dtype=dtype, order="C", copy=True)


def sitting() -> str:
    """When and under what load a measurement was made, for the line under its table."""
    load = os.getloadavg()
    return (f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def emit(text: str, out) -> None:
    """A benchmark's table to stdout, and to the file ``out`` when one is given."""
    print(text)
    if out:
        out.write_text(text, encoding="utf-8")
