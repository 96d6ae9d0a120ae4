"""Products of factors kept in the lecture's order.

SymPy sorts the factors of a `Mul`; a slide must not. A `Chain` is an ordered product whose
parts are SymPy expressions, symbolic sums over a layer (`SumOver`) or concrete sums of chains
(`Terms`, what a `SumOver` becomes once its bound is known). ``expr()`` gives the SymPy value.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class SumOver:
    """Σ_{index=1}^{upper} chain."""

    index: sp.Symbol
    upper: int
    chain: Chain

    def expr(self) -> sp.Expr:
        return sp.Sum(self.chain.expr(), (self.index, 1, self.upper))


@dataclass(frozen=True)
class Terms:
    """chain₁ + chain₂ + …"""

    chains: tuple[Chain, ...]

    def expr(self) -> sp.Expr:
        return sp.Add(*(c.expr() for c in self.chains))


Part = sp.Expr | SumOver | Terms


@dataclass(frozen=True)
class Chain:
    parts: tuple[Part, ...]

    def expr(self) -> sp.Expr:
        return sp.Mul(*(p.expr() if isinstance(p, SumOver | Terms) else p for p in self.parts))

    def subs(self, mapping: dict) -> Chain:
        return Chain(tuple(_subs_part(p, mapping) for p in self.parts))

    def expanded(self) -> Chain:
        """Replace every Σ by its terms; a sum of one term is written inline."""
        parts: list[Part] = []
        for p in self.parts:
            if isinstance(p, SumOver):
                terms = tuple(p.chain.subs({p.index: v}).expanded()
                              for v in range(1, p.upper + 1))
                if len(terms) == 1:
                    parts.extend(terms[0].parts)
                else:
                    parts.append(Terms(terms))
            elif isinstance(p, Terms):
                parts.append(Terms(tuple(c.expanded() for c in p.chains)))
            else:
                parts.append(p)
        return Chain(tuple(parts))

    def __add__(self, other: Chain) -> Chain:
        return Chain(self.parts + other.parts)


def _subs_part(part: Part, mapping: dict) -> Part:
    if isinstance(part, SumOver):
        inner = {k: v for k, v in mapping.items() if k != part.index}
        return SumOver(part.index, part.upper, part.chain.subs(inner))
    if isinstance(part, Terms):
        return Terms(tuple(c.subs(mapping) for c in part.chains))
    return part.xreplace(mapping)
