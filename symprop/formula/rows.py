r"""A user's own activation (a formula in z) or loss (a term in y and d), read and checked.

What a rule-table row needs from the formula is worked out here, once, before anything uses it:
the SymPy expression (parameters substituted, exact), a display name checked against a small
LaTeX allow-list, the points where f is not differentiable (kinks), and the refusals — an unknown
function or name, a division by zero, a derivative SymPy cannot find, a value that is not a
finite real number somewhere on the real line, a jump. Each refusal is one `SpecError` naming the
key (``activations.softsign.formula``).

Finiteness is checked at sample points, at the real roots of polynomial denominators and at the
points where a piece, an ``abs``, a ``min`` or a ``max`` switches (where those are polynomials
in z, or built from polynomials with ``abs``): a formula undefined only between those points is
not caught here; training's NaN check remains the backstop.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import SpecError
from ..limits import check as check_limit
from ..limits import limit
from .expression import CONSTANTS, FUNCTIONS, count_nodes, parse, to_sympy
from .syntax import FormulaError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
PARAMETER = re.compile(r"[A-Za-z]+[0-9]*")
# the commands a display name may use: text fonts and the Greek letters
LATEX_COMMANDS = frozenset({
    r"\mathrm", r"\operatorname", r"\text", r"\mathit", r"\mathsf", r"\textrm", r"\_",
    *(f"\\{g}" for g in (
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
        "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau",
        "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda",
        "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega")),
})
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\_|[A-Za-z0-9{}_^ ,.()'+-]")
SAMPLES = (-40, -7, -2, -1, Fraction(-1, 2), Fraction(-1, 7), 0, Fraction(1, 7), Fraction(1, 2),
           1, 2, 7, 40)
LOSS_SAMPLES = (Fraction(1, 7), Fraction(1, 2), Fraction(6, 7))     # y and d inside (0, 1)
LOSS_OUTSIDE = (-3, -1, 0, 1, Fraction(3, 2), 4)                    # and on the rest of the line


def _sp() -> Any:
    return importlib.import_module("sympy")


@dataclass(frozen=True)
class FormulaRow:
    """Everything the rule table needs to make a row from a formula."""

    name: str
    text: str                         # the formula as written
    expr: Any                         # SymPy, in the variables below, parameters substituted
    variables: tuple[Any, ...]        # (z,) or (y, d)
    latex: str
    parameters: tuple[tuple[str, Any], ...]
    kinks: tuple[Any, ...] = ()       # activations: points where f' jumps
    probabilistic: bool = False       # losses: finite only for outputs in (0, 1)
    digest: str = ""                  # the content hash: the row's identity in one process
    derivative_at_kinks: Any = None   # f' at a kink when declared (exact)


def read_activation(name: str, text: object, *, latex: object = None,
                    parameters: object = None, derivative_at_kinks: object = None,
                    file: str | None = None, key: str | None = None) -> FormulaRow:
    """``text`` in z as a checked `FormulaRow`; `SpecError` naming ``key``.field otherwise."""
    sp = _sp()
    key = key or f"activations.{name}"
    _check_name(name, file=file, key=key)
    z = sp.Symbol("z", real=True)
    params = _parameters(parameters, ("z",), file=file, key=f"{key}.parameters")
    expr = _read(text, {"z": z, **dict(params)}, file=file, key=f"{key}.formula")
    where = f"{key}.formula"
    if not expr.has(z):
        raise SpecError("a constant is not an activation", file=file, key=where,
                        expected="a formula in z", got=text)
    derivative = _derivative(expr, z, file=file, key=where)
    points = sorted(set(_switch_points(expr, z)) | set(_switch_points(derivative, z)),
                    key=lambda p: float(p))
    for p in [*(sp.Rational(s.numerator, s.denominator) if isinstance(s, Fraction)
                else sp.Integer(s) for s in SAMPLES), *_poles(expr, z), *points]:
        _finite_real(expr, {z: p}, "f", file=file, key=where)
    kinks = []
    for p in points:
        if not _continuous(expr, z, p):
            raise SpecError(f"f jumps at z = {p}: gradients cannot pass a jump", file=file,
                            key=where, expected="a continuous formula", got=text)
        if not _continuous(derivative, z, p):
            if not _bounded_near(derivative, z, p):
                raise SpecError(f"f' is not a finite real number at z = {p} (it grows without "
                                "bound there)", file=file, key=where,
                                expected="a formula with a finite slope everywhere", got=text)
            kinks.append(p)
    for s in SAMPLES:
        p = sp.Rational(s.numerator, s.denominator) if isinstance(s, Fraction) else sp.Integer(s)
        if p not in kinks:
            _finite_real(derivative, {z: p}, "f'", file=file, key=where)
    shown = _latex_name(name, latex, file=file, key=f"{key}.latex")
    if derivative_at_kinks is not None:
        derivative_at_kinks = exact_number(derivative_at_kinks, file=file,
                                           key=f"{key}.derivative_at_kinks")
    if derivative_at_kinks is not None and not kinks:
        derivative_at_kinks = None      # nothing to decide: f is differentiable everywhere
    digest = _digest("activation", name, expr, shown, derivative_at_kinks)
    return FormulaRow(name, str(text), expr, (z,), shown, params, tuple(kinks), False, digest,
                      derivative_at_kinks)


def read_loss(name: str, text: object, *, latex: object = None, parameters: object = None,
              file: str | None = None, key: str | None = None) -> FormulaRow:
    """A loss term in y (an output) and d (its target) as a checked `FormulaRow`."""
    sp = _sp()
    key = key or f"losses.{name}"
    _check_name(name, file=file, key=key)
    y, d = sp.Symbol("y", real=True), sp.Symbol("d", real=True)
    params = _parameters(parameters, ("y", "d"), file=file, key=f"{key}.parameters")
    where = f"{key}.term"
    expr = _read(text, {"y": y, "d": d, **dict(params)}, file=file, key=where)
    if not expr.has(y):
        raise SpecError("a loss term must depend on the output y", file=file, key=where,
                        expected="a formula in y and d", got=text)
    gradient = _derivative(expr, y, file=file, key=where, variable="y")
    inside = [{y: sp.Rational(a.numerator, a.denominator), d: sp.Rational(b.numerator,
               b.denominator)} for a in LOSS_SAMPLES for b in LOSS_SAMPLES]
    for at in inside:
        _finite_real(expr, at, "the term", file=file, key=where)
        _finite_real(gradient, at, "its derivative in y", file=file, key=where)
    outside = [{y: sp.Rational(str(a)), d: sp.Rational(str(b))}
               for a in LOSS_OUTSIDE for b in LOSS_OUTSIDE]
    probabilistic = not all(_is_finite_real(expr, at) and _is_finite_real(gradient, at)
                            for at in outside)
    shown = _latex_name(name, latex, file=file, key=f"{key}.latex")
    digest = _digest("loss", name, expr, shown, None)
    return FormulaRow(name, str(text), expr, (y, d), shown, params, (), probabilistic, digest)


# ---------------------------------------------------------------------------------------------
def _check_name(name: object, *, file: str | None, key: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise SpecError("not a row name", file=file, key=key,
                        expected="a name of letters, digits, '_' or '-', starting with a letter",
                        got=name)
    check_limit("name_chars", len(name), file=file, key=key, what="characters")


def _parameters(raw: object, variables: tuple[str, ...], *, file: str | None,
                key: str) -> tuple[tuple[str, Any], ...]:
    """Named constants, exact: numbers, or strings like "1/100" or "0.01"."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise SpecError("not a table", file=file, key=key,
                        expected='a table such as { a = 0.01 } or { a = "1/100" }', got=raw)
    out = []
    for pname, value in raw.items():
        where = f"{key}.{pname}"
        if not isinstance(pname, str) or not PARAMETER.fullmatch(pname) or pname in variables \
                or pname in FUNCTIONS or pname in CONSTANTS or pname in ("true", "otherwise"):
            raise SpecError("not a parameter name", file=file, key=where,
                            expected="letters (then digits), not "
                            + ", ".join((*variables, "e", "pi")) + " or a function's name",
                            got=pname)
        out.append((pname, exact_number(value, file=file, key=where)))
    return tuple(out)


