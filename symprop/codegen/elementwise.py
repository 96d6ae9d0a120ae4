"""From a `Derivation` to the element-wise formulas a kernel needs, per layer and per unit.

Nothing here knows any activation by name: the forward formula is the rule table row's
(``stable`` form when it has one), f' is the derivation's (written in the output when the
derivation found that form), the output δ and the δ recurrence are the derivation's chains.
A new row in `symprop.derive.rules.ACTIVATIONS` reaches the kernels through this module.

Two views of the same formulas:

- index form (`LayerFormulas`): one scalar formula per layer in the local symbols ``y`` (the
  unit's output), ``z`` (its net input), ``d`` (its target), ``back`` (Σ_k w_{k,j} δ_k from the
  layer above) — what the loop kernels evaluate inside ``for r, k`` loops;
- expanded form (`UnrolledFormulas`): every unit's formulas with concrete indices, from the
  derivation's chains with their sums written out — what the unrolled kernels evaluate as
  straight-line scalar code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import sympy as sp

from ..derive import symbols as S
from ..derive.backprop import Derivation, LayerDerivation
from ..derive.chain import Chain, SumOver, Terms
from ..derive.rules import ACTIVATIONS, LOSSES
from .options import classification
from .printer import formula, parenthesized_formula
from .stable import overflow_safe

# the local variables of the loop kernels
Y = sp.Symbol("y", real=True)          # this unit's output
Z = sp.Symbol("z", real=True)          # this unit's net input
D = sp.Symbol("d", real=True)          # this unit's target
BACK = sp.Symbol("back", real=True)    # Σ_k w_{k,j}^(l+1) δ_k^(l+1)
LOGP = sp.Symbol("logp", real=True)    # ln y from log-sum-exp (normalised-exp outputs)
EPS = sp.Symbol("EPS", positive=True)  # the module's clipping constant for logs


@dataclass(frozen=True)
class OutputSum:
    """Σ_q summand(y_q, d_q) over the output layer, needed by a δ (softmax without one-hot)."""

    symbol: sp.Symbol
    summand: sp.Expr          # in Y, D


@dataclass(frozen=True)
class LayerFormulas:
    """One layer's element-wise formulas in index form (see the module docstring)."""

    layer: int
    units: int
    fan_in: int
    bias: bool
    activation: str
    layerwise: bool           # y_k = g(z_k − max) / Σ_j g(z_j − max) (softmax)
    act: sp.Expr              # f(Z) (stable form), or the layerwise kernel g(Z)
    fprime: sp.Expr           # f' in Y (output form) or in Z
    delta: sp.Expr            # hidden: in Y/Z and BACK; output: in Y, D, Z and the sums
    sums: tuple[OutputSum, ...]
    text: dict[str, str]      # plain-text formulas for comments: net, out, delta, grad_w, grad_b


@dataclass(frozen=True)
class UnitFormulas:
    """One unit's formulas with concrete indices; symbols are flat names (``out1_2``)."""

    layer: int
    unit: int
    net: sp.Expr              # Σ_j w_{k,j} out_j + b_k
    delta: sp.Expr            # the expanded chain (the output layer's sums written out)


@dataclass(frozen=True)
class NetworkFormulas:
    derivation: Derivation
    layers: tuple[LayerFormulas, ...]
    loss_term: sp.Expr        # one output unit's share of E in Y, D (logs guarded)
    loss_text: str
    classifier: bool
    midpoint: float | None    # one output: class 1 when y >= midpoint; None: argmax
    uses_logp: bool           # the loss reads ln y from log-sum-exp

    @property
    def network(self):
        return self.derivation.network

    @cached_property
    def units(self) -> tuple[tuple[UnitFormulas, ...], ...]:
        """Per layer, per unit: the expanded form (built on demand: it grows with the width)."""
        out = []
        for lay in self.derivation.layers:
            per_unit = []
            for k in range(1, lay.units + 1):
                net_k = flat(lay.net.xreplace({lay.unit: k}).doit())
                chain = lay.delta.subs({lay.unit: k}).expanded()
                delta = flat(chain.expr().doit())
                if ACTIVATIONS[lay.activation].formula is not None:
                    delta = overflow_safe(delta)
                per_unit.append(UnitFormulas(lay.layer, k, net_k, delta))
            out.append(tuple(per_unit))
        return tuple(out)


