"""One `kernels.train` call: its fast path for the usual input (a dict of C-contiguous arrays of
the network's dtype, C-contiguous float arrays X and Y) against the full checks, on a network's
own unrolled module and on the per-machine family. Same bits whatever form the input takes,
however the run is chunked, whichever call came before and from whichever thread; hostile input
is still one SpecError. The fixed cost itself is measured by benchmarks/call_overhead.py."""

from __future__ import annotations

import threading
import time
import types
from functools import cache

import numpy as np
import pytest

from symprop import Dense, Network, SpecError, TrainingError

SHAPES = ["unrolled", "family"]
NETS = {
    "softmax": Network(inputs=2, layers=[Dense(3, "tanh"), Dense(3, "softmax")],
                       loss="cross-entropy"),
    "line": Network(inputs=1, layers=[Dense(1, "linear")], loss="sse"),
}
# multiples of 1/8: exact in float32, so a float32 copy is the same numbers
X = np.array([[0.0, 0.5], [1.0, -0.25], [-0.75, 0.125], [0.5, 1.5], [-1.0, -0.5]])
LABELS = np.array([0, 2, 1, 2, 0])
Y = np.eye(3)[LABELS]
BIG = np.tile(X, (20, 1))        # 200 numbers: the finiteness check by NumPy's sum
BIG[-1, -1] = np.inf
JOB = dict(epochs=7, batch_size=2, learning_rate=0.5, momentum=0.6, seed=5)

pytestmark = pytest.mark.usefixtures("shared_kernel_cache")


@cache
def kernels(name: str, shape: str):
    return NETS[name].compile(shape=shape)


def start(k) -> dict[str, np.ndarray]:
    """Parameters exact in float32 too."""
    return {key: v.astype(np.float32).astype(np.float64) for key, v in k.init_params(2).items()}


def assert_same(run, reference) -> None:
    (params, history), (ref_params, ref_history) = run, reference
    assert params.keys() == ref_params.keys()
    for key in params:
        assert params[key].shape == ref_params[key].shape
        assert params[key].tobytes() == ref_params[key].tobytes(), key
    assert history == ref_history
    assert all(type(v) is float for values in history.values() for v in values)


@pytest.mark.parametrize("shape", SHAPES)
def test_chunking_does_not_change_a_bit(shape):
    k = kernels("softmax", shape)
    p = start(k)
    reference = k.train(p, X, Y, **JOB)
    for chunk in (1, 3, 7, 100):
        assert_same(k.train(p, X, Y, **JOB, chunk_epochs=chunk), reference)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_form_of_input_trains_like_the_usual_one(shape):
    k = kernels("softmax", shape)
    p = start(k)
    reference = k.train(p, X, Y, **JOB)
    read_only = X.copy()
    read_only.flags.writeable = False
    strided = np.repeat(X, 2, axis=0)[::2]
    forms_of_x = [X.tolist(), np.asfortranarray(X), X.astype(np.float32), read_only, strided]
    forms_of_y = [LABELS, LABELS.astype(np.int32), Y.tolist(), np.asfortranarray(Y),
                  Y.astype(np.float32)]
    forms_of_p = [{key: v.tolist() for key, v in p.items()},
                  {key: np.asfortranarray(v) for key, v in p.items()},
                  {key: v.astype(np.float32) for key, v in p.items()},
                  dict(reversed(p.items())), types.MappingProxyType(p)]
    for form in forms_of_x:
        assert_same(k.train(p, form, Y, **JOB), reference)
    for form in forms_of_y:
        assert_same(k.train(p, X, form, **JOB), reference)
    for form in forms_of_p:
        assert_same(k.train(form, X, Y, **JOB), reference)
    numpy_numbers = dict(epochs=np.int64(7), batch_size=np.int32(2),
                         learning_rate=np.float32(0.5), momentum=np.float64(0.6),
                         seed=np.uint8(5))
    assert_same(k.train(p, X, Y, **numpy_numbers), reference)
    assert_same(k.train(p, X, Y, **{**JOB, "learning_rate": 1}),
                k.train(p, X, Y, **{**JOB, "learning_rate": 1.0}))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_call_carries_nothing_into_the_next(shape):
    """Scratch arrays reused from call to call (velocities, random state, row order, history)
    start afresh; the caller's parameters are never written."""
    k = kernels("softmax", shape)
    p = start(k)
    kept = {key: v.copy() for key, v in p.items()}
    reference = k.train(p, X, Y, **JOB)
    k.train(p, X, Y, **{**JOB, "seed": 8, "momentum": 0.9})     # same job: same scratch
    k.train(p, X[:3], Y[:3], **{**JOB, "epochs": 2})               # another job
    assert_same(k.train(p, X, Y, **JOB), reference)
    assert all(np.array_equal(p[key], kept[key]) for key in p)
    # a loop handing back what it got (on the family: views of one flat array) trains on like
    # one call, leaves what it handed back as it was, and sees a change made to it in place
    job = dict(JOB, momentum=0.0, shuffle=False, epochs=2)
    params, losses = p, []
    for _ in range(3):
        before = {key: v.copy() for key, v in params.items()}
        handed, history = params, None
        params, history = k.train(handed, X, Y, **job)
        assert all(np.array_equal(handed[key], before[key]) for key in handed)
        losses += history["loss"]
    whole = k.train(p, X, Y, **dict(job, epochs=6))
    assert_same((params, {"loss": losses}), (whole[0], {"loss": whole[1]["loss"]}))
    params["W1"][0, 0] += 0.25
    copied = {key: v.copy() for key, v in params.items()}
    assert_same(k.train(params, X, Y, **JOB), k.train(copied, X, Y, **JOB))


