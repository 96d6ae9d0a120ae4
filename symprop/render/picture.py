"""The network as a TikZ drawing: units as circles, weights on the links (small networks)."""

from __future__ import annotations

from typing import Any

from ..derive import symbols as S
from ..derive.rules import ACTIVATIONS
from .numbers import Precision, show
from .printer import LecturePrinter, escape

#: the height of the units' columns, in cm (a frame's body is about 7 cm high)
PICTURE_HEIGHT = 5.2
#: input names longer than this are not written beside the picture
NAME_CHARS = 12


def network_block(network: Any, weights: dict | None, output_label: str = "") -> dict | None:
    """A TikZ drawing of a small network (at most 6 units a layer), weights on the links."""
    sizes = network.sizes
    if max(sizes) > 6 or len(sizes) > 6:
        return None
    p = LecturePrinter(network)
    dx = min(2.4, 4.5 / max(1, len(sizes) - 1))
    # the picture must fit the frame's height: columns of many units sit closer together
    dy = min(1.25, PICTURE_HEIGHT / max(sizes))
    nodes, edges, captions = [], [], []
    label_edges = weights is not None and sum(
        a * b for a, b in zip(sizes, sizes[1:], strict=False)) <= 8
    for l, n in enumerate(sizes):
        for i in range(1, n + 1):
            y = ((n + 1) / 2 - i) * dy
            name = ""
            if l == 0 and isinstance(network.inputs, tuple) and \
                    len(network.inputs[i - 1]) <= NAME_CHARS:   # longer ones: in the list
                name = escape(network.inputs[i - 1])
            below = ""
            label = output_label if l == len(sizes) - 1 and output_label else \
                p._print(S.out(l)[i])
            nodes.append({"id": f"n{l}x{i}", "x": f"{l * dx:.2f}", "y": f"{y:.2f}",
                          "label": label, "name": name, "below": below})
        if l:
            act = network.layers[l - 1].activation
            top = ((max(sizes) + 1) / 2 - 0.35) * dy
            captions.append({"x": f"{l * dx:.2f}", "y": f"{top:.2f}",
                             "text": f"${ACTIVATIONS[act].latex}$"})
    for l in range(1, len(sizes)):
        for k in range(1, sizes[l] + 1):
            for j in range(1, sizes[l - 1] + 1):
                label = show(weights[S.w(l)[k, j]], Precision(4, "sf")).text \
                    if label_edges else ""
                y_from = (sizes[l - 1] + 1) / 2 - j
                y_to = (sizes[l] + 1) / 2 - k
                # straight links carry their weight mid-way, slanted ones near their source,
                # so that labels of crossing links do not meet where the links cross
                pos = "0.5" if abs(y_from - y_to) < 1e-9 else "0.25"
                edges.append({"source": f"n{l - 1}x{j}", "target": f"n{l}x{k}",
                              "label": label, "pos": pos})
    size = f"{round(min(9.0, 7.5 * dy), 1):g}mm"
    return {"kind": "network", "size": size, "nodes": nodes, "edges": edges,
            "captions": captions}
