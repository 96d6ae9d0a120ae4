"""A display line (``lhs &rhs`` with an optional grey note) and an alignment of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """``lhs rhs`` aligned at the start of ``rhs`` (which begins with its relation)."""

    lhs: str
    rhs: str
    note: str = ""


def note_math(note: str) -> str:
    """A note (text with $math$) as math, grey: works in LaTeX and in Jupyter's MathJax."""
    pieces = note.split("$")
    tex = "".join(rf"\text{{{p}}}" if i % 2 == 0 and p else p if i % 2 else ""
                  for i, p in enumerate(pieces))
    return rf"\quad {{\color{{gray}} {tex}}}"


def lines_latex(lines: list[Line], env: str = "align*") -> str:
    """Lines as one alignment; a note follows its line in grey."""
    rows = []
    for line in lines:
        note = note_math(line.note) if line.note else ""
        rows.append(f"{line.lhs} &{line.rhs}{note}")
    body = " \\\\\n".join(rows)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"
