"""Beamer decks in the lecture's notation, one idea per frame, and their compilation.

``build_deck`` decides the frames and what goes in them (Python holds the logic); the jinja2
templates in ``templates/`` hold only the layout. ``compile_pdf`` runs pdflatex for real and
turns its errors into one plain sentence; ``png_previews`` renders pages with pdftoppm.

Frames of a backpropagation deck: the network and its notation, the forward pass, the loss, the
chain rule through the output layer and through each hidden layer, the update rules, the worked
example (forward, backward, new weights, a further forward pass with the errors compared), the
vectorised form with shapes, and each activation's derivative. Threshold networks get the
McCulloch-Pitts unit, the perceptron and its rule, one step of it, and training traces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp

from ..derive import symbols as S
from ..derive.backprop import derivation_of
from ..derive.example import initial_weights
from ..derive.rules import ACTIVATIONS, LOSSES
from ..errors import SpecError
from ..io import write_atomic
from .latex import LecturePrinter, escape, notation
from .numbers import Precision, show
from .steps import (
    Line,
    activation_lines,
    first_layer_matrix,
    forward_lines,
    hidden_layer_lines,
    loss_lines,
    mcculloch_pitts_lines,
    output_layer_lines,
    perceptron_lines,
    update_lines,
    vectorised_lines,
)
from .worked import NumLine, SlideExample, visible

TEMPLATES = Path(__file__).parent / "templates"
#: height of a frame's body, in lines of \small display math (see `line_height`)
FRAME_HEIGHT = 12.0
#: how much less room a line of \footnotesize math takes than one of \small math
SMALLER = 0.84
#: characters of text in one line across a frame
TEXT_CHARS = 85
#: rows of a training trace shown before the rest is elided
TRACE_ROWS = 10


@cache
def environment() -> jinja2.Environment:
    """The template environment: strict, and with delimiters that do not fight LaTeX."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}")


# -- blocks ----------------------------------------------------------------------------------
def math(lines: list[Line], size: str = r"\small") -> dict:
    return {"kind": "math", "size": size,
            "rows": [{"lhs": ln.lhs, "rhs": ln.rhs, "note": ln.note} for ln in lines]}


def text(tex: str) -> dict:
    return {"kind": "text", "text": tex}


def items(entries: list[str], size: str = "") -> dict:
    return {"kind": "items", "items": entries, "size": size}


def columns(*cols: tuple[float, list[dict]]) -> dict:
    return {"kind": "columns", "columns": [{"width": w, "blocks": b} for w, b in cols]}


def table(header: list[str], rows: list[list[str]], spec: str | None = None) -> dict:
    return {"kind": "table", "header": header, "rows": rows,
            "columns": spec or "c" * len(header)}


def frame(title: str, *blocks: dict) -> dict:
    return {"title": title, "blocks": list(blocks)}


def line_height(line: Line) -> float:
    """A display line's height in units of one plain line of \\small math."""
    tex = line.lhs + line.rhs
    if not tex:
        return 0.8                 # a grey note on its own row, in \footnotesize
    if r"\underbrace" in tex:
        return 2.5 if r"\frac" in tex or r"\left(" in tex else 2.0
    if r"\frac{\partial" in tex:
        return 1.8
    tall = (r"\frac", r"\sum", r"\begin{cases}", r"\begin{bmatrix}")
    if any(t in tex for t in tall):
        return 1.6
    if r"\left(" in tex:
        return 1.15
    return 1.1 if "^{(" in tex else 1.0


def block_height(block: dict) -> float:
    kind = block["kind"]
    if kind == "math":
        return 0.6 + sum(line_height(Line(r["lhs"], r["rhs"])) for r in block["rows"])
    if kind == "text":
        return 0.5 + math_ceil(visible(block["text"]) / TEXT_CHARS)
    if kind == "items":
        return 0.4 + sum(math_ceil(visible(i) / (TEXT_CHARS - 6)) for i in block["items"])
    if kind == "table":
        return 1.8 + 1.1 * len(block["rows"])
    if kind == "network":
        return 8.0
    return max(sum(block_height(b) for b in col["blocks"]) for col in block["columns"])


