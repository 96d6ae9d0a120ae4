"""Every formula the page shows renders with the KaTeX shipped in the package (node, no browser)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import symprop
from symprop.serve import lesson, state
from symprop.serve.app import STATIC

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
KATEX = STATIC / "katex" / "katex.min.js"

NETWORKS = [
    ("lecture_221", lambda: symprop.load(ROOT / "examples" / "lecture_221.toml")),
    ("tanh-softmax-bias", lambda: state.network_from_settings(state.settings_from_query(
        {"inputs": "3", "layers": "2:tanh:1,2:softmax:1", "loss": "cross-entropy"}))),
    ("relu-softplus-linear", lambda: state.network_from_settings(state.settings_from_query(
        {"layers": "2:relu:1,2:softplus:0,1:linear:1", "loss": "mse", "lr": "0.1"}))),
    ("sigmoid-log", lambda: state.network_from_settings(state.settings_from_query(
        {"inputs": "1", "layers": "1:sigmoid:1", "loss": "log"}))),
]


def render(formulas: list[str]) -> dict:
    done = subprocess.run([NODE, str(ROOT / "tests" / "serve" / "katex_check.js"), str(KATEX),
                           json.dumps(lesson.KATEX_MACROS)], input=json.dumps(formulas),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_every_formula_of_the_page_renders_with_katex():
    formulas = []
    for _, make in NETWORKS:
        info = lesson.lesson(make())
        assert info["steps"] and info["gradients"]
        formulas += lesson.every_formula(info)
    result = render(formulas)
    assert result["rendered"] == len(formulas) > 100
    assert not result["failures"], result["failures"][:3]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_katex_check_can_fail():
    result = render([r"\frac{1}{", r"\notamacro{x}"])
    assert len(result["failures"]) == 2
