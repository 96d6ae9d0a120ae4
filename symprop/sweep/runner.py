"""Run a sweep on Dask: one code path for an embedded `LocalCluster` and an existing scheduler.

The client generates each distinct network's kernel module once and sends its *source text*
with its content hash (see `tasks`); the data set travels once per worker (scattered). Every
run is one task. Results are appended to the CSV as they arrive (header once, one flushed line
per run), so an interrupted sweep keeps what finished and ``resume=True`` skips it.

Failures: a task whose worker dies is rescheduled by the scheduler on another worker; a task
that raises is retried ``retries`` times by Dask (``submit(retries=)``); a task that ends as
``KilledWorker`` (it took down several workers) or lost its data is resubmitted here, again up
to ``retries`` times. Each run's result is written once: the CSV is keyed by grid point + seed.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..io import read_text, write_atomic
from ..runtime.datasets import Dataset
from ..spec import Network
from . import grid as gridmod
from .tasks import WORKER_ENV, KernelRef, RunSpec, kernel_ref, run_training

#: Result columns after the grid's own columns (a grid parameter keeps its own column).
RESULT_COLUMNS = ("seed", "loss", "accuracy", "epochs", "train_s", "wall_s", "compile_s",
                  "worker", "status")
#: Training settings when neither the grid nor the caller gives them.
DEFAULTS = {"lr": 0.1, "momentum": 0.0, "epochs": 100, "batch_size": 32}   # as `symprop train`

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    """Everything a sweep produced; ``rows`` holds one dict per run, in grid order."""

    grid: dict[str, list[Any]]
    seeds: list[int]
    rows: list[dict[str, Any]]
    failed: list[dict[str, Any]] = field(default_factory=list)
    compiles: dict[str, int] = field(default_factory=dict)   # worker -> networks it compiled
    disk_loads: dict[str, int] = field(default_factory=dict)  # ... it loaded from numba's cache
    resumed: int = 0
    wall_s: float = 0.0
    workers: int = 0
    out: Path | None = None

    @property
    def names(self) -> list[str]:
        return list(self.grid)

    @property
    def ran(self) -> int:
        """Runs this call executed (resumed ones not counted)."""
        return len(self.rows) - self.resumed

    @property
    def runs_per_s(self) -> float:
        return self.ran / self.wall_s if self.wall_s > 0 else math.nan

    # summary is imported when used: matplotlib stays out of `symprop`'s start-up
    def stats(self) -> list[Any]:
        """Per grid point: mean ± std over seeds, best first (`summary.PointStats`)."""
        from .summary import aggregate
        return aggregate(self.rows, self.names)

    def table(self, top: int = 10) -> str:
        from .summary import table
        return table(self.rows, self.names, top)

    def plot(self, path: str | os.PathLike[str], title: str | None = None) -> Path:
        from .summary import plot
        return plot(self.rows, self.grid, path, title)


# -- the results file -------------------------------------------------------------------------
def columns_for(names: Sequence[str]) -> list[str]:
    return [*names, *(c for c in RESULT_COLUMNS if c not in names)]


class ResultsFile:
    """The CSV a sweep streams into: header once, then one flushed line per finished run."""

    def __init__(self, path: str | os.PathLike[str], columns: Sequence[str], *,
                 resume: bool) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.existing: list[dict[str, str]] = []
        if self.path.is_dir():
            raise SpecError("the results file is a folder", file=str(self.path),
                            expected="a .csv file name")
        if _has_results(self.path):
            if not resume:
                raise SpecError("the results file already holds results", file=str(self.path),
                                expected="--resume to continue that sweep, or another --out")
            self.existing = self._read_existing()
        else:
            write_atomic(self.path, _csv_line(self.columns))
        # kept open for the whole sweep: one flushed line per run, closed by close()
        self._fh = open(self.path, "a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\n")

    def _read_existing(self) -> list[dict[str, str]]:
        text = read_text(self.path, limit_name="data_bytes")
        if not text.endswith("\n"):
            # the sweep was killed in the middle of a line: drop the half line, keep the rest
            text = text[: text.rfind("\n") + 1]
            write_atomic(self.path, text)
        try:
            lines = list(csv.reader(text.splitlines()))
        except csv.Error as exc:
            raise SpecError(f"not a CSV file ({exc})", file=str(self.path)) from None
        if not lines or lines[0] != self.columns:
            raise SpecError("the results file was written by a different sweep",
                            file=str(self.path), key="header",
                            expected=",".join(self.columns),
                            got=",".join(lines[0]) if lines else "")
        rows = []
        for number, line in enumerate(lines[1:], start=2):
            if len(line) != len(self.columns):
                continue
            row = dict(zip(self.columns, line, strict=True))
            _check_numbers(row, self.path, number)
            rows.append(row)
        return rows

    def append(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([_cell(row.get(c)) for c in self.columns])
        self._fh.flush()   # a line per run reaches the file now: an interrupt loses nothing

    def close(self) -> None:
        self._fh.close()


def _has_results(path: Path) -> bool:
    """True when ``path`` has more than a header line (a half line counts)."""
    try:
        with open(path, encoding="utf-8") as fh:
            fh.readline()
            return bool(fh.readline())
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the results file ({exc})", file=str(path)) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # round-trips exactly: the file holds the very loss computed
    return str(value)


def _csv_line(cells: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


#: results columns that hold numbers, and their type (an empty cell is allowed)
_NUMERIC = {"seed": int, "loss": float, "accuracy": float, "epochs": int, "train_s": float,
            "wall_s": float, "compile_s": float}


def _check_numbers(row: Mapping[str, str], path: Path, line: int) -> None:
    """Refuse a resumed results row whose number cells are not numbers (an edited file)."""
    for column, kind in _NUMERIC.items():
        cell = row.get(column)
        if not cell:
            if column == "seed" and cell is not None:
                raise SpecError("empty seed", file=str(path), key=f"line {line}, seed",
                                expected="an integer")
            continue
        try:
            kind(cell)
        except ValueError:
            raise SpecError("not a number", file=str(path), key=f"line {line}, {column}",
                            expected="an integer" if kind is int else "a number",
                            got=cell) from None


def _typed_row(raw: Mapping[str, str], grid: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """A CSV row back in Python types (grid values as the grid holds them)."""
    row: dict[str, Any] = dict(raw)
    for name, values in grid.items():
        by_text = {gridmod.format_value(v): v for v in values}
        row[name] = by_text.get(raw[name], raw[name])
    row["seed"] = int(raw["seed"])
    row["loss"] = float(raw["loss"]) if raw["loss"] else math.nan
    row["accuracy"] = float(raw["accuracy"]) if raw.get("accuracy") else None
    for key, kind in (("epochs", int), ("train_s", float), ("wall_s", float),
                      ("compile_s", float)):
        if key in raw and key not in grid:
            row[key] = kind(raw[key]) if raw[key] else None
    return row


# -- the cluster ------------------------------------------------------------------------------
@contextmanager
def connect(scheduler: str | None = None, workers: int = 2, client: Any = None
            ) -> Iterator[Any]:
    """A Dask client: ``client`` as given, one on ``scheduler``, or an embedded LocalCluster.

    The embedded cluster has ``workers`` processes of one thread each; numba and BLAS get one
    thread per worker (``WORKER_ENV``), so runs do not oversubscribe the cores.
    """
    if client is not None:
        yield client
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:   # pragma: no cover - depends on the install
        raise SpecError("sweeps need dask.distributed", key="sweep",
                        expected="pip install 'symprop[sweep]'") from exc
    if scheduler:
        try:
            c = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise SpecError(f"cannot reach the Dask scheduler ({exc})", key="--scheduler",
                            expected="the address of a running scheduler, e.g. "
                            "tcp://host:8786", got=scheduler) from None
        try:
            yield c
        finally:
            c.close()
        return
    # env= is applied in each worker process before it imports numba (NUMBA_NUM_THREADS)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           env=dict(WORKER_ENV), dashboard_address=":0",
                           silence_logs=logging.ERROR)
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


# -- the sweep --------------------------------------------------------------------------------
def _as_network(network: Network | str | os.PathLike[str]) -> Network:
    if isinstance(network, Network):
        return network
    from ..spec import load
    return load(network)


def _as_data(data: Any, network: Network) -> Dataset:
    """The training set as ``symprop train`` would use it (label coding, checks)."""
    from ..runtime.train import get_data

    if isinstance(data, list) and len(data) == 2:
        data = tuple(data)
    if not isinstance(data, Dataset | tuple | str | os.PathLike):
        raise SpecError("unknown data", key="data",
                        expected="a Dataset, a dataset name, a .csv path or (X, Y)",
                        got=type(data).__name__)
    return get_data(data, network)


def plan(network: Network, grid: Mapping[str, Sequence[Any]], seeds: Sequence[int],
         defaults: Mapping[str, Any]) -> list[tuple[gridmod.Point, Network, RunSpec]]:
    """Every run of the sweep, in grid order then seed order."""
    runs = []
    for point in gridmod.points(grid):
        variant = gridmod.network_for(network, point)
        cfg = gridmod.settings(point, defaults)
        for seed in seeds:
            runs.append((point, variant, RunSpec(
                key=(*point.key(), str(seed)), point=point.items, seed=int(seed),
                epochs=int(cfg["epochs"]), batch_size=int(cfg["batch_size"]),
                learning_rate=float(cfg["lr"]), momentum=float(cfg["momentum"]),
                shuffle=bool(cfg.get("shuffle", True)))))
    return runs


def run_sweep(network: Network | str | os.PathLike[str], data: Any,
              grid: Mapping[str, Any] | None = None, seeds: Sequence[int] | str = (0,), *,
              epochs: int = DEFAULTS["epochs"], batch_size: int = DEFAULTS["batch_size"],
              learning_rate: float = DEFAULTS["lr"], momentum: float = DEFAULTS["momentum"],
              shuffle: bool = True, dtype: str = "float64", scheduler: str | None = None,
              client: Any = None, workers: int = 2, out: str | os.PathLike[str] | None = None,
              resume: bool = False, retries: int = 2, progress: bool = True,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> SweepResult:
    """Train ``network`` at every grid point for every seed, on Dask, and collect the results.

    ``grid`` maps parameters (``lr``, ``momentum``, ``epochs``, ``batch_size``, ``hidden``,
    ``hidden<l>``, ``activation``) to values; the other settings come from the keywords.
    ``data`` is a `Dataset`, a dataset name / CSV path, or ``(X, Y)``. Without ``scheduler``
    or ``client`` an embedded LocalCluster with ``workers`` processes runs the tasks. With
    ``out`` each result is appended to that CSV as it arrives; ``resume=True`` keeps the runs
    already there (matched on grid point + seed) and runs only the rest. ``on_result`` is
    called in this process with each new result row.
    """
    t_start = time.perf_counter()
    net = _as_network(network)
    if net.is_perceptron:
        raise SpecError("a sweep trains backpropagation networks; threshold units train by the "
                        "perceptron rule in one call: use `symprop train`", file=net.source,
                        key="network.layers", expected="differentiable activations")
    the_grid = gridmod.normalize_grid(grid or {})
    gridmod.check_against(net, the_grid)
    seed_list = gridmod.parse_seeds(seeds)
    defaults = gridmod.normalize_grid({"lr": learning_rate, "momentum": momentum,
                                       "epochs": epochs, "batch_size": batch_size})
    defaults = {k: v[0] for k, v in defaults.items()} | {"shuffle": shuffle}
    if client is None and not scheduler and not (isinstance(workers, int) and workers >= 1):
        raise SpecError("bad worker count", key="--workers", expected="an integer >= 1",
                        got=workers)
    if not (isinstance(retries, int) and retries >= 0):
        raise SpecError("bad retry count", key="retries", expected="an integer >= 0",
                        got=retries)
    payload = _as_data(data, net)
    runs = plan(net, the_grid, seed_list, defaults)
    names = list(the_grid)
    columns = columns_for(names)

    results_file = ResultsFile(out, columns, resume=resume) if out is not None else None
    done: dict[tuple[str, ...], dict[str, Any]] = {}
    if results_file is not None:
        wanted = {spec.key for _, _, spec in runs}
        for raw in results_file.existing:
            key = (*(raw[n] for n in names), raw["seed"])
            if key in wanted and key not in done:
                done[key] = _typed_row(raw, the_grid)
    resumed = len(done)
    todo = [r for r in runs if r[2].key not in done]

    # one kernel module per distinct network, generated here once (source + content hash)
    refs: dict[tuple, KernelRef] = {}
    for _, variant, _ in todo:
        if _net_key(variant) not in refs:
            refs[_net_key(variant)] = kernel_ref(variant, dtype)

    collector = _Collector(done, results_file, names, on_result)
    failed: list[dict[str, Any]] = []
    n_workers = 0
    try:
        if todo:
            with connect(scheduler, workers, client) as c:
                n_workers = _wait_for_workers(c, scheduler)
                t_start = time.perf_counter()   # runs per second: from a ready cluster on
                with collector.progress(len(runs), resumed, progress):
                    failed = _execute(c, todo, refs, payload, retries, collector)
    finally:
        if results_file is not None:
            results_file.close()
    wall = time.perf_counter() - t_start
    rows = [done[spec.key] for _, _, spec in runs if spec.key in done]
    return SweepResult(the_grid, seed_list, rows, failed, collector.compiles,
                       collector.disk_loads, resumed, wall, n_workers,
                       Path(out) if out is not None else None)


def _net_key(network: Network) -> tuple:
    """What makes two grid points' networks the same kernels."""
    return (network.inputs, network.layers, network.loss, network.relu_at_zero, network.name)


