"""Datasets: truth tables, Playground generators, 1-D functions and CSV loading."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from symprop.errors import SpecError
from symprop.runtime.datasets import (
    DATASETS,
    TARGET_FUNCTIONS,
    Dataset,
    load_dataset,
    relu_sum,
    standardize,
)

PLAYGROUND = ["circle", "quadrants", "gauss", "spiral", "reg-plane", "reg-gauss"]


# --- truth tables ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, column", [
    ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0]), ("nand", [1, 1, 1, 0]),
])
def test_truth_tables_exact(name: str, column: list[int]) -> None:
    d = load_dataset(name)
    np.testing.assert_array_equal(d.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(d.Y, np.array(column, dtype=float).reshape(4, 1))
    assert d.X.dtype == d.Y.dtype == np.float64
    assert d.task == "classification" and d.classes == 2
    assert d.feature_names == ("x1", "x2") and len(d.target_names) == 1


def test_pm1_labels_for_perceptron() -> None:
    d = load_dataset("and", labels="pm1")
    np.testing.assert_array_equal(d.Y[:, 0], [-1, -1, -1, 1])
    c = load_dataset("circle", labels="pm1")
    assert set(np.unique(c.Y)) == {-1.0, 1.0}
    r = load_dataset("reg-plane", labels="pm1")  # regression targets are untouched
    np.testing.assert_array_equal(r.Y, load_dataset("reg-plane").Y)


def test_bad_arguments_raise_spec_error() -> None:
    with pytest.raises(SpecError, match="labels"):
        load_dataset("and", labels="yes")
    with pytest.raises(SpecError, match="noise"):
        load_dataset("circle", noise=-0.1)
    with pytest.raises(SpecError, match="n must be"):
        load_dataset("circle", n=0)


def test_unknown_name_lists_known_names() -> None:
    with pytest.raises(SpecError) as err:
        load_dataset("moons")
    text = str(err.value)
    for name in ("and", "circle", "quadrants", "spiral", "relu-sum", "playground-xor"):
        assert name in text


def test_registry_describes_every_name() -> None:
    for name in ["and", "or", "xor", "nand", *PLAYGROUND, "relu-sum", "sine"]:
        assert DATASETS[name].strip()
        load_dataset(name, n=20)


# --- Playground generators -------------------------------------------------------------------

@pytest.mark.parametrize("name", PLAYGROUND)
def test_playground_shapes_and_determinism(name: str) -> None:
    d = load_dataset(name, noise=0.2, seed=3)
    assert d.X.shape == (500, 2) and d.Y.shape == (500, 1)
    assert d.X.dtype == np.float64 and d.Y.dtype == np.float64
    assert np.all(np.isfinite(d.X)) and np.all(np.isfinite(d.Y))
    assert np.all(np.abs(d.X) < 12)
    same = load_dataset(name, noise=0.2, seed=3)
    np.testing.assert_array_equal(d.X, same.X)
    np.testing.assert_array_equal(d.Y, same.Y)
    other = load_dataset(name, noise=0.2, seed=4)
    assert not np.array_equal(d.X, other.X)
    small = load_dataset(name, n=37)
    assert small.X.shape == (37, 2) and small.Y.shape == (37, 1)
    if name.startswith("reg-"):
        assert d.task == "regression" and d.classes is None
        bound = 1.2 if name == "reg-plane" else 1.0  # (6 + 6) / 10: the Playground's scale
        assert np.all(np.abs(load_dataset(name).Y) <= bound)
    else:
        assert d.task == "classification" and d.classes == 2
        assert set(np.unique(d.Y)) == {0.0, 1.0}


def test_circle_geometry() -> None:
    d = load_dataset("circle", noise=0.0)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    inner = d.Y[:, 0] == 1
    assert inner.sum() == 250
    assert np.all(r[inner] < 2.5)
    assert np.all((r[~inner] >= 3.5) & (r[~inner] <= 5.0))
    noisy = load_dataset("circle", noise=0.5)
    rn = np.hypot(noisy.X[:, 0], noisy.X[:, 1])
    # with noise some labels disagree with the radius (the Playground labels a jittered point)
    assert np.any((rn < 2.5) != (noisy.Y[:, 0] == 1))


def test_quadrants_geometry_and_alias() -> None:
    d = load_dataset("quadrants", noise=0.0)
    prod = d.X[:, 0] * d.X[:, 1]
    np.testing.assert_array_equal(d.Y[:, 0], (prod >= 0).astype(float))
    assert np.all(np.abs(d.X) >= 0.3) and np.all(np.abs(d.X) <= 5.3)
    alias = load_dataset("playground-xor", noise=0.0)
    np.testing.assert_array_equal(alias.X, d.X)
    assert alias.name == "quadrants"


def test_spiral_two_equal_arms() -> None:
    d = load_dataset("spiral", noise=0.0)
    ones = d.Y[:, 0] == 1
    assert ones.sum() == (~ones).sum() == 250
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    # both arms have radii i / 250 * 5, i = 0..249, and are point reflections of each other
    expected = np.arange(250) / 250 * 5
    np.testing.assert_allclose(np.sort(r[ones]), expected, atol=1e-12)
    np.testing.assert_allclose(np.sort(r[~ones]), expected, atol=1e-12)
    a = d.X[ones][np.argsort(r[ones])]
    b = d.X[~ones][np.argsort(r[~ones])]
    np.testing.assert_allclose(a, -b, atol=1e-12)


def test_gauss_clusters_and_noise_variance() -> None:
    d = load_dataset("gauss", noise=0.0, n=4000)
    pos = d.Y[:, 0] == 1
    np.testing.assert_allclose(d.X[pos].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(d.X[~pos].mean(axis=0), [-2, -2], atol=0.1)
    # variance 0.5 at noise 0, 4 at noise 0.5 (the Playground's d3 scale)
    assert d.X[pos].var(axis=0) == pytest.approx([0.5, 0.5], rel=0.15)
    wide = load_dataset("gauss", noise=0.5, n=4000)
    assert wide.X[wide.Y[:, 0] == 1].var(axis=0) == pytest.approx([4, 4], rel=0.15)


def test_reg_plane_formula_without_noise() -> None:
    d = load_dataset("reg-plane", noise=0.0)
    np.testing.assert_allclose(d.Y[:, 0], (d.X[:, 0] + d.X[:, 1]) / 10)
    assert np.all(np.abs(d.X) <= 6)


def test_reg_gauss_peaks() -> None:
    d = load_dataset("reg-gauss", noise=0.0, n=3000)
    near = np.hypot(d.X[:, 0] + 4, d.X[:, 1] - 2.5) < 0.5  # bump (-4, 2.5) has sign +1
    expected = 1 - np.hypot(d.X[near, 0] + 4, d.X[near, 1] - 2.5) / 2
    np.testing.assert_allclose(d.Y[near, 0], expected)
    far = np.min([np.hypot(d.X[:, 0] - cx, d.X[:, 1] - cy)
                  for cx in (-4, 0, 4) for cy in (-2.5, 2.5)], axis=0) > 2
    np.testing.assert_array_equal(d.Y[far, 0], 0.0)


# --- 1-D functions ---------------------------------------------------------------------------

def _relu_sum_by_hand(x: float) -> float:
    relu = lambda v: max(v, 0.0)  # noqa: E731
    n = [relu(-5 * x - 7.7), relu(-1.2 * x - 1.3), relu(1.2 * x + 1),
         relu(1.2 * x - 0.2), relu(2 * x - 1.1), relu(5 * x - 5)]
    return -n[0] - n[1] - n[2] + n[3] + n[4] + n[5]


def test_relu_sum_values() -> None:
    # x = 0: only n3 = 1 is active -> -1
    assert relu_sum(0.0) == pytest.approx(-1.0)
    # x = 1: n3 = 2.2, n4 = 1.0, n5 = 0.9, n6 = 0 -> -2.2 + 1.0 + 0.9 = -0.3
    assert relu_sum(1.0) == pytest.approx(-0.3)
    # x = -2: n1 = 2.3, n2 = 1.1 -> -3.4 ; x = 2: -3.4 + 2.2 + 2.9 + 5 = 6.7
    assert relu_sum(-2.0) == pytest.approx(-3.4)
    assert relu_sum(2.0) == pytest.approx(6.7)
    xs = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(relu_sum(xs), [_relu_sum_by_hand(x) for x in xs], atol=1e-12)
    assert TARGET_FUNCTIONS["relu-sum"] is relu_sum


def test_function_datasets() -> None:
    d = load_dataset("relu-sum")
    assert d.X.shape == (200, 1) and d.Y.shape == (200, 1) and d.task == "regression"
    np.testing.assert_allclose(d.X[:, 0], np.linspace(-2, 2, 200))
    np.testing.assert_allclose(d.Y[:, 0], relu_sum(d.X[:, 0]))
    s = load_dataset("sine", n=50)
    assert s.X[0, 0] == pytest.approx(-math.pi) and s.X[-1, 0] == pytest.approx(math.pi)
    np.testing.assert_allclose(s.Y[:, 0], np.sin(s.X[:, 0]))
    noisy = load_dataset("relu-sum", noise=0.1, seed=1)
    np.testing.assert_array_equal(noisy.X, d.X)
    resid = noisy.Y - d.Y
    assert 0.05 < resid.std() < 0.2
    np.testing.assert_array_equal(noisy.Y, load_dataset("relu-sum", noise=0.1, seed=1).Y)
    assert not np.array_equal(noisy.Y, load_dataset("relu-sum", noise=0.1, seed=2).Y)


# --- Dataset helpers -------------------------------------------------------------------------

def test_split_is_deterministic_and_partitions() -> None:
    d = load_dataset("circle", n=100)
    train, test = d.split(0.3, seed=5)
    assert len(train) == 70 and len(test) == 30
    assert isinstance(train, Dataset) and train.classes == 2
    both = np.vstack([train.X, test.X])
    np.testing.assert_array_equal(both[np.lexsort(both.T)], d.X[np.lexsort(d.X.T)])
    again = d.split(0.3, seed=5)
    np.testing.assert_array_equal(again[1].X, test.X)
    assert not np.array_equal(d.split(0.3, seed=6)[1].X, test.X)
    with pytest.raises(SpecError):
        d.split(1.0)


def test_standardize() -> None:
    X = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    Xs, mean, std = standardize(X)
    np.testing.assert_allclose(mean, [3, 5])
    np.testing.assert_allclose(std, [math.sqrt(8 / 3), 1.0])  # constant column -> std 1
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs[:, 0].std(), 1)
    np.testing.assert_array_equal(Xs[:, 1], 0)


def test_dataset_is_frozen() -> None:
    d = load_dataset("or")
    with pytest.raises(AttributeError):
        d.name = "x"  # type: ignore[misc]


# --- CSV -------------------------------------------------------------------------------------

def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_regression_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ [1.5, -2.0, 0.25] + 0.1
    lines = ["a,b,c,y"] + [",".join(repr(float(v)) for v in [*row, t])
                           for row, t in zip(X, y, strict=True)]
    p = _write(tmp_path, "\n".join(lines) + "\n")
    d = load_dataset(str(p))
    assert d.task == "regression" and d.classes is None and d.name == "data"
    assert d.feature_names == ("a", "b", "c") and d.target_names == ("y",)
    np.testing.assert_array_equal(d.X, X)
    np.testing.assert_array_equal(d.Y[:, 0], y)
    assert load_dataset(p).X.shape == (30, 3)  # Path objects work too


def test_csv_target_columns_override(tmp_path: Path) -> None:
    p = _write(tmp_path, "t,x1,x2,u\n0.5,1,2,3.5\n1.5,4,5,6.5\n")
    d = load_dataset(str(p), target_columns=["t", "u"])
    assert d.feature_names == ("x1", "x2") and d.target_names == ("t", "u")
    np.testing.assert_array_equal(d.X, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(d.Y, [[0.5, 3.5], [1.5, 6.5]])


def test_csv_string_classes_one_hot(tmp_path: Path) -> None:
    p = _write(tmp_path, "x1,x2,species\n1,2,setosa\n3,4,virginica\n5,6,versicolor\n"
                         "\n7,8,setosa\n")
    d = load_dataset(str(p))
    assert d.task == "classification" and d.classes == 3
    assert d.target_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(d.Y, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
    assert d.X.shape == (4, 2)


def test_csv_two_classes_zero_one(tmp_path: Path) -> None:
    p = _write(tmp_path, "x1,x2,label\n0,0,-1\n0,1,1\n1,0,1\n1,1,-1\n")
    d = load_dataset(str(p))
    assert d.task == "classification" and d.classes == 2 and d.Y.shape == (4, 1)
    np.testing.assert_array_equal(d.Y[:, 0], [0, 1, 1, 0])
    pm = load_dataset(str(p), labels="pm1")
    np.testing.assert_array_equal(pm.Y[:, 0], [-1, 1, 1, -1])
    s = _write(tmp_path, "x,ok\n1,yes\n2,no\n", "s.csv")
    np.testing.assert_array_equal(load_dataset(str(s)).Y[:, 0], [1, 0])


def test_csv_task_override(tmp_path: Path) -> None:
    p = _write(tmp_path, "x,y\n1,1\n2,2\n3,3\n")
    assert load_dataset(str(p)).task == "classification"  # few integers
    d = load_dataset(str(p), task="regression")
    assert d.task == "regression" and d.Y.shape == (3, 1)


@pytest.mark.parametrize("text, where", [
    ("", "empty dataset"),
    ("a,b,y\n", "empty dataset"),
    ("a,b,y\n1,2,3\n4,5\n", "line 3"),
    ("a,b,y\n1,2,3\n4,oops,6\n", "line 3, column 'b'"),
    ("a,b,y\n1,nan,3\n", "line 2, column 'b'"),
    ("a,b,y\n1,2,0.5\n1,2,inf\n", "line 3, column 'y'"),
])
def test_csv_errors_name_file_and_place(tmp_path: Path, text: str, where: str) -> None:
    p = _write(tmp_path, text, "bad.csv")
    with pytest.raises(SpecError) as err:
        load_dataset(str(p))
    assert "bad.csv" in str(err.value)
    assert where in str(err.value)
    assert err.value.file == str(p)


def test_csv_missing_file_and_unknown_target(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(SpecError, match="not found") as err:
        load_dataset(str(missing))
    assert "nope.csv" in str(err.value)
    p = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(SpecError, match="unknown target column 'z'") as err:
        load_dataset(str(p), target_columns=["z"])
    assert "data.csv" in str(err.value) and err.value.key == "z"
