"""Run the benchmarks and write the Markdown report.

    python -m benchmarks.run [--quick] [--only W1,W3] [--dtypes float64,float32]
                             [--peers torch,jax-jit,jax-scan,sklearn,numpy,symprop]
                             --out reports/benchmarks.md

Peers run one after another, each in a fresh Python process (``--same-process`` to keep them
in this one; symprop's cold and warm starts are child processes of their own); one
failing peer is recorded in the table and the run goes on.
Progress goes to stderr, the report to ``--out`` and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import peers as peer_registry
from .timing import FULL, QUICK, NotComparable, PeerUnavailable, Result, Timing, pause
from .workloads import DTYPES, WORKLOADS, Workload

LOSS_TOL = {"float64": 1e-6, "float32": 1e-3}   # relative, against the NumPy peer
BUSY_SHARE = 0.15      # other processes' share of the CPU above which a figure gets a †
LEADERS = ("jax-scan", "symprop")   # the closest race: they get the extra rounds


@dataclass
class Row:
    peer: str
    status: str                      # ok | not installed | unavailable | not comparable | error
    message: str = ""
    result: Result | None = None
    approx: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.result is not None


# -- measuring ----------------------------------------------------------------------------------
def gemm_peak(dtype: str, n: int, repeats: int = 8) -> float:
    """GFLOP/s of NumPy's matmul on n×n matrices, best of ``repeats`` after a warm-up (the
    machine's speed moves in phases of seconds: enough runs to catch a fast one, like the
    peers' timed runs)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        pause(0.2)
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


def gemm_at_shapes(w: Workload, dtype: str, budget_s: float = 0.3) -> float:
    """GFLOP/s of NumPy doing nothing but the matrix products of one full-batch training step
    of ``w`` (forward, weight gradients, deltas carried back: exactly ``flops_per_sample``
    per row), fastest of as many runs as fit in ``budget_s``. What the BLAS gets at the
    workload's own shapes: the ceiling of any peer built on it."""
    rng = np.random.default_rng(0)
    s, B = w.sizes, w.batch_size
    W = [rng.standard_normal((s[i + 1], s[i])).astype(dtype) for i in range(len(s) - 1)]
    A = [rng.standard_normal((B, n)).astype(dtype) for n in s]
    D = [rng.standard_normal((B, n)).astype(dtype) for n in s[1:]]
    Z = [np.empty((B, n), dtype=dtype) for n in s[1:]]
    G = [np.empty_like(Wl) for Wl in W]
    back = [np.empty((B, n), dtype=dtype) for n in s[1:-1]]

    def step() -> None:
        for i, Wl in enumerate(W):
            np.matmul(A[i], Wl.T, out=Z[i])
        for i in reversed(range(len(W))):
            np.matmul(D[i].T, A[i], out=G[i])
            if i:
                np.matmul(D[i], W[i], out=back[i - 1])

    step()
    best, spent = float("inf"), 0.0
    while spent < budget_s:
        t0 = time.perf_counter()
        step()
        took = time.perf_counter() - t0
        best, spent = min(best, took), spent + took
    return w.flops_per_sample * B / best / 1e9


def run_peer(name: str, workload: Workload, dtype: str, params: dict[str, np.ndarray],
             X: np.ndarray, Y: np.ndarray, timing: Timing) -> Row:
    t0 = time.perf_counter()
    try:
        module = peer_registry.load(name)
        result = module.train(workload, dtype, {k: v.copy() for k, v in params.items()},
                              X.copy(), Y.copy(), timing=timing)
        row = Row(name, "ok", result=result)
    except PeerUnavailable as exc:
        text = str(exc)
        status = "not installed" if text.startswith("not installed") else "unavailable"
        if text.startswith(status):
            text = text[len(status):].strip(" :")
            if text.startswith("(") and text.endswith(")"):
                text = text[1:-1]
        row = Row(name, status, text)
    except NotComparable as exc:
        row = Row(name, "not comparable", str(exc), approx=exc.approx)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        first = (str(exc).strip().splitlines() or [""])[0]
        row = Row(name, "error", f"{type(exc).__name__}: {first}"[:300])
    row.wall_s = time.perf_counter() - t0
    return row


