"""The derivation as the lecture writes it, as lines of LaTeX: one `Line` per equation.

Output layer: ∂E/∂y_k, ∂y_k/∂w, ⇒ ∂E/∂w, ⇒ the update. Each hidden layer: ∂E/∂h_j as a Σ over
the layer above, ∂h_j/∂w, ⇒ δ_j, ⇒ ∂E/∂w, ⇒ the update, for any depth. Also the activations'
derivatives (g' = g(1 − g)), the perceptron rule, the McCulloch-Pitts unit and the vectorised
form with shapes. Slides, the ``--latex`` snippet and ``_repr_latex_`` all print these lines.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..derive import symbols as S
from ..derive.backprop import Derivation
from ..derive.chain import Chain
from ..derive.derivatives import Y, Z, output_derivative
from ..derive.rules import ACTIVATIONS, LOSSES
from .lines import Line
from .printer import LecturePrinter, chain_latex, notation, paren, partial, times_chain


# -- names ----------------------------------------------------------------------------------
def f_of(p: LecturePrinter, layer: int, arg: str, prime: bool = False,
         sized: bool = True) -> str:
    """``f_{(l)}(arg)``; unsized parentheses around underbraces, which need no tall ones."""
    f = p.notation["f"]
    left, right = (r"\left(", r"\right)") if sized else (r"\bigl(", r"\bigr)")
    return rf"{f}{chr(39) if prime else ''}_{{({layer})}}{left}{arg}{right}"


def unit_name(p: LecturePrinter, layer: int, index: sp.Expr) -> str:
    return p._print(S.out(layer)[index])


# -- the network -----------------------------------------------------------------------------
def forward_lines(network: Any, derivation: Derivation) -> list[Line]:
    """Each layer's net input and output in index form, input side first."""
    p = LecturePrinter(network)
    lines = []
    for lay in derivation.layers:
        net = p._print(S.net(lay.layer)[lay.unit])
        terms = rf"\sum_{{{p._print(lay.source)}}} " + \
            chain_latex(Chain((S.w(lay.layer)[lay.unit, lay.source],
                               S.out(lay.layer - 1)[lay.source])), p)
        if lay.bias:
            terms += " + " + p._print(S.b(lay.layer)[lay.unit])
        lines.append(Line(net, "= " + terms))
        out = unit_name(p, lay.layer, lay.unit)
        lines.append(Line(out, f"= {f_of(p, lay.layer, net)} = {p._print(lay.out)}"))
    return lines


def loss_lines(derivation: Derivation) -> list[Line]:
    network = derivation.network
    p = LecturePrinter(network)
    L = derivation.layers[-1]
    y = unit_name(p, L.layer, L.unit)
    lines = [Line(p.notation["E"], "= " + p._print(derivation.loss))]
    if L.dE_dout is not None:
        lines.append(Line(partial(p.notation["E"], y), "= " + p._print(L.dE_dout)))
    return lines


