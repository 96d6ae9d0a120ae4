"""Kernel source for one network, dtype and kernel shape: formulas → printed code → jinja2.

Python holds the logic (which formula, which name, CSE), the templates in ``templates/`` hold the
layout. Two kernel shapes share one module layout and one function signature per function:

- ``unrolled``: per-sample straight-line scalar code, every weight in a local variable — from the
  derivation's expanded (per-unit) chains; for small networks;
- ``loops``: per-minibatch matrix products into preallocated buffers (``np.dot(A, B, out)``) and
  element-wise loops over the index-form formulas; for everything else.

The module is parsed with `ast` before anyone writes it. User text (the network's name) appears
only through ``repr`` in comments and string constants, never as an identifier.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import sympy as sp
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..units import shown_name
from .elementwise import LOGP, D, NetworkFormulas, Y, Z, formulas
from .options import (
    KERNEL_SHAPES,
    MIN_PART_FLOP,
    SHAPES,
    UNROLL_MAX_PARAMS,
    check_options,
    choose_parts,
    choose_shape,
    flop_per_row,
    n_params,
)
from .printer import KernelPrinter, TempNames, code, print_block
from .vector_math_source import helpers_called

# the loop kernels evaluate exp/tanh in plain arithmetic (vector_math_source.py) so that LLVM
# vectorises the element-wise loops; the unrolled kernels are one dependent chain per sample:
# libm is faster
VECTOR_MATH = {"unrolled": False, "loops": True}
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class GeneratedKernel:
    source: str
    dtype: str
    shape: str
    fastmath: bool
    params: tuple[str, ...]     # W1, b1, W2, … in the order the functions take them
    parts: int = 1              # row slices per minibatch in train_epochs (threads)


@cache
def environment() -> Environment:
    """The one jinja2 environment: strict about undefined names, whitespace under control."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      autoescape=False)
    env.filters["lines"] = _indent_lines
    env.filters["block"] = _indent_block
    env.globals["wrap"] = _wrap_args
    return env


def _wrap_args(text: str, indent: int, width: int = 99, head: str = "") -> str:
    """``head`` + a comma-separated list, broken after commas into lines of ≤ ``width``
    indented by ``indent`` (the continuation lines line up under the list without a head)."""
    return textwrap.fill(text, width=width, initial_indent=" " * indent + head,
                         subsequent_indent=" " * (indent + len(head)),
                         break_long_words=False, break_on_hyphens=False)


def _indent_lines(lines: list[str], width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else "" for line in lines)


def _indent_block(text: str, width: int) -> str:
    """A macro's output, indented, without its trailing newline."""
    return _indent_lines(text.rstrip("\n").split("\n"), width)


def generate(network, dtype: str = "float64", shape: str | None = None,
             fastmath: bool = False, threads: int | None = None) -> GeneratedKernel:
    """The kernel module's source text for ``network``.

    ``threads``: how many row slices of a minibatch `train_epochs` computes in parallel (loop
    kernels only; None: `choose_parts` decides).
    """
    shape = check_options(network, dtype, shape)
    parts = choose_parts(shape, threads)
    derivation = network.derive()
    f = formulas(derivation)
    context = _common_context(f, dtype, shape, fastmath)
    context["parts"] = parts
    context["njit_train"] = (context["njit"][:-1] + ", parallel=True)" if parts > 1
                             else context["njit"])
    context.update(_SHAPE_CONTEXTS[shape](f, dtype))
    context["shape_template"] = KERNEL_SHAPES[shape].template
    template = environment().get_template("module.py.jinja")
    context["support_import"] = IMPORTS_HERE
    source = finish_module(template.render(**context), "kernel")
    return GeneratedKernel(source, dtype, shape, fastmath, tuple(network.param_shapes()), parts)


IMPORTS_HERE = "# <the shared helpers' imports>"


