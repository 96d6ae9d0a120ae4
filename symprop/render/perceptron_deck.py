"""The frames of a threshold-unit deck: McCulloch-Pitts, the perceptron and its rule, one
step of it, and training traces on a truth table."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..derive import symbols as S
from ..derive.rules import ACTIVATIONS
from .backprop_deck import notation_items, weights_or_none
from .blocks import columns, frame, items, math, table, text
from .lines import Line
from .numbers import Precision, show
from .picture import network_block
from .printer import LecturePrinter, escape, notation
from .steps import activation_lines, mcculloch_pitts_lines, perceptron_lines
from .truth import truth_table

#: rows of a training trace shown before the rest is elided
TRACE_ROWS = 10


def perceptron_frames(network: Any, data: str | None) -> list[dict]:
    n = notation(network)
    weights = weights_or_none(network)
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
        text(rf"${n['T']}_j$ is the threshold. Written as a bias: "
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
        X, Y = truth_table(data, network.n_inputs, ACTIVATIONS[act].outputs)
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
