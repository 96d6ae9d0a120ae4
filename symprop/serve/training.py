"""Live training for one page (one websocket): the generated kernels in a worker thread.

Each `Trainer` owns its data, parameters and thread, so two tabs never share anything but the
compiled kernels. Epochs run one kernel call each with a seed made from (seed, epoch): pausing,
stepping or a slow machine never change the numbers, and reset gives the same run again.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..derive.rules import ACTIVATIONS
from ..errors import SpecError, TrainingError
from ..runtime.train import get_data
from ..spec import Network
from .state import LIMITS, Settings

FRAME_SECONDS = 0.1          # one frame to the page about this often while training
GRID = 48                    # the decision boundary is sampled on GRID × GRID points
CURVE_POINTS = 400           # loss curves are thinned to at most this many points

_compile_lock = threading.Lock()   # one compile at a time: the kernel cache is per process


def load_data(net: Network, settings: Settings, csv_text: str | None = None,
              csv_name: str = "upload.csv"):
    """(train, test) datasets for ``net``: a Playground dataset by name or an uploaded CSV."""
    if settings.dataset == "csv" or csv_text is not None:
        if not csv_text:
            raise SpecError("no CSV uploaded", key="dataset", expected="a CSV file to upload")
        if len(csv_text.encode("utf-8", "replace")) > LIMITS["csv_bytes"]:
            raise SpecError("CSV too large", file=csv_name,
                            expected=f"at most {LIMITS['csv_bytes']} bytes")
        if csv_text.count("\n") > LIMITS["csv_rows"]:
            raise SpecError("CSV has too many rows", file=csv_name,
                            expected=f"at most {LIMITS['csv_rows']} rows")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(csv_name).name)[:60] or "upload.csv"
        if not safe.lower().endswith(".csv"):
            safe += ".csv"
        with tempfile.TemporaryDirectory(prefix="symprop-serve-") as folder:
            path = os.path.join(folder, safe)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(csv_text)
            try:
                ds = get_data(path, net)
            except SpecError as exc:   # name the upload, not the temporary folder
                raise SpecError(str(exc).replace(folder + os.sep, "")) from None
    else:
        ds = get_data(settings.dataset, net, noise=settings.noise, seed=settings.seed)
    if len(ds) < 2:
        raise SpecError("too few rows", key="dataset", expected="at least 2 rows")
    return ds.split(0.5, seed=settings.seed)


class Trainer:
    """Trains one network on one dataset; reports through ``send`` (called from its thread)."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self.send = send
        self.cond = threading.Condition()
        self.mode = "idle"            # idle · running · paused · closed
        self.steps_wanted = 0
        self.config: tuple | None = None
        self.generation = 0           # bumped by configure/reset: a running loop restarts
        self.thread = threading.Thread(target=self._loop, name="symprop-trainer", daemon=True)
        self.thread.start()

    # -- commands (from the websocket) ----------------------------------------------------------
    def configure(self, net: Network, settings: Settings, csv_text: str | None = None,
                  csv_name: str = "upload.csv") -> dict[str, Any]:
        train, test = load_data(net, settings, csv_text, csv_name)
        with self.cond:
            self.config = (net, settings, train, test)
            self.generation += 1
            self.mode = "paused"
            self.steps_wanted = 0
            self.cond.notify_all()
        return {"train_rows": len(train), "test_rows": len(test),
                "features": list(train.feature_names), "task": train.task,
                "points": _points(train, test)}

    def command(self, name: str) -> None:
        with self.cond:
            if self.config is None:
                raise SpecError("nothing to train yet", key="cmd",
                                expected="a 'configure' message first")
            if name == "play":
                self.mode = "running"
            elif name == "pause":
                self.mode = "paused"
            elif name == "step":
                self.mode, self.steps_wanted = "paused", self.steps_wanted + 1
            elif name == "reset":
                self.mode, self.steps_wanted = "paused", 0
                self.generation += 1
            else:
                raise SpecError("unknown command", key="cmd",
                                expected="play, pause, step or reset", got=name[:20])
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.mode = "closed"
            self.cond.notify_all()

    # -- the worker ------------------------------------------------------------------------------
    def _loop(self) -> None:
        run: _Run | None = None
        while True:
            with self.cond:
                while self._idle(run):
                    self.cond.wait()
                if self.mode == "closed":
                    return
                config, generation = self.config, self.generation
            try:
                if run is None or run.generation != generation:
                    run = _Run(config, generation, self.send)
                    self.send(run.frame("ready"))
                    continue
                self._train(run)
            except (SpecError, TrainingError) as exc:
                with self.cond:
                    self.mode, self.steps_wanted = "paused", 0
                self.send({"type": "error", "message": str(exc)})
            except Exception as exc:   # never let the thread die silently; the page says why
                with self.cond:
                    self.mode, self.steps_wanted = "paused", 0
                self.send({"type": "error", "message": f"training failed: {exc!r}"[:300]})

    def _idle(self, run: _Run | None) -> bool:
        if self.mode in ("running", "closed") or self.steps_wanted:
            return False
        stale = run is None or run.generation != self.generation
        return not (self.config is not None and stale)

    def _train(self, run: _Run) -> None:
        start = time.perf_counter()
        while time.perf_counter() - start < FRAME_SECONDS:
            with self.cond:
                if run.generation != self.generation or self.mode == "closed":
                    return
                if self.steps_wanted:
                    self.steps_wanted -= 1
                elif self.mode != "running":
                    break
            if run.epoch >= LIMITS["epochs"]:
                with self.cond:
                    self.mode = "paused"
                self.send({"type": "status", "state": "paused",
                           "message": f"stopped at the limit of {LIMITS['epochs']} epochs"})
                break
            run.one_epoch()
        with self.cond:
            state = "running" if self.mode == "running" else "paused"
        self.send(run.frame(state))


