"""`make demo` in its quick mode: every step runs and the index lists files that exist."""

from __future__ import annotations

import json
import re

from symprop.demo import main


def test_quick_demo_writes_the_index_and_its_files(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["--out", str(out), "--quick"]) == 0
    printed = capsys.readouterr().out
    assert "not linearly separable" in printed and "E⁺" in printed
    index = (out / "index.md").read_text(encoding="utf-8")
    linked = re.findall(r"\| \[([^\]]+)\]\(\1\) \|", index)
    for name in ["lecture_example.md", "kernels/lecture_221.py", "kernels/perceptron.py",
                 "perceptron.md", "xor.png", "xor_boundary.png", "spiral.png",
                 "spiral_boundary.png", "relu_sum.png", "relu_sum_fit.png",
                 "relu_sum_exact.png", "summary.json", "class/gradebook.csv",
                 "class/summary.md"]:
        assert name in linked, name
    for name in linked:
        if name.endswith("/"):        # a folder: the class's sheets, keys, reports
            assert (out / name).is_dir() and any((out / name).iterdir()), name
        else:
            assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    n = summary["numbers"]
    assert n["E_plus"] < n["E"]
    assert n["kernel_vs_exact"] < 1e-12
    assert n["xor_accuracy"] == 1.0
    assert n["perceptron_and_converged"] and not n["perceptron_xor_converged"]
    assert n["mcculloch_pitts_xor"]
    assert n["relu_sum_exact_max_error"] < 1e-12
    assert summary["quick"] and "## Timings" in index
    assert not (out / "lecture_221.pdf").exists()       # --quick skips the PDF