def run_peer_isolated(name: str, workload: Workload, dtype: str, quick: bool,
                      child_timeout: float, starts: bool = True) -> Row:
    """`run_peer` in a fresh Python process: no peer's thread pools slow the next one.

    In one process, the OpenMP threads PyTorch leaves spinning and NumPy's and SciPy's separate
    OpenBLAS pools take CPU from whichever peer runs next (measured: NumPy's W3 fell from 55 k to
    44 k samples/s after PyTorch, symprop's from 60 k to 47 k). The child rebuilds the same data
    and initial weights (both deterministic) and hands its `Row` back in a pickle file.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="symprop-bench-") as tmp:
        out = Path(tmp) / "row.pickle"
        cmd = [sys.executable, "-m", "benchmarks.run", "--child", name, workload.name, dtype,
               str(out), "--child-timeout", str(child_timeout)] + (["--quick"] if quick else [])
        if not starts:
            cmd.append("--no-starts")
        repo = Path(__file__).resolve().parents[1]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH")) if p)
        proc = subprocess.run(cmd, cwd=repo, env=env, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0 or not out.exists():
            tail = " | ".join(proc.stdout.strip().splitlines()[-2:])
            row = Row(name, "error", f"child process exited {proc.returncode} {tail}"[:300])
        else:
            with out.open("rb") as f:
                row = pickle.load(f)     # written by our own child just now
    row.wall_s = time.perf_counter() - t0
    return row


def best_round(rows: list[Row]) -> Row:
    """A peer's fastest round, with every round's samples/s and the first round's first call
    and start times (later rounds of symprop skip the cold/warm start processes, so their
    first call also compiles).

    Rounds alternate the peers, so a slow phase of this shared machine (they last seconds)
    hits every peer in some round rather than one peer in all of its runs.
    """
    done = [r for r in rows if r.ok]
    if not done:
        return rows[-1]
    best = max(done, key=lambda r: r.result.samples_per_s)
    extra = best.result.extra
    for key, value in done[0].result.extra.items():      # cold/warm starts: first round only
        extra.setdefault(key, value)
    extra["round_rates"] = [r.result.samples_per_s for r in done]
    best.result.first_call_s = done[0].result.first_call_s
    best.wall_s = sum(r.wall_s for r in rows)
    return best


def _workload(name: str, quick: bool) -> Workload:
    return WORKLOADS[name].scaled(epochs=WORKLOADS[name].epochs_for(quick))


def _child(args: argparse.Namespace) -> int:
    name, workload_name, dtype, out = args.child
    if args.no_starts:
        peer_registry.load("symprop").MEASURE_STARTS = False
    w = _workload(workload_name, args.quick)
    X, Y = w.data()
    row = run_peer(name, w, dtype, w.init_params(), X, Y, QUICK if args.quick else FULL)
    with open(out, "wb") as f:
        pickle.dump(row, f)
    return 0


# -- formatting ---------------------------------------------------------------------------------
def fmt_rate(x: float) -> str:
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if x >= scale:
            v = x / scale
            return f"{v:.3g}{suffix}" if v < 1000 else f"{v:.0f}{suffix}"
    return f"{x:.3g}"


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def disturbed(row: Row) -> str:
    """"†" when other processes took more than BUSY_SHARE of the CPU during the timed runs."""
    share = row.result.extra.get("other_processes_cpu") if row.ok else None
    return " †" if share is not None and share > BUSY_SHARE else ""


def short_status(row: Row) -> str:
    if row.ok:
        return fmt_rate(row.result.samples_per_s) + disturbed(row)
    if row.status == "not comparable":
        return "not comparable"
    return row.status


def loss_cell(row: Row, rows: list[Row], dtype: str) -> str:
    if not row.ok:
        return "—"
    ref, loss = reference_loss(rows), row.result.final_loss
    off = ref is not None and abs(loss - ref) > LOSS_TOL[dtype] * max(abs(ref), 1e-300)
    return f"{loss:.8g}" + (" ⚠" if off else "")


def reference_loss(rows: list[Row]) -> float | None:
    by = {r.peer: r for r in rows if r.ok}
    if "numpy" in by:
        return by["numpy"].result.final_loss
    losses = [r.result.final_loss for r in by.values() if r.peer != "symprop"]
    return statistics.median(losses) if losses else None


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = []
    for pkg in ("numpy", "numba", "llvmlite", "sympy", "torch", "jax", "jaxlib", "scikit-learn",
                "symprop"):
        try:
            versions.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            versions.append(f"{pkg} not installed")
    lines = [f"- CPU: {cpu}; {os.cpu_count()} logical cores, {usable} usable by this process",
             f"- Python {platform.python_version()} on {platform.system()} "
             f"{platform.release()}", "- " + ", ".join(versions)]
    try:
        from threadpoolctl import threadpool_info
        pools = []
        for p in threadpool_info():
            where = Path(p.get("filepath", "")).parent
            if where.name == "lib":                      # torch/lib/libgomp…
                where = where.parent
            pools.append(" ".join(filter(None, (p.get("internal_api"), p.get("version"))))
                         + f" ({p.get('num_threads')} threads, {where.name})")
        if pools:
            lines.append("- thread pools loaded by the end of the run: " + "; ".join(pools))
    except Exception:   # threadpoolctl is optional (scikit-learn brings it)
        pass
    return lines


def render(*, argv: list[str], quick: bool, dtypes: list[str], workloads: list[Workload],
           peers: list[str], peaks: dict[str, float], results: dict[tuple[str, str], list[Row]],
           timing: Timing, started: dt.datetime, elapsed_s: float,
           loads: tuple[str, str], rounds: int = 1, lead_rounds: int = 0,
           shape_gemm: dict[tuple[str, str], float] | None = None) -> str:
    L: list[str] = []
    title = "symprop benchmarks" + (" (quick)" if quick else "")
    L += [f"# {title}", "",
          f"`python -m benchmarks.run {' '.join(argv)}`, started {started:%Y-%m-%d %H:%M} "
          f"(local time), took {elapsed_s:.0f} s.", "", "## Machine", ""]
    L += machine_info()
    L.append(f"- load average (1/5/15 min) at the start {loads[0]}, at the end {loads[1]}: "
             "other processes on these 2 cores slow the peers unevenly")
    L += ["- NumPy GEMM peak (n×n matmul, best of 8): "
          + ", ".join(f"{d} {peaks[d]:.1f} GFLOP/s" for d in dtypes), ""]
    L += ["## Protocol", "",
          "Every peer runs in a fresh Python process (no thread pool left spinning by the "
          "previous peer) and trains the same network from the same initial weights on the "
          "same data with plain SGD (no momentum, no shuffling, last partial batch included; "
          "loss of a batch = mean over its samples)"
          + (f"; the peers of a workload run in turn, {rounds} rounds, and each peer's best "
             "round counts, so a slow phase of the machine hits every peer rather than one"
             if rounds > 1 else "")
          + (f"; the closest race, {' and '.join(peer_registry.label(n) for n in LEADERS)}, "
             f"runs {lead_rounds} rounds in turn (their ratio is the one noise could flip)"
             if lead_rounds > rounds else "")
          + ". *first call* = a 1-epoch training run in "
          "a fresh state, including any tracing/JIT compilation. *samples/s* = samples × epochs / "
          f"the fastest of ≥{timing.min_runs} timed full runs, back to back"
          + (f" after a {timing.pause_s} s pause each" if timing.pause_s else "")
          + " (the first call is the warm-up; the machine shares its host, and the same code "
          "swings by up to 30 % in phases of seconds, so the fastest run is the steadiest "
          "figure; the median is in the last column). *final loss* = mean loss over the whole "
          "training set, computed by NumPy in float64 from the parameters each peer returned; "
          "⚠ marks a relative difference from the NumPy peer above "
          + ", ".join(f"{LOSS_TOL[d]:g} ({d})" for d in dtypes)
          + ". *% peak* = samples/s × FLOP per sample ÷ GEMM peak. *spread* = slowest timed "
          "run over the fastest, minus one. *others* = share of the machine's CPU time that "
          "other processes used while this peer was timed (from /proc/stat; blank when under "
          f"0.2 s was timed); † marks figures where it exceeded {100 * BUSY_SHARE:.0f} %: "
          "on 2 cores such figures can be several times too low. "
          "*symprop ÷ peer* = symprop's samples/s over the peer's.", ""]
    L += ["## Workloads", "",
          "| id | network | epochs | samples | lr | FLOP/sample | data |",
          "|---|---|---|---|---|---|---|"]
    for w in workloads:
        n = w.data()[0].shape[0]
        L.append(f"| {w.name} | {w.describe()} | {w.epochs:,} | {n:,} | {w.learning_rate:g} "
                 f"| {w.flops_per_sample:,} | {_cell(w.dataset_note())} |")
    L.append("")
    if shape_gemm:
        L += ["*GEMMs alone* = NumPy doing nothing but one full-batch step's matrix products "
              "(forward, weight gradients, deltas back; the FLOP/sample above) at the "
              "workload's own shapes, fastest run: what this BLAS reaches there, the ceiling "
              "of a peer built on it, as a share of the n×n peak.", "",
              "| id | " + " | ".join(f"GEMMs alone, {d}" for d in dtypes) + " |",
              "|---|" + "---|" * len(dtypes)]
        for w in workloads:
            L.append(f"| {w.name} | " + " | ".join(
                f"{shape_gemm[(d, w.name)]:.3g} GFLOP/s "
                f"({100 * shape_gemm[(d, w.name)] / peaks[d]:.0f} % of peak)"
                for d in dtypes) + " |")
        L.append("")
    busy = sorted({f"{w} {d} {peer_registry.label(r.peer)}" for (d, w), rows in results.items()
                   for r in rows if disturbed(r)})
    if busy:
        L += [f"**Warning:** other processes took more than {100 * BUSY_SHARE:.0f} % of the "
              f"CPU while {len(busy)} of the figures were timed (marked †); rerun on a quiet "
              "machine before drawing conclusions from them.", ""]
    footnotes: list[str] = []
    for dtype in dtypes:
        L += [f"## {dtype}", "", "### Samples per second", "",
              "| workload | " + " | ".join(peer_registry.label(p) for p in peers) + " |",
              "|---|" + "---|" * len(peers)]
        for w in workloads:
            rows = results[(dtype, w.name)]
            L.append(f"| {w.name} | " + " | ".join(short_status(r) for r in rows) + " |")
        L += ["", "### Final loss (NumPy, float64, whole training set)", "",
              "| workload | " + " | ".join(peer_registry.label(p) for p in peers) + " |",
              "|---|" + "---|" * len(peers)]
        for w in workloads:
            rows = results[(dtype, w.name)]
            L.append(f"| {w.name} | " + " | ".join(loss_cell(r, rows, dtype) for r in rows)
                     + " |")
        L.append("")
        for w in workloads:
            rows = results[(dtype, w.name)]
            L += detail_table(w, dtype, rows, peaks[dtype], footnotes)
    if "symprop" in peers:
        L += symprop_table(dtypes, workloads, results)
    if footnotes:
        L += ["## Notes", ""] + [f"{i}. {text}" for i, text in enumerate(footnotes, start=1)]
        L.append("")
    return "\n".join(L)


def detail_table(w: Workload, dtype: str, rows: list[Row], peak: float,
                 footnotes: list[str]) -> list[str]:
    L = [f"### {w.name} {dtype}: {w.describe()}", "",
         "| peer | samples/s | symprop ÷ peer | % peak | first call | final loss | "
         "rel. Δ vs NumPy | timed runs: n × median (spread, others; samples/s by round) |",
         "|---|---|---|---|---|---|---|---|"]
    ref = reference_loss(rows)
    sym = next((r for r in rows if r.peer == "symprop" and r.ok), None)
    for r in rows:
        label = peer_registry.label(r.peer)
        if not r.ok:
            footnotes.append(f"{w.name} {dtype}, {label}: {r.status}"
                             + (f": {r.message}" if r.message and r.message != r.status else "")
                             + (f". Nearest scikit-learn model ({r.approx['model']}) ran at "
                                f"{fmt_rate(r.approx['samples_per_s'])} samples/s (indication "
                                f"only, a different model)." if r.approx else ""))
            L.append(f"| {label} | {r.status} [{len(footnotes)}] | | | | | | |")
            continue
        res = r.result
        ratio = (f"{sym.result.samples_per_s / res.samples_per_s:.2f}×"
                 if sym is not None and r.peer != "symprop" else "")
        frac = 100.0 * res.samples_per_s * w.flops_per_sample / (peak * 1e9)
        if ref is None or r.peer == "numpy":
            delta = ""
        else:
            rel = abs(res.final_loss - ref) / max(abs(ref), 1e-300)
            delta = f"{rel:.1e}" + (" ⚠" if rel > LOSS_TOL[dtype] else "")
        first = fmt_s(res.first_call_s)
        if "compile_s" in res.extra:
            first += f" (compile {fmt_s(res.extra['compile_s'])})"
        share = res.extra.get("other_processes_cpu")
        others = "" if share is None else f", others {100 * share:.0f} %"
        rates = res.extra.get("round_rates", [])
        by_round = ("; rounds " + " / ".join(fmt_rate(x) for x in rates)) if len(rates) > 1 else ""
        L.append(f"| {label} | {fmt_rate(res.samples_per_s)}{disturbed(r)} | {ratio} | "
                 f"{frac:.2g} % | {first} | {res.final_loss:.10g} | {delta} | "
                 f"{len(res.runs_s)} × {fmt_s(statistics.median(res.runs_s))} "
                 f"(+{100 * (max(res.runs_s) / min(res.runs_s) - 1):.0f} %{others}{by_round}) |")
    L.append("")
    return L


def symprop_table(dtypes: list[str], workloads: list[Workload],
                  results: dict[tuple[str, str], list[Row]]) -> list[str]:
    L = ["## symprop: generate, compile, start", "",
         "Cold = a fresh process with an empty `SYMPROP_CACHE_DIR`; warm = a second fresh "
         "process on the same cache. *compile* = `net.compile(dtype)`; *first step* = the "
         "first `train` call on one batch (numba compiles, or loads from its cache, on first "
         "call); *import→trained* = from `import symprop` to that step done. *first train "
         "call* = the 1-epoch first call of the throughput runs, in this process after a warm "
         "`net.compile`. *threads* = the row slices `train` splits a minibatch into "
         "(`Kernels.threads`; chosen by symprop, one thread each).", "",
         "| workload | dtype | threads | cold compile | cold first step | cold import→trained | "
         "warm compile | warm first step | warm import→trained | first train call |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for dtype in dtypes:
        for w in workloads:
            row = next(r for r in results[(dtype, w.name)] if r.peer == "symprop")
            if not row.ok:
                L.append(f"| {w.name} | {dtype} | | {row.status}: {_cell(row.message)} "
                         "| | | | | | |")
                continue
            e = row.result.extra
            cells = [fmt_s(e.get(f"{tag}_{what}_s")) for tag in ("cold", "warm")
                     for what in ("compile", "first_step", "trained")]
            L.append(f"| {w.name} | {dtype} | {e.get('threads', '—')} | " + " | ".join(cells)
                     + f" | {fmt_s(row.result.first_call_s)} |")
    L.append("")
    return L


# -- command line -------------------------------------------------------------------------------
def _list(text: str, allowed, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"unknown {what} {bad}; choose from {list(allowed)}")
    return items


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer epochs and repeats (~1 min)")
    ap.add_argument("--only", type=lambda s: _list(s, WORKLOADS, "workload"),
                    default=list(WORKLOADS))
    ap.add_argument("--dtypes", type=lambda s: _list(s, DTYPES, "dtype"), default=list(DTYPES))
    ap.add_argument("--peers", type=lambda s: _list(s, peer_registry.PEERS, "peer"),
                    default=list(peer_registry.PEERS))
    ap.add_argument("--out", type=Path, default=Path("reports/benchmarks.md"))
    ap.add_argument("--child-timeout", type=float, default=600.0, metavar="S",
                    help="limit for each of symprop's cold/warm start processes (default 600)")
    ap.add_argument("--same-process", action="store_true",
                    help="run every peer in this process (faster; peers disturb each other)")
    ap.add_argument("--rounds", type=int, default=None, metavar="N",
                    help="run the peers of each workload N times in turn and keep each peer's "
                         "best round (default 2, 1 with --quick)")
    ap.add_argument("--lead-rounds", type=int, default=None, metavar="N",
                        help="rounds for the two leading peers, JAX lax.scan and symprop "
                             "(default 4, 1 with --quick)")
    ap.add_argument("--child", nargs=4, metavar=("PEER", "WORKLOAD", "DTYPE", "OUT"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--no-starts", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if "symprop" in args.peers or args.child:
        peer_registry.load("symprop").CHILD_TIMEOUT_S = args.child_timeout

    if args.child:
        return _child(args)
    started, t_start, load_start = dt.datetime.now(), time.perf_counter(), load_average()
    timing = QUICK if args.quick else FULL
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 2)
    lead_rounds = args.lead_rounds if args.lead_rounds is not None else (1 if args.quick else 4)
    total_rounds = max(rounds, lead_rounds)
    workloads = [_workload(n, args.quick) for n in args.only]

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", file=sys.stderr, flush=True)

    n_gemm = 1536 if args.quick else 2048
    peaks = {}
    for dtype in args.dtypes:
        peaks[dtype] = gemm_peak(dtype, n_gemm)
        log(f"GEMM peak {dtype}: {peaks[dtype]:.1f} GFLOP/s")

    shape_gemm = {(dtype, w.name): gemm_at_shapes(w, dtype)
                  for dtype in args.dtypes for w in workloads}
    for (dtype, name), rate in shape_gemm.items():
        log(f"GEMMs alone at {name}'s shapes, {dtype}: {rate:.1f} GFLOP/s")

    results: dict[tuple[str, str], list[Row]] = {}
    for dtype in args.dtypes:
        for w in workloads:
            if args.same_process:
                X, Y = w.data()
                params = w.init_params()
            tries: dict[str, list[Row]] = {name: [] for name in args.peers}
            for turn in range(total_rounds):
                for name in args.peers:
                    if turn and not tries[name][0].ok:
                        continue        # not installed, not comparable, error: once is enough
                    if turn >= (lead_rounds if name in LEADERS else rounds):
                        continue
                    row = (run_peer(name, w, dtype, params, X, Y, timing) if args.same_process
                           else run_peer_isolated(name, w, dtype, args.quick,
                                                  args.child_timeout, starts=turn == 0))
                    tries[name].append(row)
                    what = (f"{fmt_rate(row.result.samples_per_s)} samples/s, first call "
                            f"{fmt_s(row.result.first_call_s)}, loss "
                            f"{row.result.final_loss:.8g}" if row.ok
                            else f"{row.status}: {row.message}")
                    log(f"{w.name} {dtype} {name} (round {turn + 1}): {what} "
                        f"({row.wall_s:.1f} s)")
            results[(dtype, w.name)] = [best_round(tries[name]) for name in args.peers]

    report = render(argv=argv, quick=args.quick, dtypes=args.dtypes, workloads=workloads,
                    peers=args.peers, peaks=peaks, results=results, timing=timing,
                    started=started, elapsed_s=time.perf_counter() - t_start,
                    loads=(load_start, load_average()), rounds=rounds,
                    lead_rounds=lead_rounds, shape_gemm=shape_gemm)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    print(report)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