class _Run:
    """The parameters and history of one configured run, from its seed."""

    def __init__(self, config: tuple, generation: int, send: Callable) -> None:
        net, settings, train, test = config
        self.generation, self.settings = generation, settings
        self.train, self.test = train, test
        with _compile_lock:
            send({"type": "status", "state": "compiling",
                  "message": "compiling the generated kernels (the first time takes a while)…"})
            began = time.perf_counter()
            self.kernels = net.compile()
            ticker = _Ticker(send, began)
            try:
                self.kernels.warmup()
            finally:
                ticker.stop()
        self.params = self.kernels.init_params(settings.seed)
        self.epoch = 0
        self.history: dict[str, list[float]] = {"train": [], "test": []}
        self.grid = _grid(train, test) if train.n_features == 2 else None
        bounds = ACTIVATIONS[net.layers[-1].activation].output_range
        self.output_range = bounds if bounds and all(map(np.isfinite, bounds)) else None
        self._record()

    def one_epoch(self) -> None:
        s = self.settings
        seed = (s.seed * 1_000_003 + self.epoch) % 2**63
        self.params, _ = self.kernels.train(
            self.params, self.train.X, self.train.Y, epochs=1,
            batch_size=min(s.batch, len(self.train)), learning_rate=s.learning_rate, seed=seed)
        self.epoch += 1
        self._record()

    def _record(self) -> None:
        k = self.kernels
        self.history["train"].append(k.loss(self.params, self.train.X, self.train.Y))
        self.history["test"].append(k.loss(self.params, self.test.X, self.test.Y))

    def frame(self, state: str) -> dict[str, Any]:
        k = self.kernels
        out: dict[str, Any] = {"type": "frame", "state": state, "epoch": self.epoch,
                               "train_loss": _thin(self.history["train"]),
                               "test_loss": _thin(self.history["test"])}
        if k.classifier:
            out["test_accuracy"] = k.accuracy(self.params, self.test.X, self.test.Y)
        if self.grid is not None:
            X, extent = self.grid
            Y = k.forward(self.params, X)
            if Y.shape[1] == 1:
                values, kind = Y[:, 0], "value"
                lo, hi = self.output_range or (float(values.min()), float(values.max()))
            else:
                values, kind = Y.argmax(axis=1).astype(float), "class"
                lo, hi = 0.0, float(Y.shape[1] - 1)
            # colours on the output's own scale: one colour everywhere means one class everywhere
            out["boundary"] = {"n": GRID, "extent": extent, "kind": kind, "lo": lo, "hi": hi,
                               "values": np.round(values, 4).tolist()}
        out["params"] = {name: np.round(v, 6).tolist() for name, v in self.params.items()}
        return out


class _Ticker:
    """Says how long the first compile has taken, once a second, until stopped."""

    def __init__(self, send: Callable, began: float) -> None:
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._tick, args=(send, began), daemon=True)
        self.thread.start()

    def _tick(self, send: Callable, began: float) -> None:
        while not self.done.wait(1.0):
            seconds = time.perf_counter() - began
            send({"type": "status", "state": "compiling",
                  "message": f"compiling the generated kernels… {seconds:.0f} s"})

    def stop(self) -> None:
        self.done.set()


def _grid(train, test) -> tuple[np.ndarray, list[float]]:
    X = np.vstack([train.X, test.X])
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    lo, hi = lo - pad, hi + pad
    xs = np.linspace(lo[0], hi[0], GRID)
    ys = np.linspace(hi[1], lo[1], GRID)          # row 0 is the top of the canvas
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]), [float(lo[0]), float(hi[0]),
                                                         float(lo[1]), float(hi[1])]


def _points(train, test) -> list[list[float]]:
    """Up to LIMITS['points'] (x1, x2, label, is_test) rows for the canvas (2 inputs only)."""
    if train.n_features != 2:
        return []
    rows = []
    for flag, ds in ((0, train), (1, test)):
        label = ds.Y.argmax(axis=1) if ds.Y.shape[1] > 1 else ds.Y[:, 0]
        for (a, b), c in zip(ds.X, label, strict=True):
            rows.append([round(float(a), 4), round(float(b), 4), round(float(c), 4), flag])
    return rows[: int(LIMITS["points"])]


def _thin(values: list[float]) -> list[float | None]:
    step = max(1, -(-len(values) // CURVE_POINTS))
    picked = values[::step]
    if picked and (len(values) - 1) % step:
        picked.append(values[-1])
    return [round(v, 6) if np.isfinite(v) else None for v in picked]
