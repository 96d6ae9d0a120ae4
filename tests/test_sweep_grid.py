"""Sweep grid parsing, the results file and the summary: everything that needs no cluster."""

from __future__ import annotations

import math

import pytest

import symprop
from symprop.errors import SpecError
from symprop.sweep import grid as g
from symprop.sweep import summary
from symprop.sweep.runner import ResultsFile, columns_for, run_sweep

NET = symprop.Network(inputs=2, layers=[symprop.Dense(3, "tanh"), symprop.Dense(4, "relu"),
                                        symprop.Dense(1, "sigmoid")], loss="log")


def test_parse_grid_types_and_order():
    grid = g.parse_grid(["lr=0.1,0.5,2", "hidden=2,4", "batch-size=8", "activation=tanh,relu"])
    assert list(grid) == ["lr", "hidden", "batch_size", "activation"]
    assert grid["lr"] == [0.1, 0.5, 2.0] and grid["hidden"] == [2, 4]
    assert grid["batch_size"] == [8] and grid["activation"] == ["tanh", "relu"]
    points = g.points(grid)
    assert len(points) == 3 * 2 * 1 * 2
    assert points[0].key() == ("0.1", "2", "8", "tanh")      # first parameter varies slowest
    assert points[1].key() == ("0.1", "2", "8", "relu")
    assert g.normalize_grid({"learning_rate": [1, "0.5"]}) == {"lr": [1.0, 0.5]}


@pytest.mark.parametrize("items", [
    ["lr"], ["lr="], ["=1"], ["lr=0.1", "lr=0.2"], ["lr=0.1,0.1"], ["lr=-1"], ["lr=abc"],
    ["hidden=2.5"], ["hidden=0"], ["momentum=1"], ["epochs=nan"], ["dropout=0.5"],
    ["activation=softmax"], ["activation=step"], ["hidden=2", "hidden1=3"],
])
def test_parse_grid_rejects(items):
    with pytest.raises(SpecError):
        g.parse_grid(items)


def test_parse_seeds():
    assert g.parse_seeds("0-3") == [0, 1, 2, 3]
    assert g.parse_seeds("0,3,5") == [0, 3, 5]
    assert g.parse_seeds("0-2, 7") == [0, 1, 2, 7]
    assert g.parse_seeds(range(3)) == [0, 1, 2]
    assert g.parse_seeds(4) == [4]
    for bad in ("3-1", "a", "-1", "0,0", "", [1.5], [-2]):
        with pytest.raises(SpecError):
            g.parse_seeds(bad)


def test_network_for_changes_hidden_layers_only():
    p = g.Point((("hidden", 5), ("lr", 0.1)))
    v = g.network_for(NET, p)
    assert v.sizes == (2, 5, 5, 1)
    assert [la.activation for la in v.layers] == ["tanh", "relu", "sigmoid"]
    v = g.network_for(NET, g.Point((("hidden2", 7), ("activation", "softplus"))))
    assert v.sizes == (2, 3, 7, 1)
    assert [la.activation for la in v.layers] == ["softplus", "softplus", "sigmoid"]
    assert g.settings(p, {"lr": 1.0, "epochs": 3}) == {"lr": 0.1, "epochs": 3}


def test_network_for_drops_spec_weights(lecture):
    v = g.network_for(lecture, g.Point((("hidden", 3),)))
    assert v.sizes == (2, 3, 1) and v.weights == {} and v.example is None and v.labels == {}


def test_check_against():
    g.check_against(NET, {"hidden2": [2]})
    with pytest.raises(SpecError, match="no hidden layer 3"):
        g.check_against(NET, {"hidden3": [2]})
    single = symprop.Network(inputs=2, layers=[symprop.Dense(1, "sigmoid")])
    with pytest.raises(SpecError, match="no hidden layer"):
        g.check_against(single, {"hidden": [2]})


def test_bad_input_fails_before_any_cluster_starts(tmp_path):
    with pytest.raises(SpecError, match="unknown grid parameter"):
        run_sweep(NET, "circle", {"dropout": [0.1]}, workers=1)
    with pytest.raises(SpecError, match="inputs"):
        run_sweep(symprop.Network(inputs=3, layers=[symprop.Dense(1, "sigmoid")]), "xor",
                  {"lr": [0.1]}, workers=1)
    perceptron = symprop.Network(inputs=2, layers=[symprop.Dense(1, "step")])
    with pytest.raises(SpecError, match="perceptron"):
        run_sweep(perceptron, "and", {"lr": [1.0]}, workers=1)


