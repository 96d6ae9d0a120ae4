"""Checkpoints: train 4 + save + resume 6 equals train 10, bit for bit; bad pairs are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import symprop
from symprop import SpecError
from symprop.runtime import checkpoint as ckpt
from symprop.runtime import train as T
from symprop.runtime.datasets import load_dataset

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# minibatches smaller than the data, shuffled, with momentum: every piece of state matters
SETTINGS = T.Settings(epochs=10, batch_size=3, learning_rate=0.5, momentum=0.9, shuffle=True,
                      seed=7)


@pytest.fixture(scope="module")
def xor_net():
    net = symprop.load(EXAMPLES / "train_xor_221.toml")
    return net, net.compile()


def _equal(a: T.Run | T.State, b: T.Run | T.State) -> None:
    assert a.params.keys() == b.params.keys()
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name]), name
    assert a.history.keys() == b.history.keys()
    for key in a.history:
        assert np.array_equal(np.array(a.history[key]), np.array(b.history[key])), key


def test_resume_equals_the_uninterrupted_run_bit_for_bit(xor_net, tmp_path):
    net, k = xor_net
    ds = load_dataset("xor")
    whole = T.run_epochs(k, T.start(k, SETTINGS), ds.X, ds.Y, SETTINGS, 10)
    first = T.run_epochs(k, T.start(k, SETTINGS), ds.X, ds.Y, SETTINGS, 4)
    T.save_state(tmp_path, net, SETTINGS, first)
    resumed = T.resume_state(tmp_path, net, SETTINGS)
    assert resumed.epoch == 4
    rest = T.run_epochs(k, resumed, ds.X, ds.Y, SETTINGS, 6)
    _equal(whole, rest)
    assert rest.epoch == 10
    for name in whole.velocity:
        assert np.array_equal(whole.velocity[name], rest.velocity[name])
    assert np.array_equal(whole.rng, rest.rng)
    # and the state really moved: a resume without the saved velocity/RNG would differ
    assert not np.array_equal(first.velocity["W1"], 0 * first.velocity["W1"])


def test_resume_through_fit_and_checkpoint_every(xor_net, tmp_path):
    net, k = xor_net
    whole = T.fit(net, "xor", SETTINGS, kernels=k)
    four = T.Settings(**{**SETTINGS.as_dict(), "epochs": 4})
    six = T.Settings(**{**SETTINGS.as_dict(), "epochs": 6})
    T.fit(net, "xor", four, kernels=k, checkpoint=tmp_path / "a", checkpoint_every=1)
    resumed = T.fit(net, "xor", six, kernels=k, checkpoint=tmp_path / "a", resume=True)
    _equal(whole, resumed)
    assert resumed.loss == whole.loss and resumed.notes == []
    assert ckpt.load(tmp_path / "a").epoch == 10


def test_resume_works_for_the_loops_kernel_too(tmp_path):
    net = symprop.load(EXAMPLES / "train_spiral.toml")
    k = net.compile(shape="loops")
    assert k.shape == "loops"
    ds = load_dataset("spiral", n=60)
    s = T.Settings(epochs=5, batch_size=7, learning_rate=0.03, momentum=0.9, seed=3)
    whole = T.run_epochs(k, T.start(k, s), ds.X, ds.Y, s, 5)
    part = T.run_epochs(k, T.start(k, s), ds.X, ds.Y, s, 2)
    T.save_state(tmp_path, net, s, part)
    rest = T.run_epochs(k, T.resume_state(tmp_path, net, s), ds.X, ds.Y, s, 3)
    _equal(whole, rest)


def test_files_are_an_npz_and_a_json_naming_it(xor_net, tmp_path):
    net, k = xor_net
    state = T.start(k, SETTINGS)
    T.save_state(tmp_path, net, SETTINGS, state, {"data": "xor"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json", "checkpoint.npz"]
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert meta["network"] == ckpt.network_structure(net)
    assert meta["settings"]["momentum"] == 0.9 and meta["epoch"] == 0
    assert meta["extra"] == {"data": {"data": "xor"}}
    with np.load(tmp_path / "checkpoint.npz") as data:
        assert {"params/W1", "velocity/W1", "rng", "epoch"} <= set(data.files)
    rebuilt = ckpt.network_from_structure(meta["network"])
    assert ckpt.network_structure(rebuilt) == meta["network"]


def test_a_different_network_is_refused(xor_net, tmp_path):
    net, k = xor_net
    T.save_state(tmp_path, net, SETTINGS, T.start(k, SETTINGS))
    other = symprop.load(EXAMPLES / "train_linear.toml")
    with pytest.raises(SpecError, match="written for a different network"):
        T.resume_state(tmp_path, other, SETTINGS)
    with pytest.raises(SpecError, match="dtype differs"):
        T.resume_state(tmp_path, net, T.Settings(dtype="float32"))


def test_a_mismatched_pair_is_refused(xor_net, tmp_path):
    net, k = xor_net
    T.save_state(tmp_path / "a", net, SETTINGS, T.start(k, SETTINGS))
    T.save_state(tmp_path / "b", net, T.Settings(seed=99), T.start(k, T.Settings(seed=99)))
    (tmp_path / "a" / "checkpoint.npz").write_bytes((tmp_path / "b" / "checkpoint.npz")
                                                    .read_bytes())
    with pytest.raises(SpecError, match="does not belong"):
        ckpt.load(tmp_path / "a")
    with pytest.raises(SpecError, match="no checkpoint here"):
        ckpt.load(tmp_path / "empty")


def test_resume_needs_a_folder(xor_net):
    net, k = xor_net
    with pytest.raises(SpecError, match="checkpoint folder"):
        T.fit(net, "xor", SETTINGS, kernels=k, resume=True)


def test_changed_settings_on_resume_are_noted(xor_net, tmp_path):
    net, k = xor_net
    T.fit(net, "xor", T.Settings(**{**SETTINGS.as_dict(), "epochs": 2}), kernels=k,
          checkpoint=tmp_path)
    run = T.fit(net, "xor", T.Settings(**{**SETTINGS.as_dict(), "epochs": 2,
                                          "learning_rate": 0.1}),
                kernels=k, checkpoint=tmp_path, resume=True)
    assert run.notes and "learning_rate" in run.notes[0]
