"""A user's own element-wise row on the per-machine kernels: one small piece, once per machine.

    <family folder>/pieces/activation_<digest>_<dtype>.py   value(z), derivative(y, z, back)
    <family folder>/pieces/loss_<digest>_<dtype>.py         value(y, d, K), derivative(y, d, K)
    <…>.json                                                its manifest (as the family's)

A piece is rendered from the row's formulas with the family's printers (`family.
activation_formulas` / `loss_formulas`: f and the derived δ, the term and dE/dy), written
atomically, compiled by numba into its cache once (C functions, ``cache=True``) and verified on
every load like the family (with the family's own check and lock, which `machine` hands in:
this module never imports `machine`). The family calls a piece through the addresses
`addresses` returns, which `machine.NetworkKernels` puts in the layout table: a second network
with the same row, whatever its widths or depth, compiles nothing. The ``<digest>`` is the row's
content hash, so one name with two formulas is two pieces.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from types import ModuleType

KINDS = ("activation", "loss")


def piece_source(kind: str, key: str, dtype: str, relu_at_zero: str = "0") -> str:
    """The piece module's text for the registered row ``key`` (SymPy: only when building);
    an activation's δ derived with ``relu_at_zero`` as ReLU'(0) (`follows_relu_at_zero`)."""
    import numpy as np
    import sympy as sp

    from .. import __version__
    from ..derive import rules
    from .elementwise import Z, range_midpoint
    from .family import activation_formulas, loss_formulas
    from .generate import IMPORTS_HERE, environment, finish_module
    from .printer import TempNames, code, print_block
    from .stable import overflow_safe

    if kind == "activation":
        row = rules.ACTIVATIONS[key]
        kink = sp.Rational(relu_at_zero)
        act, delta = (overflow_safe(e) for e in activation_formulas(key, kink))
        value = print_block([("y", act)], dtype, TempNames("_f"), vector_math=True)
        derivative = print_block([("delta", delta)], dtype, TempNames("_d"), vector_math=True)
        extra = {"midpoint": repr(range_midpoint(row.definition(Z))),
                 "formula_text": f"f(z) = {row.formula or row.definition(Z)}" + (
                     f", with f' = {kink} at a kink (the network's ReLU'(0))" if kink else ""),
                 "columns": "F_ADDR, DF_ADDR"}
    elif kind == "loss":
        row = rules.LOSSES[key]
        term, slope = loss_formulas(key)
        value = print_block([("err", term)], dtype, TempNames("_e"), vector_math=True)
        derivative = print_block([("slope", slope)], dtype, TempNames("_s"), vector_math=True)
        extra = {"probabilistic": repr(row.probabilistic),
                 "formula_text": f"E = sum over the outputs of {row.formula}",
                 "columns": "LOSS_ADDR, DLOSS_ADDR"}
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    context = {
        "version": __version__, "kind": kind, "name": row.name, "key": key, "dtype": dtype,
        "dt": f"np.{dtype}", "eps": code(sp.Float(float(np.finfo(dtype).eps)), dtype),
        "value_lines": value.lines(), "derivative_lines": derivative.lines(),
        "support_import": IMPORTS_HERE, **extra,
    }
    return finish_module(environment().get_template("piece.py.jinja").render(**context), "piece")


def piece_folder(family_file: str | Path) -> Path:
    """The pieces of the family module at ``family_file`` (one folder per family)."""
    return Path(family_file).parent / "pieces"


def load_piece(kind: str, key: str, dtype: str, folder: Path,
               problem: Callable[[Path, Path], str | None],
               lock: Callable[[Path], AbstractContextManager],
               relu_at_zero: str = "0") -> ModuleType:
    """The compiled piece of row ``key`` in ``folder``: imported (numba loads its cache), or
    built under ``lock(folder)`` (another process building it is waited for). ``problem(path,
    manifest)``: why a built piece cannot be trusted (`machine.piece_problem`).
    ``relu_at_zero`` (a rational's text): the ReLU'(0) its δ is derived with, one piece each."""
    from .cache import _IMPORT_LOCK, folder_tag, import_file

    digest = key.rpartition("@")[2]
    if relu_at_zero != "0":     # the kink's value, hashed: a name safe for any rational
        digest += "_kink" + hashlib.sha256(relu_at_zero.encode()).hexdigest()[:12]
    stem = f"{kind}_{digest}_{dtype}"
    path, manifest = folder / f"{stem}.py", folder / f"{stem}.json"
    name = f"_symprop_piece_{stem}_{folder_tag(folder)}"
    with _IMPORT_LOCK:
        if name in sys.modules:
            return sys.modules[name]
    if problem(path, manifest) is not None:
        with lock(folder):
            why = problem(path, manifest)      # another process may have built it meanwhile
            if why is not None:
                if manifest.exists() or path.exists():
                    print(f"symprop: the piece {path.name} cannot be used ({why}); "
                          "rebuilding it", file=sys.stderr, flush=True)
                return _build(kind, key, dtype, path, manifest, name, relu_at_zero)
    return import_file(path, name)


def _build(kind: str, key: str, dtype: str, path: Path, manifest: Path,
           name: str, relu_at_zero: str = "0") -> ModuleType:
    """Generate, write, import (numba compiles and caches the C functions) and record."""
    from .. import __version__
    from ..io import write_atomic
    from .cache import generator_fingerprint, import_file
    from .verify import compiled_files, sha256

    start = time.perf_counter()
    shown = repr(key.partition("@")[0]) + (f" with ReLU'(0) = {relu_at_zero}"
                                           if relu_at_zero != "0" else "")
    print(f"symprop: building the per-machine {dtype} piece of the {kind} {shown} (once per "
          f"machine) in {path.parent}", end=" ... ", file=sys.stderr, flush=True)
    for stale in [*compiled_files(path), manifest]:
        stale.unlink(missing_ok=True)
    write_atomic(path, piece_source(kind, key, dtype, relu_at_zero))
    sys.modules.pop(name, None)
    module = import_file(path, name)
    record = {"version": __version__, "generator": generator_fingerprint(), "dtype": dtype,
              "key": key, "relu_at_zero": relu_at_zero, "sha256": sha256(path),
              "compiled": {f.name: sha256(f) for f in compiled_files(path)
                           if f.suffix == ".nbc"}}
    write_atomic(manifest, json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return module


def addresses(module: ModuleType) -> tuple[int, int]:
    """The C addresses of a piece's value and derivative (the layout table's int64s)."""
    return int(module.value.address), int(module.derivative.address)
