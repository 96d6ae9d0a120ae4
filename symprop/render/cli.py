"""``symprop slides SPEC -o deck.tex [--pdf] [--png DIR] [--data NAME]``: a beamer deck."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..io import write_atomic
from ..outputs import output_file
from ..spec import load


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="network spec (TOML)")
    parser.add_argument("-o", "--output", default=None,
                        help="the .tex file to write (default: SPEC's name with .tex, here)")
    parser.add_argument("--pdf", action="store_true",
                        help="also compile it with pdflatex (the PDF goes beside the .tex)")
    parser.add_argument("--png", metavar="DIR", default=None,
                        help="PNG previews of the pages in DIR (needs --pdf and pdftoppm)")
    parser.add_argument("--data", default=None,
                        help="threshold networks: a truth table to train on (and, or, xor, "
                        "nand)")
    parser.add_argument("--title", default=None, help="the deck's title")


def run(args: argparse.Namespace) -> int:
    from .slides import LatexError, compile_pdf, pdflatex, png_previews, render_deck

    network = load(args.spec)
    out = output_file(args.output or Path(args.spec).with_suffix(".tex").name, "-o", [args.spec])
    tex = render_deck(network, output=str(out), data=args.data, title=args.title)
    write_atomic(out, tex)
    print(f"wrote {out}")
    if not args.pdf:
        if args.png:
            print("symprop: --png needs --pdf", file=sys.stderr)
        return 0
    if pdflatex() is None:
        print("symprop: pdflatex is not installed, so no PDF was made (install TeX Live with "
              "beamer, e.g. texlive-latex-recommended); the .tex is written", file=sys.stderr)
        return 0
    pdf = out.with_suffix(".pdf")
    try:
        compiled = compile_pdf(tex, pdf)
    except LatexError as exc:
        print(f"symprop: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {pdf}")
    for warning in compiled.overfull:
        print(f"symprop: warning: {warning} (a line runs past its frame)", file=sys.stderr)
    if args.png:
        pngs = png_previews(pdf, args.png)
        if pngs:
            print(f"wrote {len(pngs)} page previews to {args.png}")
        else:
            print("symprop: pdftoppm is not installed: no previews", file=sys.stderr)
    return 0