def _wait_for_workers(client: Any, scheduler: str | None, timeout: float = 60.0) -> int:
    """The number of workers, once there is at least one."""
    if not client.nthreads():
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise SpecError("the Dask scheduler has no workers", key="--scheduler",
                            expected=f"a worker connected within {timeout:g} s",
                            got=scheduler) from None
    return len(client.nthreads())


class _Collector:
    """Takes each finished run: writes it once, counts compiles, moves the progress bar."""

    def __init__(self, done: dict[tuple[str, ...], dict[str, Any]],
                 results_file: ResultsFile | None, names: Sequence[str],
                 on_result: Callable[[dict[str, Any]], None] | None) -> None:
        self.done, self.results_file, self.names, self.on_result = (done, results_file,
                                                                    names, on_result)
        self.compiles: dict[str, int] = {}
        self.disk_loads: dict[str, int] = {}
        self.best = min((r["loss"] for r in done.values() if not math.isnan(r["loss"])),
                        default=math.inf)
        self.bar: Any = None

    @contextmanager
    def progress(self, total: int, initial: int, enabled: bool) -> Iterator[None]:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="run", desc="sweep",
                        disable=not enabled, dynamic_ncols=True)
        try:
            yield
        finally:
            self.bar.close()

    def accept(self, result: Mapping[str, Any], spec: RunSpec) -> None:
        if spec.key in self.done:        # a run that somehow came back twice is written once
            return
        row = _row(result, spec, self.names)
        self.done[spec.key] = row
        if self.results_file is not None:
            self.results_file.append(row)
        worker = row["worker"]
        if row.get("compiled"):
            self.compiles[worker] = self.compiles.get(worker, 0) + 1
        if row.get("from_disk"):
            self.disk_loads[worker] = self.disk_loads.get(worker, 0) + 1
        if not math.isnan(row["loss"]):
            self.best = min(self.best, row["loss"])
        self.bar.update(1)
        self.bar.set_postfix(best_loss=f"{self.best:.4g}", refresh=False)
        if self.on_result is not None:
            self.on_result(row)

    def failed(self, spec: RunSpec, error: str) -> dict[str, Any]:
        self.bar.write(f"symprop sweep: run {' '.join(spec.key)} failed: {error}")
        return {"key": spec.key, "point": dict(spec.point), "seed": spec.seed, "error": error}


