"""The kernel options (dtype, shape) and their checks: light, so a cache hit imports little."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SpecError
from ..units import (
    activation_traits,
    is_builtin_activation,
    is_builtin_loss,
    loss_traits,
)

DTYPES = ("float64", "float32")
FAMILY = "family"                         # the per-machine kernels (`family.py`, `machine.py`)
UNROLL_MAX_PARAMS = 64          # networks up to this many weights and biases get scalar code


@dataclass(frozen=True)
class KernelShape:
    """One row of the kernel shape table: a new shape is a row here and a template."""

    name: str
    template: str           # in templates/
    per_network: bool       # one module per network (else one per machine and dtype)
    needs: str
    chosen: str


KERNEL_SHAPES: dict[str, KernelShape] = {row.name: row for row in (
    KernelShape("family", "family.py.jinja", False,
                "built-in rows and your own element-wise rows (a piece each, compiled once "
                "per machine, as ReLU with ReLU'(0) other than 0), no threads, fastmath or "
                "ahead-of-time build",
                "net.compile() by default; jobs below the lines of choose_shape_for_job"),
    KernelShape("unrolled", "unrolled.py.jinja", True,
                f"at most {UNROLL_MAX_PARAMS} parameters, one thread",
                "choose_shape_for_job from UNROLL_MIN_STEPS minibatch steps; small networks "
                "that the family cannot hold; shape='unrolled'"),
    KernelShape("loops", "loops.py.jinja", True, "nothing",
                "choose_shape_for_job from LOOPS_MIN_FLOP; larger networks the family cannot "
                "hold (threads, fastmath, layerwise rows of your own); shape='loops'"),
)}
SHAPES = tuple(name for name, row in KERNEL_SHAPES.items() if row.per_network)


def n_params(network) -> int:
    return sum(math.prod(s) for s in network.param_shapes().values())


def choose_shape(network, shape: str | None = None) -> str:
    """``unrolled`` for small networks (≤ UNROLL_MAX_PARAMS parameters), else ``loops``."""
    if shape is None:
        return "unrolled" if n_params(network) <= UNROLL_MAX_PARAMS else "loops"
    if shape not in SHAPES:
        raise SpecError("unknown kernel shape", key="shape",
                        expected=" or ".join((*SHAPES, FAMILY)),
                        got=shape)
    return shape


def supports(network) -> bool:
    """Can the family train ``network`` (`family_refusals` finds nothing)?"""
    return not family_refusals(network)


def family_refusals(network) -> list[str]:
    """Why the per-machine family cannot train ``network`` (empty: it can). It holds the
    built-in rows, and as pieces compiled once per machine (`pieces.py`) a user's own
    element-wise, differentiable rows and ReLU with ReLU'(0) other than 0; the rest (layerwise
    rows of one's own, a loss of one's own after one) gets per-network modules."""
    reasons = []
    for lay in network.layers:
        traits = activation_traits(lay.activation)
        if traits is None or not traits.differentiable:
            reasons.append(f"{lay.activation}: unknown or not differentiable")
        elif not is_builtin_activation(lay.activation):
            reasons.extend(_own_activation_refusals(network, lay.activation))
    loss = loss_traits(network.loss)
    if loss is None or not loss.differentiable:
        reasons.append(f"loss {network.loss}: unknown or not differentiable")
    elif not is_builtin_loss(network.loss):
        out = activation_traits(network.layers[-1].activation)
        if out is not None and out.layerwise:
            # a layerwise output's δ couples the outputs through the loss: no element-wise piece
            reasons.append(f"your loss {network.loss} after a layerwise output activation")
    return list(dict.fromkeys(reasons))


def follows_relu_at_zero(key: str) -> bool:
    """Does row ``key``'s f' at a kink come from the network's ReLU'(0)? ReLU itself, and a row
    of one's own with kinks and no declared derivative there. The family is derived with
    ReLU'(0) = 0; such a row in a network with another value trains through a piece derived
    with that value (`machine.NetworkKernels`)."""
    from ..derive import rules

    row = rules.ACTIVATIONS.get(key)
    if row is None or row.layerwise:
        return False
    if is_builtin_activation(key):
        return key == "relu"
    return bool(row.kinks) and row.derivative_at_kinks is None


def _own_activation_refusals(network, key: str) -> list[str]:
    from ..derive import rules

    row = rules.ACTIVATIONS[key]
    if row.layerwise:
        return [f"{key}: a layerwise row of your own (each output reads the whole layer)"]
    return []


def choose_family(network, dtype: str, shape: str | None, fastmath: bool = False,
                  threads: int | None = None, aot: bool | None = None) -> bool:
    """Train on the per-machine family (nothing to compile) rather than a per-network module?

    ``shape="family"`` asks for it (SpecError when the network needs something it lacks);
    None takes it whenever it can (`family_refusals` finds nothing; no thread count, no
    fastmath, no request for an ahead-of-time per-network build). "unrolled" and "loops" ask
    for a per-network module.
    """
    if shape is not None and shape != FAMILY:
        return False
    fits = (dtype in DTYPES and not network.is_perceptron and supports(network)
            and not fastmath and threads is None and not aot)
    if shape == FAMILY and not fits:
        if dtype not in DTYPES or network.is_perceptron:
            check_options(network, dtype, "loops")
        reasons = family_refusals(network) if dtype in DTYPES else []
        raise SpecError("the per-machine kernels hold built-in rows and your own element-wise "
                        "ones, one thread, no fastmath and no ahead-of-time build"
                        + (f" (here: {'; '.join(reasons)})" if reasons else ""), key="shape",
                        expected='"unrolled" or "loops" for this network')
    return fits


# -- a per-network module only when the job repays its compile (sizes and counts, never timing) --
UNROLL_MIN_STEPS = 10_000_000   # minibatch steps: an unrolled module's compile (3-7 s) against
#                                 what it saves a step over the family (reports/job-line.md)
LOOPS_MIN_FLOP = 10**12         # a loops module's compile (~3-6 s) against a few per cent


def choose_shape_for_job(network, rows: int, epochs: int, batch_size: int) -> str | None:
    """The kernel shape for a training job: None (the per-machine family, nothing to compile)
    unless the job is long enough to repay compiling a per-network module.

    Small networks (≤ UNROLL_MAX_PARAMS): ``unrolled`` from UNROLL_MIN_STEPS minibatch steps on
    (`benchmarks.job_line`: the compile is repaid after 5-25 million steps). Larger ones:
    ``loops`` from LOOPS_MIN_FLOP floating-point operations of weight products. Depends only
    on the job, so results are reproducible.
    """
    rows, epochs, batch = max(int(rows), 1), max(int(epochs), 0), max(int(batch_size), 1)
    steps = epochs * -(-rows // batch)
    if n_params(network) <= UNROLL_MAX_PARAMS:
        return "unrolled" if steps >= UNROLL_MIN_STEPS else None
    return "loops" if epochs * rows * flop_per_row(network) >= LOOPS_MIN_FLOP else None


def check_options(network, dtype: str, shape: str | None) -> str:
    """The kernel shape to use; SpecError for a dtype we do not generate or a perceptron."""
    if dtype not in DTYPES:
        raise SpecError("unsupported dtype", key="dtype", expected=" or ".join(DTYPES), got=dtype)
    if network.is_perceptron:
        raise SpecError("threshold units (step/sign/threshold) have no gradient, so there are no "
                        "backpropagation kernels for them: use the perceptron rule "
                        "(symprop.derive.perceptron)", file=network.source, key="network.layers")
    return choose_shape(network, shape)


def classification(layerwise: bool, midpoint: float | None, probabilistic: bool,
                   n_outputs: int) -> tuple[bool, float | None]:
    """Is a network a classifier, and where is its decision threshold? From its output
    activation (layerwise; the midpoint of its range, None when unbounded), its loss and its
    output count — no SymPy, so the per-machine kernels decide it at run time too.

    Softmax outputs: argmax. Outputs bounded on both sides (sigmoid, tanh): the midpoint of the
    range (0.5, 0). A probabilistic loss on any output: 0.5. Several outputs: argmax.
    """
    several = n_outputs > 1
    if layerwise:
        return True, None
    if midpoint is None and probabilistic:
        midpoint = 0.5
    if midpoint is None:
        return False, None
    return True, None if several else midpoint


# -- splitting each minibatch over threads -----------------------------------------------------
MIN_PART_FLOP = 1_000_000         # a part smaller than this costs more to hand out than it saves


def weights_per_layer(network) -> list[int]:
    return [math.prod(s) for name, s in network.param_shapes().items() if name.startswith("W")]


def flop_per_row(network) -> int:
    """Floating-point operations of one row's weight products in a training step: the forward
    product, the weight gradient and (above layer 1) the delta sent down, 2 per multiply-add."""
    weights = weights_per_layer(network)
    return 2 * (2 * sum(weights) + sum(weights[1:]))


def choose_parts(shape: str, threads: int | None = None) -> int:
    """How many row slices each minibatch is split into, one thread each (1: serial kernels).

    ``threads`` None: 1. Splitting is there when asked for (``threads=N``), never by default:
    since the serial loop kernels fold each weight step into its BLAS product, two threads gain
    nothing measurable on 32-64⁴-1 float64, batch 64, 2 cores (alternating runs, medians
    280 k vs 279 k samples/s; best runs within 3-13 %), while the parallel kernel takes 2-3×
    as long to compile (8-10 s instead of 3.4 s) and, with a minibatch large enough for BLAS
    to start threads of its own inside ours, ran 12× slower (batch 256: 23 k vs 251 k) before
    `symprop.runtime.blas` pinned BLAS to one thread. The slices' gradients are summed in a
    fixed order, so a kernel's results depend on its part count, never on how many threads
    actually run.
    """
    if threads is None:
        return 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise SpecError("bad thread count", key="threads", expected="an integer >= 1",
                        got=threads)
    if threads > 1 and shape != "loops":
        raise SpecError("only loop kernels split a minibatch over threads", key="threads",
                        expected='1 for shape "unrolled"', got=threads)
    return threads
