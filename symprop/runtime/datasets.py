"""Datasets for training: truth tables, TensorFlow Playground generators, 1-D functions, CSV.

Every loader returns a :class:`Dataset` whose ``X`` is ``(n, n_features)`` and ``Y`` is
``(n, n_outputs)``, both float64.  Classification targets are 0/1 (or -1/+1 with
``labels="pm1"``) in one column for two classes and one-hot columns for more.

The Playground generators are ports of ``src/dataset.ts`` of
https://github.com/tensorflow/playground: same radii, padding, spiral turns and noise
formulas (``noise`` is the Playground's fraction, 0 to 0.5 in its UI), drawn with
``numpy.random.default_rng(seed)`` instead of seedrandom, and shuffled like the Playground.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import SpecError
from ..io import check_readable
from ..limits import check as check_limit

Task = Literal["classification", "regression"]

#: Known dataset names with a one-line description (the CLI prints these).
DATASETS: dict[str, str] = {
    "and": "truth table of AND: 4 rows, inputs 0/1",
    "or": "truth table of OR: 4 rows, inputs 0/1",
    "xor": "truth table of XOR: 4 rows, inputs 0/1 (not linearly separable)",
    "nand": "truth table of NAND: 4 rows, inputs 0/1",
    "circle": "Playground circle: class 1 inside radius 2.5, class 0 in the ring 3.5..5",
    "quadrants": "Playground xor: class 1 where x1*x2 >= 0 (alias playground-xor)",
    "gauss": "Playground gauss: two Gaussian clusters around (2, 2) and (-2, -2)",
    "spiral": "Playground spiral: two interleaved arms of 1.75 turns",
    "reg-plane": "Playground regression plane: y = (x1 + x2) / 10 on [-6, 6]^2",
    "reg-gauss": "Playground regression of six signed Gaussian bumps on [-6, 6]^2",
    "relu-sum": "1-D: the lecture's sum of six ReLUs on [-2, 2] (universal approximation)",
    "sine": "1-D: sin(x) on [-pi, pi]",
    "digits": "scikit-learn's 8x8 digits: 1797 rows, 64 pixels, 10 classes (standardised)",
    "iris": "scikit-learn's iris: 150 rows, 4 features, 3 classes (standardised)",
    "breast_cancer": "scikit-learn's breast cancer: 569 rows, 30 features, 2 classes "
                     "(standardised)",
    "wine": "scikit-learn's wine: 178 rows, 13 features, 3 classes (standardised)",
    "<file>.csv": "CSV with a header row; last column (or target_columns) is the target",
}

#: Other accepted spellings of known names.
ALIASES: dict[str, str] = {"playground-xor": "quadrants"}

_TRUTH_TABLES: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
}
_PLAYGROUND_N = 500
_FUNCTION_N = 200
_MAX_CLASSES = 20


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs ``X`` (n, n_features) and targets ``Y`` (n, n_outputs), both float64."""

    name: str
    X: np.ndarray
    Y: np.ndarray
    task: Task
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    classes: int | None = None
    class_names: tuple[str, ...] | None = None      # the labels behind the class columns

    def __post_init__(self) -> None:
        X = np.ascontiguousarray(self.X, dtype=np.float64)
        Y = np.ascontiguousarray(self.Y, dtype=np.float64)
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
            raise ValueError(f"dataset {self.name!r}: X {X.shape} and Y {Y.shape} must be "
                             "2-D with the same number of rows")
        if len(self.feature_names) != X.shape[1] or len(self.target_names) != Y.shape[1]:
            raise ValueError(f"dataset {self.name!r}: names do not match the columns")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"dataset {self.name!r}: unknown task {self.task!r}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "target_names", tuple(self.target_names))

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.Y.shape[1]

    def subset(self, rows: np.ndarray) -> Dataset:
        """The dataset restricted to ``rows`` (an index array), in that order."""
        return Dataset(self.name, self.X[rows], self.Y[rows], self.task,
                       self.feature_names, self.target_names, self.classes, self.class_names)

    def split(self, test_fraction: float = 0.5, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Shuffle with ``default_rng(seed)`` and cut into (train, test).

        The test part gets ``round(n * test_fraction)`` rows, at least 1 and at most n - 1.
        """
        n = len(self)
        if not 0.0 < test_fraction < 1.0:
            raise SpecError("test fraction must be strictly between 0 and 1",
                            key="test_fraction", expected="0 < f < 1", got=test_fraction)
        if n < 2:
            raise SpecError(f"dataset {self.name!r} has {n} row(s); cannot split",
                            key="test_fraction", expected="at least 2 rows")
        n_test = min(max(round(n * test_fraction), 1), n - 1)
        order = np.random.default_rng(seed).permutation(n)
        return self.subset(order[n_test:]), self.subset(order[:n_test])


def standardize(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(Xs, mean, std)`` with ``Xs = (X - mean) / std`` per column.

    Constant columns get ``std = 1`` so they map to 0 instead of NaN.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X - mean) / std, mean, std


def relu_sum(x: np.ndarray | float) -> np.ndarray:
    """The lecture's universal-approximation example, Z(x) = -n1 - n2 - n3 + n4 + n5 + n6.

    n1 = ReLU(-5x - 7.7), n2 = ReLU(-1.2x - 1.3), n3 = ReLU(1.2x + 1),
    n4 = ReLU(1.2x - 0.2), n5 = ReLU(2x - 1.1), n6 = ReLU(5x - 5).
    """
    x = np.asarray(x, dtype=np.float64)

    def relu(v: np.ndarray) -> np.ndarray:
        return np.maximum(v, 0.0)

    n1, n2, n3 = relu(-5 * x - 7.7), relu(-1.2 * x - 1.3), relu(1.2 * x + 1)
    n4, n5, n6 = relu(1.2 * x - 0.2), relu(2 * x - 1.1), relu(5 * x - 5)
    return -n1 - n2 - n3 + n4 + n5 + n6


#: 1-D target functions by dataset name (regression plots draw these curves).
TARGET_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu-sum": relu_sum,
    "sine": np.sin,
}
_FUNCTION_DOMAINS: dict[str, tuple[float, float]] = {
    "relu-sum": (-2.0, 2.0),
    "sine": (-math.pi, math.pi),
}


def known_names() -> list[str]:
    """All accepted dataset names (without the CSV placeholder), aliases included."""
    return [k for k in DATASETS if not k.startswith("<")] + list(ALIASES)


def load_dataset(name: str | os.PathLike[str], *, n: int | None = None, noise: float = 0.0,
                 seed: int = 0, labels: str = "01",
                 target_columns: Sequence[str] | None = None,
                 task: Task | None = None) -> Dataset:
    """Load a dataset by name (see :data:`DATASETS`) or from a CSV file.

    Known names (case-insensitive) win over files; a name ending in ``.csv`` or naming an
    existing file is read with :func:`load_csv`.

    ``n`` is the number of points for generated data (Playground 500, 1-D functions 200)
    and is ignored for truth tables and CSV files.  ``noise`` is the Playground's noise
    fraction for its generators and the standard deviation of Gaussian noise added to the
    targets of the 1-D functions; ``seed`` drives all randomness.  ``labels`` is ``"01"`` or
    ``"pm1"`` (-1/+1, for a perceptron with sign units) for classification targets.
    ``target_columns`` and ``task`` only apply to CSV files (see :func:`load_csv`).
    """
    if labels not in ("01", "pm1"):
        raise SpecError("unknown label coding", key="labels", expected="'01' or 'pm1'",
                        got=labels)
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and noise >= 0):
        raise SpecError("noise must be a finite number >= 0", key="noise", got=noise)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError("bad data seed", key="data_seed", expected="an integer >= 0", got=seed)
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))
                          or n < 1):
        raise SpecError("n must be a positive integer", key="n", got=n)
    if n is not None:
        check_limit("train_rows", int(n), key="n")

    text = os.fspath(name)
    key = ALIASES.get(text.lower(), text.lower())
    if key in _TRUTH_TABLES:
        data = _truth_table(key)
    elif key in _PLAYGROUND:
        rng = np.random.default_rng(seed)
        count = _PLAYGROUND_N if n is None else int(n)
        data = _PLAYGROUND[key](count, float(noise), rng)
    elif key in TARGET_FUNCTIONS:
        count = _FUNCTION_N if n is None else int(n)
        data = _function_data(key, count, float(noise), seed)
    elif key in SKLEARN_DATASETS:
        data = sklearn_dataset(key)
    elif text.lower().endswith(".csv") or os.path.isfile(text):
        data = load_csv(text, target_columns=target_columns, task=task)
    else:
        raise SpecError(f"unknown dataset {text!r}", key="dataset",
                        expected="one of " + ", ".join(known_names()) + " or a .csv file")
    return _recode(data, labels)


def _recode(data: Dataset, labels: str) -> Dataset:
    if labels == "pm1" and data.task == "classification":
        return Dataset(data.name, data.X, 2.0 * data.Y - 1.0, data.task, data.feature_names,
                       data.target_names, data.classes, data.class_names)
    return data


def class_labels(data: Dataset) -> np.ndarray:
    """Each row's class label (a name from ``class_names``, else the class's index)."""
    Y = data.Y
    index = (Y[:, 0] > (0.0 if Y.min() < 0 else 0.5)).astype(np.int64) if Y.shape[1] == 1 \
        else Y.argmax(axis=1)
    names = data.class_names or tuple(str(k) for k in range(max(Y.shape[1], 2)))
    return np.asarray(names)[index]


def with_classes(data: Dataset, names: Sequence[str], *, like: Dataset) -> Dataset:
    """``data`` coded with the classes ``names`` of the training data ``like`` (a test file
    may hold fewer classes, in another order); a label outside them is a `SpecError`."""
    if data.task != "classification" or tuple(data.class_names or ()) == tuple(names):
        return data
    labels = class_labels(data)
    unknown = sorted(set(labels.tolist()) - set(names))
    if unknown:
        raise SpecError("the test data has classes the training data does not have",
                        file=data.name, key=like.target_names[0] if len(names) == 2 else None,
                        expected="classes among " + ", ".join(names), got=unknown)
    codes = np.searchsorted(np.asarray(names), labels) if list(names) == sorted(names) else \
        np.array([list(names).index(v) for v in labels])
    Y = codes.reshape(-1, 1).astype(np.float64) if len(names) == 2 else np.eye(len(names))[codes]
    if like.Y.min() < 0:
        Y = 2 * Y - 1
    return Dataset(data.name, data.X, Y, "classification", data.feature_names,
                   like.target_names, len(names), tuple(names))


def _truth_table(key: str) -> Dataset:
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    Y = np.array(_TRUTH_TABLES[key], dtype=np.float64).reshape(4, 1)
    return Dataset(key, X, Y, "classification", ("x1", "x2"), ("y",), 2)


# --- TensorFlow Playground generators (src/dataset.ts) --------------------------------------


def _points(name: str, x: np.ndarray, y: np.ndarray, label: np.ndarray, task: Task,
            rng: np.random.Generator) -> Dataset:
    """Stack, shuffle like the Playground, and map labels -1/+1 to 0/1 for classification."""
    X = np.column_stack([x, y])
    Y = np.asarray(label, dtype=np.float64).reshape(-1, 1)
    if task == "classification":
        Y = (Y > 0).astype(np.float64)
    order = rng.permutation(X.shape[0])
    target = ("label",) if task == "classification" else ("y",)
    classes = 2 if task == "classification" else None
    return Dataset(name, X[order], Y[order], task, ("x1", "x2"), target, classes)


def _halves(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


def _circle(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    radius = 5.0
    xs, ys, labels = [], [], []
    for count, (r_lo, r_hi) in zip(_halves(n), [(0.0, radius * 0.5), (radius * 0.7, radius)],
                                   strict=True):
        r = rng.uniform(r_lo, r_hi, count)
        angle = rng.uniform(0.0, 2 * math.pi, count)
        x, y = r * np.sin(angle), r * np.cos(angle)
        noise_x = rng.uniform(-radius, radius, count) * noise
        noise_y = rng.uniform(-radius, radius, count) * noise
        inside = np.hypot(x + noise_x, y + noise_y) < radius * 0.5
        xs.append(x)
        ys.append(y)
        labels.append(np.where(inside, 1.0, -1.0))
    return _points("circle", np.concatenate(xs), np.concatenate(ys), np.concatenate(labels),
                   "classification", rng)


def _quadrants(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    padding = 0.3
    x = rng.uniform(-5.0, 5.0, n)
    x += np.where(x > 0, padding, -padding)
    y = rng.uniform(-5.0, 5.0, n)
    y += np.where(y > 0, padding, -padding)
    noise_x = rng.uniform(-5.0, 5.0, n) * noise
    noise_y = rng.uniform(-5.0, 5.0, n) * noise
    label = np.where((x + noise_x) * (y + noise_y) >= 0, 1.0, -1.0)
    return _points("quadrants", x, y, label, "classification", rng)


def _gauss(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5  # d3 linear [0, .5] -> [0.5, 4], unclamped
    xs, ys, labels = [], [], []
    for count, (c, label) in zip(_halves(n), [(2.0, 1.0), (-2.0, -1.0)], strict=True):
        xs.append(c + math.sqrt(variance) * rng.standard_normal(count))
        ys.append(c + math.sqrt(variance) * rng.standard_normal(count))
        labels.append(np.full(count, label))
    return _points("gauss", np.concatenate(xs), np.concatenate(ys), np.concatenate(labels),
                   "classification", rng)


def _spiral(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    half = n / 2
    xs, ys, labels = [], [], []
    for count, (delta_t, label) in zip(_halves(n), [(0.0, 1.0), (math.pi, -1.0)],
                                       strict=True):
        i = np.arange(count, dtype=np.float64)
        r = i / half * 5
        t = 1.75 * i / half * 2 * math.pi + delta_t
        xs.append(r * np.sin(t) + rng.uniform(-1.0, 1.0, count) * noise)
        ys.append(r * np.cos(t) + rng.uniform(-1.0, 1.0, count) * noise)
        labels.append(np.full(count, label))
    return _points("spiral", np.concatenate(xs), np.concatenate(ys), np.concatenate(labels),
                   "classification", rng)


def _uniform_with_noise(n: int, noise: float, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    radius = 6.0
    x = rng.uniform(-radius, radius, n)
    y = rng.uniform(-radius, radius, n)
    noise_x = rng.uniform(-radius, radius, n) * noise
    noise_y = rng.uniform(-radius, radius, n) * noise
    return x, y, x + noise_x, y + noise_y


def _reg_plane(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    x, y, xn, yn = _uniform_with_noise(n, noise, rng)
    return _points("reg-plane", x, y, (xn + yn) / 10.0, "regression", rng)


def _reg_gauss(n: int, noise: float, rng: np.random.Generator) -> Dataset:
    gaussians = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                 (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    x, y, xn, yn = _uniform_with_noise(n, noise, rng)
    label = np.zeros(n)
    for cx, cy, sign in gaussians:
        new = sign * np.clip(1.0 - np.hypot(xn - cx, yn - cy) / 2.0, 0.0, 1.0)
        label = np.where(np.abs(new) > np.abs(label), new, label)
    return _points("reg-gauss", x, y, label, "regression", rng)


_PLAYGROUND: dict[str, Callable[[int, float, np.random.Generator], Dataset]] = {
    "circle": _circle,
    "quadrants": _quadrants,
    "gauss": _gauss,
    "spiral": _spiral,
    "reg-plane": _reg_plane,
    "reg-gauss": _reg_gauss,
}


def _function_data(key: str, n: int, noise: float, seed: int) -> Dataset:
    lo, hi = _FUNCTION_DOMAINS[key]
    x = np.linspace(lo, hi, n)
    y = np.asarray(TARGET_FUNCTIONS[key](x), dtype=np.float64)
    if noise > 0:
        y = y + np.random.default_rng(seed).normal(0.0, noise, n)
    return Dataset(key, x.reshape(-1, 1), y.reshape(-1, 1), "regression", ("x",), ("y",))


# --- CSV ------------------------------------------------------------------------------------


def load_csv(path: str | os.PathLike[str], *, target_columns: Sequence[str] | None = None,
             task: Task | None = None) -> Dataset:
    """Read a CSV file with a header row; the last column is the target by default.

    ``target_columns`` names the target column(s) instead.  With one target column the task
    is classification when its values are not all numbers, or are at most 20 distinct
    integers (override with ``task``): two classes give a 0/1 column (classes in sorted
    order, the second is 1), more give one-hot columns named after the classes.  Several
    target columns must be numeric and are taken as they are (regression unless ``task``
    says classification).  Every other column is a numeric feature.  Blank lines are skipped.
    """
    file = os.fspath(path)
    if not os.path.exists(file):
        raise SpecError("dataset file not found", file=file)
    check_readable(file, limit_name="data_bytes")     # no device, FIFO or folder; bounded
    try:
        rows: list[tuple[int, list[str]]] = []
        with open(file, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            for row in reader:
                cells = [c.strip() for c in row]
                if any(cells):
                    rows.append((reader.line_num, cells))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SpecError(f"cannot read CSV: {exc}", file=file) from exc
    if not rows:
        raise SpecError("empty dataset: no header row", file=file)
    header_line, header = rows[0]
    data = rows[1:]
    if not data:
        raise SpecError("empty dataset: no data rows after the header", file=file)
    if any(not h for h in header):
        raise SpecError("empty column name in the header", file=file,
                        key=f"line {header_line}")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise SpecError("duplicate column names in the header", file=file,
                        key=f"line {header_line}", got=duplicates)
    for line, row in data:
        if len(row) != len(header):
            raise SpecError(f"ragged row: {len(row)} values for {len(header)} columns",
                            file=file, key=f"line {line}", expected=f"{len(header)} values")

    targets = list(target_columns) if target_columns else [header[-1]]
    for t in targets:
        if t not in header:
            raise SpecError(f"unknown target column {t!r}", file=file, key=t,
                            expected="one of " + ", ".join(header))
    if len(set(targets)) != len(targets):
        raise SpecError("target column named twice", file=file, got=targets)
    features = [h for h in header if h not in targets]
    if not features:
        raise SpecError("no feature columns left after the target column(s)", file=file)
    if task not in (None, "classification", "regression"):
        raise SpecError("unknown task", file=file, key="task",
                        expected="'classification' or 'regression'", got=task)

    X = _numeric_columns(file, header, data, features)
    name = Path(file).stem
    if len(targets) > 1:
        Y = _numeric_columns(file, header, data, targets)
        chosen: Task = task or "regression"
        classes = len(targets) if chosen == "classification" else None
        return Dataset(name, X, Y, chosen, tuple(features), tuple(targets), classes)

    column = targets[0]
    j = header.index(column)
    raw = [row[j] for _, row in data]
    for (line, _), value in zip(data, raw, strict=True):
        if not value:
            raise SpecError("empty target value", file=file,
                            key=f"line {line}, column {column!r}")
    numbers = _try_floats(raw)
    if task is None:
        task = "classification" if numbers is None or _few_integers(numbers) else "regression"
    if task == "regression":
        Y = _numeric_columns(file, header, data, [column])
        return Dataset(name, X, Y, "regression", tuple(features), (column,))

    if numbers is not None:
        _check_finite(file, data, numbers, raw, column)
        distinct = sorted(set(numbers.tolist()))
        keys = numbers.tolist()
        names = [_format_class(v) for v in distinct]
    else:
        distinct = sorted(set(raw))
        keys = raw
        names = list(distinct)
    if len(distinct) < 2:
        raise SpecError("classification target has a single class", file=file, key=column,
                        expected="at least 2 classes", got=names)
    index = {v: k for k, v in enumerate(distinct)}
    codes = np.array([index[v] for v in keys])
    if len(distinct) == 2:
        Y = codes.astype(np.float64).reshape(-1, 1)
        return Dataset(name, X, Y, "classification", tuple(features), (column,), 2,
                       tuple(names))
    Y = np.eye(len(distinct))[codes]
    return Dataset(name, X, Y, "classification", tuple(features), tuple(names), len(distinct),
                   tuple(names))


#: scikit-learn's bundled data sets (``sklearn.datasets.load_<name>``), used raw: whoever trains
#: on them standardises with the training rows' statistics (`standardize`), as a pipeline would
SKLEARN_DATASETS = ("digits", "iris", "breast_cancer", "wine")


def sklearn_dataset(key: str) -> Dataset:
    """One of scikit-learn's bundled data sets, unscaled, classes one-hot (0/1 for two)."""
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, f"load_{key}")()
    X = np.asarray(bunch.data, dtype=np.float64)
    codes = np.asarray(bunch.target, dtype=np.int64)
    names = tuple(str(n) for n in bunch.target_names)
    features = tuple(str(f) for f in getattr(bunch, "feature_names", ())) or \
        tuple(f"x{i + 1}" for i in range(X.shape[1]))
    if len(names) == 2:
        return Dataset(key, X, codes.reshape(-1, 1), "classification", features, ("target",),
                       2, names)
    return Dataset(key, X, np.eye(len(names))[codes], "classification", features, names,
                   len(names), names)