_NUMBER = re.compile(r"\s*([+-]?\d+)\s*/\s*([+-]?\d+)\s*|\s*[+-]?(?:\d+\.?\d*|\.\d+)"
                     r"(?:[eE]([+-]?\d{1,6}))?\s*")


def exact_number(value: object, *, file: str | None, key: str) -> Any:
    """A parameter's value as an exact rational (a number, or a string like "1/100" or
    "0.01"), with the spec reader's caps on digits and exponents checked before any work."""
    sp = _sp()
    if isinstance(value, sp.Rational):
        text = str(value)
    elif isinstance(value, bool) or not isinstance(value, int | float | str | Fraction):
        raise SpecError("not a number", file=file, key=key,
                        expected='a number such as 0.01 or "1/100"', got=value)
    else:
        text = repr(value) if isinstance(value, float) else str(value)
    check_limit("number_digits", sum(c.isdigit() for c in text), file=file, key=key,
                what="digits")
    match = _NUMBER.fullmatch(text)
    if match is None or (match[2] is not None and int(match[2]) == 0) or (
            match[3] is not None and abs(int(match[3])) > limit("number_exponent")):
        raise SpecError("not a finite number", file=file, key=key,
                        expected='a number such as 0.01 or "1/100"', got=value)
    return sp.Rational(text.strip()) if match[2] is None else \
        sp.Rational(int(match[1]), int(match[2]))


