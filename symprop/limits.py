"""Every size limit of symprop in one table: what each verb can do in reasonable time and memory.

An input over a limit is refused before any work starts, with exit 2 and one line naming the
size, the limit and why (`check`). Import the table to reuse a limit; never copy its number.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SpecError


@dataclass(frozen=True)
class Limit:
    """One named bound: the largest accepted value and the sentence that justifies it."""

    name: str
    value: int
    unit: str
    why: str


_TABLE = (
    # reading input
    Limit("spec_bytes", 4 * 2**20, "bytes",
          "a spec is a few kilobytes; a bigger file (or an endless device) is not a spec"),
    Limit("data_bytes", 512 * 2**20, "bytes",
          "a CSV data file is read into memory, several times its size"),
    Limit("number_digits", 100, "digits",
          "exact arithmetic on longer numbers is slow, and no lecture writes them"),
    Limit("number_exponent", 100, "as a power of ten",
          "exact arithmetic with huge exponents runs for minutes, and floats overflow past 1e308"),
    Limit("name_chars", 64, "characters",
          "a name has to fit on a slide and in a formula"),
    Limit("notation_chars", 200, "characters",
          "a notation symbol is a short piece of LaTeX"),
    Limit("example_net_magnitude", 10**4, "as a net input",
          "a worked example rounds exact values such as e^(-net) for slides and checks, "
          "which takes minutes for net inputs near 10^5 (and floats overflow past 709)"),
    Limit("network_layers", 100, "layers",
          "derive, slides and codegen take 15-20 s at 100 layers and minutes at 1,000"),
    Limit("network_parameters", 10**8, "weights and biases",
          "10^8 float64 parameters already take 800 MB per copy"),
    # a user's own activation or loss, written as a formula in the spec
    Limit("formula_chars", 500, "characters",
          "an activation or a loss is a one-line formula; SymPy differentiates and proves it"),
    Limit("formula_nodes", 200, "operations",
          "every layer, slide and kernel repeats the formula and its derivative"),
    Limit("formula_exponent", 24, "as an integer power",
          "a power beyond this makes SymPy's expansion and the proofs slow"),
    Limit("formula_rows", 32, "rows",
          "a spec shows a handful of its own activations and losses"),
    # derive
    Limit("derive_listed_parameters", 5000, "weights and biases",
          "--json, --example and --form expanded write one entry per parameter"),
    Limit("derive_verify_layers", 12, "layers",
          "--verify differentiates the composed loss with sympy.diff, whose size grows "
          "with every layer"),
    Limit("derive_verify_parameters", 64, "weights and biases",
          "--verify compares one sympy.diff per parameter: 59 take ~30 s, 143 minutes"),
    # codegen
    Limit("unrolled_parameters", 1024, "weights and biases",
          "unrolled kernels write lines per weight: generating 1,001 takes ~20 s, 4,001 "
          "over two minutes (use --shape loops)"),
    Limit("threads", 256, "threads",
          "each thread computes a slice of a minibatch; beyond the cores they only cost"),
    # train and sweep
    Limit("train_layers", 16, "layers",
          "numba's compile time and memory grow with every layer (21 layers: minutes and "
          "0.5 GB; 200 run out of memory)"),
    Limit("train_parameters", 10**7, "weights and biases",
          "parameters, gradients and momentum are kept in memory several times over"),
    Limit("train_epochs", 10**6, "epochs", "a longer training is a mistake in the flags"),
    Limit("train_rows", 10**7, "rows", "generated data is held in memory"),
    Limit("batch_size", 10**7, "rows", "a minibatch is held in memory"),
    Limit("sweep_runs", 10**4, "runs", "grid points times seeds, each a whole training"),
    Limit("sweep_workers", 64, "worker processes",
          "each embedded worker is a process of its own with its own compiled kernels"),
    Limit("sweep_retries", 10, "retries", "a run that failed ten times will fail again"),
)

LIMITS: dict[str, Limit] = {limit.name: limit for limit in _TABLE}


def limit(name: str) -> int:
    """The value of the named limit."""
    return LIMITS[name].value


def check(name: str, size: int, *, key: str | None = None, file: str | None = None,
          what: str = "") -> None:
    """Refuse ``size`` over the named limit with a `SpecError` naming both and the reason."""
    lim = LIMITS[name]
    if size > lim.value:
        what = what or lim.unit
        shown = f"{size:,}" if size < 10**15 else \
            f"about 10^{int(size.bit_length() * 0.30103)}"   # neither str() nor float() of
        # a huge int is safe
        raise SpecError(f"too large: {shown} {what}, over the limit of {lim.value:,} "
                        f"({lim.why})", file=file, key=key)
