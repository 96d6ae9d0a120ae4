"""Sweeps on a real 2-worker LocalCluster: same numbers as single runs, resume, a killed worker.

The module uses its own kernel cache folder, so the compile counts below start from nothing.
"""

from __future__ import annotations

import csv
import os
import signal
import time

import pytest

pytest.importorskip("distributed")

import symprop  # noqa: E402
from symprop.cli import main  # noqa: E402
from symprop.errors import SpecError  # noqa: E402
from symprop.runtime.train import get_data  # noqa: E402
from symprop.sweep import grid as g  # noqa: E402
from symprop.sweep import run_sweep  # noqa: E402
from symprop.sweep.runner import connect  # noqa: E402
from symprop.sweep.tasks import WORKER_ENV  # noqa: E402

NET = symprop.Network(inputs=2, layers=[symprop.Dense(2, "tanh"), symprop.Dense(1, "sigmoid")],
                      loss="log", name="sweepnet")
GRID = {"lr": [0.3, 1.0], "hidden": [2, 3]}
SEEDS = [0, 1]
SETTINGS = {"epochs": 15, "batch_size": 8}


@pytest.fixture(scope="module", autouse=True)
def kernel_cache(tmp_path_factory):
    """A fresh SYMPROP_CACHE_DIR for this module (workers inherit it when they start)."""
    old = os.environ.get("SYMPROP_CACHE_DIR")
    os.environ["SYMPROP_CACHE_DIR"] = str(tmp_path_factory.mktemp("kernels"))
    yield
    if old is None:
        os.environ.pop("SYMPROP_CACHE_DIR", None)
    else:
        os.environ["SYMPROP_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def client(kernel_cache):
    from symprop.codegen.machine import load_family

    load_family("float64")      # once per machine (shared by the test session's processes)
    with connect(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    return get_data("circle", NET, n=80, seed=3)


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def n_workers(client) -> int:
    return len(client.scheduler_info()["workers"])


def test_sweep_gives_the_numbers_of_single_runs(client, data, tmp_path):
    out = tmp_path / "results.csv"
    result = run_sweep(NET, data, GRID, SEEDS, client=client, out=out, progress=False,
                       **SETTINGS)
    assert not result.failed and result.ran == 8 and len(result.rows) == 8
    assert [(r["lr"], r["hidden"], r["seed"]) for r in result.rows] == [
        (lr, h, s) for lr in GRID["lr"] for h in GRID["hidden"] for s in SEEDS]
    on_disk = {(r["lr"], r["hidden"], r["seed"]): r for r in read_csv(out)}
    assert len(on_disk) == 8 and sum(1 for _ in open(out)) == 9
    kernels = {}
    for row in result.rows:
        point = g.Point((("lr", row["lr"]), ("hidden", row["hidden"])))
        variant = g.network_for(NET, point)
        # built-in rows: the workers train on the per-machine family, as net.compile() does
        k = kernels.setdefault(row["hidden"], variant.compile())
        assert k.shape == "family"
        params, history = k.train(k.init_params(row["seed"]), data.X, data.Y,
                                  learning_rate=row["lr"], seed=row["seed"], **SETTINGS)
        alone = k.loss(params, data.X, data.Y)
        assert row["loss"] == alone                            # bit for bit
        assert float(on_disk[(str(row["lr"]), str(row["hidden"]), str(row["seed"]))]["loss"]) \
            == alone                                           # and so is the CSV
        assert row["epochs"] == len(history["loss"]) == SETTINGS["epochs"]
        assert 0.0 <= row["accuracy"] <= 1.0 and row["status"] == "ok"
    # a sweep over widths compiles nothing per network: each worker loads the family its
    # machine built once (before the workers started), whatever the width
    assert not result.compiles, result.compiles
    assert sum(result.disk_loads.values()) <= n_workers(client)
    assert not any(r["compiled"] for r in result.rows)
    assert all(r["compile_s"] == 0.0 for r in result.rows if not r["from_disk"])
    # one numba and one BLAS thread per single-threaded worker: no oversubscription
    envs = client.run(lambda: {k: os.environ.get(k) for k in WORKER_ENV})
    assert all(env == WORKER_ENV for env in envs.values())
    table = result.table()
    assert table.splitlines()[0].split()[:3] == ["#", "lr", "hidden"]
    assert result.plot(tmp_path / "sweep.png").stat().st_size > 1000


def test_resume_runs_only_what_is_missing(client, data, tmp_path):
    out = tmp_path / "results.csv"
    address = client.scheduler.address          # an existing scheduler: the same code path
    first = run_sweep(NET, data, {"lr": [0.3]}, [0], scheduler=address, out=out,
                      progress=False, **SETTINGS)
    assert first.ran == 1
    with pytest.raises(SpecError, match="--resume"):
        run_sweep(NET, data, {"lr": [0.3]}, [0, 1], scheduler=address, out=out,
                  progress=False, **SETTINGS)
    with open(out, "a") as fh:
        fh.write("0.3,1,0.5")                  # a line cut short when a sweep was killed
    seen = []
    second = run_sweep(NET, data, {"lr": [0.3]}, [0, 1, 2], client=client, out=out,
                       resume=True, progress=False, on_result=seen.append, **SETTINGS)
    assert sorted(r["seed"] for r in seen) == [1, 2]
    assert second.resumed == 1 and second.ran == 2 and len(second.rows) == 3
    assert second.rows[0]["loss"] == first.rows[0]["loss"]
    assert sorted(r["seed"] for r in read_csv(out)) == ["0", "1", "2"]
    again = run_sweep(NET, data, {"lr": [0.3]}, [0, 1, 2], client=client, out=out,
                      resume=True, progress=False, **SETTINGS)
    assert again.ran == 0 and [r["loss"] for r in again.rows] == [r["loss"] for r in second.rows]


def test_cli_sweep_on_an_existing_scheduler(client, tmp_path, capsys):
    # the same network as NET (name from the file name): the workers have it compiled already
    spec = tmp_path / "sweepnet.toml"
    spec.write_text('[network]\ninputs = 2\nloss = "log"\n'
                    '[[network.layers]]\nunits = 2\nactivation = "tanh"\n'
                    '[[network.layers]]\nunits = 1\nactivation = "sigmoid"\n')
    out, png = tmp_path / "r.csv", tmp_path / "s.png"
    argv = ["sweep", str(spec), "--data", "circle", "--n", "80", "--grid", "lr=0.5,2",
            "--grid", "hidden=2,3", "--seeds", "0-1", "--scheduler", client.scheduler.address,
            "--epochs", "10", "--batch-size", "4", "--out", str(out), "--plot", str(png),
            "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "runs/s" in text and "8 run(s)" in text and text.startswith("#  lr")
    assert len(read_csv(out)) == 8 and png.read_bytes()[:4] == b"\x89PNG"
    assert main(argv + ["--resume"]) == 0
    assert "8 already in" in capsys.readouterr().out
    assert main(argv) == 2                                  # would overwrite results
    assert "--resume" in capsys.readouterr().err
    assert main(["sweep", str(spec), "--data", "xor", "--grid", "lr=x"]) == 2
    assert "grid.lr" in capsys.readouterr().err


def test_a_killed_worker_loses_nothing(client, data, tmp_path):
    out = tmp_path / "results.csv"
    grid = {"lr": [0.1, 0.2, 0.3, 0.4]}
    seeds = [0, 1]
    killed = {}

    pids = client.run(os.getpid)

    def kill_a_busy_worker(row):
        # the worker that just finished a run has just started its next one: kill it now
        worker = row["worker"]
        if killed or worker not in pids:
            return
        for _ in range(100):
            keys = client.processing().get(worker)
            if keys:
                break
            time.sleep(0.01)
        else:
            return
        killed.update(worker=worker, keys=set(keys))
        os.kill(pids[worker], signal.SIGKILL)                # mid-run: no goodbye

    # runs of about half a second each, so that the kill lands in the middle of one
    result = run_sweep(NET, data, grid, seeds, client=client, out=out, epochs=20000,
                       batch_size=4, progress=False, on_result=kill_a_busy_worker)
    assert killed, "no worker was busy to kill"
    keys = [(r["lr"], r["seed"]) for r in read_csv(out)]
    assert len(keys) == len(set(keys)) == 8                 # everything, exactly once
    assert not result.failed and len(result.rows) == 8
    by_key = {f"{r['lr']!r}-{r['seed']}": r for r in result.rows}
    lost = [k for k in by_key if any(key.endswith(f"-{k}-a0") for key in killed["keys"])]
    assert lost, killed                               # the runs that died with the worker …
    assert all(by_key[k]["worker"] != killed["worker"] for k in lost)   # … ran elsewhere