def _execute(client: Any, todo: list, refs: dict[tuple, KernelRef], payload: Dataset,
             retries: int, collector: _Collector) -> list[dict[str, Any]]:
    """Submit every run, take results as they finish, resubmit what the cluster lost."""
    from distributed import as_completed

    data = client.scatter(payload, broadcast=True)     # once per worker, not once per task
    tag = uuid.uuid4().hex[:8]
    pending: dict[str, tuple[KernelRef, RunSpec, int]] = {}

    def submit(ref: KernelRef, spec: RunSpec, attempt: int) -> Any:
        key = f"symprop-sweep-{tag}-{'-'.join(spec.key)}-a{attempt}"
        pending[key] = (ref, spec, attempt)
        return client.submit(run_training, ref, spec, data, key=key, retries=retries,
                             pure=False)

    queue = as_completed([submit(refs[_net_key(variant)], spec, 0)
                          for _, variant, spec in todo])
    failed: list[dict[str, Any]] = []
    for future in queue:
        ref, spec, attempt = pending.pop(future.key)
        if future.status == "finished":
            result = future.result()
            future.release()
            collector.accept(result, spec)
            continue
        error = _describe(future)
        future.release()
        if attempt < retries and _retryable(error):
            # the scheduler gave up on it (KilledWorker) or its data went missing
            if data.status != "finished":
                data = client.scatter(payload, broadcast=True)
            log.warning("run %s: %s; resubmitting", spec.key, error)
            queue.add(submit(ref, spec, attempt + 1))
            continue
        failed.append(collector.failed(spec, error))
    return failed


def _describe(future: Any) -> str:
    if future.status == "cancelled":
        return "cancelled (lost data or scheduler)"
    try:
        exc = future.exception()
    except Exception as err:  # noqa: BLE001 - the future itself may be gone
        return f"{type(err).__name__}: {err}"
    return f"{type(exc).__name__}: {exc}"


def _retryable(error: str) -> bool:
    return error.startswith(("KilledWorker", "cancelled", "CancelledError",
                             "FutureCancelledError"))


def _row(result: Mapping[str, Any], spec: RunSpec, names: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = dict(spec.point)
    row.update({k: v for k, v in result.items() if k not in names})
    row["seed"] = spec.seed
    return row
