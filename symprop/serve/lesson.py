"""What the page shows of the mathematics, as JSON: the derivation, the worked example's steps,
each unit's and weight's formula with numbers, and the checker's verdicts on typed numbers.

All LaTeX comes from `symprop.render` (the slides' printers), so the page and the slides agree.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from typing import Any

import sympy as sp

from ..addresses import Address
from ..check import check
from ..check.report import to_json
from ..derive import symbols as S
from ..errors import SpecError
from ..render.latex import LecturePrinter, derivation_latex, partial, times_chain
from ..render.worked import SlideExample
from ..spec import Network, loads
from .state import decimal_text, spec_toml

#: KaTeX macros for the lecture's notation (one source: the page and the node check read it)
KATEX_MACROS: dict[str, str] = {r"\R": r"\mathbb{R}"}

#: the largest networks whose derivation and worked example the page shows, and checks
#: (measured on a loaded 2-core machine: reports/serve/README.md)
MATH_LIMITS = {"layers": 4, "weights": 80}
CHECK_LIMITS = {"layers": 2, "weights": 24}
EXACT_DIGITS = 30            # of the slides' 50-digit values


def _stage_of(addr: Address) -> str:
    if addr.after:
        return "forward again" if addr.kind in ("net", "out", "E") else "update"
    return {"net": "forward", "out": "forward", "E": "error", "delta": "backward",
            "w": "update", "b": "update"}.get(addr.kind, "given")


def within(net: Network, limits: dict[str, int], what: str) -> None:
    """Refuse ``what`` for a network beyond ``limits`` (its cost grows with every layer)."""
    weights = sum(math.prod(shape) for shape in net.param_shapes().values())
    if net.depth > limits["layers"] or weights > limits["weights"]:
        raise SpecError(f"{what} is shown for networks of up to {limits['layers']} layers and "
                        f"{limits['weights']} weights; this one has {net.depth} and {weights} "
                        "(training works; `symprop derive`/`symprop slides` do any size)",
                        key="network.layers")


_busy: dict[str, threading.Lock] = {}
_busy_guard = threading.Lock()


def lesson(net: Network) -> dict[str, Any]:
    """The derivation and the worked example of ``net`` (cached on its spec text).

    A second request for the same network waits for the first instead of computing again.
    """
    within(net, MATH_LIMITS, "the exact math")
    text = spec_toml(net)
    with _busy_guard:
        lock = _busy.setdefault(text, threading.Lock())
    with lock:
        try:
            return _lesson(text)
        finally:
            with _busy_guard:
                if len(_busy) > 64:
                    _busy.clear()


@lru_cache(maxsize=32)
def _lesson(text: str) -> dict[str, Any]:
    net = loads(text)
    if net.is_perceptron:
        raise SpecError("the page derives backpropagation: threshold units have no derivative",
                        key="network.layers", expected="differentiable activations")
    derivation = net.derive()
    out: dict[str, Any] = {"derivation": derivation_latex(derivation), "steps": [],
                           "gradients": [], "given": []}
    if net.example is None or set(net.param_shapes()) - set(net.weights):
        out["note"] = "add [weights] and [example] to the spec to see the worked example"
        return out
    # the slides' 50-digit values: exact expressions nest without bound and take minutes
    slide = SlideExample(net)
    values = slide.exact_values
    out["given"] = [line.rhs for line in slide.given_lines]
    groups = [*slide.forward, slide.error, *slide.backward,
              *(nl for rows in slide.updates.values() for nl in rows),
              *slide.forward_after, slide.error_after]
    for nl in groups:
        addr = nl.address
        exact = values.get(addr)
        rhs = [*([nl.formula] if nl.formula else []), *nl.numbers]
        value = f" {nl.shown.relation} {nl.shown.text}"
        out["steps"].append({
            "address": str(addr), "stage": _stage_of(addr), "lhs": nl.lhs,
            "formula": nl.formula, "numbers": list(nl.numbers), "relation": nl.shown.relation,
            "rounded": nl.shown.text, **_exact(exact),
            "latex": " = ".join([nl.lhs, *rhs]) + value,
            "aligned": r"\begin{aligned}" + nl.lhs + " &= "
            + r" \\ &= ".join(rhs or [nl.shown.text]) + (value if rhs else "")
            + r"\end{aligned}"})
    printer = LecturePrinter(net)
    for _, l, k, j in derivation.parameters():
        name = f"dE/dw{l}[{k},{j}]" if j is not None else f"dE/db{l}[{k}]"
        weight = S.w(l)[k, j] if j is not None else S.b(l)[k]
        chain = derivation.weight_chain(l, k, j)
        lhs = partial(printer._print(S.E), printer._print(weight))
        value = values.get(Address("dE/dw", l, (k, j)) if j is not None
                                  else Address("dE/db", l, (k,)))
        formula = times_chain(chain, printer)
        out["gradients"].append({"address": name, "lhs": lhs, "formula": formula,
                                 "latex": f"{lhs} = {formula}", **_exact(value)})
    return out


def _exact(value: sp.Expr | None) -> dict[str, str]:
    """The value to ``EXACT_DIGITS`` significant digits; a short decimal (0.755) as it is."""
    if value is None:
        return {"exact": ""}
    text = str(sp.N(value, EXACT_DIGITS))
    if "e" not in text and "." in text:
        text = text.rstrip("0").rstrip(".")
    return {"exact": text}


def every_formula(info: dict[str, Any]) -> list[str]:
    """Every LaTeX string the page shows for one network (the KaTeX check renders each)."""
    rows = info["steps"] + info["gradients"]
    return [info["derivation"], *info["given"], *(r["latex"] for r in rows),
            *(r["lhs"] for r in info["steps"]), *(r["aligned"] for r in info["steps"])]


def formulas_of(net: Network, element: str) -> list[dict[str, Any]]:
    """The steps and gradients about one unit (``out1[2]``) or weight (``w2[1,1]``)."""
    addr = net.address(element)
    info = lesson(net)
    if addr.kind in ("out", "net", "delta"):
        wanted = {(k, addr.layer, addr.index) for k in ("net", "out", "delta")}
    elif addr.kind in ("w", "b"):
        grad = "dE/dw" if addr.kind == "w" else "dE/db"
        wanted = {(addr.kind, addr.layer, addr.index), (grad, addr.layer, addr.index)}
    else:
        wanted = {(addr.kind, addr.layer, addr.index)}

    def key(text: str) -> tuple:
        a = net.address(text)
        return (a.kind, a.layer, a.index)

    return [s for s in info["gradients"] + info["steps"] if key(s["address"]) in wanted]


# -- check my numbers ----------------------------------------------------------------------------
def check_numbers(net: Network, typed: dict[str, str]) -> dict[str, Any]:
    """The checker's verdicts on a student's numbers (``{address: "0,68"}``; blanks skipped)."""
    steps = {s["address"] for s in lesson(net)["steps"]}
    within(net, CHECK_LIMITS, "checking")
    claims: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, text in typed.items():
        if not str(text).strip():
            continue
        if name not in steps:
            problems[str(name)[:40]] = "not a quantity of this worked example"
            continue
        try:
            claims[name] = decimal_text(text, name)
        except SpecError as exc:
            problems[name] = str(exc)
    verdicts: dict[str, Any] = {}
    if claims:
        result = to_json(check(net.with_(claims=claims, formulas={})))
        for row in result.get("claims", []):
            verdicts[row["name"]] = {k: row.get(k) for k in (
                "verdict", "claimed", "exact", "expected_from_your_values", "explanation",
                "mistake", "mistake_detail", "worked")}
    return {"verdicts": verdicts, "problems": problems}
