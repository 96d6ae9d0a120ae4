"""One test per cause of issue 17 (parts 2, 3 and 5): each hostile input ends in one line and
exit 2 (or 1 for a bug), at once, naming the file, the key or the flag."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile_support import assert_well_behaved, inside, run_cli, snapshot
from specs import LECTURE_221

from symprop import limits
from symprop.errors import SpecError
from symprop.spec import SPEC_KEYS, exact, loads

ROOT = Path(__file__).resolve().parent.parent
SMALL = LECTURE_221


def refused(argv, *, folder: Path, key: str | None = None, within_s: float = 20.0) -> str:
    """Run ``argv`` in ``folder``; it must exit 2 at once with one line naming ``key``."""
    with inside(folder):
        result = run_cli(argv, bound_s=60)
    assert_well_behaved(result, argv, codes=(2,))
    assert result.seconds < within_s, f"took {result.seconds:.1f} s"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    if key is not None:
        assert key in lines[0], lines[0]
    return lines[0]


def write(folder: Path, text: str, name: str = "spec.toml") -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def deep(layers: int, units: int = 1, activation: str = "tanh", inputs: int = 1) -> str:
    block = f'[[network.layers]]\nunits = {units}\nactivation = "{activation}"\n'
    return f"[network]\ninputs = {inputs}\n" + block * layers


def limit_text(name: str) -> str:
    return f"{limits.limit(name):,}"


# -- part 2: numbers and sizes bounded before work -----------------------------------------------
@pytest.mark.parametrize("written, limit_name", [
    ('"1e999999999"', "number_exponent"), ("1e308", "number_exponent"),
    ('"1e-500"', "number_exponent"), ("9" * 5000, "number_digits"),
    ('"' + "1" * 150 + '"', "number_digits"), ('"1/' + "3" * 200 + '"', "number_digits"),
    ('"0.' + "0" * 150 + '1"', "number_exponent"),
])
def test_numbers_are_capped_when_read(tmp_path, written, limit_name):
    spec = write(tmp_path, SMALL.replace("W2 = [[0.3, 0.9]]", f"W2 = [[0.3, {written}]]"))
    # past Python's own digit limit TOML cannot even be parsed: then the line is named
    where = "on line 14" if len(written) > 4300 else "weights.W2[1][2]"
    for argv in (["derive", spec, "--example"], ["slides", spec, "-o", "deck.tex"]):
        line = refused(argv, folder=tmp_path, key=where)
        assert limit_text(limit_name) in line
    assert not (tmp_path / "deck.tex").exists()


@pytest.mark.parametrize("weights", ["[[1e5, -1e5], [0.4, 0.6]]", "[[1e99, 0], [0, 0]]"])
def test_worked_example_with_huge_net_inputs_refused(tmp_path, weights):
    """Weights like 1e5 or 1e99 made slides hang or fail while rounding e^(-net)."""
    spec = write(tmp_path, SMALL.replace("W1 = [[0.1, 0.8], [0.4, 0.6]]", f"W1 = {weights}"))
    for argv in (["slides", spec, "-o", "deck.tex"], ["derive", spec, "--example"]):
        line = refused(argv, folder=tmp_path, key="weights.W1", within_s=10)
        assert limit_text("example_net_magnitude") in line
    small = SMALL.replace("W1 = [[0.1, 0.8], [0.4, 0.6]]", "W1 = [[1e3, -1e3], [0.4, 0.6]]")
    loads(small)       # net inputs up to ~900: accepted


def test_numbers_within_the_caps_stay_exact():
    assert exact("1e100", file=None, key="k") == 10**100
    assert exact("-0.0025", file=None, key="k") * 400 == -1
    assert exact("1" * 100, file=None, key="k") == int("1" * 100)
    assert exact("1/3", file=None, key="k") * 3 == 1


@pytest.mark.parametrize("argv_tail, spec, limit_name", [
    (["derive", "{s}", "--verify"], deep(50), "derive_verify_layers"),
    (["derive", "{s}", "--verify"], deep(1, 30, "tanh", 2), "derive_verify_parameters"),
    (["derive", "{s}", "--form", "expanded"], deep(1, 10**7, "sigmoid", 2),
     "derive_listed_parameters"),
    (["derive", "{s}", "--json"], deep(1, 10**4, "sigmoid", 2), "derive_listed_parameters"),
    (["codegen", "{s}", "--shape", "unrolled"], deep(1, 10**7, "sigmoid", 2),
     "unrolled_parameters"),
    (["train", "{s}", "--data", "xor"], deep(50, 2, "tanh", 2), "train_layers"),
    (["train", "{s}", "--data", "xor"], deep(1, 10**7, "tanh", 2), "train_parameters"),
    (["derive", "{s}"], deep(2, 10**9, "tanh", 2), "network_parameters"),
    (["derive", "{s}"], deep(2000), "network_layers"),
])
def test_sizes_refused_at_once_naming_size_and_limit(tmp_path, argv_tail, spec, limit_name):
    name = write(tmp_path, spec)
    line = refused([a.format(s=name) for a in argv_tail], folder=tmp_path, within_s=10)
    assert limit_text(limit_name) in line and "too large" in line


@pytest.mark.parametrize("flag, value, limit_name", [
    ("--epochs", "99999999999", "train_epochs"), ("--n", "99999999999", "train_rows"),
    ("--batch-size", "99999999999", "batch_size"), ("--max-epochs", "10000000", "train_epochs"),
])
def test_huge_training_flags_refused(tmp_path, flag, value, limit_name):
    spec = write(tmp_path, SMALL)
    line = refused(["train", spec, "--data", "circle", flag, value], folder=tmp_path, key=flag)
    assert limit_text(limit_name) in line


@pytest.mark.parametrize("argv, key", [
    (["train", "{s}", "--data", "circle", "--data-seed", "-1"], "data_seed"),
    (["sweep", "{s}", "--data", "circle", "--data-seed", "-1", "--out", "r.csv"], "data_seed"),
    (["codegen", "{s}", "--threads", "99999", "--shape", "loops"], "--threads"),
    (["sweep", "{s}", "--data", "xor", "--scheduler", "garbage", "--out", "r.csv"],
     "--scheduler"),
])
def test_bad_flags_refused(tmp_path, argv, key):
    spec = write(tmp_path, SMALL)
    refused([a.format(s=spec) for a in argv], folder=tmp_path, key=key, within_s=60)


@pytest.mark.parametrize("flags, key", [
    (["--seeds", "0-99999999999"], "--seeds"), (["--workers", "100000"], "--workers"),
    (["--grid", "lr=0.1,0.2", "--seeds", "0-9999"], "--grid/--seeds"),
    (["--grid", "hidden=99999999"], "network.layers"), (["--retries", "1000"], "--retries"),
])
def test_huge_sweeps_refused_before_a_worker_starts(tmp_path, flags, key):
    spec = write(tmp_path, SMALL)
    refused(["sweep", spec, "--data", "xor", "--out", "r.csv", *flags], folder=tmp_path,
            key=key, within_s=10)
    assert not (tmp_path / "r.csv").exists()


def test_limits_table_is_complete():
    for lim in limits.LIMITS.values():
        assert lim.value > 0 and lim.why and lim.unit
    with pytest.raises(SpecError, match="over the limit of 12"):
        limits.check("derive_verify_layers", 13, key="--verify")
    limits.check("derive_verify_layers", 12, key="--verify")


# -- part 3: nonsense refused ------------------------------------------------------------------
@pytest.mark.parametrize("table, old, new, suggestion", [
    ("network", 'loss = "sse"', 'los = "log"', "loss"),
    ("example", "learning_rate = 1", "learning_rte = 0.5", "learning_rate"),
    ("network.layers[1]", 'activation = "sigmoid"\nbias = false\n[[network.layers]]',
     'activaton = "sigmoid"\nbias = false\n[[network.layers]]', "activation"),
    ("notation", "[example]", "[notation]\nweight_ordr = \"jk\"\n[example]", "weight_order"),
    ("weights", "W2 = [[0.3, 0.9]]", "w2 = [[0.3, 0.9]]", "W2"),
    ("", "[example]", "[exampel]\n[example]", "example"),
])
def test_unknown_keys_refused_with_did_you_mean(tmp_path, table, old, new, suggestion):
    assert old in SMALL
    spec = write(tmp_path, SMALL.replace(old, new, 1))
    line = refused(["derive", spec], folder=tmp_path)
    assert "unknown key" in line and f"did you mean {suggestion!r}" in line


def test_every_table_refuses_unknown_keys():
    for table, known in SPEC_KEYS.items():
        assert known, table
    for table in ("network", "example", "notation"):
        text = SMALL + (f"[{table}]\nzzz = 1\n" if table == "notation" else "")
        text = text.replace(f"[{table}]\n", f"[{table}]\nzzz = 1\n", 1) \
            if table != "notation" else text
        with pytest.raises(SpecError, match="unknown key"):
            loads(text)


@pytest.mark.parametrize("old, new, key", [
    ("learning_rate = 1", 'learning_rate = "1/0"', "example.learning_rate"),
    ("learning_rate = 1", "learning_rate = inf", "example.learning_rate"),
    ("learning_rate = 1", 'learning_rate = "nan"', "example.learning_rate"),
    ("W2 = [[0.3, 0.9]]", 'W2 = [[0.3, "-inf"]]', "weights.W2[1][2]"),
    ('loss = "sse"', 'loss = "sse"\nrelu_derivative_at_zero = "1/0"',
     "network.relu_derivative_at_zero"),
])
def test_non_finite_numbers_refused(tmp_path, old, new, key):
    spec = write(tmp_path, SMALL.replace(old, new))
    assert "not a finite number" in refused(["derive", spec], folder=tmp_path, key=key)


@pytest.mark.parametrize("argv", [
    ["slides", "lect.tex"], ["slides", "lect.tex", "-o", "./lect.tex"],
    ["check", "lect.tex", "--report", "lect.tex"], ["codegen", "lect.tex", "-o", "lect.tex"],
])
def test_output_that_is_the_input_is_refused(tmp_path, argv):
    write(tmp_path, SMALL, "lect.tex")
    before = (tmp_path / "lect.tex").read_bytes()
    refused(argv, folder=tmp_path, key="is an input")
    assert (tmp_path / "lect.tex").read_bytes() == before


@pytest.mark.parametrize("old, new, key", [
    ("inputs = 2", 'inputs = ["A", "B\\u0000"]', "network.inputs[2]"),
    ("inputs = 2", 'inputs = ["A", "B\\u001b[31m"]', "network.inputs[2]"),
    ("inputs = 2", f'inputs = ["A", "{"B" * 5000}"]', "network.inputs[2]"),
    ("[example]", '[labels]\n"w\\u0007" = "w2[1,1]"\n[example]', "labels.w"),
    ("[example]", '[notation]\nf = "\\\\phi\\u0000"\n[example]', "notation.f"),
    ("[example]", '[notation]\nx = "' + "x" * 500 + '"\n[example]', "notation.x"),
    ("[example]", '[claims]\n"y\\u0000" = "0.5"\n[example]', "claims.y"),
])
def test_names_that_cannot_be_typeset_are_refused(tmp_path, old, new, key):
    spec = write(tmp_path, SMALL.replace(old, new))
    line = refused(["slides", spec, "-o", "deck.tex"], folder=tmp_path, key=key)
    assert "\x00" not in line and "\x1b" not in line and "\x07" not in line


# -- part 5: no traceback ----------------------------------------------------------------------
@pytest.mark.parametrize("old, new, key", [
    ('activation = "sigmoid"', 'activation = ["relu"]', "network.layers[1].activation"),
    ("[example]", "[notation]\nindices = 5\n[example]", "notation.indices"),
    ('loss = "sse"', "loss = 5", "network.loss"),
    ("units = 2", 'units = "2"', "network.layers[1].units"),
    ("bias = false", 'bias = "no"', "network.layers[1].bias"),
    ("inputs = 2", "inputs = [1, 2]", "network.inputs"),
    ("[example]", "[notation]\nf = 5\n[example]", "notation.f"),
    ("[example]", "labels = 5\n[example]", "labels"),
])
def test_wrong_toml_types_named(tmp_path, old, new, key):
    spec = write(tmp_path, SMALL.replace(old, new, 1))
    refused(["derive", spec], folder=tmp_path, key=key)


def test_non_utf8_and_non_files_as_spec(tmp_path):
    (tmp_path / "latin1.toml").write_bytes(SMALL.replace("sse", "s\xe9e").encode("latin-1"))
    assert "UTF-8" in refused(["derive", "latin1.toml"], folder=tmp_path, key="latin1.toml")
    refused(["derive", str(tmp_path)], folder=tmp_path, key="folder")
    (tmp_path / "big.toml").write_bytes(b"#" * (limits.limit("spec_bytes") + 1))
    refused(["derive", "big.toml"], folder=tmp_path, key="too large")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_endless_device_and_fifo_never_hang(tmp_path):
    """In a subprocess, so a regression hangs the child (killed), not the test run."""
    os.mkfifo(tmp_path / "fifo.toml")
    os.mkfifo(tmp_path / "fifo.csv")
    write(tmp_path, SMALL, "x.toml")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv, says in ((["derive", "/dev/zero"], "not a regular file"),
                       (["derive", "fifo.toml"], "not a regular file"),
                       (["train", "x.toml", "--data", "fifo.csv"], "not a regular file"),
                       (["train", "x.toml", "--data", "/dev/zero"], "/dev/zero")):
        done = subprocess.run([sys.executable, "-m", "symprop", *argv], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and "Traceback" not in done.stderr


def _not_writable(tmp_path: Path) -> Path:
    """A path whose folder cannot be created: below a plain file (works even as root)."""
    (tmp_path / "plain").write_text("x")
    return tmp_path / "plain" / "sub"


@pytest.mark.parametrize("make_argv, key", [
    (lambda s, t: ["slides", s, "-o", str(t)], "-o"),
    (lambda s, t: ["slides", s, "-o", "deck.tex", "--png", "plain"], "--png"),
    (lambda s, t: ["check", s, "--report", str(t / "r.md")], "--report"),
    (lambda s, t: ["check", s, "--report", "."], "--report"),
    (lambda s, t: ["codegen", s, "-o", str(t / "k.py")], "-o"),
    (lambda s, t: ["codegen", s, "-o", "/dev/null"], "-o"),
    (lambda s, t: ["train", s, "--data", "xor", "--plot", str(t / "p.png")], "--plot"),
    (lambda s, t: ["train", s, "--data", "xor", "--checkpoint", "plain"], "--checkpoint"),
    (lambda s, t: ["sweep", s, "--data", "xor", "--out", "."], "--out"),
])
def test_bad_output_paths_refused_before_work(tmp_path, make_argv, key):
    spec = write(tmp_path, SMALL)
    bad = _not_writable(tmp_path)
    before = snapshot(tmp_path)
    refused(make_argv(spec, bad), folder=tmp_path, key=key, within_s=10)
    assert snapshot(tmp_path) == before


def test_unwritable_kernel_cache_refused_before_training(tmp_path, monkeypatch):
    spec = write(tmp_path, SMALL)
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(_not_writable(tmp_path)))
    refused(["train", spec, "--data", "xor", "--epochs", "1"], folder=tmp_path,
            key="SYMPROP_CACHE_DIR", within_s=10)


def _checkpoint(folder: Path, spec: str) -> Path:
    """A valid checkpoint of ``spec``'s network, written without training."""
    from symprop import load
    from symprop.runtime import checkpoint as ckpt

    network = load(folder / spec)
    params = {"W1": np.full((2, 2), 0.5), "W2": np.full((1, 2), 0.5)}
    return ckpt.save(folder / "ck", ckpt.Checkpoint(
        ckpt.network_structure(network), params, {k: v * 0 for k, v in params.items()}, 3,
        {"loss": [0.3, 0.2, 0.1]}, np.array([7], dtype=np.uint64),
        {"epochs": 3, "learning_rate": 0.1}, {"data": {"data": "xor"}}))


