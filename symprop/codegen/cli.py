"""``symprop codegen``: print or write the generated numba kernel module of a network.

    symprop codegen SPEC.toml [-o kernels.py] [--dtype float32] [--shape unrolled|loops]
                              [--threads N]
"""

from __future__ import annotations

import argparse
import sys

from .options import DTYPES, SHAPES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="the network's TOML spec")
    parser.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="write the module here (default: print it)")
    parser.add_argument("--dtype", default="float64", choices=DTYPES)
    parser.add_argument("--shape", default=None, choices=SHAPES,
                        help="kernel shape (default: unrolled for small networks, else loops)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="split each minibatch of a loop kernel into N slices computed in "
                             "parallel (default: one per CPU for float64 networks where it "
                             "pays, else 1)")
    parser.add_argument("--fastmath", action="store_true",
                        help="let LLVM reorder floating-point arithmetic (not bit-reproducible)")


def run(args: argparse.Namespace) -> int:
    from ..io import write_atomic
    from ..spec import load
    from .generate import generate

    network = load(args.spec)
    kernel = generate(network, dtype=args.dtype, shape=args.shape, fastmath=args.fastmath,
                      threads=args.threads)
    if args.output:
        path = write_atomic(args.output, kernel.source)
        threads = f", {kernel.parts} threads" if kernel.parts > 1 else ""
        print(f"wrote {path} ({kernel.shape} kernels, {kernel.dtype}{threads})",
              file=sys.stderr)
    else:
        sys.stdout.write(kernel.source)
    return 0
