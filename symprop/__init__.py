"""symprop: neural networks as exact, readable mathematics and fast, correct code."""

from .errors import SpecError, TrainingError
from .spec import Dense, Example, Network, load, loads

__version__ = "0.1.0"
__all__ = ["Dense", "Example", "Network", "SpecError", "TrainingError", "load", "load_model",
           "loads"]


def load_model(folder):
    """A model saved by ``est.save(DIR)`` or ``symprop train --save DIR`` (see
    `symprop.runtime.model_io.load_model`)."""
    from .runtime.model_io import load_model as load

    return load(folder)