def _read(text: object, symbols: dict[str, Any], *, file: str | None, key: str) -> Any:
    if not isinstance(text, str) or not text.strip():
        raise SpecError("not a formula", file=file, key=key, expected="a formula as a string",
                        got=text)
    check_limit("formula_chars", len(text), file=file, key=key, what="characters")
    try:
        tree = parse(text, frozenset(symbols))
        check_limit("formula_nodes", count_nodes(tree), file=file, key=key,
                    what="operations")
        expr = to_sympy(tree, symbols, max_exponent=limit("formula_exponent"))
    except FormulaError as exc:
        raise SpecError(f"cannot read the formula: {exc}", file=file, key=key) from None
    except RecursionError:
        raise SpecError("the formula is nested too deeply", file=file, key=key) from None
    sp = _sp()
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise SpecError("the formula divides by zero or is infinite", file=file, key=key,
                        got=text)
    return expr


def _derivative(expr: Any, var: Any, *, file: str | None, key: str, variable: str = "z") -> Any:
    sp = _sp()
    try:
        derivative = sp.diff(expr, var)
    except (TypeError, ValueError, NotImplementedError) as exc:
        raise SpecError(f"SymPy cannot differentiate the formula ({exc})", file=file,
                        key=key) from None
    if derivative.has(sp.Derivative, sp.Subs, sp.DiracDelta):
        raise SpecError(f"SymPy cannot find the derivative in {variable} "
                        f"(it gives {str(derivative)[:60]})", file=file, key=key)
    return derivative


def _is_finite_real(expr: Any, at: dict) -> bool:
    sp = _sp()
    try:
        value = sp.N(expr.xreplace(at), 30)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return False
    return bool(value.is_Number and value.is_finite and value.is_real
                and not value.has(sp.nan, sp.zoo))


def _finite_real(expr: Any, at: dict, what: str, *, file: str | None, key: str) -> None:
    if not _is_finite_real(expr, at):
        point = ", ".join(f"{k} = {v}" for k, v in at.items())
        raise SpecError(f"{what} is not a finite real number at {point}", file=file, key=key,
                        expected="a formula defined on the whole real line")


def _poles(expr: Any, z: Any) -> list[Any]:
    """The real roots of the polynomial denominators of ``expr``."""
    sp = _sp()
    roots = []
    for power in expr.atoms(sp.Pow):
        if power.exp.is_negative:
            roots += _real_roots(power.base, z)
    return roots


