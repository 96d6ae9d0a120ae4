"""Cached kernels are checked, not trusted: content hashes recorded when written, checked on load.

A per-network module ``symprop_<key>.py`` gets a record ``symprop_<key>.json`` beside it (the
module's sha256, the generator fingerprint and, once built, the ahead-of-time extension's
sha256). numba's own cache files (``__pycache__/<module>.*.nbi`` index, ``.nbc`` code) are
written by numba on a function's first call, so they cannot be hashed when written: they are
checked for being readable pickles before numba sees them (a truncated index made every later
run fail with ``UnpicklingError``). An extension is hashed BEFORE it is imported: loading a
truncated ``.so`` kills the process (SIGBUS). Light: hashlib, json, pickle; no numba, no SymPy.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import pickletools
import sys
from pathlib import Path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_path(module: Path) -> Path:
    return module.with_suffix(".json")


def read_record(module: Path) -> dict:
    try:
        record = json.loads(record_path(module).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def write_record(module: Path, **fields: str | None) -> None:
    """Record (or update) facts about ``module``: ``sha256``, ``generator``, ``extension``…"""
    from ..io import write_atomic

    record = {**read_record(module), **fields}
    write_atomic(record_path(module), json.dumps(record, indent=1, sort_keys=True) + "\n")


def module_problem(module: Path, generator: str) -> str | None:
    """Why the module file cannot be trusted (None: it matches its record)."""
    record = read_record(module)
    if not record:
        return f"{record_path(module).name} is missing or damaged"
    if record.get("generator") != generator:
        return "it was written by another version of the generator"
    try:
        if sha256(module) != record.get("sha256"):
            return f"{module.name} does not match its recorded hash"
    except OSError:
        return f"{module.name} cannot be read"
    return None


def compiled_files(module: Path) -> list[Path]:
    """numba's cache files of the module (index ``.nbi`` and code ``.nbc``)."""
    folder = module.parent / "__pycache__"
    return sorted(folder.glob(f"{module.stem}.*.nb[ic]")) if folder.is_dir() else []


def numba_cache_problem(module: Path) -> str | None:
    """Why numba's cache files of ``module`` would fail to load (None: they read).

    An index is loaded as numba loads it (a version pickle, then ``(stamp, overloads)``); a code
    file is walked opcode by opcode (`pickletools`), which finds a truncated or garbled stream
    without building numba's objects.
    """
    for path in compiled_files(module):
        try:
            data = path.read_bytes()
            if path.suffix == ".nbi":
                import io

                stream = io.BytesIO(data)
                pickle.load(stream)                       # numba's version
                stamp, overloads = pickle.loads(stream.read())
                if not isinstance(overloads, dict):
                    raise ValueError("not an index")
            else:
                for _ in pickletools.genops(data):
                    pass
        except Exception:                 # noqa: BLE001 — any way a pickle can be broken
            return f"numba's cache file {path.name} is damaged"
    return None


def forget_compiled(module: Path) -> None:
    for path in compiled_files(module):
        path.unlink(missing_ok=True)


def extension_problem(module: Path, extension: Path) -> str | None:
    """Why the ahead-of-time extension must not be imported (None: it matches its record)."""
    recorded = read_record(module).get("extension")
    if recorded is None:
        return f"no hash was recorded for {extension.name}"
    try:
        if sha256(extension) != recorded:
            return f"{extension.name} does not match its recorded hash"
    except OSError:
        return f"{extension.name} cannot be read"
    return None


def say_healing(what: Path, problem: str, action: str) -> None:
    """The one line a self-healing cache prints."""
    print(f"symprop: the cached {what.name} cannot be used ({problem}); {action}",
          file=sys.stderr, flush=True)
