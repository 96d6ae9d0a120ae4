"""The worked example in slide style: every number substituted, each quantity rounded.

A teacher computes the next quantity from the *rounded* numbers on the slide (the lecture's
0.80133 = 0.3 × 0.68 + 0.9 × 0.6637, where the exact value is 0.80144…). `SlideExample` does
the same, in exact decimal arithmetic on the rounded values, and writes the exact value beside
the slide's wherever the two disagree at the quantity's precision (see
:mod:`symprop.render.numbers` for choosing precisions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..derive.backprop import Derivation, derive
from ..derive.chain import Chain, Terms
from ..derive.example import WorkedExample, initial_weights
from ..derive.forward import forward_pass, loss_value
from ..derive.rules import ACTIVATIONS, LOSSES
from .breaking import break_line, note_width
from .lines import Line
from .numbers import Precision, PrecisionTable, Shown, show, to_decimal, truncated
from .printer import LecturePrinter, chain_latex, escape, label_latex, times_chain
from .width import FRAME_WIDTH, width

_GIVEN_DIGITS = 12
#: a softmax denominator with more terms is written with dots (a fraction cannot break)
SOFTMAX_TERMS = 8
#: a [labels] name wider than this (pt) is not written beside the weight's own name
LABEL_WIDTH = 60.0


@dataclass(frozen=True)
class NumLine:
    """One quantity: its symbolic formula, the same with numbers, and the slide's value."""

    address: Address
    lhs: str
    formula: str                 # symbolic right-hand side ("" when there is none)
    numbers: tuple[str, ...]     # right-hand sides with numbers, in order
    shown: Shown
    exact: str = ""              # the exact value, when the slide's rounding disagrees

    def lines(self, room: float = FRAME_WIDTH) -> list[Line]:
        """The equation over as few lines as fit ``room`` pt; the value ends the last line."""
        note = f"exact ${self.exact}$" if self.exact else ""
        pieces = ([f"= {self.formula}"] if self.formula else []) + [f"= {n}" for n in
                                                                     self.numbers]
        value = f"{self.shown.relation} {self.shown.text}"
        if pieces:
            pieces[-1] += f" {value}"
        else:
            pieces = [value]
        indent = width(self.lhs)
        rows: list[str] = []
        broken = False
        for piece in pieces:
            parts = break_line(piece, room - indent)
            if len(parts) == 1 and rows and not broken and \
                    indent + width(rows[-1] + " " + piece) <= room:
                rows[-1] += " " + piece       # a short step joins the step before it
            else:
                rows += parts                 # else it starts its own row
            broken = len(parts) > 1
        out = [Line(self.lhs if i == 0 else "", r) for i, r in enumerate(rows)]
        if note and indent + width(rows[-1]) + note_width(note) > room:
            out.append(Line("", "", note))
        elif note:
            out[-1] = Line(out[-1].lhs, out[-1].rhs, note)
        return out


def visible(tex: str) -> float:
    """A rough printed width of math LaTeX, in characters (for deciding where to break)."""
    t = re.sub(r"\\(left|right|mathrm|text|quad|,|;)", "", tex)
    t = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}",
               lambda m: "x" * max(len(m[1]), len(m[2])), t)
    t = re.sub(r"\\(ln|exp|tanh|max)\b", "xxx", t)                # named functions: their letters
    t = re.sub(r"\\[A-Za-z]+", "x", t)                          # one glyph per command
    t = re.sub(r"[_^]\{([^{}]*)\}", lambda m: "." * len(m[1]), t)  # scripts are small
    t = re.sub(r"[{}\s]", "", t)
    return sum(0.55 if c == "." else 1.0 for c in t)


#: what a handout shows where a worked number goes: a line to write it on
BLANK = r"\underline{\hspace{3.5em}}"


def blank(line: NumLine) -> NumLine:
    """``line`` as an exercise: the formula stays, the numbers and the value are blanked."""
    return replace(line, numbers=(), exact="", shown=Shown(BLANK, line.shown.value, False))


