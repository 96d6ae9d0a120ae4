"""The usual mistakes, one row each: recompute one step of the replay with the mistake made.

A row names the replay step it replaces (`Replay.step`: ``weight``, ``fprime``,
``hidden_delta``, ``bias_gradient``, ``loss_scale``, ``update``), a function that computes that
step the wrong way, and the options the mistake can take in a given network (which layer,
which factor). The options of the derivative and loss rows are *derived from the rule table*
(`rule_facts`): every activation's f′ in its output, every loss's constant factor, so each
activation/loss pair gets its mistakes without a line written for it. The checker replays the
*whole* example under each row and option, so values downstream of the mistake are explained
too. Adding a mistake is adding a row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..addresses import Address
from ..derive.derivatives import output_derivative
from ..derive.rules import ACTIVATIONS
from .display import PRODUCT
from .numeric import CTX, ONE, fmt, to_decimal
from .replay import Replay, Term
from .rule_facts import derivative_forms, derivative_text, loss_factor


@dataclass(frozen=True)
class Option:
    """One way a mistake can be made; ``priority`` 0 is likelier than 1, 1 than 2."""

    detail: str            # e.g. "in layer 2", "×2 (the ½ of E dropped)"
    value: object = None
    priority: int = 1


@dataclass(frozen=True)
class Mistake:
    id: str
    description: str
    step: str
    recompute: Callable[..., object]          # (replay, option, *step args) → value or None
    options: Callable[[object], Sequence[Option]]           # network → options


def _layers(network, keep: Callable[[int], bool]) -> list[Option]:
    """Per-layer options, plus "every layer" when there is more than one."""
    layers = [l for l in range(1, network.depth + 1) if keep(l)]
    opts = [Option(f"in layer {l}", frozenset((l,))) for l in layers]
    if len(layers) > 1:    # last: when one layer explains a value, say which
        opts.append(Option("in every layer", frozenset(layers)))
    return opts


# -- the rows' step functions (None: this step is not where the mistake is) ---------------------
def _updated_weights(r: Replay, opt: Option, l: int, k: int, j: int, phase: str, after: bool
                     ) -> Address | None:
    return Address("w", l, (k, j), True) if phase == "backprop" else None


def _no_fprime(r: Replay, opt: Option, l: int, k: int) -> Term | None:
    return Term(ONE, ("1",)) if l in opt.value else None


def _fprime_of_net(r: Replay, opt: Option, l: int, k: int) -> Term | None:
    e = r.plan.fprime_at_net.get((l, k))
    if l in opt.value and e is not None:
        return Term(e.run(r.get), e.parts, e.prec)
    return None


def _other_fprime(r: Replay, opt: Option, l: int, k: int) -> Term | None:
    layers, name = opt.value
    e = r.plan.fprime_of.get((l, k), {}).get(name)
    if l in layers and e is not None:
        return Term(e.run(r.get), e.parts, e.prec)
    return None


def _extra_fprime(r: Replay, opt: Option, l: int, k: int) -> Term | None:
    e = r.plan.fprime_of.get((l, k), {}).get(opt.value)
    return None if e is None else Term(e.run(r.get), e.parts, e.prec)


def _flipped(r: Replay, opt: Option, param: Address, grad: Address) -> Term:
    return r._update(param, grad, sign=+1)


def _loss_factor(r: Replay, opt: Option) -> Decimal:
    return opt.value


def _eta(r: Replay, opt: Option, param: Address, grad: Address) -> Term:
    return r._update(param, grad, eta=opt.value)


def _transposed(r: Replay, opt: Option, l: int, k: int, j: int, phase: str, after: bool
                ) -> Address | None:
    where, layer = opt.value
    if phase == where and l == layer:
        return Address("w", l, (j, k), after and phase == "forward")
    return None


def _bias_kept(r: Replay, opt: Option, param: Address, grad: Address) -> Term | None:
    return Term(r.get(param), (param,)) if param.kind == "b" else None


def _one_term(r: Replay, opt: Option, l: int, j: int) -> Term | None:
    layer, k = opt.value
    return r._hidden_delta(l, j, only=k) if l == layer else None


def _bias_times_input(r: Replay, opt: Option, l: int, k: int) -> Term | None:
    layer, j = opt.value
    if l != layer:
        return None
    delta = Address("delta", l, (k,))
    src = Address("x", None, (j,)) if l == 1 else Address("out", l - 1, (j,))
    return Term(CTX.multiply(r.get(delta), r.get(src)), (delta, " × ", src), PRODUCT)


# -- options ----------------------------------------------------------------------------------
def _derivative_layers(network) -> list[int]:
    return [l for l in range(1, network.depth + 1)
            if ACTIVATIONS[network.layers[l - 1].activation].differentiable]


def _other_derivative_options(network) -> list[Option]:
    """For each layer, each other row's f′ (in the output) used instead of the layer's own;
    for a run of layers with one activation, the same wrong f′ in all of them."""
    forms = derivative_forms(network.relu_at_zero)
    opts: list[Option] = []
    by_activation: dict[str, list[int]] = {}
    for l in _derivative_layers(network):
        act = network.layers[l - 1].activation
        by_activation.setdefault(act, []).append(l)
        own = output_derivative(act, network.relu_at_zero).in_output
        layerwise = ACTIVATIONS[act].layerwise
        for name, g in forms.items():
            if not layerwise and own is not None and (g - own).expand() == 0:
                continue
            opts.append(Option(f"{name}'s derivative {derivative_text(g)} used for the {act} "
                               f"units of layer {l}", (frozenset((l,)), name)))
    for act, layers in by_activation.items():
        if len(layers) > 1:
            own = output_derivative(act, network.relu_at_zero).in_output
            for name, g in forms.items():
                if own is None or (g - own).expand() != 0:
                    opts.append(Option(f"{name}'s derivative {derivative_text(g)} used for "
                                       f"the {act} units of every layer",
                                       (frozenset(layers), name), priority=2))
    return opts


def _extra_derivative_options(network) -> list[Option]:
    """Each row's f′ multiplied onto the output δ once more (y(1 − y) on top of softmax and
    cross-entropy's y − d, or σ′ twice)."""
    act = network.layers[-1].activation
    forms = derivative_forms(network.relu_at_zero)
    return [Option(f"{derivative_text(g)} ({name}'s f′) multiplied onto the output δ, which "
                   "already holds its derivative", name, priority=2 if name != act else 1)
            for name, g in forms.items()
            if ACTIVATIONS[act].differentiable]