# -- the chain rule, layer by layer -------------------------------------------------------------
def output_layer_lines(derivation: Derivation) -> list[Line]:
    """The lecture's bullets for the output layer, ending with the update rule."""
    network = derivation.network
    p = LecturePrinter(network)
    E, eta = p.notation["E"], p.notation["eta"]
    lay = derivation.layers[-1]
    l, k, j = lay.layer, lay.unit, lay.source
    y, net = unit_name(p, l, k), p._print(S.net(l)[k])
    h = p._print(S.out(l - 1)[j])
    w = p._print(S.w(l)[k, j])
    delta = p._print(S.delta(l)[k])
    lines = [Line(partial(E, y), "= " + p._print(lay.dE_dout))]
    grad = chain_latex(lay.grad_w_full, p)
    if ACTIVATIONS[lay.activation].layerwise:
        kk = sp.Symbol(f"{k}_", integer=True, positive=True)
        yk2 = unit_name(p, l, kk)
        same = rf"\mathbf{{1}}[{p._print(kk)} = {p._print(k)}]"
        lines.append(Line(partial(yk2, net), rf"= {yk2}\left({same} - {y}\right)"))
        note = r"targets sum to 1" if LOSSES[network.loss].one_hot else ""
        lines.append(Line(rf"\Rightarrow {delta} = {partial(E, net)}",
                          rf"= \sum_{{{p._print(kk)}}} {partial(E, yk2)} {partial(yk2, net)} = "
                          + chain_latex(lay.delta_full, p), note))
        lines.append(Line(rf"\Rightarrow {partial(E, w)}", rf"= {delta} {h} = {grad}"))
    else:
        dy_dw = rf"= {f_of(p, l, net, prime=True)} {h} = " + chain_latex(
            Chain((lay.fprime, S.out(l - 1)[j])), p)
        lines.append(Line(partial(y, w), dy_dw))
        plain = Chain((lay.dE_dout, lay.fprime, S.out(l - 1)[j]))
        rhs = rf"= {partial(E, y)} {partial(y, w)} = " + chain_latex(plain, p)
        if lay.delta.parts != (lay.dE_dout, lay.fprime):   # simplified, e.g. log loss · σ'
            rhs += " = " + grad
        lines.append(Line(rf"\Rightarrow {partial(E, w)}", rhs))
        lines.append(Line(rf"\Rightarrow {delta} = {partial(E, net)}",
                          "= " + chain_latex(lay.delta_full, p)))
    lines.append(Line(rf"\Rightarrow {w}", rf"\leftarrow {w} - {eta} " + times_chain(
        lay.grad_w_full, p)))
    if lay.bias:
        b = p._print(S.b(l)[k])
        lines.append(Line(rf"\Rightarrow {b}", rf"\leftarrow {b} - {eta} {delta}"))
    return lines


def hidden_layer_lines(derivation: Derivation, l: int) -> list[Line]:
    """The chain rule through hidden layer ``l``: ∂E/∂h as a Σ over the layer above."""
    network = derivation.network
    p = LecturePrinter(network)
    E, eta = p.notation["E"], p.notation["eta"]
    lay, above = derivation.layer(l), derivation.layer(l + 1)
    j, m, k = lay.unit, lay.source, above.unit
    h, net = unit_name(p, l, j), p._print(S.net(l)[j])
    x = p._print(S.out(l - 1)[m])
    w = p._print(S.w(l)[j, m])
    w_up = p._print(S.w(l + 1)[k, j])
    net_up = p._print(S.net(l + 1)[k])
    delta, delta_up = p._print(S.delta(l)[j]), p._print(S.delta(l + 1)[k])
    ks = p._print(k)
    lines = [
        Line(partial(E, h), rf"= \sum_{{{ks}}} {partial(E, net_up)} {partial(net_up, h)}"
             rf" = \sum_{{{ks}}} {w_up} {delta_up}"),
        Line(partial(h, w), rf"= {f_of(p, l, net, prime=True)} {x} = "
             + chain_latex(Chain((lay.fprime, S.out(l - 1)[m])), p)),
        Line(rf"\Rightarrow {delta} = {partial(E, net)}", "= " + chain_latex(lay.delta, p)),
        Line(rf"\Rightarrow {partial(E, w)}", f"= {delta} {x}"),
    ]
    if l == derivation.network.depth - 1:
        # one Σ: the lecture writes it out in full
        lines.append(Line("", "= " + chain_latex(lay.grad_w_full, p)))
    lines.append(Line(rf"\Rightarrow {w}", rf"\leftarrow {w} - {eta} {delta} {x}"))
    if lay.bias:
        b = p._print(S.b(l)[j])
        lines.append(Line(rf"\Rightarrow {b}", rf"\leftarrow {b} - {eta} {delta}"))
    return lines