def _symbol(addr: Address) -> sp.Expr:
    kind, l, idx = addr.kind, addr.layer, addr.index
    table = {"x": lambda: S.x[idx[0]], "d": lambda: S.d[idx[0]],
             "net": lambda: S.net(l)[idx[0]], "out": lambda: S.out(l)[idx[0]],
             "delta": lambda: S.delta(l)[idx[0]], "w": lambda: S.w(l)[idx],
             "b": lambda: S.b(l)[idx[0]], "E": lambda: S.E}
    return table[kind]()


def given(value: sp.Expr, precision: Precision) -> Shown:
    """A number from the spec is written as given when it is a short decimal."""
    value = sp.sympify(value)
    exact = show(value, Precision(_GIVEN_DIGITS, "dp"))
    return exact if not exact.rounded else show(value, precision)


def precise_values(network: Any, derivation: Derivation, digits: int = 50
                   ) -> dict[Address, sp.Expr]:
    """The worked example's step in ``digits``-digit floats, address by address.

    The same computation as :func:`symprop.derive.example.worked_example`, whose exact
    expressions nest without bound (tanh of sums of tanh…) and take minutes for a few layers;
    50 digits are exact for every purpose of a slide.
    """
    def f(v: sp.Expr) -> sp.Expr:
        return sp.Float(v, digits) if v.is_Rational else sp.N(v, digits)

    ex = network.example
    values: dict[Address, sp.Expr] = {}
    x, d = [f(v) for v in ex.input], [f(v) for v in ex.target]
    for i, v in enumerate(x, start=1):
        values[Address("x", None, (i,))] = v
    for k, v in enumerate(d, start=1):
        values[Address("d", None, (k,))] = v
    weights = {sym: f(v) for sym, v in initial_weights(network).items()}
    for sym, v in weights.items():
        values[S.address_of(sym)] = v
    known: dict[sp.Expr, sp.Expr] = {S.x[i]: v for i, v in enumerate(x, start=1)}
    known.update({S.d[k]: v for k, v in enumerate(d, start=1)})

    def forward(w: dict, after: bool) -> sp.Expr:
        fp = forward_pass(network, w.__getitem__, x, each=f)
        for l in range(1, network.depth + 1):
            for kind, base, layer_values in (("net", S.net(l), fp.nets[l]),
                                             ("out", S.out(l), fp.outs[l])):
                for k, v in enumerate(layer_values, start=1):
                    values[Address(kind, l, (k,), after)] = v
                    if not after:
                        known[base[k]] = v
        error = f(loss_value(network, fp.y, d))
        values[Address("E", after=after)] = error
        return error

    forward(weights, after=False)
    known.update(weights)
    for lay in reversed(derivation.layers):
        for k in range(1, lay.units + 1):
            delta = f(lay.delta.subs({lay.unit: k}).expanded().expr().doit().xreplace(known))
            known[S.delta(lay.layer)[k]] = delta
            values[Address("delta", lay.layer, (k,))] = delta
    eta = f(ex.learning_rate)
    updated = {}
    for lay in derivation.layers:
        l = lay.layer
        for k in range(1, lay.units + 1):
            delta = known[S.delta(l)[k]]
            for j in range(1, lay.fan_in + 1):
                grad = f(delta * known[S.out(l - 1)[j]])
                values[Address("dE/dw", l, (k, j))] = grad
                updated[S.w(l)[k, j]] = f(weights[S.w(l)[k, j]] - eta * grad)
            if lay.bias:
                values[Address("dE/db", l, (k,))] = delta
                updated[S.b(l)[k]] = f(weights[S.b(l)[k]] - eta * delta)
    for sym, v in updated.items():
        values[S.address_of(sym).updated()] = v
    forward(updated, after=True)
    return values


