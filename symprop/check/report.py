"""The check's outputs: terminal text, JSON, and a report to hand back (Markdown or LaTeX)."""

from __future__ import annotations

import os
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import sympy as sp

from ..errors import SpecError
from ..io import write_atomic
from ..units import shown_name
from .display import Segment, latex_escape, latex_name, name, render, symbolic
from .formulas import FormulaResult
from .judge import CheckResult, ClaimResult
from .mistakes import BY_ID
from .numeric import fmt, to_decimal

MARK = {"correct": "✓", "consistent": "~", "wrong": "✗", "equivalent": "✓", "different": "✗",
        "unreadable": "?", "ambiguous": "?", "too-large": "?"}
# the colour of a formula's verdict: the claim verdict it reads like
_TONE = {"equivalent": "correct", "different": "wrong", "unreadable": "consistent",
         "ambiguous": "consistent", "too-large": "consistent"}
_COLOURS = {"correct": "32", "consistent": "33", "wrong": "31", "dim": "2", "bold": "1"}

RULES = (
    "A value counts as correct when the exact value rounds to it at the precision it is written "
    "with: \"0.68\" stands for anything in [0.675, 0.685] (half a unit of the last digit, both "
    "ends included; scientific notation and integers with trailing zeros are read by "
    "significant figures). It is consistent when it is wrong against the exact value but "
    "follows from the derived formulas, either from your own earlier values (error carried "
    "forward; each value you wrote stands for every number that rounds to it, so the digits "
    "you carried count) or once an intermediate is rounded to 2-4 decimal places or "
    "significant figures "
    "the way hand calculations do. Otherwise it is wrong, and the usual mistakes are replayed "
    "to name the one that gives your value."
)


# -- words shared by every output --------------------------------------------------------------
def claim_label(network, r: ClaimResult) -> str:
    """``w1 = w₁,₁⁽²⁾⁺`` for labels, ``h₁⁽¹⁾`` for an address."""
    pretty = name(network, r.claim.address)
    return f"{r.claim.name} = {pretty}" if _is_label(network, r.claim.name) else pretty


def _is_label(network, key: str) -> bool:
    """A ``[labels]`` name, or one with the trailing ``+`` of an updated weight."""
    return key in network.labels or key.rstrip("+").strip() in network.labels


def headline(result: CheckResult) -> str:
    s = result.summary
    parts = []
    if result.claims:
        parts.append(f"{s['total']} claim{'s' * (s['total'] != 1)}: {s['correct']} correct, "
                     f"{s['consistent']} consistent, {s['wrong']} wrong")
    if result.formulas:
        n = len(result.formulas)
        counts = [f"{s['formulas_equivalent']} equivalent", f"{s['formulas_different']} different"]
        counts += [f"{s['formulas_' + v.replace('-', '_')]} {v}"
                   for v in ("unreadable", "ambiguous", "too-large")
                   if s["formulas_" + v.replace("-", "_")]]
        parts.append(f"{n} formula{'s' * (n != 1)}: " + ", ".join(counts))
    return " · ".join(parts)


def network_line(network) -> str:
    acts = "/".join(shown_name(layer.activation) for layer in network.layers)
    sizes = "-".join(map(str, network.sizes))
    eta = network.example.learning_rate if network.example else None
    line = f"network {sizes}, {acts}, loss {shown_name(network.loss)}"
    return line + (f", η = {fmt(to_decimal(eta))}" if eta is not None else "")


def formula_explanation(network, f: FormulaResult) -> list[Segment]:
    derived = f.derived_display or symbolic(f.derived, network)
    notes = [" " + n for n in f.notes]
    if f.verdict == "unreadable":
        return [f"cannot be read: {f.reason}. The other claims and formulas are judged."]
    if f.verdict == "too-large":
        return [f"{f.reason}. The other claims and formulas are judged."]
    if f.verdict == "ambiguous":
        return [f.reason, " The derived formula is ", derived, "."]
    if f.equivalent:
        return ["equals the derived ", f.address, " = ", derived, f" ({f.proof}).", *notes]
    out: list[Segment] = ["differs from the derived formula ", derived, ". "]
    if f.point is not None and f.values is not None:
        point = {k: v for k, v in f.point.items() if k != "_example"}
        where = "At the example's values" if f.point.get("_example") else "At"
        items: list[Segment] = []
        for i, (k, v) in enumerate(point.items()):     # Address segments: each output names them
            items += [", " * bool(i), k, f" = {_short(v)}"]
        out += [f"{where} ", *items] if items else [where + " the example's values"]
        out.append(f": yours gives {_short(f.values[0])}, the derived formula "
                   f"{_short(f.values[1])}.")
    if f.factor is not None and f.factor != 1:
        factor = "−1 (the sign is flipped)" if f.factor == -1 else str(f.factor)
        out.append(f" Yours is {factor} × the derived formula.")
    if f.mistake is not None:
        detail = f" — {f.mistake_detail}" if f.mistake_detail else ""
        out.append(f" Likely mistake: {BY_ID[f.mistake].description}{detail} "
                   "(that mistake's formula gives yours at the example's values).")
    return out + notes


