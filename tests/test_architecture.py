"""The layers import downward only, and no two modules import each other, even lazily.

Data flows one way: spec -> derive -> (render | check | codegen) -> runtime -> (sweep | classroom
| serve) -> the command line. Every import statement counts, those inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symprop"

# (prefix, layer): the longest matching prefix decides; see CONTRIBUTING.md
LAYERS: tuple[tuple[str, int], ...] = (
    ("symprop.errors", 0), ("symprop.io", 0), ("symprop.addresses", 0), ("symprop.limits", 0),
    ("symprop.formula", 0), ("symprop.notation", 0), ("symprop.outputs", 0),
    ("symprop.derive.rules", 0), ("symprop.derive.display", 0),
    ("symprop.units", 1), ("symprop.spec", 1), ("symprop.cli_args", 1),
    ("symprop.derive", 2),
    ("symprop.render", 3), ("symprop.check", 3), ("symprop.codegen", 3),
    ("symprop.runtime", 4),
    ("symprop.sweep", 5), ("symprop.classroom", 5), ("symprop.serve", 5),
    ("symprop.demo", 6), ("symprop.cli", 6), ("symprop.__main__", 6), ("symprop", 6),
)
COMMAND_LINE = 6


def layer_of(module: str) -> int:
    if module.endswith(".cli") or ".cli_" in module:
        return COMMAND_LINE              # a verb's command line composes the layers below it
    best = max((p for p, _ in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return dict(LAYERS)[best]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The symprop modules ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import module` names a module; `from module import name` does not
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("symprop") and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def test_every_import_goes_down_or_sideways():
    upward = sorted(f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})"
                    for a, targets in graph().items() for b in targets
                    if b != "symprop" and layer_of(b) > layer_of(a))
    assert not upward, "\n".join(upward)


def test_no_import_circles():
    edges = {a: {b for b in targets if b != "symprop"} for a, targets in graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:           # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_the_layer_test_sees_lazy_imports(tmp_path):
    """The walk must find imports inside functions, or the two tests above prove little."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..render import latex\n")
    known = {"symprop.derive.probe", "symprop.render", "symprop.render.latex"}
    assert imports("symprop.derive.probe", probe, known) == {"symprop.render.latex"}


def test_the_rule_table_reads_without_sympy():
    """Spec reading and cached kernels ask the rule table for names and traits only."""
    import subprocess
    import sys

    script = ("import sys; from symprop.derive import rules; import symprop.units; "
              "import symprop.spec; assert 'sympy' not in sys.modules, 'sympy imported'; "
              "print(sorted(rules.ACTIVATIONS))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "sigmoid" in done.stdout


def test_derive_shows_latex_through_the_hook_render_registers():
    """derive imports no render, yet its objects render in Jupyter once symprop is imported."""
    import subprocess
    import sys

    script = ("import sys, symprop\n"
              "net = symprop.load('examples/lecture_221.toml')\n"
              "d = net.derive()\n"
              "assert 'symprop.render.latex' not in sys.modules\n"
              "tex = d._repr_latex_()\n"
              "assert tex.startswith('$$') and r'\\delta' in tex, tex\n"
              "assert net.worked_example()._repr_latex_().startswith('$$')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=PACKAGE.parent)
    assert done.returncode == 0, done.stderr
