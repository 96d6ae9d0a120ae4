r"""A student's formula, read safely, and compared with the derived one.

The text is never executed: a small tokenizer and a recursive-descent parser accept numbers,
``+ - * / ^ **``, brackets, implicit products, a whitelist of names (``y``, ``d``/``t``, ``h``,
``x``, ``w``, ``b``, ``net``, ``delta``/``δ``, ``eta``/``η``, the spec's input names and
``[labels]``) and functions (σ/sigma, exp, ln/log, tanh, and each activation's name), in plain
text (``(y - d) * y * (1 - y) * h1``) or LaTeX (``(y_k - d_k) y_k (1 - y_k) h_j^{(1)}``,
``\frac{}{}``, ``\cdot``, ``\times``, ``\sum_k``). SymPy objects are built directly; ``sympify``
(which evaluates strings) is never called on the input.

Names map to the network's quantities *for the address being claimed*: for
``dE/dw2[1,1]`` the ``k`` of ``y_k`` is 1 and the ``j`` of ``h_j`` is 1, ``y`` is ``y_1``, and
``h1`` (or ``h_1``) is unit 1 of the hidden layer. Equivalence is decided by composing both
formulas down to the inputs, weights and targets: a numeric test at the example's values and at
random rational points (any difference is a counterexample), then a symbolic proof.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from ..addresses import Address
from ..derive import symbols as S
from ..derive.rules import ACTIVATIONS
from ..errors import SpecError

if TYPE_CHECKING:
    from .display import Math

ETA = sp.Symbol("eta", real=True)
MAX_LENGTH, MAX_DEPTH, MAX_EXPONENT = 2000, 60, 12

# -- tokens ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>\s+|\\[,;:!\ ]|\\quad|\\qquad)
  | (?P<number>\d+\.?\d*|\.\d+)
  | (?P<command>\\[A-Za-z]+)
  | (?P<name>[A-Za-zδησΣ]+\d*)
  | (?P<op>\*\*|[-+*/^()\[\]{},_×·⋅∙−])
""", re.VERBOSE)

_COMMAND_NAMES = {r"\delta": "delta", r"\eta": "eta", r"\sigma": "sigma", r"\exp": "exp",
                  r"\ln": "ln", r"\log": "ln", r"\tanh": "tanh", r"\Delta": "delta"}
_OPERATOR_COMMANDS = {r"\cdot": "*", r"\times": "*", r"\left": None, r"\right": None,
                      r"\big": None, r"\Big": None, r"\bigl": None, r"\bigr": None}
_UNICODE_OPS = {"×": "*", "·": "*", "⋅": "*", "∙": "*", "−": "-"}
_GREEK = {"δ": "delta", "η": "eta", "σ": "sigma", "Σ": "sum"}
_FUNCTIONS = {"sigma", "sig", "exp", "ln", "log", "tanh",
              *(n for n, row in ACTIVATIONS.items() if not row.layerwise)}
_TEXT_COMMANDS = {r"\mathrm", r"\text", r"\operatorname", r"\mathit", r"\textrm"}


@dataclass(frozen=True)
class Token:
    kind: str      # number | name | op | frac | sum | end
    text: str
    pos: int


