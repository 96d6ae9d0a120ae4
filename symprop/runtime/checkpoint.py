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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..io import write_atomic

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
    }


def network_from_structure(structure: dict[str, Any], name: str = "checkpoint"):
    """Rebuild a `Network` from :func:`network_structure` (for loading a checkpoint alone)."""
    import sympy as sp

    from ..spec import Dense, Network
    layers = [Dense(int(r["units"]), r["activation"], bool(r["bias"]))
              for r in structure["layers"]]
    return Network(inputs=int(structure["inputs"]), layers=layers, loss=structure["loss"],
                   name=name,
                   relu_at_zero=sp.Rational(structure.get("relu_derivative_at_zero", "0")))


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
    """Read a checkpoint folder, checking that its two files belong together."""
    folder = Path(folder)
    where = str(folder)
    if not exists(folder):
        raise SpecError("no checkpoint here", file=where,
                        expected=f"a folder with {NPZ} and {JSON} (written by --checkpoint)")
    try:
        meta = json.loads((folder / JSON).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"unreadable {JSON} ({exc})", file=where) from None
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise SpecError("not a symprop checkpoint", file=where, key=JSON,
                        expected=f"format {FORMAT!r} version {VERSION}",
                        got=(meta.get("format"), meta.get("version")))
    blob = (folder / NPZ).read_bytes()
    if hashlib.sha256(blob).hexdigest() != meta.get("npz_sha256"):
        raise SpecError(f"{NPZ} does not belong to {JSON} (a checkpoint written halfway?)",
                        file=where, expected="the pair written together by one save")
    with np.load(io.BytesIO(blob)) as data:
        groups: dict[str, dict[str, np.ndarray]] = {"params": {}, "velocity": {}, "history": {}}
        for key in data.files:
            group, _, name = key.partition("/")
            if group in groups:
                groups[group][name] = data[key].copy()
        epoch = int(data["epoch"])
        rng = data["rng"].copy() if "rng" in data.files else None
    if epoch != meta["epoch"]:
        raise SpecError("epoch counters disagree", file=where, key="epoch",
                        expected=str(meta["epoch"]), got=epoch)
    history = {k: v.tolist() for k, v in groups["history"].items()}
    return Checkpoint(meta["network"], groups["params"], groups["velocity"], epoch, history,
                      rng, meta.get("settings", {}), meta.get("extra", {}))


def check_matches(ckpt: Checkpoint, network, folder: str | Path) -> None:
    """Refuse to resume a different network from this checkpoint."""
    want = network_structure(network)
    if ckpt.network != want:
        raise SpecError("the checkpoint was written for a different network", file=str(folder),
                        key="network", expected=_brief(want), got=_brief(ckpt.network))


def _brief(structure: dict[str, Any]) -> str:
    layers = "-".join(f"{r['units']}{r['activation'][:4]}" for r in structure["layers"])
    return f"{structure['inputs']}-{layers} ({structure['loss']})"
