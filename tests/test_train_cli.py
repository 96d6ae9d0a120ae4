"""``symprop train``: the --json shape, the files it writes and its exit codes (0, 1, 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symprop.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
XOR = [str(EXAMPLES / "train_xor_221.toml"), "--data", "xor", "--epochs", "2000",
       "--batch-size", "4", "--lr", "2", "--momentum", "0.9", "--seed", "1"]


def _json(capsys) -> dict:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out           # exactly one JSON object, on one line
    return json.loads(out)


def test_json_shape_and_exit_0(capsys):
    assert main(["train", *XOR, "--json"]) == 0
    result = _json(capsys)
    assert {"loss", "accuracy", "history"} <= set(result)
    assert result["accuracy"] == 1.0 and result["loss"] < 1e-3
    assert set(result["history"]) >= {"loss", "accuracy"}
    assert len(result["history"]["loss"]) == 2000 == result["epochs"]
    assert result["converged"] is True and result["stopped"] is None


def test_regression_json_has_null_accuracy(capsys):
    assert main(["train", str(EXAMPLES / "train_linear.toml"), "--data", "reg-plane",
                 "--epochs", "20", "--lr", "0.01", "--json"]) == 0
    result = _json(capsys)
    assert result["accuracy"] is None and result["history"]["accuracy"] == []
    assert result["r2"] > 0.99 and result["task"] == "regression"


def test_human_output_and_plots(capsys, tmp_path):
    assert main(["train", *XOR, "--plot", str(tmp_path / "xor.png")]) == 0
    out = capsys.readouterr().out
    assert "Total params: 9" in out and "accuracy 1.000" in out
    assert (tmp_path / "xor.png").stat().st_size > 0
    assert (tmp_path / "xor_boundary.png").stat().st_size > 0


def test_regression_plot_is_a_fit(capsys, tmp_path):
    assert main(["train", str(EXAMPLES / "train_relu_sum.toml"), "--data", "relu-sum",
                 "--epochs", "50", "--lr", "0.01", "--plot", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r_fit.png").stat().st_size > 0


def test_perceptron_on_xor_says_why_and_exits_1():
    done = subprocess.run([sys.executable, "-m", "symprop", "train",
                           str(EXAMPLES / "train_perceptron_xor.toml"), "--data", "xor"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert "not linearly separable: after epoch 3 the weights are back" in done.stdout
    assert "mistakes per epoch: 3 3 4" in done.stdout


def test_perceptron_on_and_exits_0(capsys):
    assert main(["train", str(EXAMPLES / "train_perceptron_and.toml"), "--data", "and",
                 "--lr", "1", "--json"]) == 0
    result = _json(capsys)
    assert result["accuracy"] == 1.0 and result["history"]["errors"] == [2, 3, 3, 2, 1, 0]


def test_diverging_loss_exits_1_naming_the_epoch(capsys):
    assert main(["train", str(EXAMPLES / "train_linear.toml"), "--data", "reg-plane",
                 "--epochs", "50", "--lr", "10", "--json"]) == 1
    result = _json(capsys)
    assert result["converged"] is False and "in epoch 5" in result["stopped"]
    assert len(result["history"]["loss"]) == 4


@pytest.mark.parametrize("argv, message", [
    ([str(EXAMPLES / "train_xor_221.toml"), "--data", "relu-sum"], "has 2 inputs but the data"),
    ([str(EXAMPLES / "train_xor_221.toml"), "--data", "nonsense"], "unknown dataset"),
    ([str(EXAMPLES / "train_xor_221.toml")], "no data"),
    ([str(EXAMPLES / "train_xor_221.toml"), "--data", "xor", "--lr", "-1"], "learning rate"),
    ([str(EXAMPLES / "missing.toml"), "--data", "xor"], "cannot read the file"),
    ([str(EXAMPLES / "train_xor_221.toml"), "--data", "xor", "--resume"], "--checkpoint"),
    ([str(EXAMPLES / "train_perceptron_xor.toml"), "--data", "xor", "--checkpoint", "c"],
     "nothing to checkpoint"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_csv_data_with_nan_exits_2(capsys, tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n0,0,0\n0,nan,1\n1,0,1\n1,1,0\n")
    assert main(["train", str(EXAMPLES / "train_xor_221.toml"), "--data", str(csv)]) == 2
    assert "NaN" in capsys.readouterr().err


def test_checkpoint_and_resume_from_the_command_line(capsys, tmp_path):
    common = [str(EXAMPLES / "train_xor_221.toml"), "--data", "xor", "--batch-size", "1",
              "--lr", "0.5", "--momentum", "0.9", "--seed", "4", "--json"]
    assert main(["train", *common, "--epochs", "10"]) == 0
    whole = _json(capsys)
    assert main(["train", *common, "--epochs", "4", "--checkpoint", str(tmp_path)]) == 0
    capsys.readouterr()
    # resuming takes the data and the settings from the checkpoint
    assert main(["train", str(EXAMPLES / "train_xor_221.toml"), "--checkpoint", str(tmp_path),
                 "--resume", "--epochs", "6", "--json"]) == 0
    resumed = _json(capsys)
    assert np.array_equal(resumed["history"]["loss"], whole["history"]["loss"])
    assert resumed["loss"] == whole["loss"] and resumed["notes"] == []
