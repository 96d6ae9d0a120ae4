"""Independent oracles shared by test files."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(loss: Callable[[dict], float], params: dict[str, np.ndarray],
                        step: float = 1e-6) -> dict[str, np.ndarray]:
    """∂loss/∂p for every entry of every array in ``params``, by central differences."""
    numeric = {}
    for name, value in params.items():
        numeric[name] = np.empty(value.shape)
        for idx in np.ndindex(*value.shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][idx] += step
            down[name][idx] -= step
            numeric[name][idx] = (loss(up) - loss(down)) / (2 * step)
    return numeric
