"""symprop: neural networks as exact, readable mathematics and fast, correct code."""

import importlib

from .derive import display as _display
from .derive.rules import Activation, Loss
from .errors import SpecError, TrainingError
from .spec import PIPELINE as _PIPELINE
from .spec import Dense, Example, Network, load, loads


def _stage(module: str, function: str):
    """A forwarder that imports ``module`` on its first call (SymPy and numba cost seconds)."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), function)(*args, **kwargs)
    call.__name__ = function
    return call


# the package's face wires its layers: a Network's verbs, and derive's LaTeX from render
_PIPELINE.update(derive=_stage("symprop.derive.backprop", "derive"),
                 worked_example=_stage("symprop.derive.example", "worked_example"),
                 compile=_stage("symprop.runtime.kernels", "compile_network"))
_display.set_loader(lambda: importlib.import_module("symprop.render.latex"))

__version__ = "0.1.0"
__all__ = ["Activation", "Dense", "Example", "Loss", "Network", "SpecError", "TrainingError",
           "load", "load_model", "loads"]


def load_model(folder):
    """A model saved by ``est.save(DIR)`` or ``symprop train --save DIR`` (see
    `symprop.runtime.model_load.load_model`)."""
    from .runtime.model_load import load_model as load

    return load(folder)
