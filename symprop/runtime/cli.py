"""``symprop train SPEC --data NAME|file.csv``: train a network with its generated kernels.

Exit codes: 0 trained · 1 training stopped (NaN/Inf loss, or a perceptron that cannot converge)
· 2 bad input. ``--json`` prints exactly one JSON object on stdout:
``{"loss": final, "accuracy": final or null, "history": {"loss": [...], "accuracy": [...]}, …}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import SpecError
from ..limits import check
from . import checkpoint as ckpt
from .datasets import DATASETS
from .train import Settings, fit, get_data

# flags that, when not given, a resumed run takes from the checkpoint (so it continues exactly)
_RESUMABLE = {"epochs": "epochs", "batch_size": "batch_size", "lr": "learning_rate",
              "momentum": "momentum", "seed": "seed", "dtype": "dtype"}
_DATA_FLAGS = {"data": "data", "n": "n", "noise": "noise", "data_seed": "data_seed",
               "labels": "labels", "test_fraction": "test_fraction"}


def _batch(text: str) -> int | None:
    if text.lower() in ("full", "all", "none"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a batch size: {text!r} (an integer or 'full')") from None
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="network spec (TOML)")
    parser.add_argument("--data", help="dataset: " + ", ".join(
        k for k in DATASETS if not k.startswith("<")) + ", or a .csv file "
        "(optional with --resume: the checkpoint's)")
    parser.add_argument("--epochs", type=int, help="epochs to train (with --resume: further "
                        "epochs; default 100, or the checkpoint's)")
    parser.add_argument("--batch-size", type=_batch, dest="batch_size",
                        help="minibatch size, or 'full' (default 32)")
    parser.add_argument("--lr", type=float, help="learning rate η (default 0.1)")
    parser.add_argument("--momentum", type=float, help="momentum μ in [0, 1) (default 0)")
    parser.add_argument("--seed", type=int, help="seed of the initial weights and the "
                        "shuffling (default 0)")
    parser.add_argument("--no-shuffle", action="store_true", help="keep the rows in order")
    parser.add_argument("--dtype", choices=("float64", "float32"), help="default float64")
    parser.add_argument("--max-epochs", type=int, default=1000, dest="max_epochs",
                        help="epoch limit of the perceptron rule (default 1000)")
    parser.add_argument("--test-fraction", type=float, dest="test_fraction",
                        help="hold out this share of the rows for testing (default none)")
    parser.add_argument("--n", type=int, help="points to generate (Playground 500, 1-D 200)")
    parser.add_argument("--noise", type=float, help="Playground noise (0 to 0.5)")
    parser.add_argument("--data-seed", type=int, dest="data_seed",
                        help="seed of the generated data and of the test split (default 0)")
    parser.add_argument("--labels", choices=("01", "pm1"),
                        help="class coding: 0/1 or -1/+1 (default: to suit the output units)")
    parser.add_argument("--plot", metavar="PNG", help="loss curve here; a decision boundary "
                        "(2 inputs) or fit (1 input) next to it")
    parser.add_argument("--checkpoint", metavar="DIR",
                        help="save params, optimizer state and RNG here (atomically)")
    parser.add_argument("--checkpoint-every", type=int, dest="checkpoint_every", metavar="N",
                        help="also save every N epochs")
    parser.add_argument("--resume", action="store_true",
                        help="continue from --checkpoint DIR exactly where it stopped")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar (default: when stderr is a terminal)")


def _options(args: argparse.Namespace) -> tuple[Settings, dict]:
    """Settings and data options from the flags, filled from the checkpoint when resuming."""
    given = {name: getattr(args, flag) for flag, name in _RESUMABLE.items()
             if getattr(args, flag) is not None}
    data = {name: getattr(args, flag) for flag, name in _DATA_FLAGS.items()
            if getattr(args, flag) is not None}
    shuffle = not args.no_shuffle
    if args.resume:
        if not args.checkpoint:
            raise SpecError("--resume needs --checkpoint DIR", key="--resume",
                            expected="the folder a previous run saved its checkpoint in")
        saved = ckpt.load(args.checkpoint)
        for name in _RESUMABLE.values():
            if name not in given and name in saved.settings:
                given[name] = saved.settings[name]
        if not args.no_shuffle:
            shuffle = bool(saved.settings.get("shuffle", True))
        for name, value in saved.extra.get("data", {}).items():
            if name not in data and value is not None:
                data[name] = value
    if "data" not in data:
        raise SpecError("no data", key="--data",
                        expected="--data NAME or a .csv file (" + ", ".join(
                            k for k in DATASETS if not k.startswith("<")) + ")")
    settings = Settings(**given, shuffle=shuffle, max_epochs=args.max_epochs)
    for name, limit_name in (("epochs", "train_epochs"), ("batch_size", "batch_size")):
        if isinstance(given.get(name), int):     # as given, or as the checkpoint holds it
            check(limit_name, given[name], key=f"--{name.replace('_', '-')}")
    return settings, data


#: flag -> (argparse destination, the limit it is bounded by)
_BOUNDED_FLAGS = {"--epochs": ("epochs", "train_epochs"), "--max-epochs": ("max_epochs",
                  "train_epochs"), "--n": ("n", "train_rows"),
                  "--batch-size": ("batch_size", "batch_size")}


def check_sizes(network, args: argparse.Namespace) -> None:
    """Refuse, before any work, a network or flags beyond what training can do, and a kernel
    cache folder that cannot be written."""
    from ..codegen.cache import ENV_VAR, cache_dir
    from ..outputs import output_dir
    from ..spec import count_parameters

    for flag, (name, limit_name) in _BOUNDED_FLAGS.items():
        value = getattr(args, name, None)
        if isinstance(value, int):
            check(limit_name, value, key=flag, what=limit_name.split("_")[-1])
    if not network.is_perceptron:
        check("train_layers", network.depth, file=network.source, key="network.layers")
        check("train_parameters", count_parameters(network), file=network.source,
              key="network.layers")
        output_dir(cache_dir(), ENV_VAR)


def run(args: argparse.Namespace) -> int:
    from ..spec import load
    from .estimator import summary

    network = load(args.spec)
    check_sizes(network, args)
    settings, data = _options(args)
    if network.is_perceptron and (args.checkpoint or args.resume):
        raise SpecError("threshold networks are trained by the perceptron rule in one go; "
                        "there is nothing to checkpoint or resume", key="--checkpoint")
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        raise SpecError("bad checkpoint interval", key="--checkpoint-every",
                        expected="an integer >= 1", got=args.checkpoint_every)
    progress = sys.stderr.isatty() and not args.json if args.progress is None else args.progress
    name = data.pop("data")
    # load the data once up front: a mismatch with the network is reported before anything runs
    get_data(name, network, n=data.get("n"), noise=data.get("noise") or 0.0,
             seed=data.get("data_seed") or 0, labels=data.get("labels"))
    if not args.json:
        print(summary(network))
    result = fit(network, name, settings, test_fraction=data.get("test_fraction") or 0.0,
                 n=data.get("n"), noise=data.get("noise") or 0.0,
                 data_seed=data.get("data_seed") or 0, labels=data.get("labels"),
                 checkpoint=args.checkpoint, resume=args.resume,
                 checkpoint_every=args.checkpoint_every, plot=args.plot, progress=progress)
    if args.json:
        print(json.dumps(result.summary()))
    else:
        _report(result, args)
    return 0 if result.ok else 1


def _report(result, args: argparse.Namespace) -> None:
    for note in result.notes:
        print(f"note: {note}")
    if result.stopped is not None:
        print(f"training stopped: {result.stopped}")
        if result.network.is_perceptron and result.history.get("errors"):
            print("mistakes per epoch: " + " ".join(map(str, result.history["errors"])))
        return
    print(result.statement)
    print(f"time: compile/load {result.compile_s:.2f} s, training {result.train_s:.2f} s")
    for what, path in result.files.items():
        print(f"wrote {what.replace('_', ' ')}: {path}")
    if args.checkpoint:
        print(f"checkpoint: {Path(args.checkpoint) / ckpt.NPZ} (+ {ckpt.JSON})")
