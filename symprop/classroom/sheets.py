"""What each student gets (a sheet, a claims template, an answer key) and the teacher's files.

Python decides every value here; the templates in ``templates/`` only lay them out. Every piece
of user text (names, ids, titles) goes through `latex.text`; numbers are ours.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..addresses import Address
from ..check.display import latex_name
from ..check.numeric import fmt
from . import latex
from .config import ExerciseConfig
from .safe import cell
from .variants import Variant


def rounded(value: Decimal, decimals: int) -> str:
    """``value`` rounded half up to ``decimals`` places, as a student writes it."""
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return format(abs(q) if q == 0 else q, "f")


def questions(variant: Variant, asked: list[Address]) -> list[dict[str, str]]:
    net = variant.network
    return [{"address": latex.text(str(a)), "latex": latex_name(net, a)} for a in asked]


def _matrix(rows: list[list[str]]) -> str:
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def given_rows(variant: Variant) -> list[str]:
    """The numbers the student starts from, one display row each."""
    net, p = variant.network, variant.params
    rows = [", \\quad ".join(f"{latex_name(net, Address('x', None, (i,)))} = {v}"
                             for i, v in enumerate(p["input"], start=1)),
            ", \\quad ".join(f"{latex_name(net, Address('d', None, (k,)))} = {v}"
                             for k, v in enumerate(p["target"], start=1))
            + rf", \quad \eta = {p['eta']}"]
    for name, value in p.items():
        if name[0] == "W" and name[1:].isdigit():
            rows.append(rf"W^{{({name[1:]})}} = {_matrix(value)} "
                        r"\quad \text{\small (row $k$ = receiving unit, column $j$ = source)}")
        elif name[0] == "b" and name[1:].isdigit():
            rows.append(rf"b^{{({name[1:]})}} = ({', '.join(value)})")
    return rows


def description(network) -> str:
    layers = "; ".join(f"layer {l}: {layer.units} {layer.activation} unit"
                       f"{'s' if layer.units > 1 else ''}{' with bias' if layer.bias else ''}"
                       for l, layer in enumerate(network.layers, start=1))
    return latex.text(f"{network.n_inputs} inputs; {layers}; loss {network.loss}.")


def sheet_tex(variant: Variant, config: ExerciseConfig, asked: list[Address]) -> str:
    from ..derive.example import initial_weights
    from ..render.picture import network_block

    net = variant.network
    return latex.render(
        "sheet.tex.jinja", title=latex.text(config.title), name=latex.text(variant.student.name),
        student_id=latex.text(variant.student.id), code=variant.code,
        picture=network_block(net, initial_weights(net)), description=description(net),
        given=given_rows(variant), decimals=config.decimals,
        sample=rounded(Decimal(2) / 3, config.decimals), questions=questions(variant, asked))


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def claims_template(variant: Variant, config: ExerciseConfig, asked: list[Address]) -> str:
    """The TOML the student fills in: their id and one empty value per asked address."""
    from ..check.display import name

    who = " ".join(f"{variant.student.name} ({variant.student.id})".split())
    lines = [f"# {' '.join(config.title.split())}: the answers of {who}, variant "
             f"{variant.code}.",
             f"# Write each value as you computed it, as a string rounded to {config.decimals} "
             f"decimal places, e.g. \"{rounded(Decimal(2) / 3, config.decimals)}\".",
             "# Leave \"\" for a value you did not compute. Keep the id and the addresses.",
             "[student]", f"id = {toml_string(variant.student.id)}", "", "[claims]"]
    for a in asked:
        lines.append(f"{toml_string(str(a))} = \"\"   # {name(variant.network, a)}")
    return "\n".join(lines) + "\n"


def key_entries(variant: Variant, config: ExerciseConfig, asked: list[Address],
                exact: dict[Address, Any] | None = None) -> list[dict[str, str]]:
    """Per asked quantity: the address, the exact expression, 50 digits and the rounded value."""
    out = []
    for a in asked:
        value = variant.numbers[a]
        out.append({"address": str(a), "exact": str(exact[a]) if exact else "",
                    "value": fmt(value, 50), "rounded": rounded(value, config.decimals)})
    return out


def key_json(variant: Variant, config: ExerciseConfig, asked: list[Address],
             exact: dict[Address, Any] | None = None) -> dict[str, Any]:
    return {**variant.to_json(), "seed": config.seed, "decimals": config.decimals,
            "answers": key_entries(variant, config, asked, exact)}


def key_context(variant: Variant, config: ExerciseConfig, asked: list[Address],
                with_steps: bool = True) -> dict[str, Any]:
    """One key's frames: the answers, how the variant was checked, the slides' worked steps."""
    frames: list[dict] = []
    if with_steps:
        from ..render.slides import build_deck

        deck = build_deck(variant.network, precision=f"{config.decimals}dp")
        frames = [f for f in deck.frames if f["title"].startswith(
            ("Worked example", "The network"))]
    net = variant.network
    return {"name": latex.text(variant.student.name), "student_id": latex.text(variant.student.id),
            "code": variant.code, "attempt": variant.attempt, "decimals": config.decimals,
            "questions": [{"latex": latex_name(net, a),
                           "rounded": rounded(variant.numbers[a], config.decimals),
                           "exact": fmt(variant.numbers[a], 10)} for a in asked],
            "checks": [latex.text(c) for c in variant.checks],
            "frames": frames}


def key_tex(contexts: list[dict[str, Any]], title: str, subtitle: str) -> str:
    return latex.render("key.tex.jinja", title=latex.text(title), subtitle=latex.text(subtitle),
                        keys=contexts)


def variants_csv(variants: list[Variant], config: ExerciseConfig, asked: list[Address]) -> str:
    """One row per student: the drawn numbers and the rounded answers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    first = variants[0].params if variants else {}
    columns: list[str] = []
    for key, value in first.items():
        if isinstance(value, list) and value and isinstance(value[0], list):
            columns += [f"{key}[{k},{j}]" for k in range(1, len(value) + 1)
                        for j in range(1, len(value[0]) + 1)]
        elif isinstance(value, list):
            columns += [f"{key}[{k}]" for k in range(1, len(value) + 1)]
        else:
            columns.append(key)
    writer.writerow(["id", "name", "code", "attempt", *columns, *map(str, asked)])
    for v in variants:
        flat: list[str] = []
        for value in v.params.values():
            if isinstance(value, list) and value and isinstance(value[0], list):
                flat += [x for row in value for x in row]
            elif isinstance(value, list):
                flat += value
            else:
                flat.append(value)
        writer.writerow([cell(v.student.id), cell(v.student.name), v.code, v.attempt, *flat,
                         *(rounded(v.numbers[a], config.decimals) for a in asked)])
    return buffer.getvalue()
