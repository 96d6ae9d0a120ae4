"""Files in and out: atomic writes (a temp file, then a rename; never half a file) and bounded
reads (regular files only, up to a size limit, so a device or a FIFO never hangs a verb)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import SpecError
from .limits import check, limit


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); give it the usual umask-based mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def check_readable(path: str | Path, *, limit_name: str) -> int:
    """The size of the regular file ``path``; `SpecError` for a device, FIFO, folder or one
    over the named limit (checked with ``stat``, so a FIFO or /dev/zero is never opened)."""
    where = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", file=where) from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError("is a folder", file=where, expected="a file")
    if not stat.S_ISREG(info.st_mode):
        raise SpecError("not a regular file (a device or a pipe?)", file=where,
                        expected="a file")
    check(limit_name, info.st_size, file=where, what="bytes")
    return info.st_size


def read_text(path: str | Path, *, limit_name: str = "spec_bytes") -> str:
    """A regular UTF-8 text file, read at most up to the named size limit."""
    where = str(path)
    check_readable(path, limit_name=limit_name)
    try:
        with open(path, "rb") as fh:
            blob = fh.read(limit(limit_name) + 1)
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", file=where) from None
    check(limit_name, len(blob), file=where, what="bytes")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob[:exc.start].count(b"\n") + 1
        raise SpecError(f"not UTF-8 text (byte 0x{blob[exc.start]:02x} on line {line})",
                        file=where, expected="a UTF-8 text file") from None