def update_lines(derivation: Derivation) -> list[Line]:
    """Gradient descent on every layer's weights and biases, in δ form."""
    network = derivation.network
    p = LecturePrinter(network)
    E, eta = p.notation["E"], p.notation["eta"]
    lines = []
    for lay in derivation.layers:
        l, k, j = lay.layer, lay.unit, lay.source
        w, delta = p._print(S.w(l)[k, j]), p._print(S.delta(l)[k])
        src = p._print(S.out(l - 1)[j])
        lines.append(Line(w, rf"\leftarrow {w} - {eta} {partial(E, w)} = {w} - {eta} {delta}"
                             rf" {src}"))
        if lay.bias:
            b = p._print(S.b(l)[k])
            lines.append(Line(b, rf"\leftarrow {b} - {eta} {partial(E, b)} = {b} - {eta}"
                                 rf" {delta}"))
    return lines


def derivation_lines(derivation: Derivation) -> list[Line]:
    """Everything above, in reading order (for the ``--latex`` snippet and Jupyter)."""
    lines = forward_lines(derivation.network, derivation) + loss_lines(derivation)[:1]
    lines += output_layer_lines(derivation)
    for l in range(derivation.network.depth - 1, 0, -1):
        lines += hidden_layer_lines(derivation, l)
    return lines


# -- activations -------------------------------------------------------------------------------
def activation_lines(network: Any, name: str) -> tuple[list[Line], str]:
    """g(z), g'(z) and g' written in g itself (the lecture's g' = g(1 − g)), with a remark."""
    n = notation(network)
    g = n["g"]
    gz = sp.Symbol("g(z)")
    p = LecturePrinter(network, raw={gz: f"{g}(z)"})
    row = ACTIVATIONS[name]
    deriv = output_derivative(name, network.relu_at_zero)
    if row.layerwise:
        p2 = LecturePrinter(network)
        k = sp.Symbol("k", integer=True, positive=True)
        kk = sp.Symbol("k_", integer=True, positive=True)
        y, y2 = p2._print(S.out(network.depth)[k]), p2._print(S.out(network.depth)[kk])
        net, net2 = p2._print(S.net(network.depth)[k]), p2._print(S.net(network.depth)[kk])
        lines = [
            Line(y, rf"= \frac{{e^{{{net}}}}}{{\sum_{{k'}} e^{{{net2}}}}}"),
            Line(partial(y2, net), rf"= {y2}\left(\mathbf{{1}}[k' = k] - {y}\right)"),
            Line(partial(y, net), rf"= {y}(1 - {y})", "the diagonal"),
        ]
        return lines, ("With the cross-entropy loss and targets that sum to 1 the output "
                       r"layer's $\delta_k = y_k - d_k$.")
    definition = row(Z)
    lines = [Line(f"{g}(z)", "= " + p._print(definition))]
    if isinstance(definition, sp.tanh):
        lines[0] = Line(f"{g}(z)", rf"= \tanh z = {p._print(definition.rewrite(sp.exp))}")
    if not row.differentiable:
        low, high = row.outputs
        lines[0] = Line(f"{g}(z)", rf"= \begin{{cases}} {high} & z \geq 0 \\ {low} & "
                                   r"\text{otherwise} \end{cases}")
        lines.append(Line(f"{g}'(z)", r"= 0 \text{ for } z \neq 0, \text{ undefined at } 0"))
        return lines, ("No useful gradient: threshold units are trained with the perceptron "
                       "rule instead.")
    in_net = deriv.in_net
    if in_net.has(sp.Heaviside):
        at0 = in_net.args[1] if isinstance(in_net, sp.Heaviside) and len(in_net.args) > 1 \
            else network.relu_at_zero
        lines.append(Line(f"{g}'(z)", rf"= \begin{{cases}} 1, & z > 0 \\ {p._print(at0)}, & "
                                      r"\text{otherwise} \end{cases}"))
        if at0 == 0:    # the output says it only then (y = 0 at z = 0 and for z < 0 alike)
            lines.append(Line("", rf"= \mathbf{{1}}[{g}(z) > 0]"))
        return lines, (rf"At $z = 0$ the derivative does not exist; these slides take "
                       rf"${g}'(0) = {p._print(at0)}$.")
    lines.append(Line(f"{g}'(z)", "= " + p._print(in_net)))
    out = deriv.in_output
    remark = ""
    if out is not None and out.has(Y):
        in_def = out.subs(Y, definition)
        if sp.count_ops(in_def) <= 12 and in_def != in_net and not in_def.has(sp.tanh, sp.log) \
                and not out.has(sp.Piecewise):
            lines.append(Line("", "= " + p._print(out.xreplace({Y: sp.UnevaluatedExpr(
                definition)}))))
        lines.append(Line("", "= " + p._print(out.subs(Y, gz))))
        in_g = out.subs(Y, gz)
        shown = paren(p._print(in_g)) if in_g.is_Add else p._print(in_g)
        remark = (rf"Written in the output, ${g}'$ reuses the forward pass: no extra "
                  rf"exponential in the backward pass: ${g}'(z) - {shown}$ simplifies to 0.")
    if row.kinks:       # a user's row: f' at its kinks is a convention, say which
        at = row.derivative_at_kinks if row.derivative_at_kinks is not None \
            else network.relu_at_zero
        where = ", ".join(p._print(k) for k in row.kinks)
        remark = (remark + " " if remark else "") + \
            rf"At the kink $z = {where}$ symprop uses ${g}'(z) = {p._print(sp.sympify(at))}$."
    return lines, remark


