"""Checkpoints that resume to exactly the run that was interrupted.

A checkpoint is a folder with two files, each written atomically:

* ``checkpoint.npz``: the parameters (``params/W1`` …), the optimizer state (momentum velocity,
  ``velocity/W1`` …), the shuffling RNG's state (``rng``), the epoch counter and the history so
  far (``history/loss`` …);
* ``checkpoint.json``: the network's structure, the training settings, the epoch counter and the
  SHA-256 of the ``.npz``, so a half-replaced pair is refused instead of silently mixed.

The ``.npz`` is written first and the JSON last: the JSON names the ``.npz`` it belongs to.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..io import check_readable, read_text, write_atomic

FORMAT = "symprop-checkpoint"
VERSION = 1
NPZ, JSON = "checkpoint.npz", "checkpoint.json"


@dataclass
class Checkpoint:
    """Everything a resumed run needs, as loaded from (or about to be written to) a folder."""

    network: dict[str, Any]                 # network_structure(...) of the trained network
    params: dict[str, np.ndarray]
    velocity: dict[str, np.ndarray]
    epoch: int                              # epochs completed
    history: dict[str, list[float]]
    rng: np.ndarray | None = None           # the shuffling RNG's state after `epoch` epochs
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)     # free-form JSON (dataset, …)


def network_structure(network) -> dict[str, Any]:
    """What makes two networks the same for training: inputs, layers, loss (not the display)."""
    return {
        "inputs": network.n_inputs,
        "layers": [{"units": layer.units, "activation": layer.activation, "bias": layer.bias}
                   for layer in network.layers],
        "loss": network.loss,
        "relu_derivative_at_zero": str(network.relu_at_zero),
        **({"rows": [_row_record(row) for row in network.rows]} if network.rows else {}),
    }


def _row_record(row) -> dict[str, Any]:
    """A formula's row as written (its key is rebuilt from it, so a changed formula cannot
    load silently)."""
    record = {"name": row.name, "formula": row.formula, "latex": row.latex,
              "parameters": {k: str(v) for k, v in row.parameters}}
    if hasattr(row, "kinks"):
        record["kind"] = "activation"
        if row.derivative_at_kinks is not None:
            record["derivative_at_kinks"] = str(row.derivative_at_kinks)
    else:
        record["kind"] = "loss"
    return record


def network_from_structure(structure: dict[str, Any], name: str = "checkpoint"):
    """Rebuild a `Network` from :func:`network_structure` (for loading a checkpoint alone)."""
    from ..derive.rules import Activation, Loss
    from ..spec import Dense, Network, exact
    for i, record in enumerate(structure.get("rows", ()), start=1):
        key = f"network.rows[{i}]"
        if not isinstance(record, dict) or record.get("kind") not in ("activation", "loss"):
            raise SpecError("not a formula row", file=name, key=key, got=record)
        if record["kind"] == "activation":
            Activation.from_formula(record.get("name"), record.get("formula"),
                                    latex=record.get("latex"),
                                    parameters=record.get("parameters"),
                                    derivative_at_kinks=record.get("derivative_at_kinks"),
                                    file=name, key=key)
        else:
            Loss.from_formula(record.get("name"), record.get("formula"),
                              parameters=record.get("parameters"), file=name, key=key)
    layers = [Dense(int(r["units"]), r["activation"], bool(r["bias"]))
              for r in structure["layers"]]
    relu0 = exact(structure.get("relu_derivative_at_zero", "0"), file=name,
                  key="network.relu_derivative_at_zero")
    return Network(inputs=int(structure["inputs"]), layers=layers, loss=structure["loss"],
                   name=name, relu_at_zero=relu0)


def save(folder: str | Path, ckpt: Checkpoint) -> Path:
    """Write ``checkpoint.npz`` then ``checkpoint.json`` into ``folder``; returns the folder."""
    folder = Path(folder)
    arrays: dict[str, np.ndarray] = {"epoch": np.array(ckpt.epoch, dtype=np.int64)}
    if ckpt.rng is not None:
        arrays["rng"] = np.asarray(ckpt.rng).copy()
    for group, values in (("params", ckpt.params), ("velocity", ckpt.velocity)):
        for name, value in values.items():
            arrays[f"{group}/{name}"] = np.asarray(value)
    for name, values in ckpt.history.items():
        arrays[f"history/{name}"] = np.asarray(values, dtype=np.float64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    blob = buffer.getvalue()
    write_atomic(folder / NPZ, blob)
    meta = {
        "format": FORMAT, "version": VERSION, "epoch": int(ckpt.epoch),
        "network": ckpt.network, "settings": ckpt.settings, "extra": ckpt.extra,
        "params": {k: list(np.shape(v)) for k, v in ckpt.params.items()},
        "npz_sha256": hashlib.sha256(blob).hexdigest(),
    }
    write_atomic(folder / JSON, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return folder


def exists(folder: str | Path) -> bool:
    folder = Path(folder)
    return (folder / NPZ).is_file() and (folder / JSON).is_file()


def load(folder: str | Path) -> Checkpoint:
    """Read a checkpoint folder, checking that its two files belong together and hold what a
    resumed run needs (a damaged or hand-edited one is refused with the part that is wrong)."""
    folder = Path(folder)
    where = str(folder)
    if not exists(folder):
        raise SpecError("no checkpoint here", file=where,
                        expected=f"a folder with {NPZ} and {JSON} (written by --checkpoint)")
    try:
        meta = json.loads(read_text(folder / JSON, limit_name="data_bytes"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"unreadable {JSON} ({exc})", file=where) from None
    except RecursionError:
        raise SpecError(f"unreadable {JSON} (nested too deeply)", file=where) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT \
            or meta.get("version") != VERSION:
        got = (meta.get("format"), meta.get("version")) if isinstance(meta, dict) else meta
        raise SpecError("not a symprop checkpoint", file=where, key=JSON,
                        expected=f"format {FORMAT!r} version {VERSION}", got=got)
    _check_meta(meta, where)
    check_readable(folder / NPZ, limit_name="data_bytes")
    blob = (folder / NPZ).read_bytes()
    if hashlib.sha256(blob).hexdigest() != meta.get("npz_sha256"):
        raise SpecError(f"{NPZ} does not belong to {JSON} (a checkpoint written halfway?)",
                        file=where, expected="the pair written together by one save")
    groups: dict[str, dict[str, np.ndarray]] = {"params": {}, "velocity": {}, "history": {}}
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            for key in data.files:
                group, _, name = key.partition("/")
                if group in groups:
                    groups[group][name] = data[key].copy()
            epoch_array = data["epoch"]
            rng = data["rng"].copy() if "rng" in data.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise SpecError(f"damaged {NPZ} ({type(exc).__name__}: {exc})", file=where,
                        expected="a checkpoint written by symprop train") from None
    _check_arrays(groups, epoch_array, rng, meta, where)
    epoch = int(epoch_array)
    if epoch != meta["epoch"]:
        raise SpecError("epoch counters disagree", file=where, key="epoch",
                        expected=str(meta["epoch"]), got=epoch)
    history = {k: v.tolist() for k, v in groups["history"].items()}
    return Checkpoint(meta["network"], groups["params"], groups["velocity"], epoch, history,
                      rng, meta.get("settings", {}), meta.get("extra", {}))


def _check_meta(meta: dict[str, Any], where: str) -> None:
    """The JSON half: every field a resumed run reads, with the type it must have."""
    def bad(key: str, expected: str) -> SpecError:
        return SpecError("damaged checkpoint", file=where, key=f"{JSON}: {key}",
                         expected=expected, got=meta.get(key) if "." not in key else None)

    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if not is_int(meta.get("epoch")):
        raise bad("epoch", "an integer >= 0")
    for key in ("settings", "extra", "params"):
        if not isinstance(meta.get(key, {}), dict):
            raise bad(key, "an object")
    if not isinstance(meta.get("npz_sha256"), str):
        raise bad("npz_sha256", "the SHA-256 of the .npz")
    for name, shape in meta.get("params", {}).items():
        if not (isinstance(shape, list) and all(is_int(n) for n in shape)):
            raise bad(f"params.{name}", "a list of dimensions")
    data = meta.get("extra", {}).get("data", {})
    if not isinstance(data, dict) or not all(
            v is None or isinstance(v, str | int | float) for v in data.values()) or \
            not isinstance(data.get("data", ""), str):
        raise bad("extra.data", "an object of dataset options")
    net = meta.get("network")
    layers = net.get("layers") if isinstance(net, dict) else None
    ok = isinstance(net, dict) and is_int(net.get("inputs")) and isinstance(net.get("loss"), str) \
        and isinstance(layers, list) and layers and all(
            isinstance(r, dict) and is_int(r.get("units")) and isinstance(r.get("activation"), str)
            and isinstance(r.get("bias"), bool) for r in layers)
    if not ok:
        raise bad("network", "the network's structure (inputs, layers, loss)")


def _check_arrays(groups: dict[str, dict[str, np.ndarray]], epoch: np.ndarray,
                  rng: np.ndarray | None, meta: dict[str, Any], where: str) -> None:
    """The .npz half: parameters as the JSON lists them, finite floats, a proper RNG state."""
    def bad(key: str, expected: str, got: object = None) -> SpecError:
        return SpecError("damaged checkpoint", file=where, key=f"{NPZ}: {key}",
                         expected=expected, got=got)

    if epoch.shape != () or epoch.dtype.kind not in "iu":
        raise bad("epoch", "one integer", f"{epoch.dtype} {epoch.shape}")
    shapes = {k: tuple(v) for k, v in meta.get("params", {}).items()}
    params, velocity = groups["params"], groups["velocity"]
    if set(params) != set(shapes) or not shapes:
        raise bad("params", "the parameters listed in " + JSON, sorted(params))
    for group, arrays in (("params", params), ("velocity", velocity)):
        if group == "velocity" and set(arrays) != set(shapes):
            raise bad("velocity", "one array per parameter", sorted(arrays))
        for name, value in arrays.items():
            if value.dtype not in (np.float32, np.float64) or value.shape != shapes[name] \
                    or not np.isfinite(value).all():
                raise bad(f"{group}/{name}", f"finite floats of shape {shapes[name]}",
                          f"{value.dtype} {value.shape}")
    for name, value in groups["history"].items():
        if value.ndim != 1 or value.dtype.kind != "f":
            raise bad(f"history/{name}", "a list of numbers", f"{value.dtype} {value.shape}")
    if rng is not None and (rng.shape != (1,) or rng.dtype != np.uint64):
        raise bad("rng", "one unsigned 64-bit integer (the shuffling RNG's state)",
                  f"{rng.dtype} {rng.shape}")


def check_matches(ckpt: Checkpoint, network, folder: str | Path) -> None:
    """Refuse to resume a different network from this checkpoint."""
    want = network_structure(network)
    if ckpt.network != want:
        raise SpecError("the checkpoint was written for a different network", file=str(folder),
                        key="network", expected=_brief(want), got=_brief(ckpt.network))


def _brief(structure: dict[str, Any]) -> str:
    layers = "-".join(f"{r['units']}{r['activation'][:4]}" for r in structure["layers"])
    return f"{structure['inputs']}-{layers} ({structure['loss']})"