def _loss_factor_options(network) -> list[Option]:
    """The loss's constant factor c (from its rule row) dropped (×1/c) or used twice (×c)."""
    c = loss_factor(network.loss, network.sizes[-1])
    if c == 1:
        return []
    what = "minus sign" if c == -1 else f"factor {c}"
    opts = [Option(f"E and every gradient ×{fmt(to_decimal(1 / c))}: the {what} of E dropped",
                   to_decimal(1 / c))]
    if c != -1:
        opts.append(Option(f"E and every gradient ×{fmt(to_decimal(c))}: the {what} of E "
                           "applied twice", to_decimal(c)))
    return opts


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


def _one_term_options(network) -> list[Option]:
    return [Option(f"only the k = {k} term of Σ_k w_kj δ_k for the δ of layer {l}", (l, k))
            for l in range(1, network.depth) if network.sizes[l + 1] > 1
            for k in range(1, network.sizes[l + 1] + 1)]


def _bias_input_options(network) -> list[Option]:
    return [Option(f"∂E/∂b of layer {l} multiplied by input {j} of the layer", (l, j),
                   priority=2)
            for l in range(1, network.depth + 1) if network.layers[l - 1].bias
            for j in range(1, network.sizes[l - 1] + 1)]


MISTAKES: tuple[Mistake, ...] = (
    Mistake("updated-weights-in-backprop",
            "the hidden δ was computed with the already-updated weights of the layer above",
            "weight", _updated_weights,
            lambda net: [Option("")] if net.depth >= 2 else []),
    Mistake("missing-activation-derivative",
            "the activation's derivative f′ was left out of δ",
            "fprime", _no_fprime,
            lambda net: _layers(net, lambda l: l in _derivative_layers(net))),
    Mistake("derivative-of-net",
            "f′ was evaluated at net instead of at the output (net(1 − net) instead of "
            "y(1 − y))",
            "fprime", _fprime_of_net,
            lambda net: _layers(net, lambda l: l in _derivative_layers(net))),
    Mistake("wrong-activation-derivative",
            "the derivative of another activation was used in δ",
            "fprime", _other_fprime, _other_derivative_options),
    Mistake("extra-activation-derivative",
            "an activation's derivative was multiplied onto an output δ that already holds it",
            "extra_factor", _extra_fprime, _extra_derivative_options),
    Mistake("flipped-update-sign",
            "the update added the gradient (w + η·∂E/∂w) instead of subtracting it",
            "update", _flipped, lambda net: [Option("")]),
    Mistake("loss-factor",
            "a constant factor of E was dropped or applied twice",
            "loss_scale", _loss_factor, _loss_factor_options),
    Mistake("learning-rate",
            "the learning rate η was ignored or a different η was used",
            "update", _eta, _eta_options),
    Mistake("transposed-weights",
            "the weight matrix was read the wrong way round (w_jk used for w_kj)",
            "weight", _transposed, _transposed_options),
    Mistake("bias-not-updated",
            "the biases were left at their old values",
            "update", _bias_kept,
            lambda net: [Option("")] if any(layer.bias for layer in net.layers) else []),
    Mistake("missing-sum",
            "the sum over the units above was left out of the hidden δ (one term only)",
            "hidden_delta", _one_term, _one_term_options),
    Mistake("bias-gradient-times-input",
            "the bias gradient was multiplied by an input, like a weight's",
            "bias_gradient", _bias_times_input, _bias_input_options),
)

BY_ID = {m.id: m for m in MISTAKES}
