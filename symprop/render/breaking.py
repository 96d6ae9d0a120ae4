"""Equations too wide for their page broken where the lecture breaks them.

First after an ``=`` (each step of a derivation on its own row), then before a ``+`` or ``−``
between terms, then before a ``×`` between factors; continuation rows are indented by a quad.
Widths come from :mod:`.width`.
"""

from __future__ import annotations

from .lines import Line
from .width import width

#: where a right-hand side may break, the lecture's natural points first
BREAKS = ((" = ", r" \approx "), (" + ", " - "), (r" \times ", r" \odot "))
INDENT = width(r"\quad")
#: a row filled less than this is not left alone: the next term is split to fill it
SHORT = 0.4


def break_line(piece: str, room: float, level: int = 1) -> list[str]:
    r"""A right-hand side too wide for ``room`` pt over several rows.

    Level 0 breaks after each ``=`` step first (a step starts flush under the first ``=``);
    within a step, rows are filled term by term and factor by factor (before ``+``, ``−``,
    ``×`` outside brackets; a term still too wide inside its plain parenthesis, which unlike
    ``\left(`` may open on one row and close on the next), continuations indented by a quad.
    """
    if piece.startswith("\\quad "):                 # already a continuation: keep its indent
        return [r"\quad " + p for p in break_line(piece[6:], room - INDENT, level)]
    if width(piece) <= room:
        return [piece]
    if level == 0:
        rows: list[str] = []
        broken = False
        for step in _split_top(piece, BREAKS[0]):
            parts = break_line(step, room)
            if rows and not broken and len(parts) == 1 and \
                    width(rows[-1] + " " + step) <= room:
                rows[-1] += " " + step
            else:
                rows += parts
            broken = len(parts) > 1
        return rows
    cont = room - INDENT
    rows = [""]

    def place(atom: str) -> None:
        here = room if len(rows) == 1 else cont
        if not rows[-1] or width(rows[-1] + " " + atom) <= here:
            rows[-1] = f"{rows[-1]} {atom}".strip()
        else:
            rows.append(atom)

    for term in _split_top(piece, BREAKS[1]):
        here = room if len(rows) == 1 else cont
        fits = width(rows[-1] + " " + term) <= here
        if fits or (width(term) <= cont and width(rows[-1]) >= SHORT * here):
            place(term)                        # on this row, or whole on a fresh one
            continue
        for factor in _split_top(term, BREAKS[2]):       # a term wider than a row
            inner = _split_top(factor, BREAKS[1], inside=1)
            for atom in inner if width(factor) > cont and len(inner) > 1 else [factor]:
                place(atom)
    return [rows[0]] + [r"\quad " + r for r in rows[1:]]


def _split_top(piece: str, ops: tuple[str, ...], inside: int = 0) -> list[str]:
    """``piece`` cut before each operator in ``ops`` at bracket depth ``inside`` (0: outside
    every bracket; 1: inside one plain parenthesis and nothing else)."""
    terms, stack, start = [], [], 0
    for i, c in enumerate(piece):
        if piece.startswith("\\begin{", i):        # an environment (cases, matrix) is one atom
            stack.append("env")
        elif piece.startswith("\\end{", i) and "env" in stack:
            while stack.pop() != "env":
                pass
        elif c in "({[":
            stack.append("plain" if c == "(" and not piece.endswith(r"\left", 0, i) else c)
        elif c in ")}]" and stack and stack[-1] != "env":
            stack.pop()
        at_depth = not stack if inside == 0 else stack == ["plain"]
        if at_depth and i > start and any(piece.startswith(op, i) for op in ops):
            terms.append(piece[start:i].strip())
            start = i + 1
    terms.append(piece[start:].strip())
    return [t for t in terms if t]


def fit_lines(lines: list[Line], room: float) -> list[Line]:
    """Each line of one alignment made to fit ``room`` pt: the left column is as wide as its
    widest entry, so that is what is left for every right-hand side."""
    if not lines:
        return lines
    left = max(width(line.lhs) for line in lines)
    out: list[Line] = []
    for line in lines:
        note = note_width(line.note) if line.note else 0.0
        if left + width(line.rhs) + note <= room:
            out.append(line)
            continue
        rows = break_line(line.rhs, room - left, level=0)
        out += [Line(line.lhs if n == 0 else "", r) for n, r in enumerate(rows)]
        if line.note:
            last = out[-1]
            if left + width(last.rhs) + note <= room:
                out[-1] = Line(last.lhs, last.rhs, line.note)
            else:
                out.append(Line("", "", line.note))
    return out


def note_width(note: str) -> float:
    """A grey note in \\footnotesize text, in pt (about 4.4 pt a character)."""
    return 12 + 4.4 * len(note.replace("\\ldots", "...").replace("$", ""))
