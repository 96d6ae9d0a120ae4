"""The peers. Each module has ``train(workload, dtype, params, X, Y, *, timing) -> Result``.

``workload.epochs`` is the number of epochs to run (the harness passes a scaled copy in quick
mode); ``params``/``X``/``Y`` arrive in float64 and each peer converts them to ``dtype`` outside
the timed region. A module imports its library lazily and raises `PeerUnavailable` when it is
missing, `NotComparable` when it cannot train exactly this workload.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# name on the command line -> (module, label in the report)
PEERS: dict[str, tuple[str, str]] = {
    "torch": ("torch_peer", "PyTorch eager"),
    "jax-jit": ("jax_jit", "JAX jit per step"),
    "jax-scan": ("jax_scan", "JAX lax.scan"),
    "sklearn": ("sklearn_peer", "scikit-learn"),
    "numpy": ("numpy_peer", "NumPy"),
    "symprop": ("symprop_peer", "symprop"),
}


def load(name: str) -> ModuleType:
    module, _ = PEERS[name]
    return importlib.import_module(f"{__name__}.{module}")


def label(name: str) -> str:
    return PEERS[name][1]