def math_ceil(x: float) -> int:
    return max(1, int(-(-x // 1)))


def equations(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped per equation: a continuation line (no lhs) stays with its equation."""
    groups: list[list[Line]] = []
    for line in lines:
        if groups and not line.lhs:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def paged(title: str, groups: list[list[Line]], head: tuple[dict, ...] = (),
          tail: tuple[dict, ...] = (), budget: float = FRAME_HEIGHT) -> list[dict]:
    """One frame when the equations fit (in a smaller font if need be), else as many frames
    as they need: ``head`` opens the first, ``tail`` ends the last, titles get (1/2)…"""
    around = sum(map(block_height, head)) + sum(map(block_height, tail))
    lines = [line for group in groups for line in group]
    height = 0.6 + sum(map(line_height, lines))
    if around + height <= budget:
        return [frame(title, *head, math(lines), *tail)]
    if around + SMALLER * height <= budget:
        return [frame(title, *head, math(lines, size=r"\footnotesize"), *tail)]

    def pack(room: float) -> list[list[Line]]:
        pages: list[list[Line]] = [[]]
        used = sum(map(block_height, head)) + 0.6
        for group in groups:
            h = sum(map(line_height, group))
            if pages[-1] and used + h > room:
                pages.append([])
                used = 0.6
            pages[-1].extend(group)
            used += h
        return pages

    pages = pack(budget)
    last = (0.6 if len(pages) > 1 else sum(map(block_height, head)) + 0.6) + sum(
        map(line_height, pages[-1]))
    if tail and last + sum(map(block_height, tail)) > budget:
        pages = pack(budget - sum(map(block_height, tail)))
    out = []
    for i, page in enumerate(pages, start=1):
        name = title if len(pages) == 1 else f"{title} ({i}/{len(pages)})"
        blocks = [*(head if i == 1 else ()), math(page), *(tail if i == len(pages) else ())]
        out.append(frame(name, *blocks))
    return out


def numbered(numlines: list[NumLine]) -> list[list[Line]]:
    return [nl.lines() for nl in numlines]


# -- the network picture ---------------------------------------------------------------------
def network_block(network: Any, weights: dict | None, output_label: str = "") -> dict | None:
    """A TikZ drawing of a small network (at most 6 units a layer), weights on the links."""
    sizes = network.sizes
    if max(sizes) > 6 or len(sizes) > 6:
        return None
    p = LecturePrinter(network)
    dx = min(2.4, 4.5 / max(1, len(sizes) - 1))
    nodes, edges, captions = [], [], []
    label_edges = weights is not None and sum(
        a * b for a, b in zip(sizes, sizes[1:], strict=False)) <= 8
    for l, n in enumerate(sizes):
        for i in range(1, n + 1):
            y = ((n + 1) / 2 - i) * 1.25
            name = ""
            if l == 0 and isinstance(network.inputs, tuple):
                name = escape(network.inputs[i - 1])
            below = ""
            label = output_label if l == len(sizes) - 1 and output_label else \
                p._print(S.out(l)[i])
            nodes.append({"id": f"n{l}x{i}", "x": f"{l * dx:.2f}", "y": f"{y:.2f}",
                          "label": label, "name": name, "below": below})
        if l:
            act = network.layers[l - 1].activation
            top = ((max(sizes) + 1) / 2 - 0.35) * 1.25
            captions.append({"x": f"{l * dx:.2f}", "y": f"{top:.2f}",
                             "text": f"${ACTIVATIONS[act].latex}$"})
    for l in range(1, len(sizes)):
        for k in range(1, sizes[l] + 1):
            for j in range(1, sizes[l - 1] + 1):
                label = show(weights[S.w(l)[k, j]], Precision(4, "sf")).text \
                    if label_edges else ""
                y_from = (sizes[l - 1] + 1) / 2 - j
                y_to = (sizes[l] + 1) / 2 - k
                # straight links carry their weight mid-way, slanted ones near their source,
                # so that labels of crossing links do not meet where the links cross
                pos = "0.5" if abs(y_from - y_to) < 1e-9 else "0.25"
                edges.append({"source": f"n{l - 1}x{j}", "target": f"n{l}x{k}",
                              "label": label, "pos": pos})
    return {"kind": "network", "nodes": nodes, "edges": edges, "captions": captions}


def _weights_or_none(network: Any) -> dict | None:
    try:
        return initial_weights(network)
    except SpecError:
        return None


def notation_items(network: Any) -> list[str]:
    p = LecturePrinter(network)
    n = notation(network)
    L = network.depth
    items_ = []
    names = ""
    if isinstance(network.inputs, tuple):
        names = " (" + ", ".join(escape(s) for s in network.inputs) + ")"
    items_.append(f"inputs ${p._print(S.x[sp.Symbol('m')])}$, "
                  f"$m = 1..{network.n_inputs}${names}")
    for l, layer in enumerate(network.layers, start=1):
        role = "output" if l == L else "hidden"
        unit = p._print(S.out(l)[sp.Symbol("k" if l == L else "j")])
        bias = ", with bias" if layer.bias else ""
        items_.append(f"layer {l} ({role}): {layer.units} "
                      f"{ACTIVATIONS[layer.activation].name} unit"
                      f"{'s' if layer.units > 1 else ''} ${unit}${bias}")
    k, j = sp.symbols("k j")
    w = p._print(S.w(2 if L > 1 else 1)[k, j])
    items_.append(f"${w}$: weight into unit $k$ of layer {2 if L > 1 else 1} from unit $j$ "
                  "below")
    weights = _weights_or_none(network)
    n_biases = sum(layer.units for layer in network.layers if layer.bias)
    if weights is not None and 0 < n_biases <= 6:
        biases = ", ".join(
            f"$b^{{({l})}} = ("
            + ", ".join(show(weights[S.b(l)[k]], Precision(4, "sf")).text
                        for k in range(1, layer.units + 1)) + ")$"
            for l, layer in enumerate(network.layers, start=1) if layer.bias)
        items_.append(f"biases {biases}")
    if network.loss in LOSSES and LOSSES[network.loss].differentiable:
        items_.append(f"targets ${p._print(S.d[k])}$, learning rate ${n['eta']}$, "
                      f"loss ${LOSSES[network.loss].latex}$".replace("y_k", p._print(
                          S.out(L)[k])).replace("d_k", p._print(S.d[k])))
    return items_


# -- the decks -------------------------------------------------------------------------------
@dataclass
class Deck:
    title: str
    subtitle: str
    frames: list[dict] = field(default_factory=list)


def build_deck(network: Any, *, data: str | None = None, title: str | None = None,
               precision: Any = None) -> Deck:
    """Every frame of the deck for ``network`` (see the module docstring)."""
    name = title or spec_title(network)
    if network.is_perceptron:
        deck = Deck(escape(name), "McCulloch-Pitts units and the perceptron")
        deck.frames = _perceptron_frames(network, data)
        return deck
    if data is not None:
        raise SpecError("--data is for threshold (perceptron) networks", key="--data",
                        expected="no --data for a network trained by backpropagation")
    deck = Deck(escape(name), "Backpropagation in the lecture's notation")
    deck.frames = _backprop_frames(network, precision)
    return deck


def spec_title(network: Any) -> str:
    """The spec file's opening comment up to its first colon, else the network's name."""
    try:
        first = Path(network.source).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, TypeError):
        first = ""
    if first.startswith("#"):
        heading = first.lstrip("#").strip().split(":")[0].strip().rstrip(".")
        if heading:
            return heading
    return network.name.replace("_", " ")


def _backprop_frames(network: Any, precision: Any) -> list[dict]:
    d = derivation_of(network)
    weights = _weights_or_none(network)
    frames = []
    picture = network_block(network, weights)
    entries = notation_items(network)
    notes = items(entries, size=r"\small" if len(entries) > 5 else "")
    if picture:
        frames.append(frame("The network and its notation",
                            columns((0.46, [picture]), (0.54, [notes]))))
    else:
        frames.append(frame("The network and its notation", notes))
    fwd = forward_lines(network, d)
    frames += paged("Forward pass", equations(fwd), head=(text(
        r"Each unit sums its weighted inputs, then applies its activation $f_{(l)}$:"),))
    frames.append(frame("The loss", math(loss_lines(d)), text(_loss_sentence(network))))
    frames += paged("Output layer: the chain rule", equations(output_layer_lines(d)))
    for l in range(network.depth - 1, 0, -1):
        frames += paged(f"Hidden layer {l}: the chain rule",
                        equations(hidden_layer_lines(d, l)),
                        head=(text(rf"Unit ${d.layer(l).unit}$ of layer {l} feeds every unit "
                                   rf"${d.layer(l + 1).unit}$ of layer {l + 1}: its error is a "
                                   "sum over them."),))
    frames += paged("Update rules: gradient descent", equations(update_lines(d)), head=(text(
        r"Every weight steps against its gradient; $\delta$ of a layer is computed once and "
        "shared by all weights into it."),))
    if network.example is not None and weights is not None:
        frames += _example_frames(network, d, precision)
    frames += _vector_frames(network, d)
    seen: list[str] = []
    for layer in network.layers:
        if layer.activation not in seen:
            seen.append(layer.activation)
    for act in seen:
        lines, remark = activation_lines(network, act)
        blocks = [math(lines)] + ([text(remark)] if remark else [])
        frames.append(frame(f"Activation: {ACTIVATIONS[act].name} and its derivative",
                            *blocks))
    return frames


def _loss_sentence(network: Any) -> str:
    if network.loss == "sse":
        return (r"The factor $\frac{1}{2}$ cancels the 2 of the square: "
                r"$\partial E / \partial y_k = y_k - d_k$.").replace(
            "y_k", LecturePrinter(network)._print(S.out(network.depth)[sp.Symbol("k")]))
    return "The loss's derivative starts the backward pass."


def _example_frames(network: Any, d: Any, precision: Any) -> list[dict]:
    ex = SlideExample(network, example=None, precision=precision)
    frames = paged("Worked example: forward pass", numbered(ex.forward + [ex.error]),
                   head=(text("Given: " + ex.given_text() + "."),))
    frames += paged("Worked example: backward pass", numbered(ex.backward), head=(text(
        r"Each $\delta$ from the rounded numbers above, as on a slide:"),))
    for l in range(network.depth, 0, -1):
        role = "output layer" if l == network.depth else f"hidden layer {l}"
        head = text(r"$w^{+} = w - \eta\,\delta\,h$ with the rounded $\delta$; grey: the "
                    "exact value where rounding changed a digit.")
        frames += paged(f"Worked example: new weights, {role}", numbered(ex.updates[l]),
                        head=(head,))
    frames += paged("Worked example: a further forward pass",
                    numbered(ex.forward_after + [ex.error_after]),
                    tail=(text(ex.comparison()),))
    return frames


def _vector_frames(network: Any, d: Any) -> list[dict]:
    fwd, bwd = vectorised_lines(d)
    p = LecturePrinter(network)
    sizes = network.sizes
    shapes = ", ".join(rf"$(1,{a}) \cdot ({a},{b}) \to (1,{b})$"
                       for a, b in zip(sizes, sizes[1:], strict=False))
    frames = paged("Vectorised form: forward pass, with shapes", equations(fwd), tail=(text(
        f"One sample is a row vector: {shapes}. The inner sizes agree; the outer sizes give "
        "the result."),))
    k, j, l = sp.symbols("k j l")
    w = p.quantity("w", None, ("k", "j")) + "^{(l)}"
    explain = text(
        rf"symprop's $W^{{(l)}}$ holds ${w}$ in row $k$ (the receiving unit) and column $j$: "
        r"shape $(n_l, n_{l-1})$, so a column vector goes in on the right, "
        r"$\mathrm{net}^{(l)} = W^{(l)} h^{(l-1)}$. The lecture multiplies a row vector "
        r"from the left, $x \times W_{\text{layer 1}}$, so its $W_{\text{layer }l}$ is our "
        r"$W^{(l)\top}$. For a batch $X$ with one sample per row: $X W^{(l)\top}$.")
    blocks = [explain]
    matrix = first_layer_matrix(network)
    if matrix:
        blocks += [text("The lecture's first layer, written out:"),
                   math([Line("", matrix)], size=r"\footnotesize")]
    frames.append(frame("Where the transpose comes from", *blocks))
    frames += paged("Vectorised form: backward pass, with shapes", equations(bwd), head=(text(
        r"$\odot$ multiplies element by element; each product's inner sizes agree:"),))
    return frames


# -- threshold networks ------------------------------------------------------------------------
def _perceptron_frames(network: Any, data: str | None) -> list[dict]:
    n = notation(network)
    weights = _weights_or_none(network)
    frames = []
    act = network.layers[-1].activation
    low, high = ACTIVATIONS[act].outputs
    if network.depth == 1:
        single = network.layers[0].units == 1
        picture = network_block(network, weights, output_label=n["yhat"] if single else "")
        entries = [f"inputs ${n['x']}_i$, $i = 1..{network.n_inputs}$",
                   f"{network.layers[0].units} {act} unit{'' if single else 's'} "
                   rf"${n['yhat']} = {n['phi']}(\sum_i {n['w']}_i {n['x']}_i"
                   + (f" + {n['b']}" if network.layers[0].bias else "") + ")$",
                   f"labels ${n['y']} \\in \\{{{high}, {low}\\}}$, learning rate "
                   f"${n['eta']}$"]
        notes = items(entries + [e for e in notation_items(network) if e.startswith("biases")])
    else:
        picture = network_block(network, weights)
        notes = items([e for e in notation_items(network) if not e.startswith("$")])
    frames.append(frame("The network", columns((0.46, [picture]), (0.54, [notes]))
                        if picture else notes))
    frames.append(frame(
        "McCulloch-Pitts unit [1943]",
        text(rf"The network is a graph: units are nodes, connections are weighted edges, "
             rf"${n['w']}_{{j,i}}$ from unit $i$ to unit $j$."),
        math(mcculloch_pitts_lines(network)),
        text(rf"${n['T']}_j$ is the threshold. symprop writes it as a bias: "
             rf"$\mathrm{{net}}_j + {n['b']}_j \geq 0$ with ${n['b']}_j = -{n['T']}_j$.")))
    frames.append(frame(
        "Rosenblatt's perceptron [1958]", math(perceptron_lines(network)[:2]),
        items([rf"${n['y']} = {high}$: class 1", rf"${n['y']} = {low}$: class 2",
               "learns from a teacher: supervised learning"])))
    frames.append(frame(
        "The perceptron rule", math(perceptron_lines(network)[2:]),
        items(["output correct: nothing changes",
               "output too high: the weights of positive inputs go down",
               "output too low: the weights of positive inputs go up"]),
        text(rf"A rule, not a gradient: ${n['phi']}'(z) = 0$ wherever it exists, so "
             r"$\partial E/\partial w$ would never move the weights.")))
    if network.depth == 1 and weights is not None and network.example is not None:
        frames.append(_perceptron_step(network, weights))
    if data is not None:
        X, Y = _truth_data(network, data)
        if network.depth == 1:
            frames.append(_trace_frame(network, X, Y, data, weights))
        else:
            if weights is not None:
                frames.append(_threshold_table(network, weights, X, Y, data))
            single = network.with_(layers=(network.layers[-1].__class__(
                1, act, bias=True),), weights={}, example=None, labels={})
            frames.append(_trace_frame(single, X, Y, data, None,
                                       title=f"One unit cannot learn {data.upper()}"))
    lines, remark = activation_lines(network, act)
    frames.append(frame(f"Activation: {act}", math(lines), text(remark)))
    return frames


def _truth_data(network: Any, data: str) -> tuple[list, list]:
    from ..runtime.datasets import load_dataset

    low, _ = ACTIVATIONS[network.layers[-1].activation].outputs
    ds = load_dataset(data, labels="pm1" if low == -1 else "01")
    if ds.n_features != network.n_inputs or len(ds) > 16:
        raise SpecError(f"dataset {data!r} does not fit the network", key="--data",
                        expected=f"a truth table with {network.n_inputs} inputs (and, or, "
                        "xor, nand)", got=f"{ds.n_features} inputs, {len(ds)} rows")
    X = [[sp.nsimplify(v) for v in row] for row in ds.X.tolist()]
    Y = [[sp.nsimplify(v) for v in row] for row in ds.Y.tolist()]
    return X, Y


def _perceptron_step(network: Any, weights: dict) -> dict:
    """One application of the rule to the spec's [example], every number written out."""
    from ..derive.perceptron import unit_output

    n = notation(network)
    ex = network.example
    prec = Precision(4, "sf")
    act = network.layers[0].activation
    layer = network.layers[0]
    lines = []
    eta = show(ex.learning_rate, prec).text
    for k in range(1, layer.units + 1):
        ws = [weights[S.w(1)[k, i]] for i in range(1, network.n_inputs + 1)]
        b = weights[S.b(1)[k]] if layer.bias else 0
        net = sum((w * x for w, x in zip(ws, ex.input, strict=True)), sp.Integer(0)) + b
        terms = " + ".join(rf"{_signed(w)} \times {_signed(x)}"
                           for w, x in zip(ws, ex.input, strict=True))
        if layer.bias:
            terms += f" + {_signed(b)}"
        sub = f"_{{{k}}}" if layer.units > 1 else ""
        lines.append(Line(rf"\mathrm{{net}}{sub}", f"= {terms} = {show(net, prec).text}"))
        yhat = unit_output(act, net)
        target = ex.target[k - 1]
        lines.append(Line(rf"{n['yhat']}{sub}", rf"= {n['phi']}({show(net, prec).text}) = "
                                                rf"{yhat},\quad {n['y']}{sub} = {target}"))
        step = ex.learning_rate * (target - yhat)
        for i, (w, x) in enumerate(zip(ws, ex.input, strict=True), start=1):
            rule = rf"{n['w']}_{{{i}}} + {n['eta']}({n['y']} - {n['yhat']}){n['x']}_{{{i}}}"
            lines.append(Line(rf"{n['w']}_{{{i}}}^{{+}}",
                              rf"= {rule} = {show(w, prec).text} + {eta}({target} - "
                              rf"{_signed(yhat)}) \times {_signed(x)} = "
                              rf"{show(w + step * x, prec).text}"))
        if layer.bias:
            rule = rf"{n['b']} + {n['eta']}({n['y']} - {n['yhat']})"
            lines.append(Line(rf"{n['b']}^{{+}}", rf"= {rule} = {show(b, prec).text} + "
                                                  rf"{eta}({target} - {_signed(yhat)}) = "
                                                  rf"{show(b + step, prec).text}"))
    verdict = ("The output was right: nothing changes." if all(
        unit_output(act, sum((weights[S.w(1)[k, i]] * x for i, x in enumerate(ex.input, 1)),
                             sp.Integer(0)) + (weights[S.b(1)[k]] if layer.bias else 0))
        == ex.target[k - 1] for k in range(1, layer.units + 1))
        else "The output was wrong: the weights move towards the target.")
    return frame("One step of the rule", math(lines), text(verdict))


def _trace_frame(network: Any, X: list, Y: list, data: str, weights: dict | None,
                 title: str | None = None) -> dict:
    """Epoch by epoch: the weights at the end of each epoch and the samples misclassified."""
    from ..derive.perceptron import train

    eta = network.example.learning_rate if network.example is not None else 1
    W0 = B0 = None
    if weights is not None:
        W0 = [[weights[S.w(1)[k, i]] for i in range(1, network.n_inputs + 1)]
              for k in range(1, network.layers[0].units + 1)]
        B0 = [weights[S.b(1)[k]] if network.layers[0].bias else 0
              for k in range(1, network.layers[0].units + 1)]
    run = train(network, X, Y, learning_rate=eta, max_epochs=200, weights=W0, bias=B0)
    n = notation(network)
    header = ["epoch"] + [f"${n['w']}_{{{i}}}$" for i in range(1, network.n_inputs + 1)]
    header += [f"${n['b']}$", "misclassified"]
    w_start = W0[0] if W0 else [0] * network.n_inputs
    b_start = B0[0] if B0 else 0
    rows = [["start"] + [f"${_num(v)}$" for v in w_start] + [f"${_num(b_start)}$", ""]]
    shown = range(1, run.epochs + 1)
    for e in shown:
        if len(rows) == TRACE_ROWS and e < run.epochs:
            rows.append([r"\vdots"] * len(header))
            e = run.epochs
        elif len(rows) > TRACE_ROWS:
            break
        r = train(network, X, Y, learning_rate=eta, max_epochs=e, weights=W0, bias=B0)
        rows.append([str(e)] + [f"${_num(v)}$" for v in r.weights[0]]
                    + [f"${_num(r.bias[0])}$", str(r.errors[-1])])
        if e == run.epochs:
            break
    statement = escape(run.statement[:1].upper() + run.statement[1:]) + "."
    if run.cycle_from is not None:
        before = "the start" if run.cycle_from == 1 else f"the end of epoch {run.cycle_from - 1}"
        statement = (f"The weights after epoch {run.epochs} are those of {before}: from there "
                     "the rule repeats the same epochs forever, and some row is always "
                     f"misclassified. {escape(data.upper())} is not linearly separable "
                     "(Minsky and Papert, 1969).")
    return frame(title or f"Training on {data.upper()} with the perceptron rule",
                 table(header, rows), text(statement))


def _signed(v: Any) -> str:
    """A number inside a product: negative ones in parentheses."""
    text = _num(v)
    return f"({text})" if text.startswith("-") else text


def _num(v: Any) -> str:
    v = sp.nsimplify(v)
    return show(v, Precision(4, "sf")).text if not v.is_Integer else str(v)


def _threshold_table(network: Any, weights: dict, X: list, Y: list, data: str) -> dict:
    """The forward pass of a multi-layer threshold network on every row of a truth table."""
    from ..derive.perceptron import unit_output

    p = LecturePrinter(network)
    header = [f"${p._print(S.x[i])}$" for i in range(1, network.n_inputs + 1)]
    for l in range(1, network.depth + 1):
        header += [f"${p._print(S.out(l)[k])}$" for k in range(1, network.sizes[l] + 1)]
    header.append(f"${p._print(S.d[1])}$ ({escape(data.upper())})")
    rows = []
    for x, y in zip(X, Y, strict=True):
        outs = list(x)
        row = [str(v) for v in x]
        for l, layer in enumerate(network.layers, start=1):
            nxt = []
            for k in range(1, layer.units + 1):
                net = sum((weights[S.w(l)[k, j]] * o for j, o in enumerate(outs, 1)),
                          sp.Integer(0))
                net += weights[S.b(l)[k]] if layer.bias else 0
                nxt.append(unit_output(layer.activation, net))
            outs = nxt
            row += [str(v) for v in outs]
        row.append(str(y[0]))
        rows.append(row)
    ok = all(r[-1] == r[-2] for r in rows)
    verdict = (f"Every row matches: a hidden layer computes {escape(data.upper())}, which one "
               "threshold unit cannot." if ok else "Some rows do not match the target.")
    return frame("Forward pass through the threshold units", table(header, rows),
                 text(verdict))


# -- rendering and compiling -----------------------------------------------------------------
def render_deck(network: Any, *, output: str = "deck.tex", data: str | None = None,
                title: str | None = None, precision: Any = None) -> str:
    """The deck's LaTeX source (deterministic: no dates, no absolute paths)."""
    deck = build_deck(network, data=data, title=title, precision=precision)
    source = Path(network.source).name if network.source else "<python>"
    extra = f" --data {data}" if data else ""
    template = environment().get_template("deck.tex.jinja")
    return template.render(title=deck.title, subtitle=deck.subtitle, frames=deck.frames,
                           source=escape(source), output=escape(Path(output).name),
                           extra_args=extra)


class LatexError(RuntimeError):
    """pdflatex failed; the message is one plain sentence."""


@dataclass(frozen=True)
class Compiled:
    pdf: Path
    log: str
    runs: int

    @property
    def overfull(self) -> list[str]:
        return overfull_warnings(self.log)


def overfull_warnings(log: str) -> list[str]:
    return [ln for ln in log.splitlines() if ln.startswith(("Overfull \\hbox", "Overfull \\vbox"))]


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


def compile_pdf(tex: str, pdf_path: str | Path, *, timeout: float = 180) -> Compiled:
    """Run pdflatex (twice when it asks) in a temporary folder; move the PDF in atomically."""
    exe = pdflatex()
    if exe is None:
        raise LatexError("pdflatex is not installed")
    pdf_path = Path(pdf_path)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix="symprop-tex-") as tmp:
        src = Path(tmp) / "deck.tex"
        src.write_text(tex, encoding="utf-8")
        log, runs = "", 0
        while runs < 2:
            runs += 1
            try:
                proc = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                     "deck.tex"], cwd=tmp, env=env, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise LatexError(f"pdflatex took longer than {timeout:.0f} s and was "
                                 "stopped") from None
            logfile = Path(tmp) / "deck.log"
            log = logfile.read_text(encoding="latin-1") if logfile.exists() else \
                proc.stdout.decode("latin-1")
            if proc.returncode != 0:
                raise LatexError(explain_log(log, pdf_path.with_suffix(".tex").name))
            if "Rerun to get" not in log and "may have changed" not in log:
                break
        write_atomic(pdf_path, (Path(tmp) / "deck.pdf").read_bytes())
    return Compiled(pdf_path, log, runs)


def explain_log(log: str, name: str = "deck.tex") -> str:
    """The first ``! ...`` error of a pdflatex log and its line number, in one sentence."""
    lines = log.splitlines()
    for i, ln in enumerate(lines):
        if not ln.startswith("! "):
            continue
        message = ln[2:].strip().rstrip(".")
        context = [c for c in lines[i + 1:i + 12] if c.strip()]
        if message == "Undefined control sequence" and context:
            # TeX breaks its context line right after the undefined command
            first = re.sub(r"^l\.\d+\s?", "", context[0])
            commands = re.findall(r"\\[A-Za-z@]+", first)
            if commands:
                message += f" {commands[-1]}"
        where = ""
        for follow in context:
            m = re.match(r"l\.(\d+)\s?(.*)", follow)
            if m:
                near = m[2].strip()
                if near.startswith("\\end{frame}"):
                    where = f" in the frame that ends at {name} line {m[1]}"
                else:
                    where = f" at {name} line {m[1]}" + (f" (near '{near[-40:]}')"
                                                         if near else "")
                break
        return f"pdflatex failed: {message}{where}"
    return "pdflatex failed without an error message; see its log"


def png_previews(pdf: str | Path, folder: str | Path, *, dpi: int = 60) -> list[Path]:
    """PNG images of every page (pdftoppm); empty when pdftoppm is not installed."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(pdf).stem
    subprocess.run([exe, "-png", "-r", str(dpi), str(pdf), str(folder / stem)], check=True,
                   capture_output=True, timeout=120)
    return sorted(folder.glob(f"{stem}*.png"))