@cache
def support_helpers() -> tuple[str, ...]:
    """The public functions of `support.py`, read from its source (generating imports no
    numba)."""
    tree = ast.parse(Path(__file__).with_name("support.py").read_text(encoding="utf-8"))
    return tuple(node.name for node in tree.body
                 if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"))


def called(source: str, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that ``source`` calls (``name(``), in the order given."""
    return [name for name in names if re.search(rf"(?<![\w.]){name}\(", source)]


def _import_line(module: str, names: list[str]) -> str:
    """``from module import a, b, …`` in sorted order, wrapped to 99 columns."""
    line = f"from {module} import " + ", ".join(sorted(names))
    if len(line) <= 99:
        return line
    return _wrap_args(", ".join(sorted(names)) + ")", 0, head=f"from {module} import (")


# ---------------------------------------------------------------------------------------------
def _common_context(f: NetworkFormulas, dtype: str, shape: str, fastmath: bool) -> dict:
    from .. import __version__

    network = f.network
    printer = KernelPrinter({"dtype": dtype})
    dt = f"np.{dtype}"
    decorator = '@njit(cache=True, error_model="numpy"' + (", fastmath=True)" if fastmath
                                                           else ")")
    params = [{"name": n, "shape": s} for n, s in network.param_shapes().items()]
    structure = [f"{network.n_inputs} inputs"]
    for lay in network.layers:
        structure.append(f"{lay.units} {shown_name(lay.activation)}"
                         + ("" if lay.bias else " (no bias)"))
    eps = float(np.finfo(dtype).eps)
    return {
        "version": __version__,
        "name": repr(network.name),
        "structure": " -> ".join(structure) + f"; loss {network.loss}",
        "dtype": dtype, "dt": dt, "shape": shape, "fastmath": fastmath,
        "njit": decorator,
        "last_weights": f"W{len(network.layers)}",
        "params": params,
        "param_names": repr(tuple(p["name"] for p in params)),
        "param_shapes": repr(tuple(p["shape"] for p in params)),
        "param_args": ", ".join(p["name"] for p in params),
        "grad_args": ", ".join("g" + p["name"] for p in params),
        "velocity_args": ", ".join("v" + p["name"] for p in params),
        "n_inputs": network.n_inputs, "n_outputs": network.sizes[-1],
        "classifier": f.classifier,
        "midpoint": printer.literal(f.midpoint) if f.midpoint is not None else None,
        "eps": printer.literal(eps),
        "zero": printer.literal(0), "one": printer.literal(1),
        "loss_text": f.loss_text,
        "layer_texts": [lay.text for lay in f.layers],
    }


def _param_scalars(network) -> list[dict]:
    """Every weight and bias as (local name, array, index) for the unrolled kernels."""
    out = []
    for l, lay in enumerate(network.layers, start=1):
        for k in range(lay.units):
            for j in range(network.sizes[l - 1]):
                out.append({"local": f"w{l}_{k + 1}_{j + 1}", "array": f"W{l}",
                            "index": f"{k}, {j}"})
        if lay.bias:
            for k in range(lay.units):
                out.append({"local": f"b{l}_{k + 1}", "array": f"b{l}", "index": f"{k}"})
    return out


def _unrolled_context(f: NetworkFormulas, dtype: str) -> dict:
    network = f.network
    zero = code(sp.Integer(0), dtype)
    depth, n_out = network.depth, network.sizes[-1]
    forward: list[str] = []
    forward_ops = 0
    for lf, units in zip(f.layers, f.units, strict=True):
        l = lf.layer
        forward.append(f"# layer {l}: {lf.text['net']}")
        forward.append(f"#          {lf.text['out']}")
        nets = [u.net for u in units]
        net_syms = [sp.Symbol(f"net{l}_{u.unit}", real=True) for u in units]
        lines: list[str] = []
        ops = 0
        for sym, net in zip(net_syms, nets, strict=True):
            lines.append(f"{sym} = {code(net, dtype)}")
            ops += sp.count_ops(net)
        if lf.layerwise:
            m, s = sp.Symbol(f"m{l}"), sp.Symbol(f"s{l}")
            e = [sp.Symbol(f"e{l}_{k}") for k in range(1, lf.units + 1)]
            # subtract the largest net input first: exp never overflows, the ratio is unchanged
            lines.append(f"{m} = {code(sp.Max(*net_syms), dtype)}")
            for ek, zk in zip(e, net_syms, strict=True):
                expr = lf.act.xreplace({Z: zk - m})
                lines.append(f"{ek} = {code(expr, dtype)}")
                ops += sp.count_ops(expr) + 1
            lines.append(f"{s} = {code(sp.Add(*e), dtype)}")
            for k, ek in enumerate(e, start=1):
                lines.append(f"out{l}_{k} = {ek}/{s}")
            ops += 2 * lf.units
            if l == depth and f.uses_logp:
                for k, zk in enumerate(net_syms, start=1):
                    lines.append(f"logp{l}_{k} = {code(zk - m - sp.log(s), dtype)}")
        else:
            for k, zk in enumerate(net_syms, start=1):
                # CSE: a stable form's branches share their exp, computed once before a select
                block = print_block([(f"out{l}_{k}", lf.act.xreplace({Z: zk}))], dtype,
                                    TempNames(f"_f{l}_{k}_"))
                lines.extend(block.lines())
                ops += block.ops
        forward.append(f"# Total ops: {ops}")
        forward.extend(lines)
        forward_ops += ops
    # the sample's loss
    terms = []
    for k in range(1, n_out + 1):
        terms.append(f.loss_term.xreplace({
            Y: sp.Symbol(f"out{depth}_{k}", real=True), D: sp.Symbol(f"d{k}", real=True),
            LOGP: sp.Symbol(f"logp{depth}_{k}", real=True)}))
    loss_expr = sp.Add(*terms)
    loss_lines = [f"# {f.loss_text}", f"# Total ops: {sp.count_ops(loss_expr)}",
                  f"err = {code(loss_expr, dtype)}"]
    # δ per layer, output layer first; CSE within a layer (the layer above is already known)
    temps = TempNames()
    backward: list[str] = []
    for lf, units in reversed(list(zip(f.layers, f.units, strict=True))):
        l = lf.layer
        # the deltas of the layer above come last in a sample's chain: multiply them in last
        block = print_block([(f"delta{l}_{u.unit}", u.delta) for u in units], dtype, temps,
                            late=(f"delta{l + 1}_",))
        backward.append(f"# {lf.text['delta']}")
        backward.append(f"# Total ops: {block.ops}")
        backward.extend(block.lines())
    grads: list[str] = []
    for lf in f.layers:
        l = lf.layer
        below = [f"x{j}" if l == 1 else f"out{l - 1}_{j}" for j in range(1, lf.fan_in + 1)]
        grads.append(f"# {lf.text['grad_w']}" + (f";  {lf.text['grad_b']}" if lf.bias else ""))
        for k in range(1, lf.units + 1):
            for j, src in enumerate(below, start=1):
                grads.append(f"gw{l}_{k}_{j} += delta{l}_{k}*{src}")
            if lf.bias:
                grads.append(f"gb{l}_{k} += delta{l}_{k}")
    outputs = [f"out{depth}_{k}" for k in range(1, n_out + 1)]
    targets = [f"d{k}" for k in range(1, n_out + 1)]
    scalars = _param_scalars(network)
    return {
        "load_params": [f"{p['local']} = {p['array']}[{p['index']}]" for p in scalars],
        "load_velocities": [f"v{p['local']} = v{p['array']}[{p['index']}]" for p in scalars],
        "store_params": [f"{p['array']}[{p['index']}] = {p['local']}" for p in scalars],
        "store_velocities": [f"v{p['array']}[{p['index']}] = v{p['local']}" for p in scalars],
        "store_grads": [f"g{p['array']}[{p['index']}] = g{p['local']}*scale" for p in scalars],
        "zero_grads": [f"g{p['local']} = {zero}" for p in scalars],
        "snapshot": [f"s{p['local']} = {p['local']}" for p in scalars],
        "restore": [f"{p['local']} = s{p['local']}" for p in scalars],
        "step_plain": [f"{p['local']} -= scale*g{p['local']}" for p in scalars],
        "step_momentum": [line for p in scalars for line in (
            f"v{p['local']} = momentum*v{p['local']} - scale*g{p['local']}",
            f"{p['local']} += v{p['local']}")],
        "load_x": [f"x{i + 1} = X[row, {i}]" for i in range(network.n_inputs)],
        "load_d": [f"d{k + 1} = Y[row, {k}]" for k in range(n_out)],
        "store_out": [f"out[row, {k}] = {o}" for k, o in enumerate(outputs)],
        "count_correct": _count_correct(f, outputs, targets),
        "forward_lines": forward,
        "loss_lines": loss_lines,
        "backward_lines": backward + grads,
    }


def _count_correct(f: NetworkFormulas, outputs: list[str], targets: list[str]) -> list[str]:
    if not f.classifier:
        return []
    if f.midpoint is not None:
        return [f"if ({outputs[0]} >= MIDPOINT) == ({targets[0]} >= MIDPOINT):",
                "    correct += 1"]
    lines = ["# the predicted class is the largest output; the target's, its largest entry"]
    for var, values in (("pred", outputs), ("label", targets)):
        lines += [f"{var} = 0", f"best = {values[0]}"]
        for k, v in enumerate(values[1:], start=1):
            lines += [f"if {v} > best:", f"    best = {v}", f"    {var} = {k}"]
    return lines + ["if pred == label:", "    correct += 1"]


def _loops_context(f: NetworkFormulas, dtype: str) -> dict:
    network = f.network
    depth = network.depth
    vector = VECTOR_MATH["loops"]
    layers = []
    for lf in f.layers:
        l = lf.layer
        entry = {
            "l": l, "units": lf.units, "fan_in": lf.fan_in, "bias": lf.bias,
            "layerwise": lf.layerwise, "text": lf.text,
            "below": "xs" if l == 1 else f"A{l - 1}",
        }
        if lf.layerwise:
            entry["kernel"] = code(lf.act.xreplace({Z: sp.Symbol("shifted")}), dtype, vector)
        else:
            block = print_block([(f"A{l}[r, k]", lf.act)], dtype, TempNames("_f"),
                                vector_math=vector)
            entry["act_lines"] = block.lines()
        if l < depth:
            block = print_block([("delta", lf.delta)], dtype, vector_math=vector)
            entry["delta_lines"] = block.lines()
            entry["delta_ops"] = block.ops
            entry["needs"] = {str(s) for s in lf.delta.free_symbols}
        # the net inputs outlive the forward pass only where a delta (or the loss) reads them:
        # storing them back otherwise costs a ReLU layer of W3 a third of its time
        entry["keep_z"] = l == depth or "z" in entry["needs"]
        layers.append(entry)
    out = f.layers[-1]
    sums = [{"name": str(s.symbol), "code": code(s.summand, dtype, vector),
             "needs": {str(v) for v in s.summand.free_symbols}} for s in out.sums]
    delta_block = print_block([("delta", out.delta)], dtype, vector_math=vector)
    loss_block = print_block([("err", f.loss_term)], dtype, TempNames("_u"))
    needs = {str(v) for v in out.delta.free_symbols | f.loss_term.free_symbols}
    dt = f"np.{dtype}"

    # every buffer with one row per sample: net inputs, outputs, log-normalisers, deltas
    # widths as the weights' shapes, not number literals: numba would compile the cached
    # `support.empty_matrix` anew for every literal width it sees
    row_buffers = [(f"{kind}{l}", f"W{l}.shape[0]") for l in range(1, depth + 1)
                   for kind in "ZA"]
    if f.uses_logp:
        row_buffers.append((f"log_norm{depth}", None))
    row_buffers += [(f"D{l}", f"W{l}.shape[0]") for l in range(1, depth + 1)]

    def alloc(rows: str, deltas: bool = True) -> list[str]:
        """Lines allocating the row buffers (without the deltas ``D1, …`` if not ``deltas``)."""
        return [f"{n} = empty_matrix({rows}, {w}, {dt})" if w is not None else
                f"{n} = empty_vector({rows}, {dt})"
                for n, w in row_buffers if deltas or not n.startswith("D")]

    def row_buffer_slices(rows: str) -> str:
        return ", ".join(f"{n}[{rows}]" for n, _ in row_buffers)

    def part_grads(part: str) -> str:
        return ", ".join(f"G{p}[{part}]" for p in network.param_shapes())


    return {
        "alloc": alloc, "row_buffer_slices": row_buffer_slices,
        "row_buffer_args": ", ".join(n for n, _ in row_buffers), "part_grads": part_grads,
        "flop_per_row": flop_per_row(network), "min_part_flop": MIN_PART_FLOP,
        "layers": layers,
        "out": layers[-1],
        "sums": sums,
        "out_delta_lines": delta_block.lines(),
        "out_delta_ops": delta_block.ops,
        "loss_lines": loss_block.lines("+="),
        "loss_ops": loss_block.ops,
        "out_needs": needs,
        "uses_logp": f.uses_logp,
    }


# each per-network shape's part of the template context (a row of options.KERNEL_SHAPES)
_SHAPE_CONTEXTS = {"unrolled": _unrolled_context, "loops": _loops_context}

__all__ = ["SHAPES", "UNROLL_MAX_PARAMS", "GeneratedKernel", "check_options", "choose_shape",
           "environment", "generate", "n_params"]


def finish_module(source: str, what: str) -> str:
    """A rendered module with its imports filled in and parsed: exactly the shared helpers it
    calls (the `support` ones, and the vectorisable exp/tanh of `vector_math`, both compiled
    once per machine). A module that does not parse is a generator bug, never the user's."""
    imports = []
    if support := called(source, support_helpers()):     # a piece may call none
        imports.append(_import_line("symprop.codegen.support", support))
    if helpers := helpers_called(source):
        imports.append(_import_line("symprop.codegen.vector_math", helpers))
    source = source.replace(IMPORTS_HERE, "\n".join(imports), 1)
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise RuntimeError(f"generated {what} module does not parse: {exc}") from exc
    return source
