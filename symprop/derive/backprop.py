"""Backpropagation, derived: the δ recurrence per layer (index form) and per weight (expanded).

For layer l with units indexed by k and inputs by j (the lecture's superscripts):

    net_k^(l) = Σ_j w_{k,j}^(l) out_j^(l−1) + b_k^(l)          out_k^(l) = f_l(net_k^(l))
    δ_k^(L)   = ∂E/∂y_k · f_L'(net_k)                          (f' written in the output)
    δ_j^(l)   = f_l'(net_j) Σ_k w_{k,j}^(l+1) δ_k^(l+1)
    ∂E/∂w_{k,j}^(l) = δ_k^(l) out_j^(l−1)                       ∂E/∂b_k^(l) = δ_k^(l)

Every formula is built from the rule table; `verify` proves it equal to brute-force
`sympy.diff` of the composed loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ..errors import SpecError
from . import display
from . import symbols as S
from .chain import Chain, SumOver
from .derivatives import D, K, Y, Z, loss_gradient, output_derivative, tidy_fraction
from .forward import substitutions, symbolic_pass
from .rules import ACTIVATIONS, LOSSES
from .verify import VerificationReport, verify


@dataclass(frozen=True)
class LayerDerivation:
    """Everything derived for one layer, in index form."""

    layer: int
    units: int
    fan_in: int
    activation: str
    bias: bool
    unit: sp.Symbol            # index of this layer's units (k for the output layer)
    source: sp.Symbol          # index of the layer below (j, or m for the inputs)
    net: sp.Expr               # Σ_j w_{k,j} out_j + b_k
    out: sp.Expr               # f(net_k)
    fprime: sp.Expr            # f'(net_k), in the output when possible
    fprime_in_output: bool
    dE_dout: sp.Expr | None    # ∂E/∂y_k (output layer only)
    delta: Chain               # δ_k in terms of the layer above's δ (the recurrence)
    delta_full: Chain          # δ_k with every δ above substituted
    notes: tuple[str, ...] = ()

    @property
    def grad_w(self) -> Chain:
        return Chain((S.delta(self.layer)[self.unit], S.out(self.layer - 1)[self.source]))

    @property
    def grad_w_full(self) -> Chain:
        return self.delta_full + Chain((S.out(self.layer - 1)[self.source],))

    @property
    def grad_b_full(self) -> Chain:
        return self.delta_full


@dataclass(frozen=True)
class Derivation:
    """The derived gradients of one network (see module docstring)."""

    network: object
    layers: tuple[LayerDerivation, ...]
    loss: sp.Expr                                  # E in index form
    notes: tuple[str, ...] = field(default=())

    def layer(self, l: int) -> LayerDerivation:
        return self.layers[l - 1]

    # -- per weight -------------------------------------------------------------------------
    def weight_chain(self, l: int, k: int, j: int | None = None) -> Chain:
        """∂E/∂w_{k,j}^(l) (or ∂E/∂b_k^(l) when ``j`` is None) with concrete indices, expanded."""
        lay = self.layer(l)
        chain = lay.grad_b_full if j is None else lay.grad_w_full
        mapping = {lay.unit: k} if j is None else {lay.unit: k, lay.source: j}
        return chain.subs(mapping).expanded()

    def gradient(self, address: str) -> sp.Expr:
        """The expanded gradient at ``dE/dw2[1,1]`` or ``dE/db1[2]`` as a SymPy expression."""
        addr = self.network.address(address)
        if addr.kind not in ("dE/dw", "dE/db"):
            raise ValueError(f"{address!r} is not a gradient address")
        j = addr.index[1] if addr.kind == "dE/dw" else None
        return self.weight_chain(addr.layer, addr.index[0], j).expr()

    def parameters(self) -> list[tuple[str, int, int, int | None]]:
        """(address, layer, k, j) for every weight and bias, layer by layer."""
        params = []
        for lay in self.layers:
            for k in range(1, lay.units + 1):
                for j in range(1, lay.fan_in + 1):
                    params.append((f"w{lay.layer}[{k},{j}]", lay.layer, k, j))
                if lay.bias:
                    params.append((f"b{lay.layer}[{k}]", lay.layer, k, None))
        return params

    def expanded(self) -> dict[str, Chain]:
        """Per-weight formulas for small networks: ``dE/dw1[1,1]`` → ordered chain."""
        return {f"dE/d{addr}": self.weight_chain(l, k, j) for addr, l, k, j in self.parameters()}

    def verify(self, **kwargs) -> VerificationReport:
        return verify(self, **kwargs)

    def _repr_latex_(self) -> str | None:
        return display.latex(self)

    @cached_property
    def composed_symbols(self) -> dict:
        """``out<l>[k]``, ``net<l>[k]`` -> the same composed down to x, w and b."""
        return substitutions(symbolic_pass(self.network))

    @cached_property
    def softmax_one_hot(self) -> bool:
        return bool(self.layers[-1].activation == "softmax" and LOSSES[self.network.loss].one_hot)


def _fprime(activation: str, out_k: sp.Expr, net_k: sp.Expr, relu0) -> tuple[sp.Expr, bool]:
    deriv = output_derivative(activation, relu0)
    if deriv.in_output is not None:
        return deriv.in_output.subs(Y, out_k), True
    return deriv.in_net.subs(Z, net_k), False


def _simplest(product: sp.Expr) -> sp.Expr | None:
    """A product's simpler equal form (log loss · σ' → y − d), or None if there is none."""
    simple = sp.factor(sp.cancel(product))
    return simple if sp.count_ops(simple) < sp.count_ops(product) else None


def derivation_of(network) -> Derivation:
    """`derive`, with its refusals (a loss without a gradient) as one-line spec errors."""
    try:
        return derive(network)
    except ValueError as exc:
        key = "network.loss" if "loss" in str(exc) else "network.layers"
        raise SpecError(str(exc), file=network.source, key=key) from None


def derive(network, form: str = "index") -> Derivation:
    """Derive every layer's δ and gradient in index form (cost independent of width)."""
    if network.is_perceptron:
        raise ValueError("threshold units are not differentiable: use the perceptron rule "
                         "(symprop.derive.perceptron)")
    sizes, depth = network.sizes, network.depth
    idx = S.index_letters(depth, network.notation)
    loss_row = LOSSES[network.loss]
    if not loss_row.differentiable:
        raise ValueError(f"the {network.loss} loss is for scoring only; it has no gradient")
    out_layer = depth
    k_out = idx[out_layer]
    y_k, d_k = S.out(out_layer)[k_out], S.d[k_out]
    loss_expr = sp.Sum(loss_row.term(y_k, d_k, sizes[-1]), (k_out, 1, sizes[-1]))
    layers: list[LayerDerivation] = []
    above: LayerDerivation | None = None
    for l in range(depth, 0, -1):
        spec = network.layers[l - 1]
        row = ACTIVATIONS[spec.activation]
        u, s = idx[l], idx[l - 1]
        net_k = sp.Sum(S.w(l)[u, s] * S.out(l - 1)[s], (s, 1, sizes[l - 1]))
        if spec.bias:
            net_k = net_k + S.b(l)[u]
        out_k = S.out(l)[u]
        if row.layerwise:    # y_k = f(net_k) / Σ_v f(net_v), as the row says
            v = sp.Symbol(f"{u}_", integer=True, positive=True)
            out_def = row(S.net(l)[u]) / sp.Sum(row(S.net(l)[v]), (v, 1, sizes[l]))
        else:
            out_def = row(S.net(l)[u])
        fprime, in_output = _fprime(spec.activation, out_k, S.net(l)[u], network.relu_at_zero)
        notes: list[str] = []
        dE_dout = None
        if l == out_layer:
            dE_dout = loss_gradient(network.loss).subs({Y: y_k, D: d_k, K: sizes[-1]})
            if row.layerwise:
                delta, note = _softmax_delta(network, l, u, dE_dout)
                notes.append(note)
            else:
                delta = Chain((dE_dout, fprime))
                # a product in the outputs may collapse (log loss · σ' → y − d); one that
                # mixes y with an f' in the net input (swish) stays as the chain rule wrote it
                simple = _simplest(delta.expr()) if in_output else None
                if simple is not None:
                    notes.append(f"({dE_dout}) * ({fprime}) simplifies to {simple}")
                    delta = Chain((simple,))
            delta_full = delta
        else:
            assert above is not None
            ku = above.unit
            delta = Chain((fprime, SumOver(ku, above.units,
                                           Chain((S.w(l + 1)[ku, u], S.delta(l + 1)[ku])))))
            delta_full = Chain((fprime, SumOver(ku, above.units,
                                                Chain((S.w(l + 1)[ku, u],)) + above.delta_full)))
        lay = LayerDerivation(
            layer=l, units=sizes[l], fan_in=sizes[l - 1], activation=spec.activation,
            bias=spec.bias, unit=u, source=s, net=net_k, out=out_def, fprime=fprime,
            fprime_in_output=in_output, dE_dout=dE_dout, delta=delta, delta_full=delta_full,
            notes=tuple(notes))
        layers.append(lay)
        above = lay
    return Derivation(network, tuple(reversed(layers)), loss_expr)


