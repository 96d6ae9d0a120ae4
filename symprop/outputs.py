"""Output paths checked before any work starts, so a finished job is never lost at the end.

Every verb's output flags are listed in `OUTPUT_FLAGS`; ``cli.main`` checks them all before the
verb runs. A path is refused (one line, exit 2) when it is a folder where a file is wanted (or
the reverse), a device or other non-regular file, one of the verb's own input files, or when its
folder cannot be written. Missing folders are fine when they can be created: the writers
create them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import SpecError

#: argparse destination -> (the flag as the user types it, "file" or "dir")
OUTPUT_FLAGS: dict[str, tuple[str, str]] = {
    "output": ("-o", "file"),
    "report": ("--report", "file"),
    "png": ("--png", "dir"),
    "plot": ("--plot", "file"),
    "checkpoint": ("--checkpoint", "dir"),
    "out": ("--out", "file"),
    "save": ("--save", "dir"),
}
#: argparse destinations that name input files (an output must never be one of them)
INPUT_FLAGS = ("spec", "file", "data", "test_data", "roster")


def check_outputs(args: Any) -> None:
    """Check every output flag set on ``args`` (an argparse namespace) before the verb runs."""
    inputs = [getattr(args, name) for name in INPUT_FLAGS
              if isinstance(getattr(args, name, None), str)]
    for name, (flag, kind) in OUTPUT_FLAGS.items():
        value = getattr(args, name, None)
        if isinstance(value, str | os.PathLike):
            (output_dir if kind == "dir" else output_file)(value, flag=flag, inputs=inputs)


def output_file(path: str | os.PathLike[str], flag: str,
                inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """``path`` if a file can be written there without harming anything; else `SpecError`."""
    path = Path(path)
    where = str(path)
    if not where or where.endswith(os.sep):
        raise SpecError("not a file name", file=where, key=flag, expected="a file path")
    if path.exists() or path.is_symlink():
        if path.is_dir():
            raise SpecError("is a folder", file=where, key=flag, expected="a file path")
        if not path.is_file():
            raise SpecError("not a regular file (a device or a pipe?)", file=where, key=flag,
                            expected="a file path")
    for source in inputs:
        if _same(path, Path(source)):
            raise SpecError("is an input of this command; writing it would destroy it",
                            file=where, key=flag, expected="a different output path")
    _check_folder(path.parent, where, flag)
    return path


def output_dir(path: str | os.PathLike[str], flag: str,
               inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """``path`` if it is (or can be made) a folder we may write into; else `SpecError`."""
    path = Path(path)
    where = str(path)
    if path.exists() and not path.is_dir():
        raise SpecError("is not a folder", file=where, key=flag, expected="a folder path")
    for source in inputs:
        if _same(path, Path(source)):
            raise SpecError("is an input of this command", file=where, key=flag,
                            expected="a different folder")
    _check_folder(path, where, flag)
    return path


def _check_folder(folder: Path, where: str, flag: str) -> None:
    """The nearest existing folder at or above ``folder`` must be a writable folder."""
    probe = folder if str(folder) else Path(".")
    while not probe.exists():
        if probe.is_symlink():
            raise SpecError("a broken link on the way", file=where, key=flag,
                            expected="a path through existing folders or new ones")
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if not probe.is_dir():
        raise SpecError(f"{probe} is not a folder", file=where, key=flag,
                        expected="a path whose folders are folders")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SpecError(f"cannot write into {probe} (read-only?)", file=where, key=flag,
                        expected="a folder you can write to")


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):    # a loop of links: not the same as anything we read
        return False
