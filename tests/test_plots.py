"""Plots: every function writes a readable PNG of the expected size, atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from symprop.errors import SpecError
from symprop.runtime import plots
from symprop.runtime.datasets import load_dataset, relu_sum

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEIGHT, WIDTH = (round(plots.FIGSIZE[1] * plots.DPI), round(plots.FIGSIZE[0] * plots.DPI))


def _check_png(path: Path, returned: Path) -> None:
    assert returned == path
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == PNG_SIGNATURE
    img = mpimg.imread(path)
    assert img.shape[:2] == (HEIGHT, WIDTH)
    assert img.std() > 0.01  # something was drawn
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def _sigmoid_xy(G: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-G[:, 0] * G[:, 1]))


def test_loss_curve(tmp_path: Path) -> None:
    history = {"loss": list(np.exp(-np.arange(50) / 10)), "accuracy": list(np.linspace(0.5, 1,
                                                                                     50))}
    p = tmp_path / "loss.png"
    _check_png(p, plots.loss_curve(history, p, title="xor"))


def test_loss_curve_zero_loss_and_no_accuracy(tmp_path: Path) -> None:
    p = tmp_path / "loss.png"
    _check_png(p, plots.loss_curve({"loss": [3.0, 1.0, 0.0, 0.0]}, p))
    with pytest.raises(SpecError):
        plots.loss_curve({"loss": []}, tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


@pytest.mark.parametrize("labels", ["01", "pm1"])
def test_decision_boundary(tmp_path: Path, labels: str) -> None:
    d = load_dataset("quadrants", n=200, labels=labels)
    p = tmp_path / "sub" / "boundary.png"  # parent folder is created
    out = plots.decision_boundary(_sigmoid_xy, d.X, d.Y, p, title="quadrants",
                                  hidden_lines=[(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0, 0, 1)])
    _check_png(p, out)


def test_decision_boundary_multiclass(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    Y = np.eye(3)[rng.integers(0, 3, 60)]

    def softmax(G: np.ndarray) -> np.ndarray:
        z = np.column_stack([G[:, 0], G[:, 1], -G[:, 0] - G[:, 1]])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    p = tmp_path / "multi.png"
    _check_png(p, plots.decision_boundary(softmax, X, Y, p))


def test_hidden_unit_lines(tmp_path: Path) -> None:
    d = load_dataset("circle", n=200)
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    p = tmp_path / "lines.png"
    _check_png(p, plots.hidden_unit_lines(W1, np.array([2.0, -2.0, 0.5, 0.0]), d.X, d.Y, p))
    q = tmp_path / "nobias.png"
    plots.hidden_unit_lines(W1, None, d.X, d.Y, q)
    assert q.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(SpecError):
        plots.hidden_unit_lines(np.ones((3, 3)), None, d.X, d.Y, tmp_path / "bad.png")


def test_regression_fit(tmp_path: Path) -> None:
    d = load_dataset("relu-sum", n=50)
    p = tmp_path / "fit.png"
    _check_png(p, plots.regression_fit(lambda x: relu_sum(x) + 0.1, d.X, d.Y, p,
                                       target=relu_sum, title="relu-sum"))
    q = tmp_path / "fit2.png"
    out = plots.regression_fit(lambda x: np.sin(x), d.X, d.Y, q)
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_failure_leaves_no_file(tmp_path: Path) -> None:
    d = load_dataset("xor")

    def broken(G: np.ndarray) -> np.ndarray:
        raise RuntimeError("kernel failed")

    with pytest.raises(RuntimeError, match="kernel failed"):
        plots.decision_boundary(broken, d.X, d.Y, tmp_path / "b.png")
    with pytest.raises(RuntimeError, match="kernel failed"):
        plots.regression_fit(broken, d.X[:, :1], d.Y, tmp_path / "r.png")
    assert list(tmp_path.iterdir()) == []


def test_failure_during_save_keeps_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "loss.png"
    plots.loss_curve({"loss": [1.0, 0.5]}, p)
    before = p.read_bytes()

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", explode)
    with pytest.raises(OSError, match="disk full"):
        plots.loss_curve({"loss": [2.0, 0.1]}, p)
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["loss.png"]


def test_bad_shapes_raise(tmp_path: Path) -> None:
    X = np.zeros((5, 3))
    with pytest.raises(SpecError, match="2 input features"):
        plots.decision_boundary(_sigmoid_xy, X, np.zeros((5, 1)), tmp_path / "x.png")
    with pytest.raises(SpecError, match="wrong number of rows"):
        plots.decision_boundary(lambda G: np.zeros(3), np.zeros((5, 2)), np.zeros((5, 1)),
                                tmp_path / "y.png")
    assert list(tmp_path.iterdir()) == []