def _rehash(folder: Path, blob: bytes) -> None:
    """Replace the .npz and make the JSON agree, as a careful tamperer would."""
    (folder / "checkpoint.npz").write_bytes(blob)
    meta = json.loads((folder / "checkpoint.json").read_text())
    meta["npz_sha256"] = hashlib.sha256(blob).hexdigest()
    (folder / "checkpoint.json").write_text(json.dumps(meta))


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


GOOD = {"epoch": np.array(3), "params/W1": np.full((2, 2), 0.5),
        "params/W2": np.full((1, 2), 0.5), "velocity/W1": np.zeros((2, 2)),
        "velocity/W2": np.zeros((1, 2)), "history/loss": np.array([0.3, 0.2, 0.1]),
        "rng": np.array([7], dtype=np.uint64)}


@pytest.mark.parametrize("damage", [
    "truncated zip", "not a zip", "missing key", "json list", "json epoch text",
    "json network shape", "bad rng", "rng float", "params shape", "params nan",
    "object array", "no velocity", "json extra data",
])
def test_malformed_checkpoints_refused(tmp_path, damage):
    spec = write(tmp_path, SMALL)
    folder = _checkpoint(tmp_path, spec)
    blob = (folder / "checkpoint.npz").read_bytes()
    meta = json.loads((folder / "checkpoint.json").read_text())
    if damage == "truncated zip":
        _rehash(folder, blob[: len(blob) // 2])
    elif damage == "not a zip":
        _rehash(folder, b"hello")
    elif damage == "missing key":
        _rehash(folder, _npz(**{k: v for k, v in GOOD.items() if k != "epoch"}))
    elif damage == "json list":
        (folder / "checkpoint.json").write_text("[1, 2]")
    elif damage in ("json epoch text", "json network shape", "json extra data"):
        meta.update({"json epoch text": {"epoch": "3"},
                     "json network shape": {"network": {"inputs": 2, "layers": 5}},
                     "json extra data": {"extra": {"data": {"data": [1]}}}}[damage])
        (folder / "checkpoint.json").write_text(json.dumps(meta))
    elif damage == "bad rng":
        _rehash(folder, _npz(**{**GOOD, "rng": np.array([1, 2], dtype=np.uint64)}))
    elif damage == "rng float":
        _rehash(folder, _npz(**{**GOOD, "rng": np.array([0.5])}))
    elif damage == "params shape":
        _rehash(folder, _npz(**{**GOOD, "params/W1": np.zeros((3, 3))}))
    elif damage == "params nan":
        _rehash(folder, _npz(**{**GOOD, "params/W1": np.full((2, 2), np.nan)}))
    elif damage == "object array":
        _rehash(folder, _npz(**{**GOOD, "params/W1": np.array([{"a": 1}] * 4).reshape(2, 2)}))
    elif damage == "no velocity":
        _rehash(folder, _npz(**{k: v for k, v in GOOD.items() if "velocity" not in k}))
    refused(["train", spec, "--checkpoint", "ck", "--resume"], folder=tmp_path, key="ck")


def test_a_good_checkpoint_still_loads(tmp_path):
    from symprop.runtime import checkpoint as ckpt

    folder = _checkpoint(tmp_path, write(tmp_path, SMALL))
    _rehash(folder, _npz(**GOOD))
    loaded = ckpt.load(folder)
    assert loaded.epoch == 3 and loaded.rng.tolist() == [7]
    assert zipfile.is_zipfile(folder / "checkpoint.npz")


@pytest.mark.parametrize("cell_column, cell", [("loss", "abc"), ("seed", "x"),
                                               ("train_s", "fast"), ("seed", "")])
def test_sweep_resume_with_non_numeric_cells(tmp_path, cell_column, cell):
    from symprop.sweep.runner import columns_for

    spec = write(tmp_path, SMALL)
    columns = columns_for(["lr"])
    row = {c: "" for c in columns} | {"lr": "0.1", "seed": "0", "loss": "0.25"}
    row[cell_column] = cell
    (tmp_path / "r.csv").write_text(",".join(columns) + "\n" +
                                    ",".join(row[c] for c in columns) + "\n")
    line = refused(["sweep", spec, "--data", "xor", "--grid", "lr=0.1", "--out", "r.csv",
                    "--resume", "--workers", "1"], folder=tmp_path, key="r.csv", within_s=10)
    assert "line 2" in line and cell_column in line


@pytest.mark.parametrize("blob, key", [
    (b"x1,x2,y\n0,0,0\n0,1\n", "ragged"), (b"x1,x2,y\n0,abc,0\n1,1,1\n", "non-numeric"),
    (b"x1,x2,y\n0,\x000,0\n", None), (b"\xff\xfe\x00garbage", None), (b"", "empty"),
    (b"x1,x2,y\n0,1e999,0\n1,1,1\n", "NaN or Inf"), (b"x1,x1,y\n0,0,0\n", "duplicate"),
])
def test_malformed_csv_data_refused(tmp_path, blob, key):
    spec = write(tmp_path, SMALL)
    (tmp_path / "d.csv").write_bytes(blob)
    refused(["train", spec, "--data", "d.csv", "--epochs", "1"], folder=tmp_path,
            key=key or "d.csv")


def test_last_resort_handler_one_line_exit_1(tmp_path, monkeypatch):
    import symprop.derive.cli as derive_cli

    def broken(args):
        raise RuntimeError("a bug\nwith a second line")

    monkeypatch.setattr(derive_cli, "run", broken)
    spec = write(tmp_path, SMALL)
    with inside(tmp_path):
        result = run_cli(["derive", spec])
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.count("\n") == 1 and "internal error" in result.err
    assert "please report" in result.err


def test_output_named_like_a_dataset_is_not_an_input(tmp_path):
    from symprop.outputs import output_file

    with inside(tmp_path):
        assert output_file("xor", "--plot", ["xor"]).name == "xor"    # a name, not a file
        write(tmp_path, SMALL, "xor")
        with pytest.raises(SpecError, match="is an input"):
            output_file("./xor", "--plot", ["xor"])
