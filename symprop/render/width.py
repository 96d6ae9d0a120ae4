"""How wide a line of display math prints, in points of 10 pt Computer Modern.

Slides and snippets break long equations before they are typeset, so they need the printed
width without running TeX. This is a small model of TeX's math spacing: glyph widths by class
(digits, letters, operators), the spaces TeX puts around binary operators and relations,
scripts at 70 %, a fraction as wide as its wider part. It is calibrated against pdflatex's own
measurements of every line of the test decks (``tests/test_render_width.py`` keeps it honest)
and errs on the wide side.
"""

from __future__ import annotations

import re

#: the widest line of math a frame takes, in pt: beamer's 398 pt \textwidth less a margin
#: for this model's error
FRAME_WIDTH = 360.0
#: widths in pt at 10 pt (\small in an 11 pt beamer deck)
DIGIT, LETTER, UPRIGHT, PERIOD = 5.0, 5.6, 5.0, 2.8
BINARY = 7.8 + 2 * 2.2          # + − × with their medium spaces
RELATION = 7.8 + 2 * 2.8        # = ≈ with their thick spaces
ARROW = 10.0 + 2 * 2.8          # ← ⇒ →
PAREN, COMMA, SCRIPT = 3.9, 4.5, 0.72
CAPITAL = 7.4
SIZED = 1.5                     # what \left( adds to a (
MATRIX_GAP = 10.0               # two \arraycolsep between matrix columns
_SPACES = {r"\quad": 10.0, r"\qquad": 20.0, r"\;": 2.8, r"\,": 1.7, r"\:": 2.2, r"\ ": 3.3,
           r"\!": -1.7, "~": 3.3}
_RELATIONS = {"=", "<", ">", r"\approx", r"\geq", r"\leq", r"\neq", r"\in", r"\equiv"}
_ARROWS = {r"\leftarrow", r"\rightarrow", r"\Rightarrow", r"\to", r"\mapsto"}
_BINARIES = {"+", "-", r"\times", r"\cdot", r"\odot", r"\pm", r"\circ"}
_NAMED = {r"\ln": 8.4, r"\exp": 16.1, r"\tanh": 21.7, r"\max": 17.0, r"\sum": 14.5,
          r"\ldots": 13.4, r"\cdots": 13.4, r"\dots": 13.4, r"\vdots": 3.0}
_INVISIBLE = {r"\bigl", r"\bigr", r"\displaystyle", r"\color",
              r"\small", r"\footnotesize", r"\big", r"\Big", r"\limits", r"\top"}
_UPRIGHT_GROUPS = {r"\mathrm", r"\text", r"\mathbf", r"\operatorname", r"\textrm"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.S)


def width(tex: str, size: float = 1.0) -> float:
    """The printed width of ``tex`` (math) in pt; ``size`` scales (0.9 for \\footnotesize)."""
    tokens = _TOKEN.findall(tex)
    total, _ = _width(tokens, 0, upright=False, prev="start")
    return total * size


