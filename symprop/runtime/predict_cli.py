"""``symprop predict DIR --data new.csv [--out predictions.csv]``: use a saved model.

The model folder is one written by ``symprop train --save`` or ``est.save``. The CSV needs a
header row; its feature columns are found by the names the model was trained with (other
columns, such as a target, are ignored), else it must have exactly the model's number of
columns. The output is a CSV: ``prediction`` (a label, or a value per output), and for a
classifier one ``p(<class>)`` column per class. Exit 0, or 2 with one line for bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

import numpy as np

from ..errors import SpecError
from ..io import write_atomic


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model folder (symprop train --save DIR, est.save)")
    parser.add_argument("--data", required=True,
                        help="a .csv file with a header row, or a bundled data set name")
    parser.add_argument("--out", metavar="CSV", help="write here (default: standard output)")


def _features(path: str, names: list[str] | None, n_features: int) -> np.ndarray:
    from .datasets import SKLEARN_DATASETS, load_dataset

    if path.lower() in SKLEARN_DATASETS:
        return load_dataset(path).X
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [[c.strip() for c in row] for row in csv.reader(fh) if any(row)]
    except FileNotFoundError:
        raise SpecError("data file not found", file=path) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SpecError(f"cannot read CSV: {exc}", file=path) from None
    if len(rows) < 2:
        raise SpecError("no data rows", file=path, expected="a header row and data rows")
    header, body = rows[0], rows[1:]
    if names and all(n in header for n in names):
        columns = [header.index(n) for n in names]
    elif len(header) == n_features:
        columns = list(range(n_features))
    else:
        raise SpecError(f"the model takes {n_features} features", file=path, key="header",
                        expected="columns " + ", ".join(names) if names else
                        f"{n_features} columns", got=header)
    X = np.empty((len(body), n_features))
    for r, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise SpecError(f"ragged row: {len(row)} values for {len(header)} columns",
                            file=path, key=f"line {r}")
        for j, c in enumerate(columns):
            try:
                X[r - 2, j] = float(row[c])
            except ValueError:
                raise SpecError("not a number", file=path,
                                key=f"line {r}, column {header[c]!r}", got=row[c]) from None
    if not np.isfinite(X).all():
        raise SpecError("NaN or infinity in the features", file=path,
                        expected="finite numbers")
    return X


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .model_io import META
    from .model_load import load_model

    model = load_model(args.model)
    est = model[-1] if hasattr(model, "steps") else model
    meta = json.loads((Path(args.model) / META).read_text(encoding="utf-8"))
    names = meta.get("feature_names")
    names = [str(n) for n in names] if isinstance(names, list) else None
    X = _features(args.data, names, est.n_features_in_)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    pred = np.asarray(model.predict(X))
    if est.task_ == "classification":
        proba = np.asarray(model.predict_proba(X))
        writer.writerow(["prediction"] + [f"p({c})" for c in est.classes_])
        for label, p in zip(pred, proba, strict=True):
            writer.writerow([label] + [f"{v:.6g}" for v in p])
    else:
        pred = pred.reshape(len(X), -1)
        head = ["prediction"] if pred.shape[1] == 1 else \
            [f"prediction_{k + 1}" for k in range(pred.shape[1])]
        writer.writerow(head)
        writer.writerows([[f"{v:.10g}" for v in row] for row in pred])
    if args.out:
        write_atomic(args.out, out.getvalue())
        print(f"wrote {len(X)} predictions: {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(out.getvalue())
    return 0
