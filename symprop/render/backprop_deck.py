"""The frames of a backpropagation deck.

The network and its notation, the forward pass, the loss, the chain rule through the output
layer and through each hidden layer, the update rules, the worked example (forward, backward,
new weights, a further forward pass with the errors compared), the vectorised form with shapes,
and each activation's derivative.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..derive import symbols as S
from ..derive.backprop import derivation_of
from ..derive.example import initial_weights
from ..derive.rules import ACTIVATIONS, LOSSES
from ..errors import SpecError
from .blocks import columns, equations, frame, items, math, numbered, paged, text
from .lines import Line
from .numbers import Precision, show
from .picture import network_block
from .printer import LecturePrinter, escape, notation
from .steps import (
    activation_lines,
    first_layer_matrix,
    forward_lines,
    hidden_layer_lines,
    loss_lines,
    output_layer_lines,
    update_lines,
    vectorised_lines,
)
from .worked import SlideExample, blank


def weights_or_none(network: Any) -> dict | None:
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
        names = " (" + ", ".join(escape(s, breakable=True) for s in network.inputs) + ")"
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
    weights = weights_or_none(network)
    n_biases = sum(layer.units for layer in network.layers if layer.bias)
    if weights is not None and 0 < n_biases <= 6:
        biases = ", ".join(
            f"$b^{{({l})}} = ("
            + ", ".join(show(weights[S.b(l)[k]], Precision(4, "sf")).text
                        for k in range(1, layer.units + 1)) + ")$"
            for l, layer in enumerate(network.layers, start=1) if layer.bias)
        items_.append(f"biases {biases}")
    if network.loss in LOSSES and LOSSES[network.loss].differentiable:
        loss = loss_lines(derivation_of(network))[0]
        items_.append(f"targets ${p._print(S.d[k])}$, learning rate ${n['eta']}$, "
                      f"loss ${loss.lhs} {loss.rhs}$")
    return items_


def backprop_frames(network: Any, precision: Any, handout: bool = False,
                    animate: bool = False) -> list[dict]:
    """The deck's frames; a ``handout`` blanks the worked example's numbers as exercises,
    ``animate`` reveals the chain rule's steps one at a time (beamer overlays)."""
    d = derivation_of(network)
    weights = weights_or_none(network)
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
        rf"Each unit sums its weighted inputs, then applies its activation "
        rf"${notation(network)['f']}_{{(l)}}$:"),))
    frames.append(frame("The loss", math(loss_lines(d)), text(_loss_sentence(network))))
    frames += paged("Output layer: the chain rule", equations(output_layer_lines(d)))
    for l in range(network.depth - 1, 0, -1):
        frames += paged(f"Hidden layer {l}: the chain rule",
                        equations(hidden_layer_lines(d, l)),
                        head=(text(rf"Unit ${d.layer(l).unit}$ of layer {l} feeds every unit "
                                   rf"${d.layer(l + 1).unit}$ of layer {l + 1}: its error is a "
                                   "sum over them."),))
    if animate:
        for chain_rule in frames:
            if chain_rule["title"].split(" (")[0].endswith("the chain rule"):
                for block in chain_rule["blocks"]:
                    block["reveal"] = block["kind"] == "math"
    frames += paged("Update rules: gradient descent", equations(update_lines(d)), head=(text(
        rf"Every weight steps against its gradient; ${notation(network)['delta']}$ of a layer "
        "is computed once and "
        "shared by all weights into it."),))
    if network.example is not None and weights is not None:
        frames += _example_frames(network, d, precision, handout)
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
        p = LecturePrinter(network)
        k = sp.Symbol("k")
        y, d = p._print(S.out(network.depth)[k]), p._print(S.d[k])
        return (r"The factor $\frac{1}{2}$ cancels the 2 of the square: "
                rf"$\partial {p.notation['E']} / \partial {y} = {y} - {d}$.")
    return "The loss's derivative starts the backward pass."


def _example_frames(network: Any, d: Any, precision: Any, handout: bool) -> list[dict]:
    ex = SlideExample(network, example=None, precision=precision)
    shown = blank if handout else (lambda line: line)
    frames = paged("Worked example: forward pass",
                   numbered([shown(nl) for nl in ex.forward + [ex.error]]),
                   head=(text("Given: " + ex.given_text() + "."),))
    frames += paged("Worked example: backward pass",
                    numbered([shown(nl) for nl in ex.backward]), head=(text(
        rf"Each ${notation(network)['delta']}$ from the rounded numbers above, as on a "
        "slide:"),))
    for l in range(network.depth, 0, -1):
        role = "output layer" if l == network.depth else f"hidden layer {l}"
        n = notation(network)
        source = n["x"] if l == 1 else n["h"]
        grey = "" if handout else "; grey: the exact value where rounding changed a digit"
        head = text(rf"${n['w']}^{{+}} = {n['w']} - {n['eta']}\,{n['delta']}\,{source}$ with "
                    rf"the rounded ${n['delta']}${grey}.")
        frames += paged(f"Worked example: new weights, {role}",
                        numbered([shown(nl) for nl in ex.updates[l]]),
                        head=(head,))
    frames += paged("Worked example: a further forward pass",
                    numbered([shown(nl) for nl in ex.forward_after + [ex.error_after]]),
                    tail=(text(_exercise(network) if handout else ex.comparison()),))
    return frames


def _exercise(network: Any) -> str:
    E = notation(network)["E"]
    return rf"Compare ${E}$ and ${E}^{{+}}$: did the step lower the error, and by how much?"


def _vector_frames(network: Any, d: Any) -> list[dict]:
    fwd, bwd = vectorised_lines(d)
    p = LecturePrinter(network)
    sizes = network.sizes
    shapes = ", ".join(rf"$(1,{a}) \cdot ({a},{b}) \to (1,{b})$"
                       for a, b in zip(sizes, sizes[1:], strict=False))
    frames = paged("Vectorised form: forward pass, with shapes", equations(fwd), tail=(text(
        f"One sample is a row vector: {shapes}. The inner sizes agree; the outer sizes give "
        "the result."),))
    n = notation(network)
    w = p.quantity("w", None, ("k", "j")) + "^{(l)}"
    explain = text(
        rf"Here $W^{{(l)}}$ holds ${w}$ in row $k$ (the receiving unit) and column $j$: "
        r"shape $(n_l, n_{l-1})$, so a column vector goes in on the right, "
        rf"${n['net']}^{{(l)}} = W^{{(l)}} {n['h']}^{{(l-1)}}$. The lecture multiplies a row "
        rf"vector from the left, ${n['x']} \times W_{{\text{{layer 1}}}}$, so its "
        r"$W_{\text{layer }l}$ is $W^{(l)\top}$ here. For a batch $X$ with one sample per row: "
        r"$X W^{(l)\top}$.")
    blocks = [explain, text("The lecture's first layer, written out:"),
              math([Line("", first_layer_matrix(network))], size=r"\footnotesize")]
    frames.append(frame("Where the transpose comes from", *blocks))
    frames += paged("Vectorised form: backward pass, with shapes", equations(bwd), head=(text(
        r"$\odot$ multiplies element by element; each product's inner sizes agree:"),))
    return frames
