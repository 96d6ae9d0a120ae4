"""Time to trained: a fresh process, from ``python -c`` to a trained network (issue 18).

    python -m benchmarks.time_to_trained [--repeats 3] [--peers-python PY] [--out FILE.md]

Each contender runs in its own new interpreter and does everything a user waits for: imports,
building the model, compiling, training on the same synthetic data (the three jobs below).
The wall clock is taken by this parent around the whole child. symprop runs twice per job:

- *new network*: a private, empty per-network cache folder; the per-machine kernels were built
  before (this script builds them first, outside the timing, as a first use would) — symprop
  has trained other networks on this machine, never this one;
- *again*: the same network once more on the same folders.

Peers (PyTorch eager, JAX jit per step, scikit-learn) run with ``--peers-python`` (default:
this interpreter) and are left out when they do not import. Medians over ``--repeats``.
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
import time
from pathlib import Path

from .timing import emit

ROOT = Path(__file__).resolve().parent.parent

# name, inputs, hidden layers (units, activation), outputs, output activation, loss, batch,
# epochs, rows
JOBS = {
    "digits": (64, [(32, "tanh")], 10, "softmax", "cross-entropy", 32, 20, 1797),
    "two-spirals": (2, [(16, "tanh"), (16, "tanh")], 1, "sigmoid", "log", 10, 200, 400),
    "mnist-like": (784, [(256, "relu")], 10, "softmax", "cross-entropy", 256, 2, 8192),
}

DATA = """
import numpy as np
n_in, n_out, rows = {n_in}, {n_out}, {rows}
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, n_in))
labels = (np.abs(X[:, :4].sum(1) * 3).astype(int)) % max(n_out, 2)
"""

SYMPROP = DATA + """
import symprop
layers = [symprop.Dense(u, a) for u, a in {hidden}] + [symprop.Dense(n_out, "{out}")]
net = symprop.Network(inputs=n_in, layers=layers, loss="{loss}")
from symprop.runtime.train import compile_for
kernels = compile_for(net, job=(rows, {epochs}, {batch}))
Y = labels if n_out > 1 else labels.reshape(-1, 1).astype(float)
params, history = kernels.train(kernels.init_params(0), X, Y, epochs={epochs},
                                batch_size={batch}, learning_rate=0.1)
print(kernels.shape, history["loss"][-1])
"""

SKLEARN = DATA + """
import warnings
from sklearn.neural_network import MLPClassifier
act = {{"tanh": "tanh", "relu": "relu"}}["{hidden_act}"]
clf = MLPClassifier(hidden_layer_sizes=tuple(u for u, _ in {hidden}), activation=act,
                    solver="sgd", batch_size={batch}, max_iter={epochs}, learning_rate_init=0.1,
                    momentum=0.0, nesterovs_momentum=False, tol=0.0, n_iter_no_change=10**9,
                    shuffle=True, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit(X, labels)
print("sklearn", clf.loss_)
"""

TORCH = DATA + """
import torch
torch.manual_seed(0)
acts = {{"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}}
mods, width = [], n_in
for u, a in {hidden}:
    mods += [torch.nn.Linear(width, u), acts[a]()]
    width = u
mods.append(torch.nn.Linear(width, n_out))
model = torch.nn.Sequential(*mods).double()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
Xt = torch.from_numpy(X)
if n_out > 1:
    Yt, lossf = torch.from_numpy(labels), torch.nn.CrossEntropyLoss()
else:
    Yt, lossf = torch.from_numpy(labels.reshape(-1, 1).astype(float)), torch.nn.BCEWithLogitsLoss()
for epoch in range({epochs}):
    perm = torch.randperm(rows)
    for s in range(0, rows, {batch}):
        idx = perm[s:s + {batch}]
        opt.zero_grad()
        loss = lossf(model(Xt[idx]), Yt[idx])
        loss.backward()
        opt.step()
print("torch", float(loss))
"""

JAX = DATA + """
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
key = jax.random.PRNGKey(0)
sizes = [n_in] + [u for u, _ in {hidden}] + [n_out]
acts = [a for _, a in {hidden}]
params = []
for a, b in zip(sizes[:-1], sizes[1:]):
    key, sub = jax.random.split(key)
    params.append((jax.random.uniform(sub, (a, b), minval=-(6 / (a + b)) ** .5,
                                      maxval=(6 / (a + b)) ** .5), jnp.zeros(b)))
def forward(p, x):
    for (W, b), a in zip(p[:-1], acts):
        x = jnp.tanh(x @ W + b) if a == "tanh" else jax.nn.relu(x @ W + b)
    W, b = p[-1]
    return x @ W + b
def loss(p, x, y):
    z = forward(p, x)
    if n_out > 1:
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], 1))
    return jnp.mean(jnp.logaddexp(0, z[:, 0]) - y * z[:, 0])
