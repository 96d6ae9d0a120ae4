"""Frame blocks (math, text, items, columns, tables), their estimated heights, and paging.

Python decides what goes in a frame and when a frame is full; the jinja2 templates in
``templates/`` only lay the blocks out. Heights are in lines of ``\\small`` display math.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import jinja2

from .breaking import fit_lines
from .lines import Line
from .width import FRAME_WIDTH, width
from .worked import NumLine, visible

TEMPLATES = Path(__file__).parent / "templates"
#: height of a frame's body, in lines of \small display math (see `line_height`)
FRAME_HEIGHT = 12.0
#: how much less room a line of \footnotesize math takes than one of \small math
SMALLER = 0.84
#: the size of a font against \\small's 10 pt
FONT_SCALE = {r"\small": 1.0, r"\footnotesize": 0.9, r"\scriptsize": 0.8}
#: characters of text in one line across a frame
TEXT_CHARS = 85


@cache
def environment() -> jinja2.Environment:
    """The template environment: strict, and with delimiters that do not fight LaTeX."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}")


# -- blocks ----------------------------------------------------------------------------------
def math(lines: list[Line], size: str = r"\small", room: float = FRAME_WIDTH) -> dict:
    """Display math, each line broken to fit ``room`` pt at \\small (more in a smaller font).

    A line that no break makes fit (a product of two ``cases`` blocks inside one bracket) takes
    the whole block down a font size, then another; pdflatex's log has the last word."""
    given = lines
    lines = fit_lines(given, room / FONT_SCALE[size])
    smaller = list(FONT_SCALE)[list(FONT_SCALE).index(size) + 1:]
    while smaller and not _fits(lines, room / FONT_SCALE[size]):
        size = smaller.pop(0)
        lines = fit_lines(given, room / FONT_SCALE[size])
    return {"kind": "math", "size": size,
            "rows": [{"lhs": ln.lhs, "rhs": ln.rhs, "note": ln.note} for ln in lines]}


def _fits(lines: list[Line], room: float) -> bool:
    left = max((width(line.lhs) for line in lines), default=0.0)
    return all(left + width(line.rhs) <= room for line in lines if line.rhs)


def text(tex: str) -> dict:
    return {"kind": "text", "text": tex}


def items(entries: list[str], size: str = "") -> dict:
    return {"kind": "items", "items": entries, "size": size}


def columns(*cols: tuple[float, list[dict]]) -> dict:
    return {"kind": "columns", "columns": [{"width": w, "blocks": b} for w, b in cols]}


def table(header: list[str], rows: list[list[str]], spec: str | None = None) -> dict:
    return {"kind": "table", "header": header, "rows": rows,
            "columns": spec or "c" * len(header)}


def frame(title: str, *blocks: dict) -> dict:
    return {"title": title, "blocks": list(blocks)}


def line_height(line: Line) -> float:
    """A display line's height in units of one plain line of \\small math."""
    tex = line.lhs + line.rhs
    if not tex:
        return 0.8                 # a grey note on its own row, in \footnotesize
    return max(_cases_height(tex), _line_height(tex))


def _cases_height(tex: str) -> float:
    """A ``cases`` block is as tall as its rows (a user's piecewise row: ELU, Huber)."""
    tallest = 0.0
    for body in re.findall(r"\\begin\{cases\}(.*?)\\end\{cases\}", tex, re.S):
        rows = body.split("\\\\")
        tallest = max(tallest, 0.3 + sum(1.35 if r"\frac" in r else 1.0 for r in rows))
    return tallest


def _line_height(tex: str) -> float:
    if r"\underbrace" in tex:
        return 2.5 if r"\frac" in tex or r"\left(" in tex else 2.0
    if r"\frac{\partial" in tex:
        return 1.8
    if r"\frac" in tex and (r"\sum" in tex or "e^{" in tex):
        return 2.0                 # a fraction with a sum or powers below: a tall display
    tall = (r"\frac", r"\sum", r"\begin{cases}", r"\begin{bmatrix}")
    if any(t in tex for t in tall):
        return 1.6
    if r"\left(" in tex:
        return 1.15
    return 1.1 if "^{(" in tex else 1.0


def block_height(block: dict) -> float:
    kind = block["kind"]
    if kind == "math":
        return 0.6 + sum(line_height(Line(r["lhs"], r["rhs"])) for r in block["rows"])
    if kind == "text":
        return 0.5 + math_ceil(visible(block["text"]) / TEXT_CHARS)
    if kind == "items":
        return 0.4 + sum(math_ceil(visible(i) / (TEXT_CHARS - 6)) for i in block["items"])
    if kind == "table":
        return 1.8 + 1.1 * len(block["rows"])
    if kind == "network":
        return 8.0
    return max(sum(block_height(b) for b in col["blocks"]) for col in block["columns"])


def math_ceil(x: float) -> int:
    return max(1, int(-(-x // 1)))


def equations(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped per equation: a continuation line (no lhs) stays with its equation."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups and not line.lhs:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def paged(title: str, groups: list[list[Line]], head: tuple[dict, ...] = (),
          tail: tuple[dict, ...] = (), budget: float = FRAME_HEIGHT) -> list[dict]:
    """One frame when the equations fit (in a smaller font if need be), else as many frames
    as they need: ``head`` opens the first, ``tail`` ends the last, titles get (1/2)…"""
    around = sum(map(block_height, head)) + sum(map(block_height, tail))
    lines = fit_lines([line for group in groups for line in group], FRAME_WIDTH)
    groups = equations(lines)
    height = 0.6 + sum(map(line_height, lines))
    if around + height <= budget:
        return [frame(title, *head, math(lines), *tail)]
    if around + SMALLER * height <= budget:
        return [frame(title, *head, math(lines, size=r"\footnotesize"), *tail)]

    def pack(room: float) -> list[list[Line]]:
        pages: list[list[Line]] = [[]]
        used = sum(map(block_height, head)) + 0.6
        for group in groups:
            h = sum(map(line_height, group))
            if pages[-1] and used + h > room:
                pages.append([])
                used = 0.6
            pages[-1].extend(group)
            used += h
        return pages

    pages = pack(budget)
    last = (0.6 if len(pages) > 1 else sum(map(block_height, head)) + 0.6) + sum(
        map(line_height, pages[-1]))
    if tail and last + sum(map(block_height, tail)) > budget:
        pages = pack(budget - sum(map(block_height, tail)))
    out = []
    for i, page in enumerate(pages, start=1):
        name = title if len(pages) == 1 else f"{title} ({i}/{len(pages)})"
        blocks = [*(head if i == 1 else ()), math(page), *(tail if i == len(pages) else ())]
        out.append(frame(name, *blocks))
    return out


def numbered(numlines: list[NumLine]) -> list[list[Line]]:
    return [nl.lines() for nl in numlines]
