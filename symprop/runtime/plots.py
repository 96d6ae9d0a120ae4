"""PNG plots of training: loss curves, Playground-style decision boundaries, 1-D fits.

Functions take plain numpy arrays and callables.  Each writes its PNG atomically (a temporary
file in the target directory, then ``os.replace``), so a failure, e.g. inside ``predict``,
leaves no partial file, and returns the path.  Figures are built with
:class:`matplotlib.figure.Figure` on the Agg canvas: no display, no pyplot figure registry.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib

if "matplotlib.pyplot" not in sys.modules:  # never switch a backend someone already uses
    matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap, ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..errors import SpecError  # noqa: E402
from ..io import write_atomic  # noqa: E402

#: The Playground's colours: orange for negative / class 0, blue for positive / class 1.
ORANGE, BLUE, GREY = "#f59322", "#0877bd", "#e8eaeb"
#: Diverging orange - light grey - blue colormap of the Playground's output heatmap.
PLAYGROUND_CMAP = LinearSegmentedColormap.from_list("playground", [ORANGE, GREY, BLUE])
#: Figure size in inches and resolution; a plot is ``FIGSIZE * DPI`` pixels.
FIGSIZE: tuple[float, float] = (6.0, 5.0)
DPI = 100
GRID = 120  # heatmap resolution per axis

Line = tuple[float, float, float]


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path`` as PNG via a temporary file and ``os.replace``."""
    # render in memory first: a failing savefig leaves no file and keeps an older one
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return write_atomic(path, buffer.getvalue())


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _as_2d(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise SpecError(f"{name} must be a 1-D or 2-D array", key=name, got=a.shape)
    return a


def _points_2d(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, Y = _as_2d(X, "X"), _as_2d(Y, "Y")
    if X.shape[1] != 2:
        raise SpecError("this plot needs exactly 2 input features", key="X",
                        expected="shape (n, 2)", got=X.shape)
    if X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise SpecError("X and Y need the same, non-zero number of rows", key="Y",
                        got=(X.shape, Y.shape))
    return X, Y


def _bounds(X: np.ndarray) -> tuple[float, float, float, float]:
    """Axis limits covering the data with a 10 % margin (at least 0.5)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.maximum(0.1 * (hi - lo), 0.5)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(
        hi[1] + pad[1])


def _class_colours(Y: np.ndarray) -> tuple[list[str], int]:
    """Point colours: orange/blue for one output column, tab10 by argmax for several."""
    if Y.shape[1] == 1:
        cut = 0.5 if Y.min() >= 0 else 0.0
        return [BLUE if y > cut else ORANGE for y in Y[:, 0]], 2
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(int(k) % 10) for k in Y.argmax(axis=1)], Y.shape[1]


def _draw_points(ax: Axes, X: np.ndarray, Y: np.ndarray) -> None:
    colours, _ = _class_colours(Y)
    ax.scatter(X[:, 0], X[:, 1], c=colours, s=28, edgecolors="white", linewidths=0.8,
               zorder=3)


def _line_points(w1: float, w2: float, b: float, bounds: tuple[float, float, float, float]
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """Two points of w1*x1 + w2*x2 + b = 0 spanning the plot, or None for a degenerate line."""
    x0, x1, y0, y1 = bounds
    if abs(w2) >= abs(w1):
        if w2 == 0:
            return None
        xs = np.array([x0, x1])
        return xs, -(w1 * xs + b) / w2
    ys = np.array([y0, y1])
    return -(w2 * ys + b) / w1, ys


def _draw_lines(ax: Axes, lines: Sequence[Line], bounds: tuple[float, float, float, float],
                *, colours: bool) -> None:
    cmap = matplotlib.colormaps["tab10"]
    for k, (w1, w2, b) in enumerate(lines):
        pts = _line_points(float(w1), float(w2), float(b), bounds)
        if pts is None:
            continue
        colour = cmap(k % 10) if colours else "#333333"
        label = f"h{k + 1}: {w1:+.3g}·x1 {w2:+.3g}·x2 {b:+.3g} = 0"
        ax.plot(*pts, linestyle="--", linewidth=1.4, color=colour, label=label, zorder=4)
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    if 0 < len(lines) <= 12:
        ax.legend(loc="upper right", fontsize=7, framealpha=0.8)


def loss_curve(history: Mapping[str, Sequence[float]], path: str | os.PathLike[str],
               title: str | None = None) -> Path:
    """Loss per epoch on a log axis; ``accuracy`` (if present) on a twin axis.

    Optional ``val_loss`` and ``val_accuracy`` are drawn dotted.  A loss that reaches zero
    switches the axis to symlog so the curve stays visible.
    """
    if "loss" not in history or len(history["loss"]) == 0:
        raise SpecError("history needs a non-empty 'loss' list", key="loss")
    loss = np.asarray(history["loss"], dtype=np.float64)
    epochs = np.arange(1, loss.size + 1)
    fig, ax = _figure()
    ax.plot(epochs, loss, color=BLUE, label="loss")
    curves = [loss]
    if "val_loss" in history and len(history["val_loss"]):
        val = np.asarray(history["val_loss"], dtype=np.float64)
        ax.plot(np.arange(1, val.size + 1), val, color=BLUE, linestyle=":", label="val loss")
        curves.append(val)
    values = np.concatenate(curves)
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() <= 0:
        positive = finite[finite > 0]
        ax.set_yscale("symlog", linthresh=float(positive.min()) if positive.size else 1e-8)
    else:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss", color=BLUE)
    handles, labels = ax.get_legend_handles_labels()
    twin: Axes | None = None
    for key, style in (("accuracy", "-"), ("val_accuracy", ":")):
        if key not in history or not len(history[key]):
            continue
        if twin is None:
            twin = ax.twinx()
            twin.set_ylim(0.0, 1.02)
            twin.set_ylabel("accuracy", color=ORANGE)
        acc = np.asarray(history[key], dtype=np.float64)
        (h,) = twin.plot(np.arange(1, acc.size + 1), acc, color=ORANGE, linestyle=style,
                         label=key.replace("_", " "))
        handles.append(h)
        labels.append(str(h.get_label()))
    (twin or ax).legend(handles, labels, loc="center right", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(title or "training")
    return _save(fig, path)


def decision_boundary(predict_proba: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                      Y: np.ndarray, path: str | os.PathLike[str], title: str | None = None,
                      hidden_lines: Sequence[Line] | None = None) -> Path:
    """Playground-style plot: network output as a heatmap, data points, hidden-unit lines.

    ``predict_proba`` maps an (m, 2) array to (m,), (m, 1) or (m, C) outputs.  One output
    is shown orange (0 or -1) to blue (1); outputs or targets below zero switch the colour
    range from [0, 1] to [-1, 1].  Several outputs colour each region by the argmax class.
    ``hidden_lines`` holds (w1, w2, b) of first-layer units, drawn dashed where
    w1*x1 + w2*x2 + b = 0: each hidden node is one boundary line.
    """
    X, Y = _points_2d(X, Y)
    bounds = _bounds(X)
    gx = np.linspace(bounds[0], bounds[1], GRID)
    gy = np.linspace(bounds[2], bounds[3], GRID)
    xx, yy = np.meshgrid(gx, gy)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    out = _as_2d(predict_proba(grid), "predict_proba output")
    if out.shape[0] != grid.shape[0]:
        raise SpecError("predict_proba returned the wrong number of rows", key="predict_proba",
                        expected=str(grid.shape[0]), got=out.shape)
    fig, ax = _figure()
    extent = bounds
    if out.shape[1] == 1:
        z = out[:, 0].reshape(xx.shape)
        finite = z[np.isfinite(z)]
        signed = Y.min() < 0 or (finite.size > 0 and finite.min() < 0)
        vmin = -1.0 if signed else 0.0
        im = ax.imshow(z, origin="lower", extent=extent, cmap=PLAYGROUND_CMAP, vmin=vmin,
                       vmax=1.0, aspect="auto", interpolation="bilinear", alpha=0.85)
        fig.colorbar(im, ax=ax, shrink=0.85, label="network output")
    else:
        classes = out.shape[1]
        cmap = ListedColormap([matplotlib.colormaps["tab10"](k % 10) for k in range(classes)])
        z = out.argmax(axis=1).reshape(xx.shape)
        ax.imshow(z, origin="lower", extent=extent, cmap=cmap, vmin=-0.5,
                  vmax=classes - 0.5, aspect="auto", interpolation="nearest", alpha=0.35)
    _draw_points(ax, X, Y)
    if hidden_lines:
        _draw_lines(ax, hidden_lines, bounds, colours=False)
    ax.set_xlim(bounds[0], bounds[1])
    ax.set_ylim(bounds[2], bounds[3])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or "decision boundary")
    return _save(fig, path)


def hidden_unit_lines(W1: np.ndarray, b1: np.ndarray | None, X: np.ndarray, Y: np.ndarray,
                      path: str | os.PathLike[str], title: str | None = None) -> Path:
    """The data and one labelled line w1*x1 + w2*x2 + b = 0 per hidden unit (row of W1)."""
    X, Y = _points_2d(X, Y)
    W1 = np.asarray(W1, dtype=np.float64)
    if W1.ndim != 2 or W1.shape[1] != 2:
        raise SpecError("W1 must have shape (H, 2)", key="W1", got=W1.shape)
    b = np.zeros(W1.shape[0]) if b1 is None else np.asarray(b1, dtype=np.float64).ravel()
    if b.shape != (W1.shape[0],):
        raise SpecError("b1 must have one bias per hidden unit", key="b1",
                        expected=f"shape ({W1.shape[0]},)", got=b.shape)
    bounds = _bounds(X)
    fig, ax = _figure()
    _draw_points(ax, X, Y)
    _draw_lines(ax, [(w[0], w[1], c) for w, c in zip(W1, b, strict=True)], bounds,
                colours=True)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or f"{W1.shape[0]} hidden unit boundary lines")
    return _save(fig, path)


def regression_fit(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, Y: np.ndarray,
                   path: str | os.PathLike[str],
                   target: Callable[[np.ndarray], np.ndarray] | None = None,
                   title: str | None = None) -> Path:
    """1-D fit: data points, network curve and (optionally) the target curve.

    The legend gives the maximum absolute error: network vs ``target`` on the dense grid
    when a target is given, else network vs data.
    """
    X, Y = _as_2d(X, "X"), _as_2d(Y, "Y")
    if X.shape[1] != 1 or Y.shape[1] != 1 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise SpecError("regression_fit needs X and Y of shape (n, 1)", key="X",
                        got=(X.shape, Y.shape))
    lo, hi = float(X.min()), float(X.max())
    grid = np.linspace(lo, hi, 500).reshape(-1, 1)
    net = _as_2d(predict(grid), "predict output")[:, 0]
    if net.shape[0] != grid.shape[0]:
        raise SpecError("predict returned the wrong number of rows", key="predict",
                        expected=str(grid.shape[0]), got=net.shape)
    fig, ax = _figure()
    ax.scatter(X[:, 0], Y[:, 0], s=12, color=ORANGE, alpha=0.7, label="data", zorder=2)
    if target is not None:
        want = np.asarray(target(grid[:, 0]), dtype=np.float64).ravel()
        err = float(np.max(np.abs(net - want)))
        ax.plot(grid[:, 0], want, color="#333333", linewidth=1.5, label="target")
        what = "vs target"
    else:
        fit = _as_2d(predict(X), "predict output")[:, 0]
        err = float(np.max(np.abs(fit - Y[:, 0])))
        what = "vs data"
    ax.plot(grid[:, 0], net, color=BLUE, linewidth=2.0, linestyle="--",
            label=f"network (max |error| {what} = {err:.3g})")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.set_title(title or "regression fit")
    return _save(fig, path)
