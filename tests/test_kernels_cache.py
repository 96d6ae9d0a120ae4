"""The kernel cache across processes: numba's machine code is reused, concurrent writers agree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symprop.codegen import cache

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import symprop
kernels = symprop.load(sys.argv[1]).compile(shape="unrolled")
ready = time.perf_counter()
out = kernels.forward(kernels.init_params(0), np.array([[0.35, 0.9]]))
done = time.perf_counter()
stats = kernels.module.forward.stats
print(json.dumps({"out": out.tolist(), "path": str(kernels.path), "first_call": done - ready,
                  "total": done - t0, "hits": sum(stats.cache_hits.values()),
                  "misses": sum(stats.cache_misses.values())}))
"""


def _start(spec: Path, folder: Path) -> subprocess.Popen:
    env = dict(os.environ, SYMPROP_CACHE_DIR=str(folder))
    env.pop("NUMBA_CACHE_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.Popen([sys.executable, "-c", CHILD, str(spec)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_a_second_process_loads_the_compiled_kernels(lecture_spec, tmp_path):
    cold = _result(_start(lecture_spec, tmp_path))
    warm = _result(_start(lecture_spec, tmp_path))
    assert cold["misses"] >= 1 and cold["hits"] == 0      # compiled, and saved
    assert warm["hits"] >= 1 and warm["misses"] == 0      # loaded, not compiled
    assert warm["out"] == cold["out"] and warm["path"] == cold["path"]
    assert warm["first_call"] < cold["first_call"]
    index = list((tmp_path / "__pycache__").glob(f"{Path(cold['path']).stem}.*.nbi"))
    assert index, "numba's cache index sits next to the module"


def test_two_processes_generating_the_same_kernels_both_succeed(lecture_spec, tmp_path):
    procs = [_start(lecture_spec, tmp_path) for _ in range(2)]
    results = [_result(p) for p in procs]
    assert results[0]["out"] == results[1]["out"]
    assert results[0]["path"] == results[1]["path"]
    modules = list(tmp_path.glob("symprop_*.py"))
    assert len(modules) == 1
    assert not list(tmp_path.glob(".*.tmp")), "no half-written files left behind"


def test_the_cache_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SYMPROP_CACHE_DIR", str(tmp_path / "here"))
    assert cache.cache_dir() == tmp_path / "here"
    monkeypatch.delenv("SYMPROP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert cache.cache_dir() == tmp_path / "xdg" / "symprop"


def test_modules_are_imported_as_files_registered_before_they_run(lecture, tmp_path):
    loaded = cache.load(lecture, directory=tmp_path)
    assert loaded.generated and loaded.path.exists()
    assert sys.modules[loaded.module.__name__] is loaded.module
    assert loaded.module.__file__ == str(loaded.path)
    again = cache.load(lecture, directory=tmp_path)
    assert again.module is loaded.module and not again.generated


def test_a_damaged_cached_file_is_written_again(lecture, tmp_path):
    path, _ = cache.module_names(
        cache.kernel_key(lecture, "float64", "unrolled", False), tmp_path)
    path.write_text("def broken(:\n")
    loaded = cache.load(lecture, directory=tmp_path)
    assert loaded.generated and "def train_epochs" in loaded.path.read_text()


@pytest.mark.parametrize("shape", ["unrolled", "loops"])
def test_generated_modules_import_only_numpy_numba_and_the_shared_helpers(lecture, shape):
    from symprop.codegen.generate import generate

    source = generate(lecture, shape=shape).source
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(line.split()[1] in ("math", "numpy", "numba", "symprop.codegen.support",
                                   "symprop.codegen.vector_math")
               for line in imports), imports


# -- issue 17 part 4: the cache is checked, not trusted ----------------------------------------
def _cached(lecture, folder):
    loaded = cache.load(lecture, directory=folder)
    loaded.module.forward(np.zeros((1, 2)), np.zeros((2, 2)), np.zeros((1, 2)))  # numba caches
    return loaded.path


@pytest.mark.parametrize("damage", ["line added", "edited", "empty", "truncated"])
def test_a_tampered_module_is_written_again_with_one_line(lecture, tmp_path, capsys, damage):
    path = _cached(lecture, tmp_path)
    original = path.read_text()
    tampered = {"line added": original + "\nraise SystemExit('injected code ran')\n",
                "edited": original.replace("def train_epochs", "def train_epochs_", 1),
                "empty": "", "truncated": original[: len(original) // 3]}[damage]
    path.write_text(tampered)
    sys.modules.pop(cache.module_names(path.stem[len("symprop_"):], tmp_path)[1], None)
    _forget_loaded(path)
    loaded = cache.load(lecture, directory=tmp_path)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be used" in err and "writing it again" in err
    assert loaded.generated and path.read_text() == original


def test_a_damaged_numba_index_is_dropped_and_recompiled(lecture, tmp_path, capsys):
    from symprop.codegen.verify import compiled_files

    path = _cached(lecture, tmp_path)
    index = [f for f in compiled_files(path) if f.suffix == ".nbi"]
    assert index
    index[0].write_bytes(index[0].read_bytes()[:20])
    _forget_loaded(path)
    loaded = cache.load(lecture, directory=tmp_path)
    err = capsys.readouterr().err
    assert "numba's cache file" in err and "compiles it again" in err
    out = loaded.module.forward(np.array([[0.35, 0.9]]), np.array([[0.1, 0.8], [0.4, 0.6]]),
                                np.array([[0.3, 0.9]]))
    assert out.shape == (1, 1)


def _forget_loaded(path):
    """This process already imported the module: make it look like a new process."""
    for name in [n for n, m in sys.modules.items()
                 if getattr(m, "__file__", None) == str(path)]:
        del sys.modules[name]
