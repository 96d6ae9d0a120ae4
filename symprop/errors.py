"""One error type for bad input, so the CLI can print one clear line and exit 2.

A message stays one short line: the offending value is shown as its (shortened) ``repr``."""

from __future__ import annotations


class SpecError(ValueError):
    """Bad user input: names the file, the key and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 expected: str | None = None, got: object = None) -> None:
        self.file, self.key, self.expected, self.got = file, key, expected, got
        parts = []
        if file:
            parts.append(str(file))
        if key:
            parts.append(key)
        where = ": ".join(parts)
        text = message
        if expected is not None:
            text += f"; expected {expected}"
        if got is not None:
            try:
                shown = repr(got)
            except ValueError:       # an int past Python's digit limit cannot even be shown
                shown = f"<a {type(got).__name__} too long to show>"
            text += f", got {shown if len(shown) <= 120 else shown[:100] + ' …'}"
        super().__init__(f"{where}: {text}" if where else text)


class TrainingError(RuntimeError):
    """Training stopped for a reason the user must see (NaN/Inf, no convergence)."""
