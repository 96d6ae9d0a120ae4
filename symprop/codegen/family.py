"""The per-machine kernel family: one module per dtype that trains ANY network of built-in rows.

A per-network module (`generate.py`) bakes the widths, depth and activations into its code, so
numba compiles it anew for every network. The family module instead reads the network at run
time: parameters in one flat array, an int64 layout table (one row per layer: fan-in, units,
offsets, activation code), and each layer's activation picked by a code *outside* the element
loops, so the loops are those of the ``loops`` shape. It is generated from the rule table like
every kernel — per-row pieces (each activation's f and f' in output form, each (output
activation, loss) pair's loss term and δ) come from the derivation of a symbolic network whose
output count is a symbol ``K``, read by the kernel at run time (mse's 1/K) — and compiled once
per machine (`machine.py`).

Only built-in rows are compiled into it (their formulas are in the generator's fingerprint). A
user's own element-wise row is a small piece compiled once per machine (`pieces.py`) that the
family calls through a C address in the layout table (activation code ``CUSTOM``); an output
layer with such a row takes the *generic* pair, err += term(y, d, K), δ = f'(y, z) · dE/dy,
each factor either a built-in row's lines below or the piece. `options.supports` says which
networks stay on per-network kernels (layerwise rows of one's own, …). The family is derived
with ReLU'(0) = 0; a network with another value trains its ReLU layers through a piece derived
with it (as a row of one's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import sympy as sp

from ..derive.backprop import derive
from ..derive.derivatives import K
from ..derive.rules import BUILTIN_ACTIVATION_ROWS, BUILTIN_LOSS_ROWS
from .elementwise import BACK, LOGP, Z, forward_formula, index_form, loss_term, range_midpoint
from .generate import IMPORTS_HERE, environment, finish_module
from .layout import LAYOUT_COLUMNS
from .printer import TempNames, code, print_block

# the rows the family holds, in code order (a code is an index into these tuples)
ACTIVATIONS: tuple[str, ...] = tuple(n for n, row in BUILTIN_ACTIVATION_ROWS.items()
                                     if row.differentiable)
LOSSES: tuple[str, ...] = tuple(n for n, row in BUILTIN_LOSS_ROWS.items() if row.differentiable)
CUSTOM = len(ACTIVATIONS)           # the activation code of a user's row (a piece's address)
N_PAIRS = len(ACTIVATIONS) * len(LOSSES)   # pair codes from here on: generic, N_PAIRS + loss
CUSTOM_LOSS = len(LOSSES)           # the loss code, in a generic pair, of a user's loss
RELU_AT_ZERO = 0        # the ReLU derivative at 0 the family is derived with (the spec default)
_RELU_AT_ZERO = sp.Integer(RELU_AT_ZERO)
SMALL_PRODUCT = 4096    # multiply-adds up to which the family's products are plain loops


@dataclass(frozen=True)
class FamilySource:
    dtype: str
    source: str


def _symbolic_network(activations: tuple[str, ...], loss: str,
                      relu_at_zero: sp.Rational = _RELU_AT_ZERO) -> SimpleNamespace:
    """What `derive` reads of a network, with symbolic widths: index-form formulas do not
    depend on widths except through the output count K (mse's 1/K)."""
    from ..spec import NOTATION_DEFAULTS, Dense

    hidden = tuple(sp.Symbol(f"H{i}", positive=True, integer=True)
                   for i in range(1, len(activations)))
    return SimpleNamespace(
        is_perceptron=False, sizes=(sp.Integer(1), *hidden, K), depth=len(activations),
        layers=tuple(Dense(1, a) for a in activations), loss=loss,
        relu_at_zero=relu_at_zero, notation=dict(NOTATION_DEFAULTS), name="family")


def activation_formulas(name: str, relu_at_zero: sp.Rational = _RELU_AT_ZERO
                        ) -> tuple[sp.Expr, sp.Expr]:
    """An element-wise row's f(z) as kernels evaluate it and its hidden δ = f' · back (in
    ``y``, ``z``, ``back``), from the derivation of a network with this hidden activation (and
    this ReLU'(0), which a kink without a declared derivative takes too)."""
    hidden = derive(_symbolic_network((name, "linear"), "sse", relu_at_zero)).layers[0]
    _, delta, _ = index_form(hidden, 2)
    return forward_formula(name), delta


def loss_formulas(loss: str) -> tuple[sp.Expr, sp.Expr]:
    """A loss's term and dE/dy for one output (in ``y``, ``d``, ``K``; logs clipped at EPS),
    dE/dy from the derivation of a linear output with this loss (its δ)."""
    out = derive(_symbolic_network(("linear",), loss)).layers[0]
    _, slope, sums = index_form(out, 1, extra=frozenset({K}))
    if sums:
        raise ValueError(f"loss {loss}: dE/dy couples the outputs; not element-wise")
    term, _ = loss_term(loss, "linear", K)
    return term, slope


def _activation_entry(code_: int, name: str, dtype: str) -> dict:
    row = BUILTIN_ACTIVATION_ROWS[name]
    entry = {"code": code_, "name": name, "layerwise": row.layerwise}
    if row.layerwise:
        entry["kernel"] = code(row.definition(Z).xreplace({Z: sp.Symbol("shifted")}), dtype, True)
        entry["needs_z"] = False
        return entry
    act, delta = activation_formulas(name)
    block = print_block([("A[r, k]", act)], dtype, TempNames(f"_f{code_}_"), vector_math=True)
    entry["act_lines"] = block.lines()
    block = print_block([("delta", delta)], dtype, TempNames(f"_h{code_}_"), vector_math=True)
    entry["delta_lines"] = block.lines()
    entry["needs_z"] = Z in delta.free_symbols
    entry["needs_y"] = sp.Symbol("y", real=True) in delta.free_symbols
    assert BACK in delta.free_symbols
    return entry


def _pair_entry(code_: int, activation: str, loss: str, dtype: str) -> dict:
    """One output activation with one loss: the loss term, the sums its δ needs, the δ."""
    out = derive(_symbolic_network((activation,), loss)).layers[0]
    _, delta, sums = index_form(out, 1, extra=frozenset({K}))
    term, uses_logp = loss_term(loss, activation, K)
    prefix = f"_p{code_}_"
    sums_code = [{"name": f"{prefix}{s.symbol}", "code": code(s.summand, dtype, True)}
                 for s in sums]
    rename = {s.symbol: sp.Symbol(f"{prefix}{s.symbol}", real=True) for s in sums}
    delta = delta.xreplace(rename)
    delta_block = print_block([("delta", delta)], dtype, TempNames(f"{prefix}d"),
                              vector_math=True)
    loss_block = print_block([("err", term)], dtype, TempNames(f"{prefix}u"))
    return {
        "code": code_, "activation": activation, "loss": loss, "sums": sums_code,
        "uses_logp": uses_logp, "needs_z": Z in (delta.free_symbols | term.free_symbols),
        "delta_lines": delta_block.lines(), "loss_lines": loss_block.lines("+="),
        "uses_k": K in (delta.free_symbols | term.free_symbols),
    }


def _loss_entry(code_: int, loss: str, dtype: str) -> dict:
    """One built-in loss for the generic pair: its term and dE/dy for one output."""
    term, slope = loss_formulas(loss)
    block = print_block([("err", term), ("slope", slope)], dtype, TempNames(f"_g{code_}_"),
                        vector_math=True)
    return {"code": code_, "name": loss, "lines": block.lines()}


def midpoints() -> tuple[float | None, ...]:
    """Per activation: the middle of its range where it is bounded (the classifier's threshold)."""
    return tuple(None if BUILTIN_ACTIVATION_ROWS[a].layerwise else
                 range_midpoint(BUILTIN_ACTIVATION_ROWS[a].definition(Z)) for a in ACTIVATIONS)


def family_source(dtype: str) -> FamilySource:
    """The family module's text for ``dtype`` (both: `machine.build`)."""
    from .. import __version__

    activations = [_activation_entry(i, a, dtype) for i, a in enumerate(ACTIVATIONS)]
    pairs = [_pair_entry(i * len(LOSSES) + j, a, loss, dtype)
             for i, a in enumerate(ACTIVATIONS) for j, loss in enumerate(LOSSES)]
    context = {
        "version": __version__, "dtype": dtype, "dt": f"np.{dtype}",
        "njit": '@njit(cache=True, error_model="numpy")',
        # a training step's helpers, inlined into their callers (the template says why)
        "njit_inline": '@njit(cache=True, error_model="numpy", inline="always")',
        "activations": activations, "pairs": pairs,
        "losses": [_loss_entry(i, loss, dtype) for i, loss in enumerate(LOSSES)],
        "custom": CUSTOM, "n_pairs": N_PAIRS, "custom_loss": CUSTOM_LOSS,
        "layout_columns": LAYOUT_COLUMNS,
        "activation_names": repr(ACTIVATIONS), "loss_names": repr(LOSSES),
        "needs_z": repr(tuple(a["needs_z"] for a in activations)),
        "layerwise": repr(tuple(a["layerwise"] for a in activations)),
        "midpoints": repr(midpoints()),
        "probabilistic": repr(tuple(BUILTIN_LOSS_ROWS[n].probabilistic for n in LOSSES)),
        "relu_at_zero": RELU_AT_ZERO, "small_product": SMALL_PRODUCT,
        "eps": code(sp.Float(float(np.finfo(dtype).eps)), dtype),
        "zero": code(sp.Integer(0), dtype), "one": code(sp.Integer(1), dtype),
        "support_import": IMPORTS_HERE,
    }
    source = finish_module(environment().get_template("family.py.jinja").render(**context),
                           "family")
    return FamilySource(dtype, source)


LOGP_NAME = str(LOGP)
