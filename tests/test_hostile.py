"""Property-based hostile input: specs, claims, formulas, CSV files and flags mutated from valid
ones, thrown at every verb. Every run must end with exit 0, 1 or 2 within a time bound, without
a traceback, without touching a file other than its outputs and without the content of a local
secret file in any output.

The default profile is small (``make test``); ``SYMPROP_FUZZ=1`` selects the "fuzz" profile
with many more examples (``make fuzz``).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest
from hostile_support import (
    SECRET,
    assert_no_secret,
    assert_only_outputs_touched,
    assert_well_behaved,
    inside,
    run_cli,
    snapshot,
    to_toml,
    write_secret,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

ROOT = Path(__file__).resolve().parent.parent
FUZZ = os.environ.get("SYMPROP_FUZZ") == "1"

settings.register_profile(
    "hostile", max_examples=10, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "fuzz", max_examples=300, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile("fuzz" if FUZZ else "hostile")
BOUND_S = 120.0 if FUZZ else 60.0      # per verb call; generous, for a loaded machine


def _spec(name: str) -> dict:
    return tomllib.loads((ROOT / "examples" / name).read_text(encoding="utf-8"))


BASES = {
    "lecture": _spec("lecture_221.toml"),                    # weights, example, notation
    "student": _spec("check_student_mistakes.toml"),         # claims and formulas
    "deep": _spec("activations.toml"),                      # three layers, three activations
}

# values a careless or malicious user writes, each one a cause of issue 17
HOSTILE_VALUES = [
    "1/0", "inf", "nan", float("inf"), float("nan"), 1e308, -1e308, 5e-324, "1e999999999",
    "9" * 5000, 10**400, "\x00", "a\x1bb", "A" * 5000, "", "\\input{secret.txt}",
    "\\text{\\input{secret.txt}}", "\\openin\\x=secret.txt", "../secret.txt", [], {}, True,
    -1, 0, 10**9, ["relu"], 5, "relu", "softmax", "e^{99999999}", "1e999999999999",
    "((((9)^12)^12)^12)", "y[1]", "w9[9,9]", "0.5", 0.5, "x" * 70,
]
BENIGN_VALUES = [0.5, -0.25, 2, 1, 0, "0.3", "1/3", "-2/7", 3.5, "sigmoid", "tanh", "relu",
                 "0.68", "0.0406", "y[1]", "w2[1,1]", "out1[1]*w2[1,1]", "delta2[1]*h1[1]"]
HOSTILE_KEYS = ["los", "learning_rte", "unit", "activaton", "weight_ordr", "inputz", "\x00",
                "A" * 300, "W9", "extra"]


def _paths(obj, prefix=()):
    """Every place in a nested dict/list: (path, value)."""
    yield prefix, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _set(obj, path, value):
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def _delete(obj, path):
    for step in path[:-1]:
        obj = obj[step]
    del obj[path[-1]]


@st.composite
def mutated_spec(draw) -> str:
    """A valid spec with one to three hostile changes, as TOML text (sometimes cut short)."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 3))):
        leaves = [p for p, v in _paths(data) if p and not isinstance(v, dict | list)]
        places = [p for p, _ in _paths(data) if p]
        op = draw(st.sampled_from(["replace", "replace", "benign", "add", "delete"]))
        path = draw(st.sampled_from(leaves if op in ("replace", "benign") else places))
        if op == "benign":         # a plausible value, so that deeper code is reached too
            _set(data, path, draw(st.sampled_from(BENIGN_VALUES)))
        elif op == "replace":
            value = draw(st.one_of(st.sampled_from(HOSTILE_VALUES),
                                   st.text(max_size=30), st.integers(), st.floats()))
            _set(data, path, value)
        elif op == "delete":
            _delete(data, path)
        else:
            tables = [p for p, v in _paths(data) if isinstance(v, dict)]
            table = draw(st.sampled_from(tables))
            key = draw(st.one_of(st.sampled_from(HOSTILE_KEYS), st.text(min_size=1, max_size=8)))
            _set(data, (*table, key), draw(st.sampled_from(HOSTILE_VALUES)))
    text = to_toml(data)
    if draw(st.integers(0, 9)) == 0:               # a file cut off or with a stray byte
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "\x00", "\ufffd", "[", "\"", "="]))
    return text