def _group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of the brace group (or single token) at ``i`` and the index after it."""
    while i < len(tokens) and tokens[i] == " ":
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while j < len(tokens):
        depth += (tokens[j] == "{") - (tokens[j] == "}")
        if depth == 0:
            return tokens[i + 1:j], j + 1
        j += 1
    return tokens[i + 1:], len(tokens)


def _width(tokens: list[str], i: int, upright: bool, prev: str) -> tuple[float, str]:
    total = 0.0
    while i < len(tokens):
        t = tokens[i]
        i += 1
        w = 0.0
        if t == "&":
            total += MATRIX_GAP
            continue
        if t in (" ", "\n", "{", "}"):
            if t == "{":        # a bare group: measure it as one atom
                inner, i = _group(tokens, i - 1)
                w, prev = _width(inner, 0, upright, prev)[0], "ord"
            total += w
            continue
        if t in ("_", "^"):
            script, i = _group(tokens, i)
            sw = SCRIPT * _width(script, 0, upright, "start")[0]
            # sub- and superscript stack: only the wider one counts
            if i < len(tokens) and tokens[i] in ("_", "^") and tokens[i] != t:
                other, i = _group(tokens, i + 1)
                sw = max(sw, SCRIPT * _width(other, 0, upright, "start")[0])
            total += sw
            continue
        if t in _SPACES:
            total += _SPACES[t]
            continue
        if t in (r"\left", r"\right"):
            total += SIZED                     # a sized delimiter is wider than a plain one
            continue
        if t in _INVISIBLE:
            if t == r"\color":
                _, i = _group(tokens, i)
            continue
        if t in _UPRIGHT_GROUPS:
            inner, i = _group(tokens, i)
            w = _width(inner, 0, True, "start")[0]
            prev = "ord"
        elif t in (r"\frac", r"\dfrac", r"\tfrac"):
            num, i = _group(tokens, i)
            den, i = _group(tokens, i)
            w = max(_width(num, 0, upright, "start")[0], _width(den, 0, upright, "start")[0])
            w += 2.4
            prev = "ord"
        elif t in (r"\underbrace", r"\overbrace"):
            inner, i = _group(tokens, i)
            w = _width(inner, 0, upright, "start")[0]
            if i < len(tokens) and tokens[i] in ("_", "^"):     # set below, not beside
                script, i = _group(tokens, i + 1)
                w = max(w, 0.9 * _width(script, 0, upright, "start")[0])
            prev = "ord"
        elif t in (r"\hat", r"\bar", r"\tilde", r"\vec",
                   r"\widehat", r"\widetilde", r"\overline", r"\underline", r"\dot",
                   r"\mathcal", r"\boldsymbol", r"\mathit", r"\mathsf", r"\mathbb"):
            inner, i = _group(tokens, i)
            w = _width(inner, 0, upright, "start")[0]
            prev = "ord"
        elif t == r"\begin":          # a matrix or cases: as wide as its widest row
            env, i = _group(tokens, i)
            depth, j, rows, start = 1, i, [], i
            while j < len(tokens) and depth:
                depth += (tokens[j] == r"\begin") - (tokens[j] == r"\end")
                if depth == 1 and tokens[j] == "\\":
                    rows.append(tokens[start:j])
                    start = j + 1
                j += 1
            rows.append(tokens[start:j - 1])
            _, i = _group(tokens, j)
            w = max(_width(row, 0, upright, "start")[0] for row in rows) + 2 * PAREN
            if "".join(env) == "cases":
                w += 4.0
            prev = "ord"
        elif t in _RELATIONS or t in _ARROWS:
            w = ARROW if t in _ARROWS else RELATION
            if prev == "start":                # no space before it, its space after stays
                w -= 2.8
            prev = "rel"
        elif t in _BINARIES:
            unary = prev in ("start", "rel", "bin", "open", "punct")
            w = 7.8 if unary else BINARY
            prev = "bin"
        elif t in "([":
            w, prev = PAREN, "open"
        elif t in ")]|":
            w, prev = PAREN, "ord"
        elif t == ",":
            w, prev = COMMA, "punct"
        elif t == ";":
            w, prev = COMMA, "punct"
        elif t == ".":
            w, prev = PERIOD, "ord"
        elif t == "'":
            w, prev = 2.8, "ord"
        elif t.isdigit():
            w, prev = DIGIT, "ord"
        elif t.isalpha():
            w = CAPITAL if t.isupper() else UPRIGHT if upright else LETTER
            prev = "ord"
        elif t in _NAMED:
            w, prev = _NAMED[t], "ord"
        elif t.startswith("\\") and len(t) > 2:
            w, prev = 6.5, "ord"          # a Greek letter or another symbol
        elif t.startswith("\\"):
            w, prev = 5.0, "ord"          # \{ \} \% …
        else:
            w, prev = 5.0, "ord"
        total += w
    return total, prev
