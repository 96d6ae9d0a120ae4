"""Fitted models on disk, the files: writing a folder, and reading and checking its parts.

``symprop.runtime.model_load`` builds the estimator back from them.

A model folder holds ``weights.npz`` (the parameters, read back with ``allow_pickle=False``)
and ``model.json`` (the network, the estimator's settings, the classes, an optional input
scaler and the training record, with the SHA-256 of the weights). Both are written atomically,
``model.json`` last, so a folder is either a whole model or refused. Nothing on the loading
path unpickles: a damaged or hostile folder is one `SpecError` line.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..io import write_atomic

FORMAT = "symprop-model"
VERSION = 1
WEIGHTS = "weights.npz"
META = "model.json"
_KINDS = {"str": str, "int": int, "float": float, "bool": bool}


def _json_value(value: Any) -> Any:
    """A setting as JSON, or None when it has no JSON form (a RandomState, a Network)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value if not isinstance(value, float) or math.isfinite(value) else None
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    if isinstance(value, tuple | list) and all(isinstance(v, int | np.integer) for v in value):
        return [int(v) for v in value]
    return None


def _classes_json(classes: np.ndarray) -> dict[str, Any]:
    values = classes.tolist()
    kind = type(values[0]).__name__
    if kind not in _KINDS or not all(type(v).__name__ == kind for v in values):
        raise SpecError("these class labels cannot be saved", key="classes_",
                        expected="strings, integers, floats or booleans", got=values[:3])
    return {"kind": kind, "values": values}


def save_model(est, folder: str | Path, scaler: tuple[np.ndarray, np.ndarray] | None = None
               ) -> Path:
    """Write a fitted estimator (and an optional input scaler (mean, scale)) to ``folder``."""
    from sklearn.utils.validation import check_is_fitted

    from .checkpoint import network_structure

    check_is_fitted(est, "params_")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SpecError("not a folder", file=str(folder), expected="a folder for the model")
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in est.params_.items()})
    weights = buffer.getvalue()
    settings = {k: _json_value(v) for k, v in est.get_params(deep=False).items()
                if k not in ("network",)}
    meta: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "estimator": type(est).__name__,
        "settings": settings, "network": network_structure(est.network_),
        "input_names": list(est.network_.input_names), "task": est.task_,
        "network_given": est.network is not None,
        "feature_names": [str(f) for f in getattr(est, "feature_names_in_", [])] or
        list(getattr(est, "_feature_names", [])) or None,
        "n_features_in": int(est.n_features_in_),
        "classes": _classes_json(np.asarray(est.classes_)) if est.task_ == "classification"
        else None,
        "scaler": None if scaler is None else {"mean": [float(v) for v in scaler[0]],
                                               "scale": [float(v) for v in scaler[1]]},
        "training": {"n_iter": int(getattr(est, "n_iter_", 0)),
                     "loss_curve": [_json_value(float(v)) for v in
                                    getattr(est, "loss_curve_", [])],
                     "converged": bool(getattr(est, "converged_", False)),
                     "diverged": bool(getattr(est, "diverged_", False))},
        "weights_sha256": hashlib.sha256(weights).hexdigest(),
    }
    write_atomic(folder / WEIGHTS, weights)
    write_atomic(folder / META, json.dumps(meta, indent=1) + "\n")
    return folder


def bad(folder: Path, key: str, message: str, expected: str | None = None) -> SpecError:
    return SpecError(message, file=str(folder / META) if key != WEIGHTS else
                     str(folder / WEIGHTS), key=None if key == WEIGHTS else key,
                     expected=expected)


def meta_of(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise SpecError("no model folder here", file=str(folder),
                        expected="a folder written by est.save or symprop train --save")
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"not a model folder: no {META}", file=str(folder),
                        expected="a folder written by est.save or symprop train --save"
                        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(folder, "json", f"unreadable: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise bad(folder, "format", "not a symprop model", f"format {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise bad(folder, "version", "a model of another format version",
                   f"version {VERSION}")
    return meta


def weights_of(folder: Path, meta: dict[str, Any], shapes: dict[str, tuple[int, ...]]
             ) -> dict[str, np.ndarray]:
    try:
        data = (folder / WEIGHTS).read_bytes()
    except OSError as exc:
        raise bad(folder, WEIGHTS, f"cannot read the weights: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != meta.get("weights_sha256"):
        raise bad(folder, WEIGHTS, f"the weights do not belong to this {META} (changed "
                   "or damaged)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            params = {k: np.array(npz[k]) for k in npz.files}
    except Exception as exc:          # any damage numpy meets: one line, never a traceback
        raise bad(folder, WEIGHTS, f"unreadable weights: {exc}") from None
    if set(params) != set(shapes):
        raise bad(folder, WEIGHTS, "the weights do not match the network",
                   "arrays " + ", ".join(shapes))
    for name, shape in shapes.items():
        value = params[name]
        if value.shape != shape or value.dtype.kind != "f" or not np.isfinite(value).all():
            raise bad(folder, WEIGHTS, f"bad array {name}",
                       f"finite floats of shape {shape}")
    return params


def classes_of(folder: Path, spec: Any, network) -> np.ndarray:
    try:
        kind = _KINDS[spec["kind"]]
        values = list(spec["values"])
        if not all(type(v) is kind or (kind is float and type(v) is int) for v in values):
            raise TypeError("mixed labels")
    except (KeyError, TypeError) as exc:
        raise bad(folder, "classes", f"malformed class labels ({exc})") from None
    units = network.sizes[-1]
    if len(values) != max(units, 2) or len(set(values)) != len(values):
        raise bad(folder, "classes", "class labels do not match the output units",
                   f"{max(units, 2)} distinct labels")
    return np.array(values)


def pipeline_of(folder: Path, scaler: Any, n_features: int, est):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    try:
        mean = np.array(scaler["mean"], dtype=np.float64)
        scale = np.array(scaler["scale"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise bad(folder, "scaler", "malformed scaler", "mean and scale lists") from None
    if mean.shape != (n_features,) or scale.shape != (n_features,) or \
            not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
        raise bad(folder, "scaler", "bad scaler",
                   f"{n_features} finite means and {n_features} positive scales")
    sc = StandardScaler()
    sc.mean_, sc.scale_, sc.var_ = mean, scale, scale ** 2
    sc.n_features_in_, sc.n_samples_seen_ = n_features, 1
    return Pipeline([("standardscaler", sc), ("mlp", est)])
