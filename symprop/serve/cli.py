"""``symprop serve [SPEC] [--port N]``: the Playground page on http://127.0.0.1:N/."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?", help="a spec TOML file to open (default: a 2-2-1 net)")
    parser.add_argument("--port", type=int, default=8025, help="the port (default 8025)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise SpecError("bad port", key="--port", expected="1..65535", got=args.port)
    text = name = None
    if args.spec:
        from ..spec import load
        from .state import check_bounds, spec_toml

        net = check_bounds(load(args.spec))          # a bad spec stops here, with one line
        text, name = spec_toml(net), Path(args.spec).stem
    import uvicorn

    from .app import create_app

    print(f"symprop serve: http://127.0.0.1:{args.port}/  (Ctrl-C stops)")
    # 127.0.0.1 only: the page runs code on this machine (compiles, trains) for whoever reaches it
    uvicorn.run(create_app(text, name), host="127.0.0.1", port=args.port, log_level="warning")
    return 0
