r"""A user's formula (an activation in z, a loss term in y and d) → SymPy, through an allow-list.

The text is read by `symprop.formula.syntax` (pure syntax, nothing evaluated) extended here by
functions of several arguments (``min``, ``max``), comparisons and ``piecewise((value,
condition), …, (value, true))``. Only the functions of `FUNCTIONS` exist; every other name must
be a variable or a named parameter, so nothing a formula says can reach Python's ``eval``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from .syntax import FormulaError, Node, Parser, Token


@dataclass(frozen=True)
class Function:
    """One allowed function: the SymPy name it becomes and how many arguments it takes."""

    sympy_name: str
    arity: int | None = 1            # None: two or more (min, max); piecewise is its own case


# the allow-list, as data: the formula's name → the SymPy function
FUNCTIONS: dict[str, Function] = {
    "exp": Function("exp"), "log": Function("log"), "ln": Function("log"),
    "sqrt": Function("sqrt"), "abs": Function("Abs"),
    "min": Function("Min", None), "max": Function("Max", None),
    "sinh": Function("sinh"), "cosh": Function("cosh"), "tanh": Function("tanh"),
    "asinh": Function("asinh"), "acosh": Function("acosh"), "atanh": Function("atanh"),
    "sin": Function("sin"), "cos": Function("cos"), "tan": Function("tan"),
    "asin": Function("asin"), "acos": Function("acos"), "atan": Function("atan"),
    "erf": Function("erf"), "piecewise": Function("Piecewise", None),
}
CONSTANTS = {"e": "E", "pi": "pi"}          # used when no variable or parameter has the name
TRUE_WORDS = ("true", "otherwise")
COMPARISONS = {"<": "StrictLessThan", "<=": "LessThan", ">": "StrictGreaterThan",
               ">=": "GreaterThan"}


class ExpressionParser(Parser):
    """The syntax's parser with calls of several arguments, comparisons and piecewise."""

    def __init__(self, text: str, names: frozenset[str]) -> None:
        super().__init__(text, frozenset(FUNCTIONS))
        self.names = names

    def _name(self) -> Node:
        tok = self.take()
        if tok.text in self.functions:
            return self._call(tok)
        if self.at("(") and tok.text not in self.names and tok.text not in CONSTANTS:
            self.fail(f"unknown function {tok.text!r} at position {tok.pos + 1} (allowed: "
                      + ", ".join(FUNCTIONS) + ")", tok)
        if self.at("_", "'"):
            self.fail(f"{tok.text!r} at position {tok.pos + 1}: subscripts and primes are not "
                      "part of a formula's names", tok)
        return ("name", tok.text, None, None, tok.pos, False)

    def _call(self, tok: Token) -> Node:
        power = None
        if self.at("^"):                       # tanh^2(z)
            self.take()
            braced = self.at("{")
            if braced:
                self.take()
            number = self.take()
            if number.kind != "number":
                self.fail(f"a power of {tok.text} must be a number, at position "
                          f"{number.pos + 1}", number)
            power = number.text
            if braced:
                self.take("}")
        if not self.at("("):
            self.fail(f"{tok.text} needs its arguments in brackets, at position {tok.pos + 1}",
                      tok)
        self.take("(")
        args = [self._piece() if tok.text == "piecewise" else self.expr()]
        while self.at(","):
            self.take()
            args.append(self._piece() if tok.text == "piecewise" else self.expr())
        self.take(")")
        arity = FUNCTIONS[tok.text].arity
        if arity is not None and len(args) != arity:
            self.fail(f"{tok.text} takes {arity} argument(s), got {len(args)}, at position "
                      f"{tok.pos + 1}", tok)
        if tok.text in ("min", "max") and len(args) < 2:
            self.fail(f"{tok.text} needs two or more arguments, at position {tok.pos + 1}", tok)
        return ("call", tok.text, tuple(args), tok.pos, power, 0)

    def _piece(self) -> Node:
        self.take("(")
        value = self.expr()
        self.take(",")
        condition = self._condition()
        self.take(")")
        return ("piece", value, condition)

    def _condition(self) -> Node:
        if self.tok.kind == "name" and self.tok.text in TRUE_WORDS:
            self.take()
            return ("true",)
        left = self.expr()
        if not (self.tok.kind == "op" and self.tok.text in COMPARISONS):
            self.fail(f"a condition such as z > 0 (or true) is expected at position "
                      f"{self.tok.pos + 1}")
        op = self.take().text
        return ("cmp", op, left, self.expr())


