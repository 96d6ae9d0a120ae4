"""The usual mistakes, one row each: recompute one step of the replay with the mistake made.

A row names the replay step it replaces (`Replay.step`: ``weight``, ``fprime``,
``output_delta``, ``hidden_delta``, ``loss_scale``, ``update``), a function that computes that
step the wrong way, and the options the mistake can take in a given network (which layer,
which factor). The checker replays the *whole* example under each row and option, so values
downstream of the mistake are explained too. Adding a mistake is adding a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..addresses import Address
from ..derive.rules import ACTIVATIONS
from .numeric import ONE, fmt
from .replay import Replay, Term


@dataclass(frozen=True)
class Option:
    """One way a mistake can be made; ``priority`` 0 is likelier than 1, 1 than 2."""

    detail: str            # e.g. "in layer 2", "×2 (the ½ of E dropped)"
    value: object = None
    priority: int = 1


@dataclass(frozen=True)
class Variant:
    id: str
    description: str
    step: str
    recompute: Callable[..., object]                         # (replay, option, *step args)
    options: Callable[[object], Sequence[Option]]           # network → options


def _layers(network, keep: Callable[[int], bool]) -> list[Option]:
    """Per-layer options, plus "every layer" when there is more than one."""
    layers = [l for l in range(1, network.depth + 1) if keep(l)]
    opts = [Option(f"in layer {l}", frozenset((l,))) for l in layers]
    if len(layers) > 1:    # last: when one layer explains a value, say which
        opts.append(Option("in every layer", frozenset(layers)))
    return opts


def _smooth(network, l: int) -> bool:
    return not ACTIVATIONS[network.layers[l - 1].activation].layerwise


# -- the rows' step functions ----------------------------------------------------------------
def _updated_weights(r: Replay, opt: Option, l: int, k: int, j: int, phase: str, after: bool
                     ) -> Address:
    if phase == "backprop":
        return Address("w", l, (k, j), True)
    return r.default("weight", l, k, j, phase, after)


def _no_fprime(r: Replay, opt: Option, l: int, k: int) -> Term:
    if l in opt.value:
        return Term(ONE, ("1",))
    return r.default("fprime", l, k)


def _fprime_of_net(r: Replay, opt: Option, l: int, k: int) -> Term:
    e = r.plan.fprime_at_net.get((l, k))
    if l in opt.value and e is not None:
        return Term(e.run(r.get), e.parts, e.prec)
    return r.default("fprime", l, k)


def _flipped(r: Replay, opt: Option, param: Address, grad: Address) -> Term:
    return r._update(param, grad, sign=+1)


def _loss_factor(r: Replay, opt: Option) -> Decimal:
    return opt.value


def _eta(r: Replay, opt: Option, param: Address, grad: Address) -> Term:
    return r._update(param, grad, eta=opt.value)


def _transposed(r: Replay, opt: Option, l: int, k: int, j: int, phase: str, after: bool
                ) -> Address:
    where, layer = opt.value
    if phase == where and l == layer:
        return Address("w", l, (j, k), after and phase == "forward")
    return r.default("weight", l, k, j, phase, after)


def _bias_kept(r: Replay, opt: Option, param: Address, grad: Address) -> Term:
    if param.kind == "b":
        return Term(r.get(param), (param,))
    return r.default("update", param, grad)


# -- options ----------------------------------------------------------------------------------
def _eta_options(network) -> list[Option]:
    eta = Decimal(str(float(network.example.learning_rate)))
    exact = network.example.learning_rate
    opts = []
    if exact != 1:
        opts.append(Option("η left out (taken as 1)", ONE, priority=0))
    for c in ("0.1", "0.5", "0.01", "0.05", "0.2", "0.25", "2", "10"):
        value = Decimal(c)
        if value != eta and not (value == ONE and exact != 1):
            opts.append(Option(f"η = {c} used instead of {fmt(eta)}", value, priority=2))
    return opts


def _square(network, l: int) -> bool:
    return network.sizes[l] == network.sizes[l - 1]


def _transposed_options(network) -> list[Option]:
    opts = []
    for l in range(1, network.depth + 1):
        if _square(network, l):
            opts.append(Option(f"in the forward pass of layer {l}", ("forward", l)))
            if l >= 2:
                opts.append(Option(f"in the backward sum for the δ of layer {l - 1}",
                                   ("backprop", l)))
    return opts


VARIANTS: tuple[Variant, ...] = (
    Variant("updated-weights-in-backprop",
            "the hidden δ was computed with the already-updated weights of the layer above",
            "weight", _updated_weights,
            lambda net: [Option("")] if net.depth >= 2 else []),
    Variant("missing-activation-derivative",
            "the activation's derivative f′ was left out of δ",
            "fprime", _no_fprime,
            lambda net: _layers(net, lambda l: _smooth(net, l))),
    Variant("derivative-of-net",
            "f′ was evaluated at net instead of at the output (net(1 − net) instead of "
            "y(1 − y))",
            "fprime", _fprime_of_net,
            lambda net: _layers(net, lambda l: _smooth(net, l))),
    Variant("flipped-update-sign",
            "the update added the gradient (w + η·∂E/∂w) instead of subtracting it",
            "update", _flipped, lambda net: [Option("")]),
    Variant("loss-factor",
            "the factor ½ of E was dropped or doubled",
            "loss_scale", _loss_factor,
            lambda net: [Option("E and every gradient ×2: the ½ dropped", Decimal(2)),
                         Option("E and every gradient ×½: an extra ½", Decimal("0.5"))]),
    Variant("learning-rate",
            "the learning rate η was ignored or a different η was used",
            "update", _eta, _eta_options),
    Variant("transposed-weights",
            "the weight matrix was read the wrong way round (w_jk used for w_kj)",
            "weight", _transposed, _transposed_options),
    Variant("bias-not-updated",
            "the biases were left at their old values",
            "update", _bias_kept,
            lambda net: [Option("")] if any(layer.bias for layer in net.layers) else []),
)

BY_ID = {v.id: v for v in VARIANTS}
