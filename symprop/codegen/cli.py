"""``symprop codegen``: print or write the generated numba kernel module of a network.

    symprop codegen SPEC.toml [-o kernels.py] [--dtype float32] [--shape unrolled|loops]
                              [--threads N] [--aot]

``--aot`` compiles the kernels ahead of time into a Python extension (`symprop.codegen.aot`):
into the kernel cache, where ``network.compile()`` finds it, or beside ``-o FILE``.
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
    parser.add_argument("--aot", action="store_true",
                        help="also compile the kernels ahead of time into a Python extension "
                             "that loads without numba: into the kernel cache (where "
                             "network.compile() finds it), or beside -o FILE; one thread, "
                             "needs a C compiler")


def run(args: argparse.Namespace) -> int:
    from ..io import write_atomic
    from ..spec import load
    from .generate import generate

    network = load(args.spec)
    _check_size(network, args)
    if args.aot and not args.output:
        from ..runtime.kernels import compile_network
        from .aot import extension_path

        kernels = compile_network(network, dtype=args.dtype, shape=args.shape,
                                  fastmath=args.fastmath, threads=args.threads, aot=True)
        print(f"built {extension_path(kernels.path)} ({kernels.shape} kernels, {kernels.dtype},"
              f" ahead of time; module {kernels.path})", file=sys.stderr)
        return 0
    if args.aot:
        from .aot import check_one_thread

        check_one_thread(args.threads)
    kernel = generate(network, dtype=args.dtype, shape=args.shape, fastmath=args.fastmath,
                      threads=1 if args.aot else args.threads)
    if args.output:
        path = write_atomic(args.output, kernel.source)
        threads = f", {kernel.parts} threads" if kernel.parts > 1 else ""
        print(f"wrote {path} ({kernel.shape} kernels, {kernel.dtype}{threads})",
              file=sys.stderr)
        if args.aot:
            print(f"built {_build_beside(path)} (ahead of time)", file=sys.stderr)
    else:
        sys.stdout.write(kernel.source)
    return 0


def _check_size(network, args: argparse.Namespace) -> None:
    """Refuse, before any work, kernels too large to generate or compile in reasonable time."""
    from ..limits import check
    from ..spec import count_parameters
    from .options import choose_shape

    n = count_parameters(network)
    if not network.is_perceptron and choose_shape(network, args.shape) == "unrolled":
        check("unrolled_parameters", n, file=network.source, key="--shape unrolled")
    if args.aot:
        check("train_layers", network.depth, file=network.source, key="--aot")
        check("train_parameters", n, file=network.source, key="--aot")
        if not args.output:
            from ..outputs import output_dir
            from .cache import ENV_VAR, cache_dir

            output_dir(cache_dir(), ENV_VAR)


def _build_beside(path):
    """The ahead-of-time extension of the module file ``path``, built next to it."""
    import hashlib

    from .aot import build
    from .cache import import_file

    name = "_symprop_codegen_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return build(path, import_file(path, name))