SPEC_VERBS = [
    ["derive", "{spec}"], ["derive", "{spec}", "--json"], ["derive", "{spec}", "--example"],
    ["derive", "{spec}", "--form", "expanded"], ["derive", "{spec}", "--latex"],
    ["derive", "{spec}", "--verify"],
    ["slides", "{spec}", "-o", "out/deck.tex"],
    ["check", "{spec}", "--json"], ["check", "{spec}", "--report", "out/report.md"],
    ["codegen", "{spec}", "-o", "out/kernels.py"],
]


def _check_run(folder: Path, argv: list[str], outputs: list[str]):
    before = snapshot(folder)
    with inside(folder):
        result = run_cli(argv, bound_s=BOUND_S)
    if currently_in_test_context():     # --hypothesis-show-statistics shows the mix
        event(f"{argv[0]}: exit {result.code}")
    assert_well_behaved(result, argv)
    assert_only_outputs_touched(before, snapshot(folder), outputs)
    assert_no_secret(folder)
    return result


@PROFILE
@given(text=mutated_spec(), verb=st.sampled_from(SPEC_VERBS))
def test_mutated_specs_every_spec_verb(text, verb):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_secret(folder)
        (folder / "spec.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        argv = [a.format(spec="spec.toml") for a in verb]
        _check_run(folder, argv, ["out"])


# -- flags ---------------------------------------------------------------------------------------
NUMBERS = ["0", "1", "-1", "2", "99999999999999", "1e3", "nan", "inf", "-inf", "abc", "", "0.5",
           "1e308", "full", "1", "2", "0.5", "3", "0.25"]
PATHS = ["out/x.png", "out", "spec.toml", "/dev/null", "secret.txt", "spec.toml/x", "out/"]
TRAIN_FLAGS = {"--epochs": NUMBERS, "--batch-size": NUMBERS, "--lr": NUMBERS,
               "--momentum": NUMBERS, "--n": NUMBERS, "--noise": NUMBERS, "--seed": NUMBERS,
               "--test-fraction": NUMBERS, "--plot": PATHS, "--checkpoint": PATHS,
               "--checkpoint-every": NUMBERS}
CSV_OK = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
CSV_CELLS = ["abc", "nan", "inf", "1e999", "\x00", "", "1,2", "\"", "0x1F", "9" * 400]


@st.composite
def mutated_csv(draw) -> bytes:
    rows = [line.split(",") for line in CSV_OK.splitlines()]
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["cell", "ragged", "header", "bytes", "empty"]))
        r = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if op == "cell" and rows:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(st.sampled_from(CSV_CELLS))
        elif op == "ragged" and rows:
            rows[r] = rows[r][:1] if draw(st.booleans()) else [*rows[r], "7"]
        elif op == "header" and rows:
            rows[0] = draw(st.sampled_from([["x1", "x1", "y"], ["", "x2", "y"], ["y"]]))
        elif op == "empty":
            rows = []
    blob = "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:
        blob += draw(st.binary(min_size=1, max_size=20))
    return blob


TRAIN_SPEC = """[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "sigmoid"
[[network.layers]]
units = 1
activation = "sigmoid"
"""


@PROFILE
@given(flags=st.dictionaries(st.sampled_from(sorted(TRAIN_FLAGS)), st.just(None), max_size=3),
       data=st.data(),
       source=st.sampled_from(["xor", "circle", "data.csv", "/dev/zero", "nosuch", "out"]))
def test_train_with_mutated_flags_and_data(flags, data, source):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_secret(folder)
        shutil.copy(ROOT / "examples" / "train_xor_221.toml", folder / "spec.toml")
        (folder / "data.csv").write_bytes(data.draw(mutated_csv()))
        argv = ["train", "spec.toml", "--data", source, "--epochs", "2"]
        for flag in flags:
            argv += [flag, data.draw(st.sampled_from(TRAIN_FLAGS[flag]))]
        outputs = ["out"] + [argv[i + 1] for i, a in enumerate(argv)
                             if a in ("--plot", "--checkpoint")]
        outputs += [f"{Path(o).with_suffix('')}_*" for o in outputs if o and o[-1] != "/"]
        _check_run(folder, argv, outputs)


