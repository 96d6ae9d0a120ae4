"""pdflatex, run safely, and what its log says; PNG previews of the pages with pdftoppm."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..io import write_atomic


class LatexError(RuntimeError):
    """pdflatex failed; the message is one plain sentence."""


@dataclass(frozen=True)
class Compiled:
    pdf: Path
    log: str
    runs: int

    @property
    def overfull(self) -> list[str]:
        return overfull_warnings(self.log)


def overfull_warnings(log: str) -> list[str]:
    return [ln for ln in log.splitlines() if ln.startswith(("Overfull \\hbox", "Overfull \\vbox"))]


def box_warnings(log: str) -> list[str]:
    """Every overfull and underfull box pdflatex reported."""
    return [ln for ln in log.splitlines() if _BOX.match(ln)]


_BOX = re.compile(r"(Overfull|Underfull) \\([hv])box \((.*?)\) "
                  r"(?:in paragraph at lines (\d+)--\d+|in alignment at lines (\d+)--\d+|"
                  r"detected at line (\d+))?")
_FRAME = re.compile(r"\\begin\{frame\}(?:\[[^\]]*\])?(?:\{(.*)\})?")


def where_in(tex: str, line: int) -> str:
    """Which frame of ``tex`` holds ``line``: its number (as in the footline) and title."""
    number, title, inside = 0, "", False
    for i, text in enumerate(tex.splitlines()[:line], start=1):
        m = _FRAME.match(text.strip())
        if m:
            number, title, inside = number + 1, m[1] or "", True
        elif text.strip().startswith("\\end{frame}") and i < line:
            inside = False
    if number and inside:
        return f"frame {number}" + (f" '{title}'" if title else "")
    return f"line {line}"


def check_boxes(log: str, tex: str, name: str) -> None:
    """A LatexError naming the first overfull box's frame and title; underfull boxes pass."""
    for ln in log.splitlines():
        m = _BOX.match(ln)
        if m is None or m[1] != "Overfull":
            continue
        line = next((int(g) for g in (m[4], m[5], m[6]) if g), None)
        place = where_in(tex, line) if line else "a page"
        what = "runs past the right edge" if m[2] == "h" else "is taller than the page"
        amount = m[3].replace(" too wide", "").replace(" too high", "")
        raise LatexError(f"{place} of {name} {what} by {amount}: the content does not fit "
                         "(no PDF written)")


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


def compile_pdf(tex: str, pdf_path: str | Path, *, timeout: float = 180,
                boxes: bool = True, max_runs: int = 2) -> Compiled:
    """Run pdflatex (twice when it asks) in a private temporary folder; move the PDF in
    atomically. With ``boxes``, an overfull box is an error (`LatexError`, naming the frame)."""
    exe = pdflatex()
    if exe is None:
        raise LatexError("pdflatex is not installed")
    pdf_path = Path(pdf_path)
    # defence in depth: TeX may read and write only in the build folder ("p": paranoid, no
    # absolute paths, no ..), and never run a program
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1",
           "openin_any": "p", "openout_any": "p", "shell_escape": "f"}
    with tempfile.TemporaryDirectory(prefix="symprop-tex-") as tmp:
        src = Path(tmp) / "deck.tex"
        src.write_text(tex, encoding="utf-8")
        log, runs = "", 0
        while runs < max_runs:
            runs += 1
            try:
                proc = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                     "deck.tex"], cwd=tmp, env=env, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise LatexError(f"pdflatex took longer than {timeout:.0f} s and was "
                                 "stopped") from None
            logfile = Path(tmp) / "deck.log"
            log = logfile.read_text(encoding="latin-1") if logfile.exists() else \
                proc.stdout.decode("latin-1")
            if proc.returncode != 0:
                raise LatexError(explain_log(log, pdf_path.with_suffix(".tex").name))
            if "Rerun to get" not in log and "may have changed" not in log:
                break
        if boxes:
            check_boxes(log, tex, pdf_path.with_suffix(".tex").name)
        write_atomic(pdf_path, (Path(tmp) / "deck.pdf").read_bytes())
    return Compiled(pdf_path, log, runs)


def explain_log(log: str, name: str = "deck.tex") -> str:
    """The first ``! ...`` error of a pdflatex log and its line number, in one sentence."""
    lines = log.splitlines()
    for i, ln in enumerate(lines):
        if not ln.startswith("! "):
            continue
        message = ln[2:].strip().rstrip(".")
        context = [c for c in lines[i + 1:i + 12] if c.strip()]
        if message == "Undefined control sequence" and context:
            # TeX breaks its context line right after the undefined command
            first = re.sub(r"^l\.\d+\s?", "", context[0])
            commands = re.findall(r"\\[A-Za-z@]+", first)
            if commands:
                message += f" {commands[-1]}"
        where = ""
        for follow in context:
            m = re.match(r"l\.(\d+)\s?(.*)", follow)
            if m:
                near = m[2].strip()
                if near.startswith("\\end{frame}"):
                    where = f" in the frame that ends at {name} line {m[1]}"
                else:
                    where = f" at {name} line {m[1]}" + (f" (near '{near[-40:]}')"
                                                         if near else "")
                break
        return f"pdflatex failed: {message}{where}"
    return "pdflatex failed without an error message; see its log"


def png_previews(pdf: str | Path, folder: str | Path, *, dpi: int = 60) -> list[Path]:
    """PNG images of every page (pdftoppm); empty when pdftoppm is not installed."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(pdf).stem
    subprocess.run([exe, "-png", "-r", str(dpi), str(pdf), str(folder / stem)], check=True,
                   capture_output=True, timeout=120)
    return sorted(folder.glob(f"{stem}*.png"))