def _short(value) -> str:
    return fmt(Decimal(str(sp.N(value, 30))), 6).replace("-", "−")


# -- JSON ------------------------------------------------------------------------------------
def to_json(result: CheckResult) -> dict[str, Any]:
    net = result.network
    claims = []
    for r in result.claims:
        claims.append({
            "name": r.claim.name,
            "address": str(r.claim.address),
            "claimed": r.claim.text,
            "exact": fmt(r.exact, 15),
            "verdict": r.verdict,
            "expected_from_your_values": fmt(r.expected_from_your_values, 15),
            "explanation": render(r.explanation, net),
            "mistake": r.mistake,
            "mistake_detail": r.mistake_detail or None,
            "also": list(r.also),
            "departs_at": None if r.departs_at is None else str(r.departs_at),
            "roundings": [{"address": str(u), "rule": str(rule), "from": fmt(before, 15),
                           "to": fmt(after, 15)} for u, rule, before, after in r.roundings],
            "worked": r.worked or None,
            "precision": r.claim.reading,
        })
    formulas = [{
        "name": f.name, "address": str(f.address), "written": f.written,
        "equivalent": f.equivalent, "how": f.proof, "verdict": f.verdict,
        "reason": f.reason or None, "mistake": f.mistake,
        "mistake_detail": f.mistake_detail or None, "notes": list(f.notes),
        "derived": (f.derived_display or symbolic(f.derived, net)).text,
        "yours": None if f.student is None else symbolic(f.student, net).text,
        "factor": None if f.factor is None else str(f.factor),
        "explanation": render(formula_explanation(net, f), net),
    } for f in result.formulas]
    return {"file": net.source, "claims": claims, "summary": result.summary,
            "formulas": formulas}


# -- terminal ----------------------------------------------------------------------------------
def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def to_text(result: CheckResult, colour: bool = False, width: int = 100) -> str:
    net = result.network

    def paint(text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if colour else text

    lines = [paint(f"symprop check: {net.source or net.name}", "bold"),
             f"{network_line(net)}", headline(result), ""]
    if result.claims:
        labels = [claim_label(net, r) for r in result.claims]
        w_label = max(len(s) for s in labels)
        w_claim = max(len(r.claim.text) for r in result.claims)
        for r, label in zip(result.claims, labels, strict=True):
            verdict = paint(f"{MARK[r.verdict]} {r.verdict:<10}", r.verdict)
            extra = f"  [{r.mistake}]" if r.mistake else ""
            lines.append(f"  {verdict}  {label:<{w_label}}  {r.claim.text:<{w_claim}}  "
                         f"exact {fmt(r.exact, 10)}{paint(extra, r.verdict)}")
            if r.verdict != "correct":
                lines += _wrapped(render(r.explanation, net), width)
    if result.formulas:
        lines += [""] * bool(result.claims) + [paint("formulas", "bold")]
        for f in result.formulas:
            mark = paint(f"{MARK[f.verdict]} {f.verdict:<10}", _TONE[f.verdict])
            extra = f"  [{f.mistake}]" if f.mistake else ""
            lines.append(f"  {mark}  {name(net, f.address)}  {f.written}{extra}")
            lines += _wrapped(render(formula_explanation(net, f), net), width)
    return "\n".join(lines) + "\n"


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=" " * 6, subsequent_indent=" " * 6,
                         break_on_hyphens=False) or [""]