def test_results_file_resume_drops_half_line(tmp_path):
    path = tmp_path / "r.csv"
    cols = columns_for(["lr"])
    f = ResultsFile(path, cols, resume=False)
    f.append({"lr": 0.1, "seed": 0, "loss": 0.25, "accuracy": None, "epochs": 3,
              "train_s": 0.5, "wall_s": 0.6, "compile_s": 0.0, "worker": "w", "status": "ok"})
    f.close()
    with open(path, "a") as fh:
        fh.write("0.5,1,0.12")                      # killed in the middle of a line
    with pytest.raises(SpecError, match="--resume"):
        ResultsFile(path, cols, resume=False)
    f = ResultsFile(path, cols, resume=True)
    f.close()
    assert [r["lr"] for r in f.existing] == ["0.1"]
    assert f.existing[0]["loss"] == "0.25" and f.existing[0]["accuracy"] == ""
    assert path.read_text().endswith("ok\n")
    with pytest.raises(SpecError, match="different sweep"):
        ResultsFile(path, columns_for(["hidden"]), resume=True)


def test_header_only_file_is_reused(tmp_path):
    path = tmp_path / "r.csv"
    ResultsFile(path, columns_for(["lr"]), resume=False).close()
    ResultsFile(path, columns_for(["lr"]), resume=False).close()   # no results: no refusal
    assert path.read_text() == ",".join(columns_for(["lr"])) + "\n"


ROWS = [
    {"lr": lr, "hidden": h, "seed": s, "loss": loss, "accuracy": acc, "status": "ok"}
    for lr, h, s, loss, acc in [
        (0.1, 2, 0, 0.40, 0.80), (0.1, 2, 1, 0.50, 0.70), (0.1, 4, 0, 0.20, 0.90),
        (0.1, 4, 1, 0.30, 0.95), (1.0, 2, 0, 0.10, 1.00), (1.0, 2, 1, 0.10, 1.00),
        (1.0, 4, 0, math.nan, 0.50), (1.0, 4, 1, 0.9, 0.5)]
] + [{"lr": 9.0, "hidden": 2, "seed": s, "loss": 0.01, "accuracy": 0.5, "status": "diverged"}
     for s in (0, 1)]


def test_aggregate_and_table():
    stats = summary.aggregate(ROWS, ["lr", "hidden"])
    assert [s.point for s in stats][:3] == [(("lr", 1.0), ("hidden", 2)),
                                           (("lr", 0.1), ("hidden", 4)),
                                           (("lr", 0.1), ("hidden", 2))]
    assert math.isnan(stats[-1].loss_mean)                     # NaN sorts last …
    assert stats[-1].diverged == 2 and stats[-1].point[0] == ("lr", 9.0)   # … as does divergence
    assert stats[1].loss_mean == pytest.approx(0.25)
    assert stats[1].loss_std == pytest.approx(math.sqrt(0.005))   # sample std over seeds
    text = summary.table(ROWS, ["lr", "hidden"], top=2)
    lines = text.splitlines()
    assert lines[0].split() == ["#", "lr", "hidden", "runs", "final", "loss", "accuracy"]
    assert lines[2].split()[:4] == ["1", "1.0", "2", "2"] and "0.1 ± 0" in lines[2]
    assert "3 more grid points" in lines[-1]
    last = summary.table(ROWS, ["lr", "hidden"]).splitlines()[-1]
    assert last.split()[-4:] == ["(2", "diverged)", "diverged", "-"]


def test_plot_is_written(tmp_path):
    path = summary.plot(ROWS, {"lr": [0.1, 1.0], "hidden": [2, 4]}, tmp_path / "s.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [{"activation": a, "seed": 0, "loss": 0.1, "accuracy": None} for a in ("tanh", "relu")]
    assert summary.plot(rows, {"activation": ["tanh", "relu"]}, tmp_path / "a.png").exists()
    assert summary.plot(rows, {}, tmp_path / "none.png").exists()
    assert not list(tmp_path.glob(".*.tmp"))
