"""Replay the worked example by the derived formulas, the way a student would by hand.

A `Replay` recomputes every quantity of the example step — forward pass, E, δ per layer,
gradients, updates, the further forward pass and E⁺ — in `decimal` arithmetic from the values
above it. Three things can be changed, and that is all the checker needs:

* ``given``: the student's claimed values replace the computed ones (error carried forward);
* ``rounding``: some intermediates are rounded before they are used (hand rounding);
* ``mistake``: one step is recomputed with a usual mistake made (see `mistakes`).

Each step goes through `Replay.step`, so a mistake is a function that replaces one step.
Every quantity records which quantities it read (for "which of your values did it use") and
its worked arithmetic (``0.3 − 0.0406 × 0.68``) for explanations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..derive.backprop import Derivation
from ..derive.derivatives import Y, Z, output_derivative
from ..derive.rules import ACTIVATIONS, LOSSES
from .display import ATOM, PRODUCT, SUM, expr_parts, number
from .numeric import CTX, ONE, ZERO, Rounding, compile_expr, fmt, to_decimal
from .quantities import symbol_address
from .rule_facts import derivative_forms, function_name


@dataclass(frozen=True)
class Term:
    """A computed value with its worked arithmetic: strings and `Address` references."""

    value: Decimal
    parts: tuple
    prec: int = ATOM

    def times(self, factor: Decimal, text: str) -> Term:
        return Term(CTX.multiply(factor, self.value), (text, " × ", *_wrap(self), ), PRODUCT)


def _wrap(term: Term, need: int = PRODUCT) -> tuple:
    return ("(", *term.parts, ")") if term.prec < need else term.parts


@dataclass
class _Expr:
    """A SymPy formula compiled for the replay: evaluator + worked-arithmetic template."""

    expr: sp.Expr
    run: object
    parts: tuple
    prec: int

    @classmethod
    def of(cls, expr: sp.Expr, after: bool = False) -> _Expr:
        def leaf(sym):
            addr = symbol_address(sym)
            return addr.updated() if after and addr.kind in ("out", "net", "w", "b") else addr
        parts, prec = expr_parts(expr, leaf)
        return cls(expr, compile_expr(expr, leaf), parts, prec)


class Plan:
    """Everything a replay needs from one network, compiled once and shared by all replays."""

    def __init__(self, network, derivation: Derivation) -> None:
        from ..derive.example import initial_weights
        self.network, self.derivation = network, derivation
        self.depth, self.sizes = network.depth, network.sizes
        ex = network.example
        self.eta = to_decimal(ex.learning_rate)
        self.eta_text = number(ex.learning_rate)
        spec: dict[Address, sp.Rational] = {}
        for i, v in enumerate(ex.input, start=1):
            spec[Address("x", None, (i,))] = v
        for k, v in enumerate(ex.target, start=1):
            spec[Address("d", None, (k,))] = v
        for sym, v in initial_weights(network).items():
            spec[symbol_address(sym)] = v
        self.spec = {a: to_decimal(v) for a, v in spec.items()}
        self.spec_text = {a: number(v) for a, v in spec.items()}
        self.activations = []
        for layer in network.layers:
            row = ACTIVATIONS[layer.activation]
            f = None if row.layerwise else compile_expr(row.definition(Z), lambda s: "z")
            self.activations.append((row, f, function_name(row)))
        L = self.depth
        loss = LOSSES[network.loss]
        self.loss_terms = {after: [_Expr.of(loss.term(S.out(L)[k], S.d[k], self.sizes[-1]), after)
                                   for k in range(1, self.sizes[-1] + 1)]
                           for after in (False, True)}
        self.fprime: dict[tuple[int, int], _Expr] = {}
        self.fprime_at_net: dict[tuple[int, int], _Expr] = {}
        # f′ of every row of the rule table, written in the unit's output: for mistakes
        # (another activation's derivative used, a derivative multiplied on twice)
        self.fprime_of: dict[tuple[int, int], dict[str, _Expr]] = {}
        forms = derivative_forms(network.relu_at_zero)
        for lay in derivation.layers:
            deriv = output_derivative(lay.activation, network.relu_at_zero)
            for k in range(1, lay.units + 1):
                out = S.out(lay.layer)[k]
                if not ACTIVATIONS[lay.activation].layerwise:
                    self.fprime[lay.layer, k] = _Expr.of(lay.fprime.xreplace({lay.unit: k}))
                if deriv.in_output is not None:
                    self.fprime_at_net[lay.layer, k] = _Expr.of(
                        deriv.in_output.subs(Y, S.net(lay.layer)[k]))
                self.fprime_of[lay.layer, k] = {name: _Expr.of(g.subs(Y, out))
                                                for name, g in forms.items()}
        top = derivation.layer(L)
        self.dE_dout = [_Expr.of(top.dE_dout.xreplace({top.unit: k}))
                        for k in range(1, top.units + 1)]
        self.output_delta = [
            _Expr.of(top.delta.subs({top.unit: k}).expanded().expr().doit())
            for k in range(1, top.units + 1)]
        # the derivation may have simplified (y − d)·g(y) (log loss, softmax): then the split
        # form is only used when a mistake changes one of its factors
        self.output_split = len(top.delta.parts) == 2 and (L, 1) in self.fprime

    @cached_property
    def order(self) -> list[Address]:
        return list(Replay(self).run().values)


class _Stop(Exception):
    pass


@dataclass
class Replay:
    """One recomputation of the example (see module docstring)."""

    plan: Plan
    given: Mapping[Address, Decimal] = field(default_factory=dict)
    rounding: Mapping[Address, Rounding] = field(default_factory=dict)
    mistake: object = None            # a `mistakes.Mistake` row
    option: object = None             # the row's option (which layer, which factor …)
    stop_at: Address | None = None    # stop once this quantity is computed
    values: dict[Address, Decimal] = field(default_factory=dict)   # as used further on
    raw: dict[Address, Decimal] = field(default_factory=dict)      # as its formula gives it
    terms: dict[Address, Term] = field(default_factory=dict)
    deps: dict[Address, tuple[Address, ...]] = field(default_factory=dict)

    # -- bookkeeping ------------------------------------------------------------------------
    def get(self, addr: Address) -> Decimal:
        self._reads.append(addr)
        return self.values[addr]

    def _put(self, addr: Address, term: Term) -> None:
        self.raw[addr], self.terms[addr] = term.value, term
        self.deps[addr] = tuple(dict.fromkeys(self._reads))
        self._reads = []
        if addr in self.given:
            self.values[addr] = self.given[addr]
        elif addr in self.rounding:
            self.values[addr] = self.rounding[addr](term.value)
        else:
            self.values[addr] = term.value
        if addr == self.stop_at:
            raise _Stop

    def step(self, name: str, *args: object) -> object:
        """Run step ``name``: the mistake's version when the mistake replaces it here."""
        done = self.mistaken(name, *args)
        return self.default(name, *args) if done is None else done

    def mistaken(self, name: str, *args: object) -> object:
        """Step ``name`` done the mistake's way, or None when the mistake does not touch it."""
        if self.mistake is not None and self.mistake.step == name:
            return self.mistake.recompute(self, self.option, *args)
        return None

    def default(self, name: str, *args: object) -> object:
        return getattr(self, "_" + name)(*args)

    def ancestors(self, addr: Address) -> list[Address]:
        """Every quantity ``addr`` was computed from, in computation order."""
        seen: set[Address] = set()
        todo = list(self.deps.get(addr, ()))
        while todo:
            a = todo.pop()
            if a not in seen:
                seen.add(a)
                if a not in self.given:      # a given value does not depend on anything
                    todo.extend(self.deps.get(a, ()))
        return [a for a in self.values if a in seen]

    # -- the example step -------------------------------------------------------------------
    def run(self) -> Replay:
        self._reads: list[Address] = []
        p = self.plan
        try:
            for addr, v in p.spec.items():
                self._put(addr, Term(v, (addr,)))
            self._forward(after=False)
            self._put(Address("E"), self._loss(False))
            for l in range(p.depth, 0, -1):
                for k in range(1, p.sizes[l] + 1):
                    self._put(Address("delta", l, (k,)),
                              self.step("output_delta", k) if l == p.depth
                              else self.step("hidden_delta", l, k))
                self._gradients_and_updates(l)
            self._forward(after=True)
            self._put(Address("E", after=True), self._loss(True))
        except _Stop:
            pass
        return self

    def _forward(self, after: bool) -> None:
        p = self.plan
        for l, layer in enumerate(p.network.layers, start=1):
            nets = []
            for k in range(1, layer.units + 1):
                value, parts = ZERO, []
                for j in range(1, p.sizes[l - 1] + 1):
                    w = self.step("weight", l, k, j, "forward", after)
                    src = Address("x", None, (j,)) if l == 1 else Address("out", l - 1, (j,),
                                                                           after)
                    value = CTX.add(value, CTX.multiply(self.get(w), self.get(src)))
                    parts += [" + "] * bool(parts) + [w, " × ", src]
                if layer.bias:
                    b = Address("b", l, (k,), after)
                    value = CTX.add(value, self.get(b))
                    parts += [" + ", b]
                addr = Address("net", l, (k,), after)
                self._put(addr, Term(value, tuple(parts), SUM if len(parts) > 3 else PRODUCT))
                nets.append(addr)
            row, f, fname = p.activations[l - 1]
            if row.layerwise:
                exps = [CTX.exp(self.values[n]) for n in nets]
                total = sum(exps, ZERO)
                for k, n in enumerate(nets, start=1):
                    for m in nets:
                        self.get(m)
                    self._put(Address("out", l, (k,), after),
                              Term(CTX.divide(exps[k - 1], total), ("softmax(", n, ")")))
            else:
                for k, n in enumerate(nets, start=1):
                    z = self.get(n)
                    parts = (f"{fname}(", n, ")") if fname else (n,)
                    self._put(Address("out", l, (k,), after), Term(f(lambda _, z=z: z), parts))

    def _loss(self, after: bool) -> Term:
        value, parts = ZERO, []
        for e in self.plan.loss_terms[after]:
            value = CTX.add(value, e.run(self.get))
            parts += [" + "] * bool(parts) + list(e.parts)
        term = Term(value, tuple(parts), SUM if len(self.plan.loss_terms[after]) > 1 else e.prec)
        scale = self.step("loss_scale")
        return term if scale == ONE else term.times(scale, fmt(scale))

    def _loss_scale(self) -> Decimal:
        return ONE

    def _weight(self, l: int, k: int, j: int, phase: str, after: bool) -> Address:
        """Which weight the formula reads for w_{k,j}^(l) (``phase``: forward | backprop)."""
        return Address("w", l, (k, j), after and phase == "forward")

    def _fprime(self, l: int, k: int) -> Term:
        e = self.plan.fprime[l, k]
        return Term(e.run(self.get), e.parts, e.prec)

    def _output_delta(self, k: int) -> Term:
        p = self.plan
        fp = self.mistaken("fprime", p.depth, k)
        if fp is None and p.output_split and (p.depth, k) in p.fprime:
            fp = self._fprime(p.depth, k)
        if fp is not None:
            dE = p.dE_dout[k - 1]
            first = Term(dE.run(self.get), dE.parts, dE.prec)
            value = CTX.multiply(first.value, fp.value)
            term = Term(value, (*_wrap(first), " × ", *_wrap(fp)), PRODUCT)
        else:
            e = p.output_delta[k - 1]
            term = Term(e.run(self.get), e.parts, e.prec)
        extra = self.mistaken("extra_factor", p.depth, k)     # an f′ multiplied on top
        if extra is not None:
            term = Term(CTX.multiply(term.value, extra.value),
                        (*_wrap(term), " × ", *_wrap(extra)), PRODUCT)
        scale = self.step("loss_scale")
        return term if scale == ONE else term.times(scale, fmt(scale))

    def _hidden_delta(self, l: int, j: int, only: int | None = None) -> Term:
        """f′ × Σ_k w_kj δ_k (``only``: just that k's term, the sum left out by mistake)."""
        fp = self.step("fprime", l, j)
        total, parts = ZERO, []
        for k in range(1, self.plan.sizes[l + 1] + 1):
            if only is not None and k != only:
                continue
            w = self.step("weight", l + 1, k, j, "backprop", False)
            d = Address("delta", l + 1, (k,))
            total = CTX.add(total, CTX.multiply(self.get(w), self.get(d)))
            parts += [" + "] * bool(parts) + [w, " × ", d]
        inner = Term(total, tuple(parts), SUM if len(parts) > 3 else PRODUCT)
        return Term(CTX.multiply(fp.value, total), (*_wrap(fp), " × ", *_wrap(inner)), PRODUCT)

    def _gradients_and_updates(self, l: int) -> None:
        p = self.plan
        for k in range(1, p.sizes[l] + 1):
            delta = Address("delta", l, (k,))
            params = []
            for j in range(1, p.sizes[l - 1] + 1):
                src = Address("x", None, (j,)) if l == 1 else Address("out", l - 1, (j,))
                g = Address("dE/dw", l, (k, j))
                self._put(g, Term(CTX.multiply(self.get(delta), self.get(src)),
                                  (delta, " × ", src), PRODUCT))
                params.append((Address("w", l, (k, j)), g))
            if p.network.layers[l - 1].bias:
                g = Address("dE/db", l, (k,))
                self._put(g, self.step("bias_gradient", l, k))
                params.append((Address("b", l, (k,)), g))
            for param, g in params:
                self._put(param.updated(), self.step("update", param, g))

    def _bias_gradient(self, l: int, k: int) -> Term:
        delta = Address("delta", l, (k,))
        return Term(self.get(delta), (delta,))

    def _update(self, param: Address, grad: Address, eta: Decimal | None = None,
                sign: int = -1) -> Term:
        """param − η·∂E/∂param (a mistake may pass another η or sign)."""
        p = self.plan
        eta = p.eta if eta is None else eta
        step = CTX.multiply(eta, self.get(grad))
        value = CTX.subtract(self.get(param), step) if sign < 0 else CTX.add(self.get(param),
                                                                               step)
        eta_parts = () if eta == ONE else ((p.eta_text if eta == p.eta else fmt(eta)), " × ")
        return Term(value, (param, " − " if sign < 0 else " + ", *eta_parts, grad), SUM)

    # -- worked arithmetic --------------------------------------------------------------------
    def worked(self, addr: Address, shown: Mapping[Address, str],
               expand: frozenset[str] = frozenset(("delta", "dE/dw", "dE/db"))) -> str:
        """``addr``'s formula with numbers: ``shown`` (the student's own text) where given,
        quantities of the ``expand`` kinds that the student did not write down written out
        (like the slide's ``0.3 − (0.69 − 0.5) × 0.69 × (1 − 0.69) × 0.68``), others as
        numbers; rounded intermediates as the rounded number."""
        return "".join(self._worked_parts(self.terms[addr].parts, shown, expand, depth=0))

    def _worked_parts(self, parts, shown, expand, depth: int):
        for part in parts:
            if not isinstance(part, Address):
                yield part
            elif part in shown:
                yield shown[part]
            elif part in self.plan.spec and part not in self.given:
                yield self.plan.spec_text[part]
            elif (part.kind in expand and part in self.terms and part not in self.given
                  and part not in self.rounding and depth < 6):
                term = self.terms[part]
                inner = list(self._worked_parts(term.parts, shown, expand, depth + 1))
                yield from (["(", *inner, ")"] if term.prec < PRODUCT else inner)
            else:
                text = fmt(self.values[part], 6).replace("-", "−")
                yield f"({text})" if text.startswith("−") else text