# -- Markdown ----------------------------------------------------------------------------------
def to_markdown(result: CheckResult) -> str:
    net = result.network
    title = Path(net.source).stem if net.source and net.source != "<string>" else net.name
    out = [f"# Hand-calculation check: {title}", "", f"*{network_line(net)}*", "",
           f"**{headline(result)}**", ""]
    if result.claims:
        out += ["| | quantity | you wrote | exact value | verdict |",
                "|---|---|---|---|---|"]
        for r in result.claims:
            verdict = r.verdict + (f" ({r.mistake})" if r.mistake else "")
            out.append(f"| {MARK[r.verdict]} | {_md(claim_label(net, r))} | `{r.claim.text}` | "
                       f"{fmt(r.exact, 10)} | {verdict} |")
        out += ["", "## Notes", ""]
        for r in result.claims:
            out.append(f"- **{_md(claim_label(net, r))}** ({r.verdict}): "
                       f"{_md(render(r.explanation, net, 'markdown'))}")
    if result.formulas:
        out += ["", "## Formulas", ""]
        for f in result.formulas:
            state = f.verdict + (f" ({f.mistake})" if f.mistake else "")
            out.append(f"- **{_md(name(net, f.address))}** ({state}): you wrote "
                       f"`{f.written.replace('`', chr(39))}`; "
                       f"{_md(render(formula_explanation(net, f), net, 'markdown'))}")
    out += ["", "## How this was judged", "", RULES, ""]
    return "\n".join(out)


def _md(text: str) -> str:
    # only the characters that break a table row or start emphasis outside code spans
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("|", r"\|").replace("*", r"\*").replace("_", r"\_")
    return "`".join(parts)


# -- LaTeX -------------------------------------------------------------------------------------
def to_latex(result: CheckResult) -> str:
    net = result.network
    title = Path(net.source).stem if net.source and net.source != "<string>" else net.name
    out = [r"\documentclass[11pt]{article}", r"\usepackage[margin=2cm]{geometry}",
           r"\usepackage{amsmath,amssymb}",
           r"\setlength{\parindent}{0pt}", r"\begin{document}",
           rf"\section*{{Hand-calculation check: {latex_escape(title)}}}",
           latex_escape(network_line(net)) + r"\par\medskip",
           r"\textbf{" + latex_escape(headline(result)) + r"}\par\medskip"]
    if result.claims:
        out += [r"\begin{tabular}{llllp{4cm}}", r"\hline",
                r" & quantity & you wrote & exact value & verdict \\", r"\hline"]
        for r in result.claims:
            mark = {"correct": r"$\checkmark$", "consistent": r"$\sim$",
                    "wrong": r"$\times$"}[r.verdict]
            qty = latex_escape(r.claim.name) + " = " if _is_label(net, r.claim.name) else ""
            verdict = r.verdict + (f" ({r.mistake})" if r.mistake else "")
            out.append(rf"{mark} & {qty}${latex_name(net, r.claim.address)}$ & "
                       rf"\texttt{{{latex_escape(r.claim.text)}}} & {fmt(r.exact, 10)} & "
                       rf"{latex_escape(verdict)} \\")
        out += [r"\hline", r"\end{tabular}", "", r"\subsection*{Notes}", r"\begin{itemize}"]
        for r in result.claims:
            qty = rf"${latex_name(net, r.claim.address)}$"
            out.append(rf"\item \textbf{{{latex_escape(r.claim.name)}}} ({qty}, "
                       rf"{r.verdict}): {render(r.explanation, net, 'latex')}")
        out.append(r"\end{itemize}")
    if result.formulas:
        out += [r"\subsection*{Formulas}", r"\begin{itemize}"]
        for f in result.formulas:
            state = latex_escape(f.verdict + (f" ({f.mistake})" if f.mistake else ""))
            mine = (", read as $" + symbolic(f.student, net).latex + "$"
                    if f.student is not None else "")
            out.append(rf"\item ${latex_name(net, f.address)}$ ({state}): you wrote "
                       rf"\texttt{{{latex_escape(f.written)}}}{mine}; "
                       rf"{render(formula_explanation(net, f), net, 'latex')}")
        out.append(r"\end{itemize}")
    out += [r"\subsection*{How this was judged}", latex_escape(RULES), r"\end{document}", ""]
    return "\n".join(out)


def write_report(result: CheckResult, path: str | Path) -> Path:
    """Write the report; the extension chooses Markdown (.md) or LaTeX (.tex)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".md", ".markdown"):
        return write_atomic(path, to_markdown(result))
    if suffix == ".tex":
        return write_atomic(path, to_latex(result))
    raise SpecError("unknown report type", key="--report", expected="a file ending in .md or .tex",
                    got=str(path))
