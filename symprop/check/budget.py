"""Bounds on the work one formula may cost, checked before the work starts, and a clock.

`estimate` walks the syntax tree and bounds what expanding the formula could produce: its
polynomial degree, its number of terms after expanding and the digits of its numbers, powers
composed (``((9^12)^12)^12`` has 9^1728, ``((y + t + …)^12)^12`` degree 144). Over a bound the
formula is `TooLarge` and is not resolved at all. `deadline` is the wall-clock backstop for
what the estimate cannot see (the composition with the network's own functions).
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..formula.syntax import Node

MAX_DEGREE = 24            # a hand-derived gradient has degree < 10 in its quantities
MAX_TERMS = 20_000         # terms after expanding
MAX_DIGITS = 400           # digits of one number
SECONDS = 10.0             # wall clock per formula


class TooLarge(Exception):
    """A formula over a bound; the message says which bound and by how much."""


def estimate(node: Node, units: int) -> tuple[int, int, int]:
    """(degree, terms, digits) bounds of ``node`` expanded; `TooLarge` over a bound.
    ``units``: the most units a sum can run over."""
    kind = node[0]
    if kind == "num":
        f = node[1]
        return 0, 1, len(str(f.numerator)) + len(str(f.denominator))
    if kind == "name":
        return 1, 1, 0
    if kind == "neg":
        return estimate(node[1], units)
    if kind == "call":
        estimate(node[2], units)            # the argument must itself be bounded
        power = node[4]
        if power is not None and abs(power) > 1:
            n = int(abs(power))
            return _checked(n, _combinations(1, n), 0)
        return 1, 1, 0
    if kind == "sum":
        d, t, g = estimate(node[2], units)
        return _checked(d, t * units, g)
    if kind == "pow" and node[1][:2] == ("name", "e") and node[1][2] is None:
        estimate(node[2], units)
        return 1, 1, 0                          # e^x: the function exp, an atom
    a = estimate(node[1], units)
    if kind == "pow":
        exponent = node[2]
        if exponent[0] == "neg":
            exponent = exponent[1]
        if exponent[0] != "num":
            estimate(node[2], units)
            return 1, 1, 0                      # y^z: an atom, no expansion
        f = exponent[1]
        n = max(1, math.ceil(abs(f)))
        return _checked(a[0] * n, _combinations(a[1], n), a[2] * n)
    b = estimate(node[2], units)
    if kind in ("add", "sub"):
        return _checked(max(a[0], b[0]), a[1] + b[1], max(a[2], b[2]) + 1)
    # mul, div
    return _checked(a[0] + b[0], a[1] * b[1], a[2] + b[2])


def _combinations(terms: int, n: int) -> int:
    """Terms of (t₁ + … + t_terms)^n expanded: C(terms + n − 1, n), capped."""
    if terms > MAX_TERMS or n > 10 * MAX_DEGREE:
        return MAX_TERMS + 1
    return math.comb(terms + n - 1, n)


def _checked(degree: int, terms: int, digits: int) -> tuple[int, int, int]:
    if degree > MAX_DEGREE:
        raise TooLarge(f"its degree would reach {degree} after the powers are multiplied out "
                       f"(at most {MAX_DEGREE})")
    if terms > MAX_TERMS:
        raise TooLarge(f"expanding it would give more than {MAX_TERMS} terms")
    if digits > MAX_DIGITS:
        raise TooLarge(f"its numbers would have {digits} digits (at most {MAX_DIGITS})")
    return degree, terms, digits


class _Expired(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` swallows it."""


@contextmanager
def deadline(seconds: float = SECONDS) -> Iterator[None]:
    """`TooLarge` when the block runs longer than ``seconds`` (on the main thread, where a
    signal can interrupt it; elsewhere the estimate is the only bound)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise TooLarge(f"judging it took longer than {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
