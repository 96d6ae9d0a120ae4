"""exp, expm1 and tanh in plain arithmetic, generated from SymPy, for loops LLVM can vectorise.

numba turns ``math.exp``/``math.tanh`` into scalar calls to the C math library: a loop that
calls them cannot use SIMD registers. These helpers use only + − × ÷, comparisons and
``np.floor``, so LLVM vectorises the loops that call them (they are inlined into the loop):

    exp(x) = 2^n · e^r,   n = round(x / ln 2),   r = x − n·ln2_hi − n·ln2_lo,   |r| ≤ ln2/2

with e^r − 1 a polynomial whose coefficients are SymPy's Taylor series (degree 13 in float64,
7 in float32: the truncation error is below the dtype's rounding), evaluated by Estrin's scheme
(pairs of terms combined with r², r⁴, r⁸: a dependency chain of 4 steps instead of Horner's 13,
so the CPU overlaps the work of neighbouring elements), ln 2 split in two so that
n·ln2_hi is exact, and 2^n a product of exact powers of two chosen by comparisons (no bit
casts, which numba cannot vectorise). The argument is clamped first, so the result stays finite;
on the clamped range the error is about one ulp (tested against mpmath).
tanh(x) = −u / (2 + u) with u = expm1(−2|x|): no cancellation near 0, exactly ±1 far out.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .printer import KernelPrinter

# per dtype: polynomial degree, exp's clamp range, bits of |n|, and how many leading bits of
# ln 2 go into ln2_hi (n·ln2_hi must be exact for every n in range)
_SETTINGS = {
    "float64": {"degree": 13, "lo": -745.0, "hi": 709.0, "bits": 11, "hi_bits": 32},
    "float32": {"degree": 7, "lo": -103.0, "hi": 88.0, "bits": 8, "hi_bits": 12},
}
TANH_CLAMP = {"float64": 20.0, "float32": 10.0}    # |x| beyond which tanh(x) rounds to ±1


@cache
def helpers_source(dtype: str, decorator: str) -> str:
    """The module-level helper functions ``_exp``, ``_expm1``, ``_tanh`` for ``dtype``."""
    s = _SETTINGS[dtype]
    p = KernelPrinter({"dtype": dtype})
    lit = p.literal
    r = sp.Symbol("r")
    series = sp.series(sp.exp(r) - 1, r, 0, s["degree"] + 1).removeO()
    coeffs = [series.coeff(r, k) for k in range(1, s["degree"] + 1)]
    powers, poly = _estrin([lit(float(c)) for c in coeffs])
    ln2 = sp.log(2).evalf(50)
    ln2_hi = sp.Float(sp.floor(ln2 * 2 ** s["hi_bits"]) / 2 ** s["hi_bits"], 50)
    ln2_lo = ln2 - ln2_hi
    log2e = 1 / ln2
    inline = decorator

    n_max = int(s["hi"] * float(log2e)) + 1        # the largest n that _reduce can produce

    def pow2(name: str, bits: int, negative_only: bool) -> list[str]:
        lines = [inline, f"def {name}(n):",
                 f'    """2**n for a whole number n with |n| < 2**{bits}, as a product of exact'
                 ' powers of two."""',
                 "    m = abs(n)", f"    s = {lit(1)}"]
        for i in range(bits - 1, -1, -1):
            b = float(2 ** i)
            down = lit(2.0 ** -(2 ** i))
            lines.append(f"    t = m >= {lit(b)}")
            lines.append(f"    m = m - {lit(b)} if t else m")
            if negative_only:
                lines.append(f"    s = s*{down} if t else s")
            else:
                # 2**(2**i) beyond the largest n is never chosen (and would overflow)
                up = lit(2.0 ** (2 ** i)) if 2 ** i <= n_max else lit(1)
                lines.append(f"    s = s*({up} if n > {lit(0)} else {down}) if t else s")
        lines.append("    return s")
        return lines

    def reduced(x: str, lo: float, hi: float | None, pow2_name: str) -> list[str]:
        """Lines setting q = e^r - 1 and s = 2^n for v = n ln 2 + r, v = x clamped."""
        clamp = ([f"    v = min(max({x}, {lit(lo)}), {lit(hi)})"] if hi is not None
                 else [f"    v = max({x}, {lit(lo)})"])
        return [
            *clamp,
            f"    n = np.floor(v*{lit(float(log2e))} + {lit(0.5)})",
            f"    r = (v - n*{lit(float(ln2_hi))}) - n*{lit(float(ln2_lo))}",
            *(f"    {line}" for line in powers),
            f"    q = {poly}",
            f"    s = {pow2_name}(n)",
        ]

    clamp = TANH_CLAMP[dtype]
    tanh_bits = len(bin(int(2 * clamp / float(sp.log(2)) + 1))) - 2
    lines = [
        *pow2("_pow2", s["bits"], False), "", "",
        *pow2("_pow2_neg", tanh_bits, True), "", "",
        inline, "def _exp(x):", '    """exp(x), vectorisable: 2^n (1 + (e^r - 1))."""',
        *reduced("x", s["lo"], s["hi"], "_pow2"),
        "    return q*s + s", "", "",
        inline, "def _expm1(x):", '    """exp(x) - 1, vectorisable, exact near 0."""',
        *reduced("x", s["lo"], s["hi"], "_pow2"),
        f"    return q*s + (s - {lit(1)})", "", "",
        inline, "def _tanh(x):",
        '    """tanh(x) = -u/(2 + u) with u = expm1(-2|x|), vectorisable."""',
        *reduced(f"{lit(-2)}*abs(x)", -2 * clamp, None, "_pow2_neg"),
        f"    u = q*s + (s - {lit(1)})",
        f"    t = -u/({lit(2)} + u)",
        f"    return t if x >= {lit(0)} else -t",
    ]
    return "\n".join(lines) + "\n"


def _estrin(coeffs: list[str]) -> tuple[list[str], str]:
    """c1 r + c2 r² + … + cN r^N by Estrin's scheme: (lines for r2, r4, …; the expression).

    r·q(r) with q(r) = c1 + c2 r + …, and q's terms combined in pairs, the pairs in pairs…
    """
    terms, exponent, lines = list(coeffs), 1, []

    def power(n: int) -> str:
        return "r" if n == 1 else f"r{n}"

    while len(terms) > 1:
        terms = [f"({terms[i]} + {terms[i + 1]}*{power(exponent)})" if i + 1 < len(terms)
                 else terms[i] for i in range(0, len(terms), 2)]
        if len(terms) > 1:
            lines.append(f"{power(2 * exponent)} = {power(exponent)}*{power(exponent)}")
            exponent *= 2
    return lines, f"r*{terms[0]}"
