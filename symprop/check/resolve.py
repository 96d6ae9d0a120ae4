r"""A formula's syntax tree (`symprop.formula.syntax`) → SymPy, for one claimed address.

Names map to the network's quantities *for the address being claimed*: for
``dE/dw2[1,1]`` the ``k`` of ``y_k`` is 1 and the ``j`` of ``h_j`` is 1, ``y`` is ``y_1``, and
``h1`` (or ``h_1``) is unit 1 of the hidden layer. A function's bare name (``σ`` in
``σ(1 − σ)``) is the output of the unit concerned; ``f`` is the activation of the layer its
argument belongs to; ``f′(net)`` and ``σ′(net)`` are derivatives, written in the unit's output
where the rule table has that form.

A weight or bias written with numbers but no layer (``w_{11}``) is looked up in every layer
where those numbers are possible; when more than one is, the resolver records the readings
(`Resolver.ambiguous`) and a caller may fix them (`Resolver.readings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..derive.derivatives import Y, Z, output_derivative
from ..derive.rules import ACTIVATIONS
from ..formula.syntax import BASIC_FUNCTIONS, FormulaError
from .derived import ETA, derived_formula
from .quantities import address_of_symbol

MAX_EXPONENT = 12
# the names read as functions: the syntax's own and every activation of the rule table
FUNCTIONS = BASIC_FUNCTIONS | frozenset(n for n, row in ACTIVATIONS.items() if not row.layerwise)
_ALIASES = {"sigma": "sigmoid", "sig": "sigmoid"}


def own_functions(network) -> dict[str, str]:
    """The network's own activation rows (written as formulas) by name → their keys: a student
    may write ``softsign'(net)`` for a spec's ``[activations.softsign]``."""
    return {row.name: row.key for row in getattr(network, "rows", ())
            if row.key in ACTIVATIONS and not ACTIVATIONS[row.key].layerwise}


@dataclass
class Resolver:
    """Turns a syntax tree into SymPy for one claimed address (see module docstring)."""

    network: object
    target: Address
    derivation: object = None
    env: dict[str, int] = field(default_factory=dict)
    readings: dict[int, int] = field(default_factory=dict)    # position → the layer taken
    ambiguous: dict[int, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    decided: dict[int, tuple[str, int]] = field(default_factory=dict)   # by possibility

    def __post_init__(self) -> None:
        t = self.target
        letters = S.index_letters(self.network.depth, self.network.notation)
        self.letter_layer = {str(s): l for l, s in enumerate(letters)}
        self.layer = t.layer
        self.unit = t.index[0] if t.index else None
        self.source = t.index[1] if len(t.index) > 1 else None
        self.own = own_functions(self.network)

    def __call__(self, node) -> sp.Expr:
        kind = node[0]
        if kind == "num":
            return sp.Rational(node[1].numerator, node[1].denominator)
        if kind == "neg":
            return -self(node[1])
        if kind in ("add", "sub", "mul", "div"):
            a, b = self(node[1]), self(node[2])
            if kind == "div":
                if b == 0:
                    self._fail("division by zero")
                return a / b
            return {"add": a + b, "sub": a - b, "mul": a * b}[kind]
        if kind == "pow":
            base, exp = self(node[1]), self(node[2])
            if base == sp.E:
                return sp.exp(exp)
            if exp.is_Number and not (exp.is_Rational and abs(exp) <= MAX_EXPONENT):
                # y^99999 would make expand() run for ever
                self._fail(f"numeric exponents must be at most {MAX_EXPONENT}, got {exp}")
            return base ** exp
        if kind == "call":
            _, fname, arg, pos, power, primes = node
            inner = self(arg)
            self._at = pos
            value = self._call(fname, inner, primes, pos)
            self._at = None
            if power is not None:
                if abs(power) > MAX_EXPONENT:
                    self._fail(f"numeric exponents must be at most {MAX_EXPONENT}, got {power}")
                value = value ** sp.Rational(power.numerator, power.denominator)
            return value
        if kind == "sum":
            _, letter, body, pos = node
            if letter not in self.letter_layer:
                self._fail(f"unknown index letter {letter!r} under a sum")
            n = self.network.sizes[self.letter_layer[letter]]
            total = sp.Integer(0)
            for v in range(1, n + 1):
                self.env[letter] = v
                total += self(body)
            del self.env[letter]
            return total
        *args, after = node[1:]
        self._at = node[4]               # the name's position, for messages
        value = self._name(*args)
        self._at = None
        if not after:
            return value
        # w⁺ in a formula: the updated weight, w − η ∂E/∂w, written out
        addr = address_of_symbol(value) if isinstance(value, sp.Indexed) else None
        if addr is None or addr.kind not in ("w", "b"):
            self._fail("only weights and biases have an updated value (w^+)")
        return derived_formula(self.network, self.derivation, addr.updated())

    def _fail(self, message: str):
        pos = getattr(self, "_at", None)
        if pos is not None and "position" not in message:
            message += f" (at position {pos + 1})"
        raise FormulaError(message, None if pos is None else pos + 1)

    def _activation(self, fname: str, arg: sp.Expr) -> str | None:
        """The rule-table row a function name stands for (``f``: the argument's layer's)."""
        if fname == "f":
            layer = self._layer_of(arg) or self.layer or self.network.depth
            return self.network.layers[layer - 1].activation
        act = self.own.get(fname) or _ALIASES.get(fname, fname)
        return act if act in ACTIVATIONS and not ACTIVATIONS[act].layerwise else None

    def _layer_of(self, arg: sp.Expr) -> int | None:
        addr = address_of_symbol(arg) if isinstance(arg, sp.Indexed) else None
        return addr.layer if addr is not None and addr.kind in ("net", "out") else None

    def _call(self, fname: str, arg: sp.Expr, primes: int = 0, pos: int = 0) -> sp.Expr:
        act = self._activation(fname, arg)
        if act is not None and ACTIVATIONS[act].layerwise:
            self._fail(f"f at position {pos + 1} is the softmax of layer "
                       f"{self._layer_of(arg)}, which takes the whole layer; write y_k")
        addr = address_of_symbol(arg) if isinstance(arg, sp.Indexed) else None
        own = (addr is not None and addr.kind == "net"
               and self.network.layers[addr.layer - 1].activation == act)
        if act is not None and primes:
            # f'(net_k) of the layer's own f: its derivative in the output, as the lecture
            deriv = output_derivative(act, self.network.relu_at_zero)
            if own and deriv.in_output is not None:
                return deriv.in_output.subs(Y, S.out(addr.layer)[addr.index[0]])
            return deriv.in_net.subs(Z, arg)
        if act is not None:
            # f(net_k^(l)) of a layer with activation f is that layer's output
            if own:
                return S.out(addr.layer)[addr.index[0]]
            return ACTIVATIONS[act].definition(arg)
        func = {"exp": sp.exp, "ln": sp.log, "log": sp.log}.get(fname)
        if func is None:
            self._fail(f"unknown function {fname!r} at position {pos + 1}")
        if primes:
            return sp.diff(func(Z), Z).subs(Z, arg)
        return func(arg)

    def _unit_output(self) -> sp.Expr:
        """The output of the unit the formula is about (σ alone, as in σ(1 − σ))."""
        layer = self.layer or self.network.depth
        if self.unit is None or self.unit > self.network.sizes[layer]:
            self._fail("which unit's output the bare function name means is not fixed")
        return S.out(layer)[self.unit]

    # -- one name ---------------------------------------------------------------------------
    def _name(self, text: str, sub, layer, pos) -> sp.Expr:
        net = self.network
        if layer is None and (sub is None or len(sub) == 1):
            label = text if sub is None else text + sub[0]      # w1 or the slide's w_1
            if label in net.labels:
                return self._label(label)
        if sub is None and layer is None:
            if isinstance(net.inputs, tuple) and text in net.inputs:
                return S.x[net.inputs.index(text) + 1]
        base = text.rstrip("0123456789")
        if base != text:
            if sub is not None:
                self._fail(f"{text!r} has two subscripts")
            sub = [text[len(base):]]
        if (base in FUNCTIONS or base in self.own) and base not in ("exp", "ln", "log") \
                and sub is None:
            return self._unit_output()       # σ in σ(1 − σ): the unit's output
        base = {"t": "d", "z": "net", "o": "out"}.get(base, base)
        if base == "eta":
            return ETA
        if base == "e" and sub is None:
            return sp.E
        handler = {"y": self._y, "d": self._d, "h": self._h, "out": self._h, "x": self._x,
                   "net": self._layered, "delta": self._layered, "w": self._w,
                   "b": self._b}.get(base)
        if handler is None:
            self._fail(f"unknown name {text!r} at position {pos + 1}; names are y, d (or t), h, "
                       f"x, w, b, net, delta, eta, the input names and the [labels]")
        return handler(base, sub, layer) if base not in ("w", "b") else \
            handler(base, sub, layer, pos)

    def _label(self, text: str) -> sp.Expr:
        addr = self.network.address(text)
        if addr.kind == "w":
            return S.w(addr.layer)[addr.index]
        if addr.kind == "b":
            return S.b(addr.layer)[addr.index[0]]
        return self._symbol(Address(addr.kind, addr.layer, addr.index))

    def _symbol(self, addr: Address) -> sp.Expr:
        base = {"out": S.out, "net": S.net, "delta": S.delta}[addr.kind](addr.layer)
        return base[addr.index[0]]

    def _index(self, item: str, layer: int, what: str) -> int:
        """One index: a number, a bound sum letter, or a letter fixed by the claimed address."""
        if item.isdigit():
            value = int(item)
        elif item in self.env:
            value = self.env[item]
        elif item in self.letter_layer:
            lay = self.letter_layer[item]
            value = self._default_unit(lay, what, letter=item)
        else:
            self._fail(f"unknown index {item!r} in {what}")
        if not 1 <= value <= self.network.sizes[layer]:
            self._fail(f"{what}: index {value} is out of range (1..{self.network.sizes[layer]})")
        return value

    def _default_unit(self, layer: int, what: str, letter: str | None = None) -> int:
        t = self.target
        if layer == self.layer and self.unit is not None:
            return self.unit
        if layer == (self.layer or 0) - 1 and self.source is not None and t.kind in ("dE/dw",
                                                                                     "w"):
            return self.source
        if self.network.sizes[layer] == 1:
            return 1
        hint = f"; sum over it (\\sum_{letter})" if letter else ""
        self._fail(f"{what}: which unit is meant is not fixed by {t}; write its number{hint}")

    def _one(self, sub, layer: int, what: str) -> int:
        if sub is None:
            return self._default_unit(layer, what)
        if len(sub) == 1 and len(sub[0]) > 1 and not sub[0].isdigit():
            self._fail(f"{what} takes one index, got {sub[0]!r}")
        if len(sub) != 1:
            self._fail(f"{what} takes one index, got {len(sub)}")
        return self._index(sub[0], layer, what)

    def _letter_layer(self, sub) -> int | None:
        if sub and len(sub) == 1 and sub[0] in self.letter_layer:
            return self.letter_layer[sub[0]]
        return None

    def _y(self, base, sub, layer):
        L = self.network.depth
        return S.out(L)[self._one(sub, L, "y")]

    def _d(self, base, sub, layer):
        L = self.network.depth
        return S.d[self._one(sub, L, "d")]

    def _x(self, base, sub, layer):
        return S.x[self._one(sub, 0, "x")]

    def _h(self, base, sub, layer):
        L = self.network.depth
        if layer is None:
            layer = self._letter_layer(sub)
        if layer is None:
            own = self.layer or L
            layer = own if own < L and self.target.kind not in ("net",) else own - 1
            if layer < 1:
                layer = 1
        if not 1 <= layer <= L:
            self._fail(f"h: there is no layer {layer}")
        return S.out(layer)[self._one(sub, layer, f"h^({layer})")]

    def _layered(self, base, sub, layer):
        if layer is None:
            layer = self._letter_layer(sub) or self.layer or self.network.depth
        if not 1 <= layer <= self.network.depth:
            self._fail(f"{base}: there is no layer {layer}")
        fn = S.net if base == "net" else S.delta
        return fn(layer)[self._one(sub, layer, f"{base}^({layer})")]

    def _no_layer(self, text: str, pos: int, items: list[str], default: int) -> int:
        """The layer of a weight/bias written with numbers and no layer: the only layer where
        the numbers are possible, a reading fixed by the caller, or the default (recorded as
        ambiguous when several layers are possible)."""
        if not all(i.isdigit() for i in items):
            return default
        idx = [int(i) for i in items]
        possible = tuple(
            l for l in range(1, self.network.depth + 1)
            if 1 <= idx[0] <= self.network.sizes[l]
            and (len(idx) == 1 and self.network.layers[l - 1].bias
                 or len(idx) == 2 and 1 <= idx[1] <= self.network.sizes[l - 1]))
        if len(possible) == 1 and self.network.depth > 1:
            self.decided[pos] = (text, possible[0])
        if len(possible) <= 1:
            return possible[0] if possible else default
        if pos in self.readings:
            return self.readings[pos]
        self.ambiguous[pos] = (text, possible)
        return default if default in possible else possible[-1]

    def _w(self, base, sub, layer, pos=0):
        t = self.target
        if sub is None:
            if t.kind in ("w", "dE/dw") and layer in (None, t.layer):
                return S.w(t.layer)[t.index]
            self._fail("w needs its indices, w_{k,j}^{(l)} (or a [labels] name)")
        items = sub if len(sub) == 2 else list(sub[0]) if len(sub) == 1 else sub
        if len(items) != 2:
            self._fail(f"w needs two indices, got {sub}")
        if layer is None:
            first = items[0]
            if first in self.letter_layer:
                layer = self.letter_layer[first]
            else:
                default = t.layer if t.layer is not None else self.network.depth
                layer = self._no_layer(f"w_{{{','.join(items)}}}", pos, items, default)
        if not 1 <= layer <= self.network.depth:
            self._fail(f"w: there is no layer {layer}")
        k = self._index(items[0], layer, f"w^({layer})")
        j = self._index(items[1], layer - 1, f"w^({layer})")
        return S.w(layer)[k, j]

    def _b(self, base, sub, layer, pos=0):
        if layer is None and sub is not None and len(sub) == 1 and sub[0].isdigit():
            default = self.layer or self.network.depth
            layer = self._no_layer(f"b_{{{sub[0]}}}", pos, sub, default)
        layer = layer or self._letter_layer(sub) or self.layer or self.network.depth
        if not 1 <= layer <= self.network.depth:
            self._fail(f"b: there is no layer {layer}")
        if not self.network.layers[layer - 1].bias:
            self._fail(f"layer {layer} has no bias")
        return S.b(layer)[self._one(sub, layer, f"b^({layer})")]
