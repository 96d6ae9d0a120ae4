"""``[notation]`` symbols are LaTeX written by the user: only symbol macros get through.

Checked when a spec is read (`symprop.spec`) and again where LaTeX is made (`symprop.render`).

A notation value is pasted into every slide and snippet as is, so it is checked against a
whitelist before any LaTeX is made: letters, digits, primes, sub- and superscripts, braces,
a few punctuation marks, and the macros in :data:`SYMBOL_MACROS` (Greek letters, accents,
math alphabets). Anything else (``\\input``, ``\\text``, ``\\def``, ``#``, ``%``, ``$``…) is
refused with the key that held it. Index letters must be single letters: SymPy prints them.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import SpecError

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda "
          "mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
          "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
_ACCENTS = "hat widehat bar overline underline tilde widetilde vec dot ddot check breve acute grave"
_ALPHABETS = "mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol bm"
_SYMBOLS = "prime ell partial nabla star ast circ bullet infty imath jmath hbar"
#: every macro a notation value may use
SYMBOL_MACROS = frozenset(_GREEK + (_ACCENTS + " " + _ALPHABETS + " " + _SYMBOLS).split())
#: the notation keys that hold a symbol (LaTeX); the other keys are checked where they are read
SYMBOL_KEYS = ("x", "h", "y", "d", "net", "f", "eta", "E", "w", "b", "delta", "g", "T", "phi",
               "yhat")
INDEX_KEYS = ("input_index", "indices")
MAX_LENGTH = 60
_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9'_^{}(),.+\-* ]")
_LETTER = re.compile(r"[A-Za-z]")
EXPECTED = ("a math symbol: letters, digits, primes, _ ^ { }, Greek letters, \\hat, \\bar, "
            "\\tilde, \\vec, \\mathbf, \\mathrm and similar symbol macros")


def check_symbol(value: Any, key: str, file: str | None = None) -> str:
    """``value`` if it is a whitelisted symbol, else a `SpecError` naming ``key``."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LENGTH:
        raise SpecError("not a symbol", file=file, key=key,
                        expected=EXPECTED + f" (at most {MAX_LENGTH} characters)", got=value)
    if "^^" in value:        # TeX reads ^^5c as a backslash: a macro by another name
        raise SpecError("'^^' is not allowed in a symbol", file=file, key=key,
                        expected=EXPECTED, got=value)
    depth, at = 0, 0
    while at < len(value):
        m = _TOKEN.match(value, at)
        if m is None:
            raise SpecError(f"character {value[at]!r} is not allowed in a symbol", file=file,
                            key=key, expected=EXPECTED, got=value)
        token = m[0]
        if token.startswith("\\") and token[1:] not in SYMBOL_MACROS:
            raise SpecError(f"macro {token} is not allowed in a symbol", file=file, key=key,
                            expected=EXPECTED, got=value)
        depth += (token == "{") - (token == "}")
        if depth < 0:
            break
        at = m.end()
    if depth != 0:
        raise SpecError("unbalanced braces", file=file, key=key, expected=EXPECTED, got=value)
    return value


def check_notation(notation: dict[str, Any], file: str | None = None) -> dict[str, Any]:
    """Every symbol and index letter of a ``[notation]`` table checked; returned unchanged."""
    for name in SYMBOL_KEYS:
        if name in notation:
            check_symbol(notation[name], f"notation.{name}", file)
    letters = notation.get("indices", [])
    if not isinstance(letters, list | tuple):
        raise SpecError("not a list of index letters", file=file, key="notation.indices",
                        expected="a list of single letters like ['k', 'j', 'i']", got=letters)
    for i, letter in enumerate(letters):
        _check_letter(letter, f"notation.indices[{i}]", file)
    if "input_index" in notation:
        _check_letter(notation["input_index"], "notation.input_index", file)
    return notation


def _check_letter(value: Any, key: str, file: str | None) -> None:
    if not isinstance(value, str) or not _LETTER.fullmatch(value):
        raise SpecError("not an index letter", file=file, key=key,
                        expected="a single letter like k", got=value)