# -- perceptron and McCulloch-Pitts --------------------------------------------------------------
def perceptron_lines(network: Any) -> list[Line]:
    """Rosenblatt's prediction and learning rule, written as a rule (not as a gradient)."""
    n = notation(network)
    x, w, b, eta, phi, yhat, y = (n["x"], n["w"], n["b"], n["eta"], n["phi"], n["yhat"],
                                  n["y"])
    row = ACTIVATIONS[network.layers[-1].activation]
    low, high = row.outputs or (0, 1)
    bias = f" + {b}" if network.layers[-1].bias else ""
    lines = [
        Line(yhat, rf"= {phi}\left(\sum_{{i=1}}^{{{network.n_inputs}}} {w}_i {x}_i{bias}\right)"),
        Line(rf"{phi}(z)", rf"= \begin{{cases}} {high} & \text{{if }} z \geq 0 \\ {low} & "
                           r"\text{otherwise} \end{cases}"),
        Line(f"{w}_i", rf"\leftarrow {w}_i + {eta}({y} - {yhat}){x}_i"),
    ]
    if network.layers[-1].bias:
        lines.append(Line(b, rf"\leftarrow {b} + {eta}({y} - {yhat})"))
    return lines


def mcculloch_pitts_lines(network: Any) -> list[Line]:
    n = notation(network)
    w, T = n["w"], n["T"]
    net = n["net"]
    return [
        Line(rf"{net}_j", rf"= \sum_i {w}_{{j,i}} \cdot o_i"),
        Line("o_j", rf"= \begin{{cases}} 0 & \text{{if }} {net}_j < {T}_j \\ 1 & "
                    r"\text{otherwise} \end{cases}"),
    ]