class SlideExample:
    """The spec's ``[example]`` step as a teacher writes it on slides.

    Exact values (for the grey notes) come from ``example`` when given, else from
    :func:`precise_values` at 50 digits.
    """

    def __init__(self, network: Any, *, example: WorkedExample | None = None,
                 precision: Any = None) -> None:
        self.network = network
        self.derivation = example.derivation if example is not None else derive(network)
        self.exact_values = example.values if example is not None else \
            precise_values(network, self.derivation)
        self.table = PrecisionTable(network, precision)
        self.labels: dict[Address, str] = {}
        for label, target in network.labels.items():
            addr = network.address(target)
            if addr.kind in ("w", "b"):
                self.labels[Address(addr.kind, addr.layer, addr.index)] = label
        ex = network.example
        self.eta = given(ex.learning_rate, self.table.default)
        # slide values per symbol, before and after the update
        self.before: dict[sp.Expr, Shown] = {}
        self.after: dict[sp.Expr, Shown] = {}
        for i, v in enumerate(ex.input, start=1):
            self.before[S.x[i]] = self.after[S.x[i]] = given(v, self.table(Address("x", None,
                                                                                   (i,))))
        for k, v in enumerate(ex.target, start=1):
            self.before[S.d[k]] = self.after[S.d[k]] = given(v, self.table(Address("d", None,
                                                                                   (k,))))
        for sym, v in initial_weights(network).items():     # as written in the spec
            self.before[sym] = given(v, self.table(S.address_of(sym)))
        self.given_lines = self._given()
        self.forward = self._forward(self.before, after=False)
        self.error = self._error(self.before, after=False)
        self.backward = self._backward()
        self.updates = self._updates()
        self.forward_after = self._forward(self.after, after=True)
        self.error_after = self._error(self.after, after=True)

    # -- helpers ---------------------------------------------------------------------------
    def printer(self, values: dict | None = None, after: bool = False) -> LecturePrinter:
        if values is None:
            return LecturePrinter(self.network, after=after)
        return LecturePrinter(self.network, values={s: v.text for s, v in values.items()})

    def _line(self, addr: Address, lhs: str, formula: str, numbers: tuple[str, ...],
              value: sp.Expr) -> tuple[NumLine, Shown]:
        prec = self.table(addr)
        shown = show(value, prec)
        exact = self.exact_values[addr]
        note = ""
        if prec.round(to_decimal(exact)) != prec.round(to_decimal(shown.value)):
            note = truncated(exact, prec)
        return NumLine(addr, lhs, formula, numbers, shown, note), shown

    @staticmethod
    def _value(expr: sp.Expr, values: dict[sp.Expr, Shown]) -> sp.Expr:
        return sp.sympify(expr).doit().xreplace({s: v.value for s, v in values.items()})

    def _name(self, addr: Address) -> str:
        p = self.printer(after=addr.after)
        return p._print(S.E) if addr.kind == "E" else p._print(_symbol(addr))

    def input_name(self, i: int) -> str:
        """Input ``i``'s display name as LaTeX text; "" when it only repeats x_i (x1, X_1)."""
        if not isinstance(self.network.inputs, tuple):
            return ""
        name = self.network.inputs[i - 1]
        if re.sub(r"[\s_{}]", "", name).lower() == f"{self.network.notation['x']}{i}".lower():
            return ""
        return escape(name, breakable=True)

    # -- the step --------------------------------------------------------------------------
    def _given(self) -> list[Line]:
        p = self.printer()
        lines = []
        xs = ", ".join(f"{p._print(S.x[i])} = {self.before[S.x[i]].text}"
                       + (rf"\ (\text{{{self.input_name(i)}}})" if self.input_name(i) else "")
                       for i in range(1, self.network.n_inputs + 1))
        lines.append(Line("", xs))
        ds = ", ".join(f"{p._print(S.d[k])} = {self.before[S.d[k]].text}"
                       for k in range(1, self.network.sizes[-1] + 1))
        lines.append(Line("", ds + rf",\quad {p.notation['eta']} = {self.eta.text}"))
        return lines

    def _forward(self, values: dict, after: bool) -> list[NumLine]:
        p = self.printer(after=after)
        lines: list[NumLine] = []
        for l, layer in enumerate(self.network.layers, start=1):
            row = ACTIVATIONS[layer.activation]
            fan_in = self.network.sizes[l - 1]
            nets = []
            for k in range(1, layer.units + 1):
                terms = [Chain((S.w(l)[k, j], S.out(l - 1)[j])) for j in range(1, fan_in + 1)]
                if layer.bias:
                    terms.append(Chain((S.b(l)[k],)))
                sym = Terms(tuple(terms))
                pv = self.printer(values)      # the values known so far
                formula = " + ".join(chain_latex(c, p) for c in sym.chains)
                numbers = " + ".join(chain_latex(c, pv) for c in sym.chains)
                addr = Address("net", l, (k,), after)
                formula = "" if fan_in > 6 else formula
                nl, shown = self._line(addr, self._name(addr), formula,
                                       (numbers,) if fan_in <= 6 else (), self._value(
                                           sym.expr(), values))
                values[S.net(l)[k]] = shown
                nets.append(shown)
                lines.append(nl)
            for k in range(1, layer.units + 1):
                addr = Address("out", l, (k,), after)
                net_tex = self._name(Address("net", l, (k,), after))
                if row.layerwise:
                    value = row.layer([n.value for n in nets])[k - 1]
                    powers = [f"e^{{{n.text}}}" for n in nets]
                    if len(powers) > SOFTMAX_TERMS:        # too wide for one fraction
                        powers = powers[:2] + [r"\cdots"] + powers[-1:]
                    den = " + ".join(powers)
                    other = p.quantity("net", l, ("k'",))
                    formula = rf"\frac{{e^{{{net_tex}}}}}{{\sum_{{k'}} e^{{{other}}}}}"
                    numbers = (rf"\frac{{e^{{{nets[k - 1].text}}}}}{{{den}}}",)
                elif layer.activation == "linear":
                    value, formula, numbers = nets[k - 1].value, net_tex, ()
                else:
                    value = row(nets[k - 1].value)
                    formula = rf"{row.latex}\left({net_tex}\right)"
                    numbers = (rf"{row.latex}\left({nets[k - 1].text}\right)",)
                nl, shown = self._line(addr, self._name(addr), formula, numbers, value)
                values[S.out(l)[k]] = shown
                lines.append(nl)
        return lines

    def _error(self, values: dict, after: bool) -> NumLine:
        L = self.network.depth
        n = self.network.sizes[-1]
        term = LOSSES[self.network.loss].term
        expr = sp.Add(*(term(S.out(L)[k], S.d[k], n) for k in range(1, n + 1)))
        # targets of 0 and 1 written in: the terms they zero are left out, a factor 1 too
        known = {S.d[k]: values[S.d[k]].value for k in range(1, n + 1)
                 if values[S.d[k]].value in (0, 1)}
        addr = Address("E", after=after)
        nl, shown = self._line(addr, self._name(addr), self.printer(after=after)._print(expr),
                               (self.printer(values)._print(expr.xreplace(known)),),
                               self._value(expr, values))
        values[S.E] = shown
        return nl

    def _backward(self) -> list[NumLine]:
        p, lines = self.printer(), []
        for lay in reversed(self.derivation.layers):
            for k in range(1, lay.units + 1):
                chain = lay.delta.subs({lay.unit: k}).expanded()
                addr = Address("delta", lay.layer, (k,))
                nl, shown = self._line(addr, self._name(addr), chain_latex(chain, p),
                                       (chain_latex(chain, self.printer(self.before)),),
                                       self._value(chain.expr(), self.before))
                self.before[S.delta(lay.layer)[k]] = shown
                lines.append(nl)
        return lines

    def _updates(self) -> dict[int, list[NumLine]]:
        """New weights per layer: w⁺ = w − η δ h, from the rounded δ (as on the slide)."""
        p, pv = self.printer(), self.printer(self.before)
        eta, eta_v = p.notation["eta"], self.eta.value
        eta_num = "" if eta_v == 1 else rf"{self.eta.text} \times "
        out: dict[int, list[NumLine]] = {}
        for lay in self.derivation.layers:
            l, rows = lay.layer, []
            for k in range(1, lay.units + 1):
                sources = list(range(1, lay.fan_in + 1)) + ([None] if lay.bias else [])
                for j in sources:
                    weight = S.w(l)[k, j] if j is not None else S.b(l)[k]
                    addr = Address("w", l, (k, j)) if j is not None else Address("b", l, (k,))
                    short = Chain((S.delta(l)[k],) + ((S.out(l - 1)[j],) if j else ()))
                    full = self.derivation.weight_chain(l, k, j)
                    w, wv = p._print(weight), self.before[weight].text
                    formula = f"{w} - {eta} " + times_chain(full, p)
                    numbers = [f"{wv} - {eta_num}" + times_chain(full, pv)]
                    if width(numbers[0]) > FRAME_WIDTH or full.parts == short.parts:
                        formula = f"{w} - {eta} " + times_chain(short, p)
                        numbers = []
                    numbers.append(f"{wv} - {eta_num}" + times_chain(short, pv))
                    value = self.before[weight].value - eta_v * self._value(short.expr(),
                                                                            self.before)
                    after = addr.updated()
                    lhs = self._name(after)
                    label = label_latex(self.labels[addr]) if addr in self.labels else ""
                    if label and width(label) <= LABEL_WIDTH:    # a long one: the name alone
                        lhs = f"{label}^{{+}} = {lhs}"
                    nl, shown = self._line(after, lhs, formula, tuple(numbers), value)
                    self.after[weight] = shown
                    rows.append(nl)
            out[l] = rows
        return out

    # -- summaries --------------------------------------------------------------------------
    def given_text(self) -> str:
        """The given numbers as one line of text: ``$x_1 = 0.35$ (A), …, $\\eta = 1$``."""
        p = self.printer()
        parts = [f"${p._print(S.x[i])} = {self.before[S.x[i]].text}$"
                 + (f" ({self.input_name(i)})" if self.input_name(i) else "")
                 for i in range(1, self.network.n_inputs + 1)]
        parts += [f"${p._print(S.d[k])} = {self.before[S.d[k]].text}$"
                  for k in range(1, self.network.sizes[-1] + 1)]
        parts.append(f"${p.notation['eta']} = {self.eta.text}$")
        return ", ".join(parts)

    def comparison(self) -> str:
        """The further pass's verdict, e.g. 'E = 0.0181 → E⁺ = 0.0166: the error decreased'."""
        before = self.exact_values[Address("E")]
        after = self.exact_values[Address("E", after=True)]
        E = self.printer().notation["E"]
        change = sp.N(after - before, 30)
        if change < 0:
            verdict = "the error decreased"
        elif change > 0:
            verdict = "the error increased (the step overshot: try a smaller learning rate)"
        else:
            verdict = "the error did not change"
        pct = Precision(2, "sf").round(abs(change) / sp.N(before, 30) * 100) if before else None
        by = f" by {pct}\\,\\%" if pct is not None and change != 0 else ""
        return (rf"${E} = {self.error.shown.text} \;\to\; {E}^{{+}} = "
                rf"{self.error_after.shown.text}$: {verdict}{by}.")

    def groups(self) -> list[tuple[str, list[NumLine]]]:
        """The step's quantities in reading order, each group with its heading."""
        L = self.network.depth
        return [("forward pass", self.forward + [self.error]),
                ("backward pass", self.backward),
                *((f"new weights, {'output layer' if l == L else f'hidden layer {l}'}",
                   self.updates[l]) for l in range(L, 0, -1)),
                ("a further forward pass", self.forward_after + [self.error_after])]

    def all_lines(self, room: float = FRAME_WIDTH) -> list[Line]:
        lines = list(self.given_lines)
        for _, group in self.groups():
            for nl in group:
                lines += nl.lines(room)
        return lines