def _softmax_delta(network, l: int, u: sp.Symbol, dE_dy: sp.Expr) -> tuple[Chain, str]:
    """δ_k = Σ_j ∂E/∂y_j ∂y_j/∂net_k with ∂y_j/∂net_k = y_j(δ_jk − y_k).

    = y_k (∂E/∂y_k − Σ_j y_j ∂E/∂y_j). With cross-entropy y_j ∂E/∂y_j = −d_j and, for one-hot
    (or probability) targets, Σ_j d_j = 1, so δ_k = y_k − d_k.
    """
    v = sp.Symbol("q_", integer=True, positive=True)
    y, n = S.out(l), network.sizes[l]
    summand = tidy_fraction(y[v] * dE_dy.xreplace({u: v}))
    loss_row = LOSSES[network.loss]
    if loss_row.one_hot and sp.cancel(summand + S.d[v]) == 0:
        total = sp.Integer(-1)   # Σ_j −d_j = −1 for targets that sum to one
        simple = sp.factor(sp.expand(y[u] * (dE_dy - total)))
        return Chain((simple,)), (f"softmax with {network.loss}: δ_k = y_k(∂E/∂y_k − Σ_j y_j "
                                   f"∂E/∂y_j) = {simple}, using Σ_j d_j = 1")
    sum_part = SumOver(v, n, Chain((summand,)))
    return Chain((y[u], dE_dy - sum_part.expr())), "softmax: δ_k = y_k(∂E/∂y_k − Σ_j y_j ∂E/∂y_j)"