class FormulaError(ValueError):
    """A formula that cannot be read; the message says where and why."""


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        kind, value = m.lastgroup, m[0]
        if kind == "command":
            if value in _TEXT_COMMANDS:     # \mathrm{net} → the name net
                inner = re.match(r"\s*\{\s*([A-Za-z]+)\s*\}", text[m.end():])
                if not inner:
                    raise FormulaError(f"{value} needs a name in braces at position {pos + 1}")
                tokens.append(Token("name", inner[1], pos))
                pos = m.end() + inner.end()
                continue
            if value in _OPERATOR_COMMANDS:
                if _OPERATOR_COMMANDS[value]:
                    tokens.append(Token("op", _OPERATOR_COMMANDS[value], pos))
            elif value in _COMMAND_NAMES:
                tokens.append(Token("name", _COMMAND_NAMES[value], pos))
            elif value in (r"\frac", r"\dfrac", r"\tfrac"):
                tokens.append(Token("frac", value, pos))
            elif value == r"\sum":
                tokens.append(Token("sum", value, pos))
            else:
                raise FormulaError(f"unknown LaTeX command {value} at position {pos + 1}")
        elif kind == "name":
            base = value.rstrip("0123456789")
            if base in _GREEK:
                value = _GREEK[base] + value[len(base):]
            if value == "sum":
                tokens.append(Token("sum", value, pos))
            else:
                tokens.append(Token("name", value, pos))
        elif kind == "op":
            tokens.append(Token("op", _UNICODE_OPS.get(value, value), pos))
        elif kind == "number":
            if len(value) > 30:
                raise FormulaError(f"number too long at position {pos + 1}")
            tokens.append(Token("number", value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- syntax tree: tuples, turned into SymPy by `Resolver` ----------------------------------------
# ("num", Rational) ("name", text, sub | None, layer | None, pos, after) ("add", a, b) ("sub", a, b)
# ("mul", a, b) ("div", a, b) ("neg", a) ("pow", a, b) ("call", fname, a, pos)
# ("sum", letter, body, pos)

Node = tuple       # a syntax-tree node, see above


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None) -> Token:
        tok = self.tok
        if text is not None and tok.text != text:
            where = "the end" if tok.kind == "end" else f"{tok.text!r}"
            raise FormulaError(f"expected {text!r} at position {tok.pos + 1}, found {where}")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def parse(self) -> Node:
        tree = self.expr()
        if self.tok.kind != "end":
            raise FormulaError(f"unexpected {self.tok.text!r} at position {self.tok.pos + 1}")
        return tree

    def _deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("the formula is nested too deeply")

    def expr(self) -> Node:
        self._deeper()
        if self.at("+", "-"):
            sign = self.take().text
            node = self.term()
            node = ("neg", node) if sign == "-" else node
        else:
            node = self.term()
        while self.at("+", "-"):
            op = self.take().text
            node = ("add" if op == "+" else "sub", node, self.term())
        self.depth -= 1
        return node

    def _starts_primary(self) -> bool:
        tok = self.tok
        return tok.kind in ("number", "name", "frac", "sum") or self.at("(", "[", "{")

    def term(self) -> Node:
        node = self.unary()
        while True:
            if self.at("*", "/"):
                op = self.take().text
                node = ("mul" if op == "*" else "div", node, self.unary())
            elif self._starts_primary():       # implicit product: "2 y", "y_k (1 - y_k)"
                node = ("mul", node, self.unary())
            else:
                return node

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("^", "**"):
            self.take()
            return ("pow", base, self.exponent())
        return base

    def exponent(self) -> Node:
        if self.at("-"):
            self.take()
            return ("neg", self.exponent())
        if self.at("{"):
            self.take()
            node = self.expr()
            self.take("}")
            return node
        if self.tok.kind == "number":
            return self._number(self.take())
        return self.primary()

    def _number(self, tok: Token):
        f = Fraction(tok.text)       # digits and a point only: the regex allows nothing else
        return ("num", sp.Rational(f.numerator, f.denominator))

    def primary(self) -> Node:
        self._deeper()
        tok = self.tok
        if tok.kind == "number":
            node = self._number(self.take())
        elif tok.kind == "frac":
            self.take()
            num = self._group()
            den = self._group()
            node = ("div", num, den)
        elif tok.kind == "sum":
            node = self._sum()
        elif self.at("(", "[", "{"):
            close = {"(": ")", "[": "]", "{": "}"}[self.take().text]
            node = self.expr()
            self.take(close)
        elif tok.kind == "name":
            node = self._name()
        else:
            where = "the end" if tok.kind == "end" else repr(tok.text)
            raise FormulaError(f"unexpected {where} at position {tok.pos + 1}")
        self.depth -= 1
        return node

    def _group(self):
        if self.at("{"):
            self.take()
            node = self.expr()
            self.take("}")
            return node
        return self.primary()

    def _sum(self):
        tok = self.take()
        self.take("_")
        if self.at("{"):
            self.take()
            letter = self.take()
            self.take("}")
        else:
            letter = self.take()
        if letter.kind != "name" or not letter.text.isalpha() or len(letter.text) != 1:
            raise FormulaError(f"a sum needs one index letter (\\sum_k) at position {tok.pos + 1}")
        return ("sum", letter.text, self.term(), tok.pos)

    def _name(self):
        tok = self.take()
        text = tok.text
        if text in _FUNCTIONS and (self.at("(", "[", "{") or self.tok.kind in ("name", "number")):
            if self.at("(", "[", "{"):
                arg = self.primary()
            else:
                arg = self.power()
            return ("call", text, arg, tok.pos)
        sub = layer = None
        after = False
        for _ in range(3):              # _sub, ^{(layer)} and ^+ in any order
            if self.at("_") and sub is None:
                self.take()
                sub = self._subscript()
            elif self.at("^") and layer is None and self._layer_follows():
                self.take()
                layer = self._layer()
            elif self.at("^") and not after and self._plus_follows():
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                self.take("+")
                if braced:
                    self.take("}")
                after = True
        return ("name", text, sub, layer, tok.pos, after)

    def _plus_follows(self) -> bool:
        """``^+`` or ``^{+}``: the value after the update."""
        texts = [x.text for x in self.tokens[self.i:self.i + 4]]
        return texts[1] == "+" or texts[1:4] == ["{", "+", "}"]

    def _subscript(self) -> list[str]:
        if self.at("{"):
            self.take()
            items: list[str] = []
            while not self.at("}"):
                tok = self.take()
                if tok.kind == "end":
                    raise FormulaError("a subscript is not closed with '}'")
                if tok.text != ",":
                    items.append(tok.text)
            self.take("}")
            return items
        tok = self.take()
        if tok.kind not in ("name", "number"):
            raise FormulaError(f"expected an index after '_' at position {tok.pos + 1}")
        return [tok.text]

    def _layer_follows(self) -> bool:
        """``^{(1)}`` or ``^(1)`` is a layer; anything else after ``^`` is a power."""
        t = self.tokens[self.i:self.i + 5]
        texts = [x.text for x in t]
        return texts[1:3] == ["{", "("] or (texts[1] == "(" and len(t) > 3 and
                                              t[2].kind == "number" and texts[3] == ")")

    def _layer(self) -> int:
        braced = self.at("{")
        if braced:
            self.take()
        self.take("(")
        tok = self.take()
        if tok.kind != "number" or not tok.text.isdigit():
            raise FormulaError(f"a layer number is expected at position {tok.pos + 1}")
        self.take(")")
        if braced:
            self.take("}")
        return int(tok.text)


def parse(text: str) -> Node:
    """The syntax tree of ``text`` (`FormulaError` when it cannot be read)."""
    return Parser(text).parse()


# -- names → the network's quantities ----------------------------------------------------------
@dataclass
class Resolver:
    """Turns a syntax tree into SymPy for one claimed address (see module docstring)."""

    network: object
    target: Address
    derivation: object = None
    env: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.target
        letters = S.index_letters(self.network.depth, self.network.notation)
        self.letter_layer = {str(s): l for l, s in enumerate(letters)}
        self.layer = t.layer
        self.unit = t.index[0] if t.index else None
        self.source = t.index[1] if len(t.index) > 1 else None

    def __call__(self, node) -> sp.Expr:
        kind = node[0]
        if kind == "num":
            return node[1]
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
            return self._call(node[1], self(node[2]))
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
        value = self._name(*args)
        if not after:
            return value
        # w⁺ in a formula: the updated weight, w − η ∂E/∂w, written out
        addr = address_of_symbol(value) if isinstance(value, sp.Indexed) else None
        if addr is None or addr.kind not in ("w", "b"):
            self._fail("only weights and biases have an updated value (w^+)")
        return derived_formula(self.network, self.derivation, addr.updated())

    def _fail(self, message: str):
        raise FormulaError(message)

    def _call(self, fname: str, arg: sp.Expr) -> sp.Expr:
        act = {"sigma": "sigmoid", "sig": "sigmoid"}.get(fname, fname)
        if act in ACTIVATIONS and not ACTIVATIONS[act].layerwise:
            # f(net_k^(l)) of a layer with activation f is that layer's output
            if isinstance(arg, sp.Indexed) and str(arg.base).startswith("net"):
                l = int(str(arg.base)[3:])
                if self.network.layers[l - 1].activation == act:
                    return S.out(l)[arg.indices[0]]
            return ACTIVATIONS[act].definition(arg)
        return {"exp": sp.exp, "ln": sp.log, "log": sp.log}[fname](arg)

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
        return handler(base, sub, layer)

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

    def _w(self, base, sub, layer):
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
                layer = t.layer if t.layer is not None else self.network.depth
        if not 1 <= layer <= self.network.depth:
            self._fail(f"w: there is no layer {layer}")
        k = self._index(items[0], layer, f"w^({layer})")
        j = self._index(items[1], layer - 1, f"w^({layer})")
        return S.w(layer)[k, j]

    def _b(self, base, sub, layer):
        layer = layer or self._letter_layer(sub) or self.layer or self.network.depth
        if not self.network.layers[layer - 1].bias:
            self._fail(f"layer {layer} has no bias")
        return S.b(layer)[self._one(sub, layer, f"b^({layer})")]


def address_of_symbol(sym) -> Address | None:
    from .replay import symbol_address
    try:
        return symbol_address(sym)
    except (ValueError, AttributeError):
        return None


# -- the derived formula and the comparison ------------------------------------------------------
CHECKABLE = ("dE/dw", "dE/db", "delta", "w", "b")


def derived_formula(network, derivation, addr: Address) -> sp.Expr:
    """The derivation's formula for ``addr`` (gradients, δ, updated weights/biases)."""
    if addr.kind in ("dE/dw", "dE/db"):
        j = addr.index[1] if addr.kind == "dE/dw" else None
        return derivation.weight_chain(addr.layer, addr.index[0], j).expr()
    if addr.kind == "delta" and not addr.after:
        lay = derivation.layer(addr.layer)
        return lay.delta_full.subs({lay.unit: addr.index[0]}).expanded().expr().doit()
    if addr.kind in ("w", "b") and addr.after:
        grad = Address("dE/dw" if addr.kind == "w" else "dE/db", addr.layer, addr.index)
        param = S.w(addr.layer)[addr.index] if addr.kind == "w" else S.b(addr.layer)[addr.index[0]]
        return param - ETA * derived_formula(network, derivation, grad)
    raise ValueError(addr)


@dataclass
class FormulaResult:
    name: str                 # the key as written
    address: Address
    written: str              # the formula as written
    student: sp.Expr | None
    derived: sp.Expr
    equivalent: bool
    proof: str                # how equivalence was decided
    point: dict | None = None         # a point where they differ: {Address: value}
    values: tuple | None = None       # (student's value, derived value) at that point
    factor: sp.Expr | None = None     # student = factor × derived, when a constant
    derived_display: object = None    # the derived formula in the lecture's order (Math)


def _deltas(derivation) -> dict:
    return {S.delta(lay.layer)[k]: lay.delta_full.subs({lay.unit: k}).expanded().expr().doit()
            for lay in derivation.layers for k in range(1, lay.units + 1)}


def _compose(network, expr: sp.Expr, derivation) -> sp.Expr:
    """Replace δ, out and net by what they are made of, down to x, w, b and d."""
    mapping: dict = _deltas(derivation)
    for lay in derivation.layers:
        l, row = lay.layer, ACTIVATIONS[lay.activation]
        n = network.sizes[l]
        for k in range(1, n + 1):
            z = S.net(l)[k]
            mapping[S.out(l)[k]] = (sp.exp(z) / sp.Add(*(sp.exp(S.net(l)[q])
                                                         for q in range(1, n + 1)))
                                    if row.layerwise else row.definition(z))
            net = sp.Add(*(S.w(l)[k, j] * S.out(l - 1)[j] for j in range(1, lay.fan_in + 1)))
            mapping[z] = net + S.b(l)[k] if lay.bias else net
    for _ in range(3 * network.depth + 2):      # each pass goes one step down the network
        new = expr.xreplace(mapping)
        if new == expr:
            break
        expr = new
    return expr


def _example_point(network, derivation) -> dict:
    from ..derive.example import initial_weights
    point = dict(initial_weights(network))
    ex = network.example
    point.update({S.x[i]: v for i, v in enumerate(ex.input, start=1)})
    point.update({S.d[k]: v for k, v in enumerate(ex.target, start=1)})
    point[ETA] = ex.learning_rate
    return point


def _random_point(symbols, rng: random.Random) -> dict:
    point = {}
    for s in symbols:
        if s == ETA:
            point[s] = sp.Rational(rng.randint(1, 9), 10)
        elif isinstance(s, sp.Indexed) and str(s.base) == "d":
            point[s] = sp.Rational(rng.randint(1, 9), 10)
        else:
            point[s] = sp.Rational(rng.randint(-90, 90), 100)
    return point


def _value(expr: sp.Expr, point: dict) -> sp.Float | None:
    try:
        v = sp.N(expr.xreplace(point), 30)
    except (ZeroDivisionError, TypeError, ValueError, OverflowError):
        return None
    return v if v.is_finite and v.is_real else None


def compare(network, derivation, addr: Address, student: sp.Expr) -> FormulaResult:
    derived = derived_formula(network, derivation, addr)
    if network.example is not None:      # w − (y − d)… with η = 1 left out is what slides do
        eta = {ETA: network.example.learning_rate}
        student, derived = student.xreplace(eta), derived.xreplace(eta)
    result = FormulaResult("", addr, "", student, derived, False, "")
    student_in_outputs = student.xreplace(_deltas(derivation))   # δ written out, y kept
    try:
        ratio = sp.cancel(student_in_outputs / derived) if derived != 0 else None
        if ratio is not None and ratio.is_Number:
            result.factor = ratio
    except (ZeroDivisionError, TypeError):
        pass
    a = _compose(network, student, derivation)
    b = _compose(network, derived, derivation)
    symbols = sorted({s for e in (a, b) for s in e.atoms(sp.Indexed)} | (
        {ETA} if ETA in a.free_symbols | b.free_symbols else set()), key=sp.default_sort_key)
    points = [] if network.example is None else [_example_point(network, derivation)]
    rng = random.Random(8034)
    points += [_random_point(symbols, rng) for _ in range(6)]
    for i, point in enumerate(points):
        va, vb = _value(a, point), _value(b, point)
        if va is None or vb is None:
            continue
        if abs(va - vb) > sp.Float("1e-20") * max(1, abs(vb)):
            result.point = _show_point(network, derivation, student, derived, point,
                                       example=(i == 0 and network.example is not None))
            result.values = (va, vb)
            result.proof = "counterexample"
            return result
    if sp.cancel(sp.expand(student_in_outputs - derived)) == 0:
        result.equivalent, result.proof = True, "proven: the difference cancels to 0"
    elif _atoms_cancel(a - b):
        result.equivalent, result.proof = True, "proven: equal once y = f(net) is written out"
    else:
        result.equivalent = True
        result.proof = f"equal at {len(points)} points (a symbolic proof was not found)"
    return result


def _atoms_cancel(expr: sp.Expr) -> bool:
    """0 as a rational function of its exp/tanh/log atoms (σ(1 − σ) against e⁻ᶻ/(1 + e⁻ᶻ)²)."""
    if sp.count_ops(expr) > 3000:
        return False
    atoms = expr.atoms(sp.exp, sp.tanh, sp.log)
    fresh = {a: sp.Dummy() for a in atoms}
    try:
        return sp.cancel(sp.together(expr.xreplace(fresh))) == 0
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        return False


def _show_point(network, derivation, student, derived, point, example: bool) -> dict:
    """The point in the formula's own quantities (y, h, d …) when they are few."""
    shown = {}
    for s in sorted(student.atoms(sp.Indexed) | derived.atoms(sp.Indexed), key=str):
        addr = address_of_symbol(s)
        value = _value(_compose(network, s, derivation), point)
        if addr is not None and value is not None:
            shown[addr] = value
    if ETA in student.free_symbols | derived.free_symbols:
        shown["η"] = point.get(ETA)
    shown["_example"] = example
    return shown


def check_formula(network, derivation, name: str, text: str) -> FormulaResult:
    """Parse ``text`` for the address ``name`` and compare it with the derivation."""
    key = f"formulas.{name}"
    try:
        addr = network.address(name)
    except SpecError as exc:
        from .claims import reason
        raise SpecError(f"unknown address or label: {reason(exc)}", file=network.source, key=key,
                        expected="a gradient, δ or updated-weight address such as dE/dw2[1,1]"
                        ) from None
    if addr.kind not in CHECKABLE or (addr.kind in ("w", "b") and not addr.after) or (
            addr.kind == "delta" and addr.after):
        raise SpecError("no derived formula to compare with", file=network.source, key=key,
                        expected="dE/dw…, dE/db…, delta…, or an updated weight w…+ / b…+",
                        got=name)
    try:
        tree = parse(text)
        student = Resolver(network, addr, derivation)(tree)
    except FormulaError as exc:
        raise SpecError(f"cannot read the formula: {exc}", file=network.source, key=key,
                        got=text) from None
    except RecursionError:
        raise SpecError("cannot read the formula: nested too deeply", file=network.source,
                        key=key) from None
    result = compare(network, derivation, addr, student)
    result.name, result.written = name, text
    result.derived_display = derived_display(network, derivation, addr)
    return result


def derived_display(network, derivation, addr: Address) -> Math:
    """The derived formula as the lecture writes it: the chain's factors in order."""
    from .display import chain_math  # display imports this module: import here
    if addr.kind in ("dE/dw", "dE/db", "w", "b"):
        j = addr.index[1] if addr.kind in ("dE/dw", "w") else None
        chain = derivation.weight_chain(addr.layer, addr.index[0], j)
        if addr.kind in ("w", "b"):
            param = S.w(addr.layer)[addr.index] if addr.kind == "w" else \
                S.b(addr.layer)[addr.index[0]]
            eta = network.example.learning_rate if network.example else ETA
            prefix = (param, " − ") if eta == 1 else (param, " − ", ETA, " × ")
            return chain_math(chain.parts, network, prefix)
        return chain_math(chain.parts, network)
    lay = derivation.layer(addr.layer)
    return chain_math(lay.delta_full.subs({lay.unit: addr.index[0]}).expanded().parts, network)