def _try_floats(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        return None


def _few_integers(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return (finite.size == values.size and bool(np.all(finite == np.round(finite)))
            and len(np.unique(finite)) <= _MAX_CLASSES)


def _format_class(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _check_finite(file: str, data: list[tuple[int, list[str]]], values: np.ndarray,
                  raw: list[str], column: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        first = int(bad[0])
        raise SpecError("NaN or Inf in data", file=file,
                        key=f"line {data[first][0]}, column {column!r}",
                        expected="a finite number", got=raw[first])


def _numeric_columns(file: str, header: list[str], data: list[tuple[int, list[str]]],
                     columns: list[str]) -> np.ndarray:
    """Parse ``columns`` as float64, naming the line and column of the first bad value."""
    idx = [header.index(c) for c in columns]
    out = np.empty((len(data), len(columns)), dtype=np.float64)
    for r, (line, row) in enumerate(data):
        for k, (j, column) in enumerate(zip(idx, columns, strict=True)):
            text = row[j]
            try:
                value = float(text)
            except ValueError:
                raise SpecError("non-numeric value", file=file,
                                key=f"line {line}, column {column!r}", expected="a number",
                                got=text) from None
            if not math.isfinite(value):
                raise SpecError("NaN or Inf in data", file=file,
                                key=f"line {line}, column {column!r}",
                                expected="a finite number", got=text)
            out[r, k] = value
    return out
