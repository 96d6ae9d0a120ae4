r"""A formula's text → a small syntax tree; pure syntax, nothing is evaluated or executed.

Accepted: numbers, ``+ - * / ^ **``, brackets, implicit products (``2 y``, ``y (1 - y)``),
``×``/``·``/``\cdot``/``\times``, names with subscripts, a layer ``^{(l)}`` and a ``^+``
(after the update), functions with an optional power and primes (``tanh^2(net_1)``,
``\tanh^{2} z``, ``σ'(net)``, ``f'(net)``), ``\frac{}{}``, ``\sum_k`` and ``e^{x}``.
``\sigma(1 - \sigma)`` is read as the product σ·(1 − σ): a function whose argument uses the
function's bare name is the bare name times the bracket.

Nodes are tuples:
``("num", Fraction)`` ``("name", text, sub | None, layer | None, pos, after)``
``("add"|"sub"|"mul"|"div"|"pow", a, b)`` ``("neg", a)``
``("call", fname, arg, pos, power, primes)`` ``("sum", letter, body, pos)``.
Which names are functions is the caller's to say (``functions``); the meaning of names is the
caller's too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

MAX_LENGTH, MAX_DEPTH, MAX_NUMBER = 2000, 60, 30
BASIC_FUNCTIONS = frozenset({"sigma", "sig", "exp", "ln", "log", "tanh", "f"})

_TOKEN = re.compile(r"""
    (?P<space>\s+|\\[,;:!\ ]|\\quad|\\qquad)
  | (?P<number>\d+\.?\d*|\.\d+)
  | (?P<command>\\[A-Za-z]+)
  | (?P<name>[A-Za-zδησΣ]+\d*)
  | (?P<op>\*\*|<=|>=|[-+*/^()\[\]{},_×·⋅∙−'′<>≤≥])
""", re.VERBOSE)

_COMMAND_NAMES = {r"\delta": "delta", r"\eta": "eta", r"\sigma": "sigma", r"\exp": "exp",
                  r"\ln": "ln", r"\log": "ln", r"\tanh": "tanh", r"\Delta": "delta"}
_OPERATOR_COMMANDS = {r"\cdot": "*", r"\times": "*", r"\left": None, r"\right": None,
                      r"\big": None, r"\Big": None, r"\bigl": None, r"\bigr": None,
                      r"\prime": "'"}
_UNICODE_OPS = {"×": "*", "·": "*", "⋅": "*", "∙": "*", "−": "-", "′": "'", "≤": "<=",
                "≥": ">="}
_GREEK = {"δ": "delta", "η": "eta", "σ": "sigma", "Σ": "sum"}
_TEXT_COMMANDS = {r"\mathrm", r"\text", r"\operatorname", r"\mathit", r"\textrm"}

Node = tuple


@dataclass(frozen=True)
class Token:
    kind: str      # number | name | op | frac | sum | end
    text: str
    pos: int       # 0-based character offset


class FormulaError(ValueError):
    """A formula that cannot be read; ``pos`` is the 1-based position when one is known."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.pos = pos


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise FormulaError(f"unexpected character {text[pos]!r} at position {pos + 1}",
                               pos + 1)
        kind, value = m.lastgroup, m[0]
        if kind == "command":
            if value in _TEXT_COMMANDS:     # \mathrm{net} → the name net
                inner = re.match(r"\s*\{\s*([A-Za-z]+)\s*\}", text[m.end():])
                if not inner:
                    raise FormulaError(f"{value} needs a name in braces at position {pos + 1}",
                                       pos + 1)
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
                raise FormulaError(f"unknown LaTeX command {value} at position {pos + 1}",
                                   pos + 1)
        elif kind == "name":
            base = value.rstrip("0123456789")
            if base in _GREEK:
                value = _GREEK[base] + value[len(base):]
            tokens.append(Token("sum" if value == "sum" else "name", value, pos))
        elif kind == "op":
            tokens.append(Token("op", _UNICODE_OPS.get(value, value), pos))
        elif kind == "number":
            if len(value) > MAX_NUMBER:
                raise FormulaError(f"number too long at position {pos + 1}", pos + 1)
            tokens.append(Token("number", value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class Parser:
    """Recursive descent over `tokenize`'s tokens; depth and length are bounded."""

    def __init__(self, text: str, functions: frozenset[str] = BASIC_FUNCTIONS) -> None:
        self.tokens = tokenize(text)
        self.functions = functions
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, message: str, tok: Token | None = None):
        tok = self.tok if tok is None else tok
        raise FormulaError(message, tok.pos + 1)

    def take(self, text: str | None = None) -> Token:
        tok = self.tok
        if text is not None and tok.text != text:
            where = "the end" if tok.kind == "end" else f"{tok.text!r}"
            self.fail(f"expected {text!r} at position {tok.pos + 1}, found {where}")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def parse(self) -> Node:
        tree = self.expr()
        if self.tok.kind != "end":
            self.fail(f"unexpected {self.tok.text!r} at position {self.tok.pos + 1}")
        return tree

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("the formula is nested too deeply")

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
        return self.tok.kind in ("number", "name", "frac", "sum") or self.at("(", "[", "{")

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

    @staticmethod
    def _number(tok: Token) -> Node:
        return ("num", Fraction(tok.text))     # digits and a point only (the regex's)

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
            self.fail(f"unexpected {where} at position {tok.pos + 1}")
        self.depth -= 1
        return node

    def _group(self) -> Node:
        if self.at("{"):
            self.take()
            node = self.expr()
            self.take("}")
            return node
        return self.primary()

    def _sum(self) -> Node:
        tok = self.take()
        self.take("_")
        if self.at("{"):
            self.take()
            letter = self.take()
            self.take("}")
        else:
            letter = self.take()
        if letter.kind != "name" or not letter.text.isalpha() or len(letter.text) != 1:
            self.fail(f"a sum needs one index letter (\\sum_k) at position {tok.pos + 1}", tok)
        return ("sum", letter.text, self.term(), tok.pos)

    def _function_follows(self) -> bool:
        """After a function's name: an argument, a prime or ``^2(`` (a power of the call)."""
        if self.at("(", "[", "{", "'") or self.tok.kind in ("name", "number"):
            return True
        if self.at("^"):
            t = self.tokens[self.i + 1:self.i + 5]
            texts = [x.text for x in t]
            if t and t[0].kind == "number":
                return len(t) > 1 and (texts[1] in ("(", "[", "{") or t[1].kind == "name")
            return texts[:3] == ["{", texts[1], "}"] and len(t) > 3 and t[1].kind == "number" \
                and (texts[3] in ("(", "[") or t[3].kind == "name")
        return False

    def _name(self) -> Node:
        tok = self.take()
        text = tok.text
        if text in self.functions and self._function_follows():
            return self._call(tok)
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

    def _call(self, tok: Token) -> Node:
        power: Fraction | None = None
        primes = 0
        if self.at("^"):                       # tanh^2(x), \tanh^{2} x
            self.take()
            braced = self.at("{")
            if braced:
                self.take()
            power = Fraction(self.take().text)
            if braced:
                self.take("}")
        while self.at("'"):
            self.take()
            primes += 1
        if primes > 1:
            self.fail(f"only a first derivative ({tok.text}') is understood", tok)
        if self.at("(", "[", "{"):
            arg = self.primary()
        elif self.tok.kind in ("name", "number"):
            arg = self.power()
        else:
            self.fail(f"{tok.text}' needs its argument, such as {tok.text}'(net)", tok)
        if not primes and power is None and _uses_bare(arg, tok.text):
            # \sigma(1 - \sigma): σ times (1 − σ), not σ of (1 − σ)
            return ("mul", ("name", tok.text, None, None, tok.pos, False), arg)
        return ("call", tok.text, arg, tok.pos, power, primes)

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
                    self.fail("a subscript is not closed with '}'", tok)
                if tok.text != ",":
                    items.append(tok.text)
            self.take("}")
            return items
        tok = self.take()
        if tok.kind not in ("name", "number"):
            self.fail(f"expected an index after '_' at position {tok.pos + 1}", tok)
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
            self.fail(f"a layer number is expected at position {tok.pos + 1}", tok)
        self.take(")")
        if braced:
            self.take("}")
        return int(tok.text)


def _uses_bare(node: Node, fname: str) -> bool:
    if node[0] == "name":
        return node[1] == fname and node[2] is None
    if node[0] in ("num", "call"):
        return node[0] == "call" and _uses_bare(node[2], fname)
    if node[0] == "sum":
        return _uses_bare(node[2], fname)
    return any(_uses_bare(child, fname) for child in node[1:] if isinstance(child, tuple))


def parse(text: str, functions: frozenset[str] = BASIC_FUNCTIONS) -> Node:
    """The syntax tree of ``text`` (`FormulaError` when it cannot be read); ``functions`` are
    the names read as functions when an argument follows."""
    return Parser(text, functions).parse()
