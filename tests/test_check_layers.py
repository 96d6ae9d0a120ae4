"""check's house rules: no import circle inside check, nothing upward, the formula syntax
low-level, and a new row of the rule table bringing its own mistakes."""

from __future__ import annotations

import ast
from pathlib import Path

import sympy as sp
from specs import LECTURE_221

import symprop
from symprop.check.exact import exact_side
from symprop.check.formulas import check_formula
from symprop.check.mistakes import BY_ID
from symprop.check.rule_facts import derivative_forms, function_name
from symprop.derive import derivatives, rules

ROOT = Path(__file__).resolve().parent.parent / "symprop"


def _imports(path: Path, package: str) -> set[str]:
    """Every symprop module ``path`` imports, lazy imports inside functions included."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [f"{mod}.{a.name}" for a in node.names]
            out.update(n for n in [mod, *names] if n.startswith("symprop"))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("symprop"))
    return out


def _graph(folder: str) -> dict[str, set[str]]:
    mods = {f"symprop.{folder}.{p.stem}": p for p in (ROOT / folder).glob("*.py")}
    return {m: {i for i in _imports(p, f"symprop.{folder}") if i in mods} - {m}
            for m, p in mods.items()}


def test_no_import_circle_inside_check():
    graph = _graph("check")
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, " -> ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_check_imports_nothing_above_it_and_formula_nothing_at_all():
    for path in (ROOT / "check").glob("*.py"):
        for i in _imports(path, "symprop.check"):
            assert not i.startswith(("symprop.render", "symprop.codegen", "symprop.runtime",
                                     "symprop.sweep", "symprop.demo")), (path.name, i)
    for path in (ROOT / "formula").glob("*.py"):      # the syntax: nothing but layer 0
        assert {i for i in _imports(path, "symprop.formula")
                if not i.startswith(("symprop.formula", "symprop.errors", "symprop.limits"))
                } == set(), path.name


def test_a_new_activation_row_brings_its_mistakes_and_its_name(monkeypatch):
    row = rules.Activation("twotanh", lambda z: 2 * sp.tanh(z), r"\mathrm{twotanh}")
    monkeypatch.setitem(rules.ACTIVATIONS, "twotanh", row)
    forms = derivative_forms()
    assert sp.expand(forms["twotanh"] - (2 - derivatives.Y ** 2 / 2)) == 0    # derived, not typed
    assert function_name(row) == "twotanh" and function_name(rules.ACTIVATIONS["linear"]) == ""
    net = symprop.loads(LECTURE_221)
    details = [o.detail for o in BY_ID["wrong-activation-derivative"].options(net)]
    assert any(d.startswith("twotanh's derivative") for d in details), details
    # and a formula that uses it is named
    derivation, _ = exact_side(net)
    r = check_formula(net, derivation, "delta2[1]", "(y - d) (2 - y^2/2)")
    assert r.verdict == "different" and r.mistake == "wrong-activation-derivative"
    assert "twotanh" in r.mistake_detail