def _switch_points(expr: Any, z: Any) -> list[Any]:
    """Where a piece, an abs, a sign, a step, a min or a max of ``expr`` switches."""
    sp = _sp()
    found: list[Any] = []
    for atom in expr.atoms(sp.Abs, sp.sign, sp.Heaviside):
        found += _real_roots(atom.args[0], z)
    for atom in expr.atoms(sp.Max, sp.Min):
        args = atom.args
        found += [r for i, a in enumerate(args) for b in args[i + 1:]
                  for r in _real_roots(a - b, z)]
    for atom in expr.atoms(sp.Piecewise):
        for _, condition in atom.args:
            for rel in [condition, *condition.atoms(sp.core.relational.Relational)]:
                if isinstance(rel, sp.core.relational.Relational):
                    found += _real_roots(rel.lhs - rel.rhs, z)
                    for inner in rel.atoms(sp.Abs):
                        found += _real_roots(inner.args[0], z)
    return list(dict.fromkeys(found))


def _real_roots(expr: Any, z: Any) -> list[Any]:
    sp = _sp()
    if not expr.has(z):
        return []
    try:
        poly = sp.Poly(expr, z)
    except sp.PolynomialError:
        return _piecewise_polynomial_roots(expr, z)
    if poly.degree() > 4 or not all(c.is_Rational for c in poly.all_coeffs()):
        return []
    return [r for r in sp.real_roots(poly) if r.is_Rational]


def _piecewise_polynomial_roots(expr: Any, z: Any) -> list[Any]:
    """Rational roots of an argument built from polynomials with abs (abs(abs(z) − 1) − 1
    switches at −2, 0 and 2); other arguments give none (their switches go unchecked)."""
    sp = _sp()
    plain = expr.replace(lambda e: isinstance(e, sp.Abs), lambda e: sp.Dummy())
    if plain.atoms(sp.Function) or not expr.has(sp.Abs):
        return []
    try:
        plain_poly = sp.Poly(plain, *plain.free_symbols)
    except sp.PolynomialError:
        return []
    if plain_poly.total_degree() > 4:
        return []
    roots = sp.solveset(expr, z, sp.S.Reals)
    if not isinstance(roots, sp.FiniteSet) or len(roots) > 20:
        return []
    return [r for r in roots if r.is_Rational]


def _continuous(expr: Any, z: Any, p: Any) -> bool:
    """Left and right values at ``p`` agree (to 20 digits, 1e-25 from ``p``)."""
    sp = _sp()
    eps = sp.Rational(1, 10**25)
    left, right = (sp.N(expr.xreplace({z: p + s * eps}), 40) for s in (-1, 1))
    try:
        return bool(abs(left - right) <= sp.Float("1e-12", 40) * (1 + abs(left)))
    except TypeError:
        return False


def _bounded_near(expr: Any, z: Any, p: Any) -> bool:
    """f' on both sides of a kink stays a finite real number (no vertical tangent)."""
    sp = _sp()
    eps = sp.Rational(1, 10**25)
    for s in (-1, 1):
        value = sp.N(expr.xreplace({z: p + s * eps}), 40)
        if not (value.is_Number and value.is_real and abs(value) < 1e9):
            return False
    return True


def _latex_name(name: str, latex: object, *, file: str | None, key: str) -> str:
    """The display name: the given LaTeX if it uses only allowed commands, else \\mathrm{name}."""
    if latex is None:
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    if not isinstance(latex, str) or not latex.strip():
        raise SpecError("not a LaTeX name", file=file, key=key,
                        expected=r"a string such as \mathrm{softsign}", got=latex)
    check_limit("notation_chars", len(latex), file=file, key=key, what="characters")
    pos, depth = 0, 0
    while pos < len(latex):
        m = _LATEX_TOKEN.match(latex, pos)
        if not m or (m[0].startswith("\\") and m[0] not in LATEX_COMMANDS):
            bad = m[0] if m else latex[pos]
            raise SpecError(f"{bad!r} is not allowed in a display name", file=file, key=key,
                            expected=r"letters, digits, \mathrm{...}, \operatorname{...} and "
                            "Greek letters", got=latex)
        depth += {"{": 1, "}": -1}.get(m[0], 0)
        if depth < 0:
            break
        pos = m.end()
    if depth != 0:
        raise SpecError("unbalanced braces", file=file, key=key, got=latex)
    return latex


def _digest(kind: str, name: str, expr: Any, latex: str, kinks: object) -> str:
    sp = _sp()
    text = "|".join((kind, name, sp.srepr(expr), latex, str(kinks)))
    return hashlib.sha256(text.encode()).hexdigest()[:12]
