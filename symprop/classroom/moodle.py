"""Where courses already live: the variants as a Moodle XML quiz, and an LMS's response
export read back as claims sheets for ``check --class``.

Export (Moodle XML format, docs.moodle.org/en/Moodle_XML_format): the file opens with the XML
declaration, ``<quiz>`` holds one ``category`` pseudo-question per student
(``$course$/<title>/<id>``) followed by that student's questions, one ``numerical`` question per
asked quantity: ``<name>``, ``<questiontext format="html">``, ``<defaultgrade>`` (the question's
points), and one ``<answer fraction="100">`` with the rounded value and a ``<tolerance>`` of
half a unit of the last asked decimal (Moodle's default nominal, ± absolute, tolerance).
ElementTree writes it, so every name is escaped and the file is well-formed.

Import: a CSV with one row per attempt, an id column (``ID number``, ``idnumber``, ``id`` …) and
the answers either in ``Response 1``, ``Response 2`` … columns (Moodle's responses report, in
the order the questions were asked) or in columns named by the addresses (``y[1]``).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

from ..addresses import Address
from ..check.display import name as plain_name
from ..errors import SpecError
from .config import ExerciseConfig, MarkingRules
from .sheets import rounded, toml_string
from .variants import Variant

_ID_COLUMNS = ("id number", "idnumber", "id", "student id", "student_id", "student")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    node = _sub(parent, tag, **attrs)
    _sub(node, "text", text)
    return node


def _question_html(variant: Variant, address: Address, decimals: int) -> str:
    p, net = variant.params, variant.network
    given = [f"inputs x = ({', '.join(p['input'])})", f"targets d = ({', '.join(p['target'])})",
             f"learning rate η = {p['eta']}"]
    for key, value in p.items():        # numbers are ours: nothing here needs escaping
        if key[0] == "W" and key[1:].isdigit():
            rows = "; ".join(", ".join(r) for r in value)
            given.append(f"W<sup>({key[1:]})</sup> = [{rows}] (row = receiving unit)")
        elif key[0] == "b" and key[1:].isdigit():
            given.append(f"b<sup>({key[1:]})</sup> = ({', '.join(value)})")
    layers = ", ".join(f"{layer.units} {layer.activation}" for layer in net.layers)
    return (f"<p>Network: {net.n_inputs} inputs → {html.escape(layers)}, loss "
            f"{html.escape(net.loss)}. Given: {'; '.join(given)}.</p>"
            f"<p>One training step by hand: give <b>{html.escape(plain_name(net, address))}</b> "
            f"(<code>{html.escape(str(address))}</code>) rounded to {decimals} decimal places.</p>")


def quiz_xml(variants: list[Variant], config: ExerciseConfig, asked: list[Address],
             rules: MarkingRules) -> str:
    """The Moodle XML quiz: a category per student, a numerical question per asked quantity."""
    quiz = ET.Element("quiz")
    tolerance = format(Decimal(5).scaleb(-config.decimals - 1), "f")
    course = re.sub(r"[/$]", "-", " ".join(config.title.split()))
    for v in variants:
        category = _sub(quiz, "question", type="category")
        _text(category, "category", f"$course$/{course}/{v.student.id}")
        for number, a in enumerate(asked, start=1):
            q = _sub(quiz, "question", type="numerical")
            _text(q, "name", f"{v.student.id} Q{number} {a}")
            _text(q, "questiontext", _question_html(v, a, config.decimals), format="html")
            _text(q, "generalfeedback", f"Variant {v.code}.", format="html")
            _sub(q, "defaultgrade", str(float(rules.points_for(str(a)))))
            _sub(q, "penalty", "0")
            _sub(q, "hidden", "0")
            _sub(q, "idnumber", f"{v.student.id}-{v.code}-Q{number}")
            answer = _sub(q, "answer", fraction="100", format="moodle_auto_format")
            _sub(answer, "text", rounded(v.numbers[a], config.decimals))
            _sub(answer, "tolerance", tolerance)
            _text(answer, "feedback", "", format="html")
            _sub(q, "unitgradingtype", "0")
            _sub(q, "unitpenalty", "0.1000000")
            _sub(q, "showunits", "3")
            _sub(q, "unitsleft", "0")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") \
        + "\n"


# -- the response export, back as sheets ---------------------------------------------------------
def _clean(value: str) -> str:
    """An LMS cell as a claimed value: Moodle writes "-" for no answer."""
    value = value.strip()
    return "" if value in ("-", "–") else value


def sheets_from_responses(path: str | Path, asked: list[str], out_dir: str | Path
                          ) -> list[Path]:
    """One claims TOML per row of the LMS's response CSV, written to ``out_dir``."""
    from ..io import write_atomic
    from .config import folder_name, read_csv_rows

    where = str(path)
    rows = read_csv_rows(path, "responses", "a header row")
    header = [h.strip() for h in rows[0]]
    lowered = {h.lower(): i for i, h in enumerate(header)}
    id_col = next((lowered[c] for c in _ID_COLUMNS if c in lowered), None)
    if id_col is None:
        raise SpecError("no id column", file=where, key="header",
                        expected="a column 'ID number' (or idnumber, id)", got=header)
    columns: dict[str, int] = {}
    for number, address in enumerate(asked, start=1):
        for label in (f"response {number}", address.lower()):
            if label in lowered:
                columns[address] = lowered[label]
                break
    if not columns:
        raise SpecError("no answer columns", file=where, key="header",
                        expected="'Response 1', 'Response 2', … or the asked addresses "
                        + ", ".join(asked), got=header)
    written: list[Path] = []
    used: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        sid = cells[id_col].strip()
        stem = folder_name(sid) if sid else f"line-{line}"
        while stem in used:
            stem += "_"
        used.add(stem)
        lines = [f"# read from {Path(where).name}, line {line}", "[student]"]
        if sid:
            lines.append(f"id = {toml_string(sid)}")
        lines += ["", "[claims]"]
        for address, col in columns.items():
            lines.append(f"{toml_string(address)} = {toml_string(_clean(cells[col]))}")
        written.append(write_atomic(Path(out_dir) / f"{stem}.toml", "\n".join(lines) + "\n"))
    return written


def response_header(asked: list[str]) -> list[str]:
    """The columns of a Moodle responses export this reader understands (for tests, docs)."""
    return ["Surname", "First name", "ID number", "State", "Grade/10.00",
            *(f"Response {i}" for i in range(1, len(asked) + 1))]

