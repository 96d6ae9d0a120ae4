"""Canonical quantity addresses: ``x[1]``, ``net2[1]``, ``out1[2]``, ``w2[1,1]+``, ``dE/dw1[2,1]``…

Layers are numbered 1..L like the lecture's superscripts; unit indices are 1-based.
``h<l>[k]`` (hidden layers) and ``y[k]`` (last layer) are aliases of ``out<l>[k]``.
A trailing ``+`` means "after the update".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# kinds that carry a layer number
LAYERED = ("net", "out", "delta", "w", "b", "dE/dw", "dE/db")
_PATTERN = re.compile(
    r"^\s*(?P<kind>dE/dw|dE/db|delta|net|out|x|d|w|b|h|y|E)"
    r"(?P<layer>\d+)?"
    r"(?:\[(?P<index>\s*\d+\s*(?:,\s*\d+\s*)?)\])?"
    r"(?P<after>\+)?\s*$"
)


@dataclass(frozen=True, order=True)
class Address:
    kind: str                      # one of x d net out delta w b dE/dw dE/db E
    layer: int | None = None
    index: tuple[int, ...] = ()
    after: bool = False

    def __str__(self) -> str:
        layer = "" if self.layer is None else str(self.layer)
        index = f"[{','.join(map(str, self.index))}]" if self.index else ""
        return f"{self.kind}{layer}{index}{'+' if self.after else ''}"

    def updated(self) -> Address:
        return Address(self.kind, self.layer, self.index, True)


def parse(text: str, n_layers: int | None = None) -> Address:
    """Parse an address; aliases ``h<l>``/``y`` become ``out<l>`` (``y`` needs ``n_layers``)."""
    m = _PATTERN.match(text)
    if not m:
        raise ValueError(f"not a quantity address: {text!r}")
    kind, layer, index = m["kind"], m["layer"], m["index"]
    idx = tuple(int(p) for p in index.split(",")) if index else ()
    layer_no = int(layer) if layer else None
    if kind == "h":
        kind = "out"
    elif kind == "y":
        if layer_no is not None or n_layers is None:
            raise ValueError(f"'y' takes no layer number and needs a network: {text!r}")
        kind, layer_no = "out", n_layers
    want_layer = kind in LAYERED
    if want_layer != (layer_no is not None):
        raise ValueError(f"{'missing' if want_layer else 'unexpected'} layer number in {text!r}")
    want_idx = {"E": 0, "w": 2, "dE/dw": 2}.get(kind, 1)
    if len(idx) != want_idx:
        raise ValueError(f"{text!r} needs {want_idx} index(es)")
    if any(i < 1 for i in idx):
        raise ValueError(f"indices are 1-based in {text!r}")
    return Address(kind, layer_no, idx, bool(m["after"]))
