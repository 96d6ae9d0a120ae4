"""Rich display of derive's objects, supplied by a layer above without derive importing it.

Jupyter asks an object for ``_repr_latex_``; LaTeX printing lives in `symprop.render`, which
derive must not import. The render layer registers its printers here (`register_latex`) when it
is imported, and `symprop`'s package init arranges that it is imported when one is first asked
for (`set_loader`). Without either, objects have no LaTeX form and Jupyter shows their repr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PRINTERS: dict[type, Callable[[Any], str]] = {}
_loader: Callable[[], None] | None = None


def register_latex(kind: type, printer: Callable[[Any], str]) -> None:
    """``printer(obj)`` gives the LaTeX (math mode body) of objects of ``kind``."""
    _PRINTERS[kind] = printer


def set_loader(loader: Callable[[], None]) -> None:
    """``loader()`` registers the printers; it is called once, on the first request."""
    global _loader
    _loader = loader


def latex(obj: Any) -> str | None:
    """``$$…$$`` for ``obj``, or None when no printer is registered for its type."""
    global _loader
    if type(obj) not in _PRINTERS and _loader is not None:
        loader, _loader = _loader, None
        loader()
    printer = _PRINTERS.get(type(obj))
    return None if printer is None else "$$" + printer(obj) + "$$"