@jax.jit
def step(p, x, y):
    g = jax.grad(loss)(p, x, y)
    return jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g)
Xj, Yj = jnp.asarray(X), jnp.asarray(labels if n_out > 1 else labels.astype(float))
rng2 = np.random.default_rng(1)
for epoch in range({epochs}):
    perm = rng2.permutation(rows)
    for s in range(0, rows, {batch}):
        idx = perm[s:s + {batch}]
        params = step(params, Xj[idx], Yj[idx])
print("jax", float(loss(params, Xj, Yj)))
"""


def _code(template: str, job: str) -> str:
    n_in, hidden, n_out, out, loss, batch, epochs, rows = JOBS[job]
    return textwrap.dedent(template).format(
        n_in=n_in, hidden=repr(hidden), n_out=n_out, out=out, loss=loss, batch=batch,
        epochs=epochs, rows=rows, hidden_act=hidden[0][1])


def _time(python: str, code: str, env: dict) -> float | None:
    start = time.perf_counter()
    done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True,
                          timeout=900, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(f"  (failed: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return seconds


def _imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                          timeout=120).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers-python", default=sys.executable)
    parser.add_argument("--jobs", default=",".join(JOBS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    machine_dir = tempfile.mkdtemp(prefix="symprop-ttt-machine-")
    env["SYMPROP_MACHINE_DIR"] = machine_dir
    # the per-machine kernels, both dtypes: built once here (a first use on this machine), timed
    # apart from the jobs; their size on disk is the folder's
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symprop.codegen.machine"], env=env, timeout=900,
                   check=True)
    build_seconds = time.perf_counter() - start
    size = sum(f.stat().st_size for f in Path(machine_dir).rglob("*") if f.is_file())
    build_line = (f"per-machine build, both dtypes, in a fresh folder: {build_seconds:.1f} s "
                  f"wall, {size / 1e6:.1f} MB on disk")
    print(build_line, file=sys.stderr)
    peers = {name: template for name, module, template in (
        ("PyTorch eager", "torch", TORCH), ("JAX jit/step", "jax", JAX),
        ("scikit-learn", "sklearn", SKLEARN)) if _imports(args.peers_python, module)}
    rows = []
    for job in args.jobs.split(","):
        times: dict[str, list[float]] = {"symprop, new network": [], "symprop, again": []}
        for _ in range(args.repeats):
            folder = tempfile.mkdtemp(prefix="symprop-ttt-")
            job_env = {**env, "SYMPROP_CACHE_DIR": folder}
            for label in ("symprop, new network", "symprop, again"):
                seconds = _time(sys.executable, _code(SYMPROP, job), job_env)
                if seconds is not None:
                    times[label].append(seconds)
            for name, template in peers.items():
                seconds = _time(args.peers_python, _code(template, job), env)
                if seconds is not None:
                    times.setdefault(name, []).append(seconds)
        rows.append((job, {k: statistics.median(v) for k, v in times.items() if v}))
        print(job, json.dumps(rows[-1][1]), file=sys.stderr)
    symprop_first = ("symprop, new network", "symprop, again")
    columns = [c for c in symprop_first if any(c in r for _, r in rows)] + sorted(
        {c for _, r in rows for c in r} - set(symprop_first))
    lines = ["| job | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for job, r in rows:
        n_in, hidden, n_out, out, loss, batch, epochs, n = JOBS[job]
        title = (f"{job}: {n_in}-{'-'.join(str(u) for u, _ in hidden)}-{n_out} {hidden[0][1]}"
                 f" → {out} {loss}, batch {batch}, {epochs} epochs, {n:,} rows")
        lines.append(f"| {title} | " + " | ".join(
            f"{r[c]:.2f} s" if c in r else "—" for c in columns) + " |")
    emit("\n".join(lines) + "\n\n" + build_line + "\n", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
