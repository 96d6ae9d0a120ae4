"""``symprop derive SPEC [--form index|expanded] [--example] [--json] [--latex] [--verify]``.

Text by default: the δ recurrence and ∂E/∂w per layer in index form, or one formula per weight
with ``--form expanded``. ``--json`` prints every quantity of the worked example and every
gradient::

    {"quantities": {ADDRESS: {"value": float, "exact": str}},
     "gradients": {"dE/dw2[1,1]": {"value": float, "exact": str, "formula": str}},
     "precision": "exact" | "50 digits"}

Quantities after the update (``w2[1,1]+``, ``E+``) only with ``--example``. Values are exact
(SymPy) for networks of depth ≤ 2 with at most 24 parameters, or with ``--exact``; deeper ones
get 50 significant digits, since their exact expressions nest without bound.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import sympy as sp

from ..addresses import Address
from ..limits import check as check_limit
from ..spec import count_parameters, load
from ..units import shown_name

EXACT_PARAMETERS = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", help="network spec (TOML)")
    parser.add_argument("--form", choices=("index", "expanded"), default="index",
                        help="index: per layer with indices k, j (default); expanded: one "
                        "formula per weight")
    parser.add_argument("--example", action="store_true",
                        help="also the worked example's numbers, updated weights included")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--latex", action="store_true",
                        help="a LaTeX snippet of the derivation (and the worked example)")
    parser.add_argument("--verify", action="store_true",
                        help="prove every gradient against sympy.diff; exit 1 if one fails")
    parser.add_argument("--exact", action="store_true",
                        help="exact values even for deep networks (can be slow)")


def run(args: argparse.Namespace) -> int:
    network = load(args.spec)
    _check_size(network, args)
    if network.is_perceptron:
        return _perceptron(network, args)
    from .backprop import derivation_of

    derivation = derivation_of(network)
    status = 0
    if args.verify:
        report = derivation.verify()
        if not args.json:
            print(report)
            print(report.summary())
        status = 0 if report.ok else 1
        if not report.ok and args.json:
            print(str(report), file=sys.stderr)
    if args.json:
        print(json.dumps(_json(network, derivation, args.example, args.exact), indent=2))
    elif args.latex:
        print(_latex(network, derivation))
    elif not args.verify:
        print(_text(network, derivation, args.form))
        if args.example:
            print(_example_text(network, derivation, args.exact))
    return status


def _check_size(network: Any, args: argparse.Namespace) -> None:
    """Refuse, before any work, what this verb cannot do in reasonable time and memory."""
    n = count_parameters(network)
    where = network.source
    if args.verify:
        check_limit("derive_verify_layers", network.depth, file=where, key="--verify")
        check_limit("derive_verify_parameters", n, file=where, key="--verify")
    listing = [flag for flag, on in (("--json", args.json), ("--example", args.example),
                                     ("--form expanded", args.form == "expanded"),
                                     ("--latex", args.latex and has_example(network))) if on]
    if listing:
        check_limit("derive_listed_parameters", n, file=where, key=listing[0])


# -- values ------------------------------------------------------------------------------------
def has_example(network: Any) -> bool:
    return network.example is not None and all(
        name in network.weights for name in network.param_shapes())


def example_values(network: Any, derivation: Any, exact: bool = False
                   ) -> tuple[dict[Address, sp.Expr], str]:
    """Every quantity of the worked example, and how precise the values are."""
    small = network.depth <= 2 and len(derivation.parameters()) <= EXACT_PARAMETERS
    if exact or small:
        from .example import worked_example

        return worked_example(network, derivation).values, "exact"
    from ..render.worked import precise_values

    return precise_values(network, derivation), "50 digits"


def _number(value: sp.Expr) -> dict[str, Any]:
    return {"value": float(sp.N(value, 20)), "exact": str(value)}


def _json(network: Any, derivation: Any, with_after: bool, exact: bool) -> dict:
    from ..render.plain import PlainPrinter, chain_text

    p = PlainPrinter(network)
    quantities: dict[str, Any] = {}
    gradients: dict[str, Any] = {}
    precision = "exact"
    values: dict[Address, sp.Expr] = {}
    if has_example(network):
        values, precision = example_values(network, derivation, exact)
        depth = network.depth
        for addr, value in values.items():
            if addr.after and not with_after:
                continue
            entry = _number(value)
            quantities[str(addr)] = entry
            if addr.kind == "out":       # the aliases y[k] and h<l>[k]
                name = "y" if addr.layer == depth else f"h{addr.layer}"
                quantities[f"{name}[{addr.index[0]}]{'+' if addr.after else ''}"] = entry
    for addr_text, l, k, j in derivation.parameters():
        key = f"dE/d{addr_text}"
        entry = {"formula": chain_text(derivation.weight_chain(l, k, j), p)}
        addr = Address("dE/dw", l, (k, j)) if j is not None else Address("dE/db", l, (k,))
        if addr in values:
            entry = {**_number(values[addr]), **entry}
        gradients[key] = entry
    return {"quantities": quantities, "gradients": gradients, "precision": precision}


# -- text --------------------------------------------------------------------------------------
def _text(network: Any, derivation: Any, form: str) -> str:
    from ..derive import symbols as S
    from ..derive.rules import ACTIVATIONS
    from ..render.plain import PlainPrinter, chain_text

    p = PlainPrinter(network)
    names = f" ({', '.join(network.inputs)})" if isinstance(network.inputs, tuple) else ""
    layers = " -> ".join(f"{layer.units} {shown_name(layer.activation)}"
                         + (" +bias" if layer.bias else "")
                         for layer in network.layers)
    out = [f"network: {network.n_inputs} inputs{names} -> {layers}; loss "
           f"{shown_name(network.loss)}",
           f"E = {p._print(derivation.loss)}", ""]
    if form == "expanded":
        for key, chain in derivation.expanded().items():
            out.append(f"{key} = {chain_text(chain, p)}")
        return "\n".join(out)
    for lay in reversed(derivation.layers):
        l, u, s = lay.layer, p._print(lay.unit), p._print(lay.source)
        role = "output" if l == network.depth else "hidden"
        out.append(f"layer {l} ({role}; units {u} = 1..{lay.units}, inputs {s} = "
                   f"1..{lay.fan_in})")
        net = p._print(S.net(l)[lay.unit])
        out.append(f"  {net} = {p._print(lay.net)}")
        fname = ACTIVATIONS[lay.activation].name
        out.append(f"  {p._print(S.out(l)[lay.unit])} = {fname}({net})")
        if lay.dE_dout is not None:
            out.append(f"  dE/d{p._print(S.out(l)[lay.unit])} = {p._print(lay.dE_dout)}")
        if not ACTIVATIONS[lay.activation].layerwise:
            out.append(f"  f'({net}) = {p._print(lay.fprime)}")
        delta = p._print(S.delta(l)[lay.unit])
        out.append(f"  {delta} = {chain_text(lay.delta, p)}")
        grad = f"dE/d{p._print(S.w(l)[lay.unit, lay.source])}"
        out.append(f"  {grad} = {chain_text(lay.grad_w, p)}")
        out.append(f"  {' ' * len(grad)} = {chain_text(lay.grad_w_full, p)}")
        if lay.bias:
            out.append(f"  dE/d{p._print(S.b(l)[lay.unit])} = {delta}")
        out.extend(f"  note: {note}" for note in lay.notes)
    return "\n".join(out)


def _example_text(network: Any, derivation: Any, exact: bool) -> str:
    if not has_example(network):
        return "\n(no worked example: the spec needs [example] and every weight in [weights])"
    values, precision = example_values(network, derivation, exact)
    lines = ["", f"worked example ({precision}):"]
    width = max(len(str(a)) for a in values)
    for addr, value in values.items():
        text = str(value) if value.is_Rational else ""
        shown = f"{float(sp.N(value, 20)):.10g}"
        lines.append(f"  {str(addr):<{width}} = {shown}" + (f"   (= {text})" if text and
                                                              text != shown else ""))
    return "\n".join(lines)


def _latex(network: Any, derivation: Any) -> str:
    from ..render.snippet import latex_snippet

    return latex_snippet(network, derivation, example=has_example(network))


def _perceptron(network: Any, args: argparse.Namespace) -> int:
    """Threshold units have no gradient: the learning rule instead."""
    rule = ("perceptron rule (not a gradient: threshold units have f' = 0 wherever it exists)\n"
            "  w_i <- w_i + eta*(y - yhat)*x_i\n  b <- b + eta*(y - yhat)")
    if args.json:
        print(json.dumps({"quantities": {}, "gradients": {}, "rule": {
            "w_i": "w_i + eta*(y - yhat)*x_i", "b": "b + eta*(y - yhat)"}}, indent=2))
    elif args.latex:
        from ..render.snippet import perceptron_snippet

        print(perceptron_snippet(network))
    else:
        print(rule)
    return 0
