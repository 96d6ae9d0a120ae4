"""Formulas as people write them, read without executing anything (see `syntax`).

A low-level package: it imports nothing of symprop's, so the spec reader (users' own activation
formulas) and `check` (students' formulas) can both use it.
"""

from .syntax import FormulaError, Node, Token, parse, tokenize

__all__ = ["FormulaError", "Node", "Token", "parse", "tokenize"]
