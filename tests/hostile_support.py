"""Helpers of the hostile-input tests: run a verb in-process with a time bound, write TOML,
and watch a folder for files a verb should not have touched."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symprop.cli import main

SECRET = "SECRET-7f3a9c-do-not-leak"


class TimeBound(Exception):
    """A verb ran past its time bound (raised inside it by SIGALRM)."""


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


def run_cli(argv: list[str], *, bound_s: float = 60.0) -> Outcome:
    """``symprop ARGV`` in this process: exit code, stdout, stderr; `TimeBound` past bound_s."""
    out, err = io.StringIO(), io.StringIO()

    def alarm(signum, frame):
        raise TimeBound(f"symprop {' '.join(argv)} ran past {bound_s} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, bound_s)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:        # argparse's own usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(code, out.getvalue(), err.getvalue(), time.perf_counter() - t0)


def assert_well_behaved(result: Outcome, argv: list[str], codes=(0, 1, 2)) -> None:
    """Exit 0, 1 or 2; no traceback; a failure is told in one line."""
    shown = f"symprop {' '.join(map(str, argv))}\n--- stderr:\n{result.err[-2000:]}"
    assert result.code in codes, f"exit {result.code}: {shown}"
    assert "Traceback" not in result.err, shown
    assert "internal error" not in result.err, shown
    assert SECRET not in result.out and SECRET not in result.err, shown
    if result.code == 2:
        errors = [line for line in result.err.splitlines() if line.startswith("symprop")]
        assert errors, shown


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file() or path.is_symlink():
            st = path.lstat()
            found[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return found


def changed_files(before: dict, after: dict) -> set[str]:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def assert_only_outputs_touched(before: dict, after: dict, outputs: list[str]) -> None:
    """Nothing but the named outputs changed: files, anything inside a named folder, or
    anything starting with an output that ends in ``*`` (a plot's companion files)."""
    def allowed(name: str, o: str) -> bool:
        if o.endswith("*"):
            return name.startswith(o[:-1])
        return name == o or name.startswith(o.rstrip("/") + "/")

    for name in changed_files(before, after):
        assert any(allowed(name, o) for o in outputs), \
            f"{name} was touched; outputs were {outputs}"


def assert_no_secret(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "secret.txt":
            assert SECRET.encode() not in path.read_bytes(), f"the secret leaked into {path}"


# -- TOML --------------------------------------------------------------------------------------
def toml_value(value: Any) -> str:
    """A value as inline TOML (strings as JSON-escaped basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(type(value))


def to_toml(data: dict[str, Any]) -> str:
    """A spec dict as TOML text: one line per top-level key, its table inline."""
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in data.items())


def write_secret(folder: Path) -> Path:
    path = folder / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def inside(folder: Path):
    """Run with ``folder`` as the working directory."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)