def parse(text: str, names: frozenset[str]) -> Node:
    """The syntax tree of ``text``, whose only names are ``names`` and `CONSTANTS`."""
    return ExpressionParser(text, names).parse()


def count_nodes(node: Node) -> int:
    return 1 + sum(count_nodes(c) for c in _children(node))


def _children(node: Node) -> list[Node]:
    kind = node[0]
    if kind == "call":
        return list(node[2])
    if kind == "piece":
        return [node[1], node[2]]
    if kind == "cmp":
        return [node[2], node[3]]
    if kind in ("add", "sub", "mul", "div", "pow"):
        return [node[1], node[2]]
    if kind == "neg":
        return [node[1]]
    return []


def to_sympy(node: Node, symbols: dict[str, Any], *, max_exponent: int) -> Any:
    """SymPy for ``node``; ``symbols`` maps each allowed name to its SymPy value.

    A number raised to a power and integer powers are bounded by ``max_exponent`` (``9^9^9``
    would take SymPy minutes)."""
    sp = importlib.import_module("sympy")
    kind = node[0]
    if kind == "num":
        return sp.Rational(node[1].numerator, node[1].denominator)
    if kind == "name":
        name = node[1]
        if name in symbols:
            return symbols[name]
        if name in CONSTANTS:
            return getattr(sp, CONSTANTS[name])
        known = ", ".join(sorted(symbols))
        raise FormulaError(f"unknown name {name!r} at position {node[4] + 1} (known: {known}; "
                           f"functions: {', '.join(FUNCTIONS)})", node[4] + 1)
    if kind == "neg":
        return -to_sympy(node[1], symbols, max_exponent=max_exponent)
    if kind in ("add", "sub", "mul", "div", "pow"):
        a = to_sympy(node[1], symbols, max_exponent=max_exponent)
        b = to_sympy(node[2], symbols, max_exponent=max_exponent)
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "mul":
            return a * b
        if kind == "div":
            if b == 0:
                raise FormulaError("a division by zero")
            return a / b
        if b.is_number and (not b.is_Rational or abs(b) > max_exponent):
            raise FormulaError(f"the power {b} is not a number between -{max_exponent} and "
                               f"{max_exponent}")
        if a == 0 and b.is_negative:
            raise FormulaError("a division by zero (0 to a negative power)")
        return a**b
    if kind == "call":
        fname, args, power = node[1], node[2], node[4]
        function = getattr(sp, FUNCTIONS[fname].sympy_name)
        if fname == "piecewise":
            pieces = [(to_sympy(v, symbols, max_exponent=max_exponent),
                       _condition(c, symbols, max_exponent, sp)) for _, v, c in args]
            if pieces[-1][1] is not sp.true:
                raise FormulaError("the last piece of a piecewise must have the condition true "
                                   "(its value everywhere else)")
            value = function(*pieces)
        else:
            value = function(*(to_sympy(a, symbols, max_exponent=max_exponent) for a in args))
        if power is not None:
            exponent = sp.Rational(power)
            if abs(exponent) > max_exponent:
                raise FormulaError(f"the power {power} of {fname} is over {max_exponent}")
            value = value**exponent
        return value
    raise FormulaError(f"{kind!r} is not part of a formula here")   # \sum, \frac already split


def _condition(node: Node, symbols: dict[str, Any], max_exponent: int, sp: Any) -> Any:
    if node[0] == "true":
        return sp.true
    _, op, left, right = node
    relation = getattr(sp, COMPARISONS[op])
    return relation(to_sympy(left, symbols, max_exponent=max_exponent),
                    to_sympy(right, symbols, max_exponent=max_exponent))