# ---------------------------------------------------------------------------------------------
def flat(expr: sp.Expr) -> sp.Expr:
    """``out1[2]`` → ``out1_2``, ``w2[1,1]`` → ``w2_1_1``, ``x[1]`` → ``x1``: code identifiers."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed),
                        lambda e: sp.Symbol(flat_name(e), real=True))


def flat_name(indexed: sp.Indexed) -> str:
    base = str(indexed.base)
    sep = "_" if base[-1].isdigit() else ""
    return base + sep + "_".join(str(int(i)) for i in indexed.indices)


def display_names(depth: int) -> dict[str, str]:
    """The lecture's names for comments: ``y`` for the last layer, ``h<l>`` for hidden ones."""
    names = {f"out{l}": f"h{l}" for l in range(1, depth)}
    names[f"out{depth}"] = "y"
    return names


def chain_text(chain: Chain, names: dict[str, str]) -> str:
    """A chain as plain text with its factors in the derivation's (the lecture's) order."""
    parts = []
    for part in chain.parts:
        if isinstance(part, SumOver):
            parts.append(f"sum_{part.index}({chain_text(part.chain, names)})")
        elif isinstance(part, Terms):
            parts.append("(" + " + ".join(chain_text(c, names) for c in part.chains) + ")")
        else:
            parts.append(parenthesized_formula(part, names))
    return " * ".join(parts)


# ---------------------------------------------------------------------------------------------
def forward_formula(activation: str) -> sp.Expr:
    """The activation in Z as the kernels evaluate it: the row's stable form if it has one."""
    row = ACTIVATIONS[activation]
    return row.stable(Z) if row.stable is not None else row.definition(Z)


def index_form(lay: LayerDerivation, depth: int,
               extra: frozenset = frozenset()) -> tuple[sp.Expr, sp.Expr, tuple]:
    """(f', δ, sums) of one layer in the local symbols; ``extra``: further symbols a kernel
    sees (the per-machine kernels read the output count ``K`` at run time)."""
    l, u = lay.layer, lay.unit
    local = {S.out(l)[u]: Y, S.net(l)[u]: Z, S.d[u]: D}
    fprime = lay.fprime.xreplace(local)
    sums: list[OutputSum] = []
    if l == depth:
        expr = lay.delta.expr()
        for i, total in enumerate(sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)):
            (q, lo, hi), = total.limits
            summand = total.function.xreplace({S.out(l)[q]: Y, S.d[q]: D, S.net(l)[q]: Z})
            sym = sp.Symbol(f"_sum{i}", real=True)
            sums.append(OutputSum(sym, summand))
            expr = expr.xreplace({total: sym})
        delta = expr.xreplace(local)
        allowed = {Y, D, Z, *(s.symbol for s in sums), *extra}
    else:
        parts = []
        for part in lay.delta.parts:
            if isinstance(part, SumOver):
                _check_back(part, l)
                parts.append(BACK)
            else:
                parts.append(part.xreplace(local))
        delta = sp.Mul(*parts)
        allowed = {Y, Z, BACK, *extra}
    for what, expr in (("f'", fprime), ("delta", delta)):
        stray = expr.free_symbols - allowed
        if stray:
            raise ValueError(f"layer {l}: {what} = {expr} depends on {sorted(map(str, stray))}, "
                             "which an element-wise kernel cannot see")
    return fprime, delta, tuple(sums)


def _check_back(part: SumOver, l: int) -> None:
    """The recurrence's sum must be Σ_k w_{k,j}^(l+1) δ_k^(l+1): a product with the weights."""
    factors = part.chain.parts
    ok = (len(factors) == 2 and isinstance(factors[0], sp.Indexed)
          and factors[0].base == S.w(l + 1) and isinstance(factors[1], sp.Indexed)
          and factors[1].base == S.delta(l + 1))
    if not ok:
        raise ValueError(f"layer {l}: unexpected delta recurrence {part}")


