"""symprop: neural networks as exact, readable mathematics and fast, correct code."""

from .errors import SpecError, TrainingError
from .spec import Dense, Example, Network, load, loads

__version__ = "0.1.0"
__all__ = ["Dense", "Example", "Network", "SpecError", "TrainingError", "load", "loads"]