SWEEP_FLAGS = {"--seeds": ["0", "0-99999999999", "5-1", "a", "0,0", "-3"],
               "--grid": ["lr=0.1", "lr=nan", "hidden=99999999", "epochs=99999999999", "x=1",
                          "lr=", "=1", "momentum=2", "activation=softmax"],
               "--workers": ["0", "-1", "100000", "abc"],
               "--epochs": NUMBERS, "--batch-size": NUMBERS, "--out": PATHS}


@settings(PROFILE, max_examples=60 if FUZZ else PROFILE.max_examples)   # clusters are slow
@given(flags=st.dictionaries(st.sampled_from(sorted(SWEEP_FLAGS)), st.just(None), min_size=1,
                             max_size=2),
       data=st.data())
def test_sweep_with_mutated_flags(flags, data):
    """Sweeps refused before a cluster starts (a valid sweep is slow; see the fuzz profile)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_secret(folder)
        (folder / "spec.toml").write_text(TRAIN_SPEC, encoding="utf-8")
        argv = ["sweep", "spec.toml", "--data", "xor", "--workers", "1", "--epochs", "1",
                "--no-progress", "--out", "out/r.csv"]
        for flag in flags:
            argv += [flag, data.draw(st.sampled_from(SWEEP_FLAGS[flag]))]
        if not FUZZ and _valid_sweep(argv):
            argv += ["--workers", "0"]          # keeps the default profile fast
        outputs = ["out"] + [argv[i + 1] for i, a in enumerate(argv) if a == "--out"]
        _check_run(folder, argv, outputs)


def _valid_sweep(argv: list[str]) -> bool:
    from symprop.cli import build_parser
    from symprop.errors import SpecError
    from symprop.sweep.grid import parse_grid, parse_seeds

    try:
        args = build_parser().parse_args(argv)
        parse_grid(args.grid)
        parse_seeds(args.seeds)
    except (SystemExit, SpecError):
        return False
    return True


# -- slides through pdflatex -----------------------------------------------------------------
@pytest.mark.skipif(not FUZZ, reason="pdflatex runs are slow: SYMPROP_FUZZ=1")
@settings(PROFILE, max_examples=30)                      # ~10 s per pdflatex run
@given(text=mutated_spec())
def test_mutated_specs_slides_pdf(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_secret(folder)
        (folder / "spec.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
        _check_run(folder, ["slides", "spec.toml", "-o", "out/deck.tex", "--pdf"], ["out"])


INJECTIONS = {
    "inputs": ("inputs = [\"A\", \"B\"]", 'inputs = ["A", "\\\\input{{{secret}}}"]'),
    "notation": ("[example]", '[notation]\nx = "\\\\text{{\\\\input{{{secret}}}}}"\n[example]'),
}


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
@pytest.mark.parametrize("route", ["inputs", "notation"])
def test_slides_pdf_keeps_local_files_out(tmp_path, route):
    """A couple of real pdflatex runs: a file named in the spec never reaches the PDF."""
    short = Path(tempfile.mkdtemp(prefix="sp"))     # a path short enough to be a name
    secret = write_secret(short)
    text = (ROOT / "examples" / "lecture_221.toml").read_text(encoding="utf-8")
    old, new = INJECTIONS[route]
    assert old in text
    (tmp_path / "spec.toml").write_text(text.replace(old, new.format(secret=secret), 1),
                                        encoding="utf-8")
    result = _check_run(tmp_path, ["slides", "spec.toml", "-o", "out/deck.tex", "--pdf"],
                        ["out"])
    pdf = tmp_path / "out" / "deck.pdf"
    if route == "inputs":        # escaped, so typeset: the PDF is there to be searched
        assert result.code == 0 and pdf.exists(), result.err
    if pdf.exists() and shutil.which("pdftotext"):
        shown = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                               timeout=60).stdout
        assert SECRET not in shown
    shutil.rmtree(short)


def test_secret_is_a_real_file(tmp_path):
    """The secret the properties look for is really there to be leaked (a test that can fail)."""
    path = write_secret(tmp_path)
    assert SECRET in path.read_text(encoding="utf-8")
    with pytest.raises(AssertionError):
        (tmp_path / "leak.tex").write_text(SECRET)
        assert_no_secret(tmp_path)
