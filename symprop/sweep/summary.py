"""The sweep's summary: mean ± std over seeds per grid point, the best points, and a plot."""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

if "matplotlib.pyplot" not in sys.modules:  # never switch a backend someone already uses
    matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..io import write_atomic  # noqa: E402
from .grid import format_value  # noqa: E402


@dataclass(frozen=True)
class PointStats:
    """One grid point over its seeds."""

    point: tuple[tuple[str, Any], ...]
    runs: int
    loss_mean: float
    loss_std: float
    accuracy_mean: float | None
    accuracy_std: float | None
    diverged: int

    def label(self) -> str:
        return " ".join(f"{k}={format_value(v)}" for k, v in self.point) or "(defaults)"


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return math.nan, math.nan
    # sample std over seeds (ddof=1): the spread a new seed would show
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def _ok(row: Mapping[str, Any]) -> bool:
    return row.get("status", "ok") == "ok"


def aggregate(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> list[PointStats]:
    """Group ``rows`` by grid point; best (lowest mean final loss) first, NaN last."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for row in rows:
        key = tuple((n, row[n]) for n in names)
        groups.setdefault(key, []).append(row)
    stats = []
    for key, group in groups.items():
        # a diverged run's loss is from before it diverged: it says nothing about the point
        ok = [r for r in group if _ok(r)]
        losses = [float(r["loss"]) for r in ok]
        accs = [float(r["accuracy"]) for r in ok if r.get("accuracy") is not None]
        loss_mean, loss_std = _mean_std(losses)
        has_acc = any(r.get("accuracy") is not None for r in group)
        acc_mean, acc_std = _mean_std(accs) if has_acc else (None, None)
        diverged = len(group) - len(ok)
        stats.append(PointStats(key, len(group), loss_mean, loss_std, acc_mean, acc_std,
                                diverged))
    stats.sort(key=lambda s: (math.isnan(s.loss_mean), s.loss_mean))
    return stats


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    if math.isnan(mean):
        return "nan"
    return f"{mean:.4g} ± {std:.2g}"


def table(rows: Sequence[Mapping[str, Any]], names: Sequence[str], top: int = 10) -> str:
    """A plain-text table of the ``top`` best grid points (mean ± std over seeds)."""
    stats = aggregate(rows, names)
    has_acc = any(s.accuracy_mean is not None for s in stats)
    header = ["#", *names, "runs", "final loss", *(["accuracy"] if has_acc else [])]
    lines = []
    for rank, s in enumerate(stats[:top], start=1):
        runs = f"{s.runs}" + (f" ({s.diverged} diverged)" if s.diverged else "")
        gone = s.diverged == s.runs
        cells = [str(rank), *(format_value(v) for _, v in s.point), runs,
                 "diverged" if gone else _pm(s.loss_mean, s.loss_std)]
        if has_acc:
            cells.append("-" if gone else _pm(s.accuracy_mean, s.accuracy_std))
        lines.append(cells)
    widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]
    out = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
            for cells in lines]
    if len(stats) > top:
        out.append(f"({len(stats) - top} more grid points in the results file)")
    return "\n".join(out)


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def plot(rows: Sequence[Mapping[str, Any]], grid: Mapping[str, Sequence[Any]],
         path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Final loss (and accuracy) against each grid parameter, mean ± std over seeds.

    Diverged runs are left out (their points show fewer seeds, or none).

    One panel per parameter; a line per combination of the other parameters when there are at
    most six of them, else one line averaged over them. Written atomically as PNG.
    """
    names = list(grid)
    rows = [r for r in rows if _ok(r)]          # diverged runs have no final loss to show
    has_acc = any(r.get("accuracy") is not None for r in rows)
    metrics = ["loss", *(["accuracy"] if has_acc else [])]
    panels = names or ["seed"]
    fig = Figure(figsize=(4.2 * len(panels), 3.4 * len(metrics)), dpi=100, layout="constrained")
    axes = fig.subplots(len(metrics), len(panels), squeeze=False)
    for col, name in enumerate(panels):
        values = list(grid[name]) if names else sorted({r["seed"] for r in rows})
        numeric = _numeric(values)
        xs = values if numeric else list(range(len(values)))
        others = [n for n in names if n != name]
        combos = sorted({tuple((o, r[o]) for o in others) for r in rows}, key=str)
        lines = combos if len(combos) <= 6 else [None]
        for row_i, metric in enumerate(metrics):
            ax = axes[row_i][col]
            for combo in lines:
                means, stds = [], []
                for v in values:
                    sel = [float(r[metric]) for r in rows
                           if (r[name] if names else r["seed"]) == v
                           and r.get(metric) is not None
                           and (combo is None or all(r[o] == c for o, c in combo))]
                    m, s = _mean_std(sel)
                    means.append(m)
                    stds.append(s)
                label = (" ".join(f"{o}={format_value(c)}" for o, c in combo)
                         if combo else ("mean over other parameters" if others else None))
                ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=label or None)
            if numeric and len(values) > 1 and min(values) > 0 and max(values) / min(values) > 20:
                ax.set_xscale("log")
            if not numeric:
                ax.set_xticks(xs, [format_value(v) for v in values])
            finite = [float(r[metric]) for r in rows
                      if r.get(metric) is not None and math.isfinite(float(r[metric]))]
            if metric == "loss" and finite and min(finite) > 0 and max(finite) / min(finite) > 50:
                ax.set_yscale("log")
            ax.set_xlabel(name)
            ax.set_ylabel(f"final {metric}")
            ax.grid(True, alpha=0.3)
            if any(combo is not None for combo in lines) and row_i == 0 and others:
                ax.legend(fontsize=7)
    fig.suptitle(title or f"sweep: final loss over {len(rows)} runs (mean ± std over seeds)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return write_atomic(path, buf.getvalue())