# -- vectorised form ---------------------------------------------------------------------------
def vectorised_lines(derivation: Derivation) -> tuple[list[Line], list[Line]]:
    """Forward and backward in the lecture's row-vector form, every factor with its shape."""
    network = derivation.network
    p = LecturePrinter(network, vector=True)
    sizes = network.sizes
    fwd, bwd = [], []

    def shaped(tex: str, shape: tuple[int, int]) -> str:
        return rf"\underbrace{{{tex}}}_{{({shape[0]},{shape[1]})}}"

    for lay in derivation.layers:
        l = lay.layer
        out_prev = p._print(S.out(l - 1)[lay.source])
        out = p._print(S.out(l)[lay.unit])
        inner = shaped(out_prev, (1, sizes[l - 1])) + shaped(rf"W^{{({l})\top}}",
                                                             (sizes[l - 1], sizes[l]))
        if lay.bias:
            inner += " + " + shaped(p._print(S.b(l)[lay.unit]), (1, sizes[l]))
        fwd.append(Line(shaped(out, (1, sizes[l])), rf"= {f_of(p, l, inner, sized=False)}"))
    pe = LecturePrinter(network, vector=True, joiner=r" \odot ")
    for lay in reversed(derivation.layers):
        l = lay.layer
        delta = p._print(S.delta(l)[lay.unit])
        if l == network.depth:
            rhs = chain_latex(lay.delta, pe)
        else:
            nxt = p._print(S.delta(l + 1)[lay.unit])
            rhs = pe._print(lay.fprime)
            if lay.fprime.is_Add:
                rhs = paren(rhs)
            rhs += r" \odot " + shaped(nxt, (1, sizes[l + 1])) + shaped(
                rf"W^{{({l + 1})}}", (sizes[l + 1], sizes[l]))
        bwd.append(Line(shaped(delta, (1, sizes[l])), "= " + rhs))
    for lay in derivation.layers:
        l = lay.layer
        delta = p._print(S.delta(l)[lay.unit])
        out_prev = p._print(S.out(l - 1)[lay.source])
        bwd.append(Line(shaped(rf"\frac{{\partial {p.notation['E']}}}{{\partial W^{{({l})}}}}",
                               (sizes[l], sizes[l - 1])),
                        "= " + shaped(rf"{{{delta}}}^{{\top}}", (sizes[l], 1))
                        + shaped(out_prev, (1, sizes[l - 1]))))
    return fwd, bwd


#: a matrix with more rows or columns than this is shown by its first and last ones
MATRIX_SHOWN = 3


def shown_indices(n: int) -> list[int | None]:
    """1..n, or the first two and the last with ``None`` (dots) between when n is large."""
    return list(range(1, n + 1)) if n <= MATRIX_SHOWN else [1, 2, None, n]


def _ends(shown: list[int | None]) -> list[int | None]:
    """A shortened index list cut to its first and last entries: sums of products are wide."""
    return [shown[0], None, shown[-1]] if None in shown else shown


def first_layer_matrix(network: Any) -> str:
    """The lecture's explicit product x · W_layer1; a large one by its first and last rows and
    columns, with dots between and each factor's size beneath."""
    n_in, units = network.sizes[0], network.sizes[1]
    p = LecturePrinter(network)
    rows, cols = shown_indices(n_in), shown_indices(units)
    dots = {"row": r"\vdots", "col": r"\cdots", "both": r"\ddots"}

    def entry(i: int | None, k: int | None) -> str:
        if i is None or k is None:
            return dots["both" if i is None and k is None else "row" if i is None else "col"]
        return p._print(S.w(1)[k, i])

    xs = " & ".join(p._print(S.x[i]) if i else r"\cdots" for i in rows)
    mat = r" \\ ".join(" & ".join(entry(i, k) for k in cols) for i in rows)

    def net(k: int | None) -> str:
        if k is None:
            return r"\cdots"
        terms = [p._print(S.w(1)[k, i]) + p._print(S.x[i]) if i else r"\cdots"
                 for i in _ends(rows)]
        return " + ".join(terms)

    prods = " & ".join(net(k) for k in _ends(cols))
    sized = n_in > MATRIX_SHOWN or units > MATRIX_SHOWN

    def under(tex: str, shape: tuple[int, int]) -> str:
        return rf"\underbrace{{{tex}}}_{{({shape[0]},{shape[1]})}}" if sized else tex

    return (under(rf"\begin{{bmatrix}} {xs} \end{{bmatrix}}", (1, n_in)) + " "
            + under(rf"\begin{{bmatrix}} {mat} \end{{bmatrix}}", (n_in, units))
            + " = " + under(rf"\begin{{bmatrix}} {prods} \end{{bmatrix}}", (1, units)))