@pytest.mark.parametrize("shape", SHAPES)
def test_threads_training_at_once_get_their_own_results(shape):
    k = kernels("softmax", shape)
    p = start(k)
    seeds = range(4)
    expected = {s: k.train(p, X, Y, **{**JOB, "seed": s}) for s in seeds}
    failures: list[str] = []

    def work(seed: int) -> None:
        for _ in range(30):
            got = k.train(p, X, Y, **{**JOB, "seed": seed})
            try:
                assert_same(got, expected[seed])
            except AssertionError as exc:
                failures.append(f"seed {seed}: {exc}")

    threads = [threading.Thread(target=work, args=(s,)) for s in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("change,match", [
    (dict(X=np.where(X == 0.5, np.nan, X)), "inputs contain NaN"),
    (dict(X=BIG), "inputs contain NaN"),
    (dict(Y=np.where(Y == 1.0, np.inf, Y)), "targets contain NaN"),
    (dict(Y=np.full((5, 3), -np.inf)), "targets contain NaN"),
    (dict(Y=np.eye(3)[[0, 1]]), "differ in length"),
    (dict(X=X[:, :1].copy()), "wrong input shape"),
    (dict(params={"W1": np.zeros((3, 2))}), "do not match"),
    (dict(epochs=True), "not an integer"),
    (dict(epochs=-1), "too small"),
    (dict(batch_size=0), "too small"),
    (dict(seed=1.5), "not an integer"),
    (dict(learning_rate=float("nan")), "out of range"),
    (dict(learning_rate=float("inf")), "out of range"),
    (dict(momentum=1.0), "out of range"),
    (dict(chunk_epochs=0), "too small"),
])
def test_hostile_input_is_still_one_spec_error(shape, change, match):
    k = kernels("softmax", shape)
    p = start(k)
    reference = k.train(p, X, Y, **JOB)
    args = {"params": p, "X": X, "Y": Y, **JOB, **change}
    if "X" in change and change["X"].shape[0] != X.shape[0]:
        args["Y"] = np.eye(3)[np.arange(change["X"].shape[0]) % 3]
    with pytest.raises(SpecError, match=match) as info:
        k.train(args.pop("params"), args.pop("X"), args.pop("Y"), **args)
    assert "\n" not in str(info.value)
    assert_same(k.train(p, X, Y, **JOB), reference)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_diverging_call_leaves_the_next_one_exact(shape):
    k = kernels("line", shape)
    Xl = np.linspace(-50, 50, 11).reshape(-1, 1)
    Yl = 3 * Xl + 1
    p = {"W1": np.array([[0.5]]), "b1": np.array([0.0])}
    job = dict(epochs=5, batch_size=11, learning_rate=1e-4, shuffle=False)
    reference = k.train(p, Xl, Yl, **job)
    with pytest.raises(TrainingError, match=r"epoch \d+") as info:
        k.train(p, Xl, Yl, epochs=500, batch_size=11, learning_rate=1.0, shuffle=False)
    assert len(info.value.history["loss"]) == info.value.epoch - 1
    assert_same(k.train(p, Xl, Yl, **job), reference)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_fixed_cost_of_a_short_call_is_microseconds(shape):
    """A loose bound, far above the measured few µs (reports/call-overhead.md), so a busy
    machine does not fail it: the fastest of 200 one-epoch calls on 5 rows under 200 µs."""
    k = kernels("softmax", shape)
    p = start(k)
    k.train(p, X, Y, epochs=1)
    best = float("inf")
    for _ in range(200):
        t0 = time.perf_counter()
        k.train(p, X, Y, epochs=1, batch_size=5)
        best = min(best, time.perf_counter() - t0)
    assert best < 200e-6


RELU = Network(inputs=2, layers=[Dense(3, "relu"), Dense(3, "softmax")], loss="cross-entropy")


@pytest.mark.parametrize("shape", ["unrolled", "loops", "family"])
@pytest.mark.parametrize("run", [dict(epochs=3), dict(epochs=0), dict(epochs=3, chunk_epochs=1),
                                 dict(epochs=3, progress=True)])
@pytest.mark.parametrize("key,bad", [("X", np.nan), ("X", -np.inf), ("Y", np.inf)])
def test_data_that_is_not_finite_is_named_whichever_path_the_call_takes(shape, run, key, bad):
    """The kernel looks at the data itself on the usual path (and says NOT_FINITE); the other
    paths look in Python. Either way one SpecError naming X or Y, nothing returned. A ReLU
    layer would hide a NaN input from the loss (max(0, NaN) is 0 in the kernel), so the loss
    cannot be what catches it."""
    k = RELU.compile(shape=shape)
    p = k.init_params(0)
    data = {"X": X.copy(), "Y": Y.copy()}
    data[key][3, 1] = bad
    with pytest.raises(SpecError, match="inputs contain" if key == "X" else "targets contain"):
        k.train(p, data["X"], data["Y"], batch_size=2, **run)


def test_run_epochs_names_data_that_is_not_finite():
    from symprop.runtime import train as T

    k = RELU.compile(shape="unrolled")
    settings = T.Settings(epochs=2, batch_size=2, learning_rate=0.1)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(SpecError, match="inputs contain NaN"):
        T.run_epochs(k, T.start(k, settings), Xn, Y, settings, 2)


@pytest.mark.parametrize("shape", ["unrolled", "loops", "family"])
def test_without_momentum_no_kernel_touches_the_velocities(shape):
    """Calls without momentum share one set of velocities, filled with NaN: a kernel that read
    them would make its loss NaN. They stay NaN, and the training equals a run on a fresh
    object after a call with momentum (whose velocities start at zero)."""
    k = RELU.compile(shape=shape)
    p = k.init_params(1)
    job = dict(epochs=4, batch_size=2, learning_rate=0.3, momentum=0.0)
    first = k.train(p, X, Y, **job)
    k.train(p, X, Y, **{**job, "momentum": 0.8})
    assert_same(k.train(p, X, Y, **job), first)
    assert all(np.isnan(v).all() for v in k._idle_velocities)
    assert all(np.isfinite(v).all() for v in first[0].values())
