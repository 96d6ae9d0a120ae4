"""LaTeX for the classroom: user text made safe, and pdflatex run locked down.

Student names and ids come from a roster anyone can edit, so every one of them goes through
`text`. pdflatex runs in a private temporary folder with ``openin_any=p`` and ``openout_any=p``
(paranoid: no reading or writing outside it), no shell escape, a time limit, and the PDF moved
into place atomically.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata
from functools import cache
from pathlib import Path

import jinja2

from ..io import write_atomic
from ..render.latex import escape

TEMPLATES = Path(__file__).parent / "templates"
RENDER_TEMPLATES = Path(__file__).parent.parent / "render" / "templates"


class LatexFailed(RuntimeError):
    """pdflatex failed or is missing; the message is one line."""


def _printable(char: str) -> str:
    code = ord(char)
    if code < 32 or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return " "
    if code < 128 or 0xC0 <= code <= 0x17F:      # ASCII and Latin accents (T1 + utf8)
        return char
    ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return ascii_form or "?"


#: the few symbols our own sentences use, as LaTeX
_SYMBOLS = {"≤": r"$\le$", "≥": r"$\ge$", "δ": r"$\delta$", "η": r"$\eta$", "→": r"$\to$",
            "⁺": r"$^{+}$", "×": r"$\times$", "−": "-", "σ": r"$\sigma$", "…": r"\ldots{}",
            "—": "---", "–": "--"}


def text(value: object) -> str:
    """Plain user text (a name, an id, a title) as LaTeX text: every special escaped, any
    character pdflatex cannot print replaced, whitespace collapsed."""
    plain = " ".join(str(value).split())
    return "".join(_SYMBOLS.get(c) or escape(_printable(c)) for c in plain)


@cache
def environment() -> jinja2.Environment:
    """Our templates, with render's block macros (the network picture, math rows) beside them."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES, RENDER_TEMPLATES]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        autoescape=False, keep_trailing_newline=True,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}")


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


def compile_pdf(tex: str, pdf_path: str | Path, *, timeout: float = 120) -> Path:
    """Compile ``tex`` (twice when LaTeX asks) and write the PDF atomically to ``pdf_path``."""
    exe = pdflatex()
    if exe is None:
        raise LatexFailed("pdflatex is not installed")
    env = {**os.environ, "openin_any": "p", "openout_any": "p", "shell_escape": "f",
           "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix="symprop-class-") as tmp:
        Path(tmp, "doc.tex").write_text(tex, encoding="utf-8")
        for _ in range(2):
            try:
                proc = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                     "doc.tex"], cwd=tmp, env=env, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise LatexFailed(f"pdflatex took longer than {timeout:.0f} s") from None
            log_file = Path(tmp, "doc.log")
            log = log_file.read_text(encoding="latin-1") if log_file.exists() else ""
            if proc.returncode != 0:
                first = next((ln[2:] for ln in log.splitlines() if ln.startswith("! ")),
                             "no error message")
                raise LatexFailed(f"pdflatex failed: {first.strip()}")
            if "Rerun to get" not in log:
                break
        return write_atomic(pdf_path, Path(tmp, "doc.pdf").read_bytes())
