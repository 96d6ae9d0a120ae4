"""Warm start from the kernel cache: what numba costs, what symprop adds, and what an
ahead-of-time build saves.

    python -m benchmarks.warm_start [--repeats 5] [--out reports/warm-start.md]

Fresh processes on private cache folders that a first process fills:
- *numba floor*: ``import numpy, numba`` and the first call of a trivial cached ``@njit``
  function that calls ``np.dot`` — the least any numba-compiled kernel costs in a new process;
- *JIT cache*: ``import symprop``, ``net.compile()`` (a cache hit) and one ``train`` call on
  one batch, one network per fresh process; numba loads the machine code from its cache;
- *ahead of time*: the same on a cache where ``net.compile(aot=True)`` built the extension:
  no numba, no SymPy in the process (one thread: W4 runs unsplit);
- *in a session*: W1…W4 in turn in one process: each later network is the warm start of a
  notebook that already has numba loaded.
Medians over ``--repeats`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from .peers.symprop_peer import network_spec
from .workloads import WORKLOADS

ORDER = ("W1", "W2", "W3", "W4")

FLOOR = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    from numba import njit
    t1 = time.perf_counter()
    sys.path.insert(0, ".")
    from floor_kernel import product
    a = np.ones((2, 2)); out = np.empty((2, 2))
    product(a, a, out)
    t2 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1, "total_s": t2 - t0}))
""")

FLOOR_KERNEL = textwrap.dedent("""
    import numpy as np
    from numba import njit


    @njit(cache=True)
    def product(a, b, out):
        np.dot(a, b, out)
""")

SESSION = textwrap.dedent("""
    import json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    import symprop
    out = {"import_s": time.perf_counter() - t0, "networks": []}
    aot = json.loads(sys.argv[2])
    for spec in json.loads(sys.argv[1]):
        t1 = time.perf_counter()
        net = symprop.Network(inputs=spec["inputs"], loss=spec["loss"], layers=[
            symprop.Dense(u, a, bias=b) for u, a, b in spec["layers"]])
        # the per-network module (the family is measured by benchmarks/time_to_trained.py)
        from symprop.codegen.options import choose_shape
        kernels = net.compile(aot=aot, shape=choose_shape(net))
        t2 = time.perf_counter()
        B = spec["batch_size"]
        X = np.zeros((B, spec["inputs"])); Y = np.zeros((B, spec["layers"][-1][0])); Y[:, 0] = 1
        kernels.train(kernels.init_params(0), X, Y, epochs=1, batch_size=B)
        t3 = time.perf_counter()
        out["networks"].append({"compile_s": t2 - t1, "first_train_s": t3 - t2,
                                "ready_s": t3 - t1, "aot": kernels.aot,
                                "numba": "numba" in sys.modules})
    out["total_s"] = time.perf_counter() - t0
    print(json.dumps(out))
""")


def _run(code: str, args: list[str], env: dict, cwd: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"child failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.warm_start", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("reports/warm-start.md"))
    args = ap.parse_args(argv)
    specs = [network_spec(WORKLOADS[n]) for n in ORDER]
    repo = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory(prefix="symprop-warm-") as jit_cache, \
            tempfile.TemporaryDirectory(prefix="symprop-aot-") as aot_cache:
        env = dict(os.environ, SYMPROP_CACHE_DIR=jit_cache)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
        aot_env = dict(env, SYMPROP_CACHE_DIR=aot_cache)
        Path(jit_cache, "floor_kernel.py").write_text(FLOOR_KERNEL, encoding="utf-8")
        _run(FLOOR, [], env, jit_cache)                           # fills numba's cache
        _run(SESSION, [json.dumps(specs), "false"], env, jit_cache)   # generate + compile
        builds = [_run(SESSION, [json.dumps([spec]), "true"], aot_env, aot_cache)
                  for spec in specs]                              # cold ahead-of-time builds
        floors, sessions = [], []
        fresh: dict[str, list[dict]] = {"jit": [], "aot": []}
        for _ in range(args.repeats):
            floors.append(_run(FLOOR, [], env, jit_cache))
            sessions.append(_run(SESSION, [json.dumps(specs), "false"], env, jit_cache))
            for spec in specs:
                fresh["jit"].append(_run(SESSION, [json.dumps([spec]), "false"], env,
                                         jit_cache))
                fresh["aot"].append(_run(SESSION, [json.dumps([spec]), "null"], aot_env,
                                         aot_cache))

    def med(values) -> float:
        return statistics.median(values)

    def fresh_total(mode: str, i: int) -> float:
        return med([r["total_s"] for r in fresh[mode][i::len(specs)]])

    if not all(r["networks"][0]["aot"] and not r["networks"][0]["numba"] for r in fresh["aot"]):
        sys.exit("an ahead-of-time run took the JIT or imported numba: " + json.dumps(fresh["aot"]))
    lines = ["# Warm start from the kernel cache", "",
             f"`python -m benchmarks.warm_start --repeats {args.repeats}`: medians over "
             f"{args.repeats} fresh processes, float64, the caches already filled. "
             "*fresh process* = `import symprop` → `net.compile()` (a cache hit) → the first "
             "`train` call on one batch done, one network per process.", "",
             "| what | seconds |", "|---|---|",
             "| numba floor: `import numpy, numba` + first call of a trivial cached `@njit` "
             f"function calling `np.dot` | {med([f['total_s'] for f in floors]):.3f} |",
             "| `import symprop` (no SymPy, no numba yet) | "
             f"{med([s['import_s'] for s in sessions]):.3f} |", "",
             "| network | fresh process, JIT cache (numba loads its cached code) | fresh process, "
             "ahead-of-time build (no numba) | building ahead of time, once (cold cache: "
             "generate, numba, C) |", "|---|---|---|---|"]
    for i, name in enumerate(ORDER):
        lines.append(f"| {name} | {fresh_total('jit', i):.3f} | {fresh_total('aot', i):.3f} | "
                     f"{builds[i]['networks'][0]['compile_s']:.1f} |")
    lines += ["", "In one process (a notebook: numba is loaded once, by the first network):", "",
              "| what | seconds |", "|---|---|"]
    for i, name in enumerate(ORDER):
        comp = med([s["networks"][i]["compile_s"] for s in sessions])
        first = med([s["networks"][i]["first_train_s"] for s in sessions])
        ready = med([s["networks"][i]["ready_s"] for s in sessions])
        where = ("first network in a fresh process (pays numba's start-up)" if i == 0 else
                 "next network, same process (warm start in a session)")
        lines.append(f"| {name}, {where}: `net.compile()` {comp:.3f} + first `train` "
                     f"{first:.3f} | {ready:.3f} |")
    lines.append("| fresh process, `import symprop` to all four networks ready | "
                 f"{med([s['total_s'] for s in sessions]):.3f} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
