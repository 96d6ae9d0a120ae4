"""exp, expm1 and tanh in plain arithmetic, generated from SymPy, for loops LLVM can vectorise.

numba turns ``math.exp``/``math.tanh`` into scalar calls to the C math library: a loop that
calls them cannot use SIMD registers. These helpers use only + − × ÷, comparisons, integer adds
and shifts and bit casts (`support.float_bits`), so LLVM vectorises the loops that call them
(they are inlined into the loop):

    exp(x) = 2^n · e^r,   n = round(x / ln 2),   r = x − n·ln2_hi − n·ln2_lo,   |r| ≤ ln2/2

with e^r − 1 a polynomial whose coefficients are SymPy's Taylor series (degree 13 in float64,
7 in float32: the truncation error is below the dtype's rounding), evaluated by Estrin's scheme
(pairs of terms combined with r², r⁴, r⁸: a dependency chain of 4 steps instead of Horner's 13,
so the CPU overlaps the work of neighbouring elements), and ln 2 split in two so that
n·ln2_hi is exact. n is rounded by adding 1.5·2^52 (float32: 1.5·2^23): the sum's low
mantissa bits then hold n, and shifting them into the exponent field makes 2^n without a
float-to-integer conversion (AVX2 has none for 64-bit integers). exp scales by 2^⌊n/2⌋·2^⌈n/2⌉,
so results down in the subnormal range come out right. The argument is clamped first, so the
result stays finite; on the clamped range the error is about one ulp (tested against mpmath).
tanh(x) = −u / (2 + u) with u = expm1(−2|x|): no cancellation near 0, exactly ±1 far out.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .printer import KernelPrinter

# per dtype: polynomial degree, exp's clamp range (beyond lo exp rounds to 0), how many leading
# bits of ln 2 go into ln2_hi (n·ln2_hi must be exact for every n in range), and the float
# format: mantissa bits, exponent bias, the bit-cast function back to a float
_SETTINGS = {
    "float64": {"degree": 13, "lo": -746.0, "hi": 709.0, "hi_bits": 32,
                "mantissa": 52, "bias": 1023, "from_bits": "float64_from_bits"},
    "float32": {"degree": 7, "lo": -104.0, "hi": 88.0, "hi_bits": 12,
                "mantissa": 23, "bias": 127, "from_bits": "float32_from_bits"},
}
TANH_CLAMP = {"float64": 20.0, "float32": 10.0}    # |x| beyond which tanh(x) rounds to ±1


def bit_casts(dtype: str) -> tuple[str, str]:
    """The `support` bit casts the helpers for ``dtype`` call: the module must import them."""
    return "float_bits", _SETTINGS[dtype]["from_bits"]


@cache
def helpers_source(dtype: str, decorator: str) -> str:
    """The module-level helper functions ``_exp``, ``_expm1``, ``_tanh`` for ``dtype``.

    They call the bit casts of `support` (`bit_casts`): the module must import them.
    """
    s = _SETTINGS[dtype]
    p = KernelPrinter({"dtype": dtype})
    lit = p.literal
    r = sp.Symbol("r")
    series = sp.series(sp.exp(r) - 1, r, 0, s["degree"] + 1).removeO()
    coeffs = [series.coeff(r, k) for k in range(1, s["degree"] + 1)]
    pairs, poly = _estrin([lit(float(c)) for c in coeffs])
    ln2 = sp.log(2).evalf(50)
    ln2_hi = sp.Float(sp.floor(ln2 * 2 ** s["hi_bits"]) / 2 ** s["hi_bits"], 50)
    ln2_lo = ln2 - ln2_hi
    log2e = 1 / ln2
    shifter = lit(1.5 * 2.0 ** s["mantissa"])
    bias, mantissa, from_bits = s["bias"], s["mantissa"], s["from_bits"]

    def reduced(x: str, lo: float, hi: float | None) -> list[str]:
        """Lines setting q = e^r - 1 and k = the bits of m, whose low bits hold n."""
        clamp = ([f"    v = min(max({x}, {lit(lo)}), {lit(hi)})"] if hi is not None
                 else [f"    v = max({x}, {lit(lo)})"])
        return [
            *clamp,
            f"    m = v*{lit(float(log2e))} + {shifter}",
            f"    n = m - {shifter}",
            f"    r = (v - n*{lit(float(ln2_hi))}) - n*{lit(float(ln2_lo))}",
            *(f"    {line}" for line in pairs),
            f"    q = {poly}",
            "    k = float_bits(m)",
        ]

    # 2^n in two halves: n can be below the smallest normal exponent (exp's subnormal results)
    halves = ["    h = k >> 1",
              f"    s1 = {from_bits}((h + {bias}) << {mantissa})",
              f"    s2 = {from_bits}((k - h + {bias}) << {mantissa})"]
    clamp = TANH_CLAMP[dtype]
    lines = [
        decorator, "def _exp(x):", '    """exp(x), vectorisable: 2^n (1 + (e^r - 1))."""',
        *reduced("x", s["lo"], s["hi"]),
        *halves,
        "    return (q*s1 + s1)*s2", "", "",
        decorator, "def _expm1(x):", '    """exp(x) - 1, vectorisable, exact near 0."""',
        *reduced("x", s["lo"], s["hi"]),
        *halves,
        "    s = s1*s2",
        f"    return q*s + (s - {lit(1)})", "", "",
        decorator, "def _tanh(x):",
        '    """tanh(x) = -u/(2 + u) with u = expm1(-2|x|), vectorisable."""',
        *reduced(f"{lit(-2)}*abs(x)", -2 * clamp, None),
        f"    s = {from_bits}((k + {bias}) << {mantissa})",
        f"    u = q*s + (s - {lit(1)})",
        f"    t = -u/({lit(2)} + u)",
        f"    return t if x >= {lit(0)} else -t",
    ]
    return "\n".join(lines) + "\n"


def _estrin(coeffs: list[str]) -> tuple[list[str], str]:
    """c1 r + c2 r² + … + cN r^N by Estrin's scheme: (the lines before, the final expression).

    r·q(r) with q(r) = c1 + c2 r + …: q's terms combined in pairs with r (a0 = c1 + c2 r, …),
    those in pairs with r² (b0 = a0 + a1 r², …), and so on, one named line per pair.
    """
    terms, exponent, lines = list(coeffs), 1, []

    def power(n: int) -> str:
        return "r" if n == 1 else f"r{n}"

    level = 0
    while len(terms) > 1:
        if exponent > 1:
            lines.append(f"{power(exponent)} = {power(exponent // 2)}*{power(exponent // 2)}")
        letter, paired = "abcdefgh"[level], []
        for i in range(0, len(terms), 2):
            if i + 1 < len(terms):
                paired.append(f"{letter}{i // 2}")
                lines.append(f"{paired[-1]} = {terms[i]} + {terms[i + 1]}*{power(exponent)}")
            else:
                paired.append(terms[i])
        terms, exponent, level = paired, 2 * exponent, level + 1
    return lines, f"r*{terms[0]}"