def loss_term(loss: str, output_activation: str, n_outputs: sp.Expr) -> tuple[sp.Expr, bool]:
    """One output's share of E in Y, D; ln y from log-sum-exp for softmax, other logs clipped."""
    term = LOSSES[loss].term(Y, D, n_outputs)
    uses_logp = False
    if ACTIVATIONS[output_activation].layerwise and term.has(sp.log(Y)):
        term, uses_logp = term.xreplace({sp.log(Y): LOGP}), True
    # ln of a saturated output (y = 0 or 1 in floats) would be -inf: clip the argument at EPS
    term = term.replace(lambda e: isinstance(e, sp.log),
                        lambda e: sp.log(sp.Max(e.args[0], EPS)))
    return term, uses_logp


def _classification(network) -> tuple[bool, float | None]:
    row = ACTIVATIONS[network.layers[-1].activation]
    midpoint = None if row.layerwise else range_midpoint(row.definition(Z))
    return classification(row.layerwise, midpoint, LOSSES[network.loss].probabilistic,
                          network.sizes[-1])


@cache
def range_midpoint(f: sp.Expr) -> float | None:
    """The middle of f's range when f is bounded on both sides (keyed by the formula itself)."""
    try:
        lo, hi = _at_infinity(f, -sp.oo), _at_infinity(f, sp.oo)
    except (NotImplementedError, ValueError, TypeError):     # TypeError: a Piecewise at ±oo
        return None
    if lo.is_finite and hi.is_finite:
        return float((lo + hi) / 2)
    return None


def _at_infinity(f: sp.Expr, end: sp.Expr) -> sp.Expr:
    """lim f(z) as z → ``end``: SymPy's evaluation at ±oo where that is a finite number
    (sigmoid, tanh: milliseconds), else `sympy.limit` (a quarter of a second)."""
    value = f.subs(Z, end)
    if value.is_number and value.is_finite and value.is_real:
        return value
    return sp.limit(f, Z, end)


def formulas(derivation: Derivation) -> NetworkFormulas:
    """Every formula the kernels evaluate, in index form and in expanded form."""
    network = derivation.network
    depth = network.depth
    names = display_names(depth)
    layers = []
    for lay in derivation.layers:
        l, row = lay.layer, ACTIVATIONS[lay.activation]
        fprime, delta, sums = index_form(lay, depth)
        act = row.definition(Z) if row.layerwise else forward_formula(lay.activation)
        safe = row.formula is not None      # a user's formula: exp evaluated without overflow
        if safe:
            act, fprime, delta = overflow_safe(act), overflow_safe(fprime), overflow_safe(delta)
        out_name = names[f"out{l}"]
        below = "x" if l == 1 else names[f"out{l - 1}"]
        f_text = formula(lay.out.xreplace({S.net(l)[lay.unit]: sp.Symbol(f"net{l}[{lay.unit}]")}),
                         names)
        if row.stable is not None or (safe and act != row.definition(Z)):
            f_text += "  (evaluated in a form that cannot overflow)"
        text = {
            "net": f"net{l}[{lay.unit}] = {formula(lay.net, names)}",
            "out": f"{out_name}[{lay.unit}] = {f_text}",
            "delta": f"delta{l}[{lay.unit}] = {chain_text(lay.delta, names)}",
            "grad_w": f"dE/dw{l}[{lay.unit},{lay.source}] = delta{l}[{lay.unit}] * "
                      f"{below}[{lay.source}]",
            "grad_b": f"dE/db{l}[{lay.unit}] = delta{l}[{lay.unit}]",
        }
        layers.append(LayerFormulas(
            layer=l, units=lay.units, fan_in=lay.fan_in, bias=lay.bias,
            activation=lay.activation, layerwise=row.layerwise, act=act, fprime=fprime,
            delta=delta, sums=sums, text=text))
    term, uses_logp = loss_term(network.loss, network.layers[-1].activation,
                                sp.Integer(network.sizes[-1]))
    classifier, midpoint = _classification(network)
    loss_text = "E = " + formula(derivation.loss, names)
    return NetworkFormulas(derivation, tuple(layers), term, loss_text, classifier, midpoint,
                           uses_logp)
