"""The few ``@njit`` helpers every generated module shares, compiled once per process.

They hold nothing network-specific: BLAS products into preallocated buffers, the shuffling
random numbers, the SGD step (and the weight step folded into the gradient's BLAS product), a
copy, and the bit casts the vectorised exp/tanh build 2^n with.
Keeping them here rather than in each generated module means numba compiles them once per
process (and caches them on disk), not once per network — every numba function costs a fixed
few tenths of a second to compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload


@njit(cache=True, error_model="numpy")
def matmul_nt(A, B, out):
    """out = A @ B.T (BLAS)."""
    np.dot(A, B.T, out)


@njit(cache=True, error_model="numpy")
def matmul_nn(A, B, out):
    """out = A @ B (BLAS)."""
    np.dot(A, B, out)


@njit(cache=True, error_model="numpy")
def matmul_tn(A, B, out):
    """out = A.T @ B (BLAS)."""
    np.dot(A.T, B, out)


@njit(cache=True, error_model="numpy")
def step_weights(D, below, W, v, lr, momentum):
    """The SGD step of a weight matrix from its batch gradient g = D.T @ below, never stored:

    W -= lr*g, or with momentum v = momentum*v - lr*g; W += v — the same step as `sgd_step`,
    as one BLAS gemm that adds -lr*g onto W (onto momentum*v) in place, so g never makes a trip
    through memory (for a 784x256 layer that pass was 11 % of a step). Arrays 2-d, one float
    dtype; W and v C-contiguous, D and below row-major with contiguous rows.
    """
    _gemm_step(D, below, W, v, lr, momentum)


def _layout_fits(D, below, W, v) -> bool:
    """The arrays `step_weights` can hand to BLAS: 2-d, shapes that chain, contiguous rows, W and
    v C-contiguous (compiled into the kernel, and run as is by the NumPy reference)."""
    rows, n_out = D.shape
    n_in = below.shape[1]
    item = W.itemsize
    return (below.shape[0] == rows and W.shape == (n_out, n_in) and v.shape == W.shape
            and D.strides[1] == item and below.strides[1] == item
            and W.strides == (n_in * item, item) and v.strides == W.strides)


def _gemm_step(D, below, W, v, lr, momentum):
    """`step_weights`' body. In a kernel it is the BLAS gemm of the overload below (compiled
    inside the cached `step_weights`, so once per machine); from Python it is this NumPy
    reference, which the tests hold the compiled step to."""
    if not _layout_fits(D, below, W, v):
        raise ValueError("step_weights: shapes or memory layout do not fit")
    gradient = D.T @ below
    if momentum == 0:
        W -= lr * gradient
    else:
        v[...] = momentum * v - lr * gradient
        W += v


@intrinsic
def _stack_copy(typingctx, value):
    """A pointer to a copy of a float on the caller's stack (BLAS takes alpha and beta by
    reference; a stack slot keeps the weight step free of heap allocations)."""
    if not isinstance(value, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once_value(builder, args[0])
    return types.CPointer(value)(value), codegen


@overload(_gemm_step)
def _gemm_step_impl(D, below, W, v, lr, momentum):
    from numba.np.linalg import _BLAS, ensure_blas, get_blas_kind

    if not all(isinstance(a, types.Array) and a.ndim == 2 for a in (D, below, W, v)):
        return None
    ensure_blas()
    gemm = _BLAS().numba_xxgemm(W.dtype)
    kind = ord(get_blas_kind(W.dtype, "step_weights"))
    scalar = np.dtype(str(W.dtype)).type
    no, yes = ord("n"), ord("t")

    fits = njit(_layout_fits)

    def impl(D, below, W, v, lr, momentum):
        if not fits(D, below, W, v):
            raise ValueError("step_weights: shapes or memory layout do not fit")
        rows, n_out = D.shape
        n_in = below.shape[1]
        item = W.itemsize
        # BLAS sees a row-major (a, b) array as the column-major b x a matrix, its transpose:
        # W^T (n_in x n_out) = alpha * below^T (n_in x rows) @ D (rows x n_out) + beta * W^T
        target = W if momentum == 0 else v
        alpha = _stack_copy(scalar(-lr))
        beta = _stack_copy(scalar(1 if momentum == 0 else momentum))
        status = gemm(kind, no, yes, n_in, n_out, rows, alpha,
                      below.ctypes, below.strides[0] // item, D.ctypes, D.strides[0] // item,
                      beta, target.ctypes, n_in)
        if status < 0:
            raise RuntimeError("step_weights: the BLAS gemm failed")
        if momentum != 0:
            w1, v1 = W.reshape(W.size), v.reshape(v.size)
            for i in range(w1.size):
                w1[i] += v1[i]
    return impl


@njit(cache=True, error_model="numpy")
def next_random(state):
    """splitmix64: the next pseudo-random 64-bit integer; ``state`` is a uint64 array of one."""
    s = state[0] + np.uint64(0x9E3779B97F4A7C15)
    state[0] = s
    s = (s ^ (s >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    s = (s ^ (s >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return s ^ (s >> np.uint64(31))


@njit(cache=True, error_model="numpy")
def shuffle_order(order, state, shuffle):
    """order = 0, 1, …, n-1, then (if ``shuffle``) a Fisher-Yates shuffle drawn from ``state``.

    The state is the only thing carried from epoch to epoch, so a run split into several calls
    draws exactly the same orders as one call.
    """
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    if shuffle:
        for i in range(n - 1, 0, -1):
            j = np.int64(next_random(state) % np.uint64(i + 1))
            t = order[i]
            order[i] = order[j]
            order[j] = t


@njit(cache=True, error_model="numpy")
def sgd_step(w, g, v, lr, momentum):
    """w -= lr*g, or with momentum v = momentum*v - lr*g; w += v (w, g, v C-contiguous)."""
    w1, g1, v1 = w.reshape(w.size), g.reshape(g.size), v.reshape(v.size)
    if momentum == 0:
        for i in range(w1.size):
            w1[i] -= lr * g1[i]
    else:
        for i in range(w1.size):
            step = momentum * v1[i] - lr * g1[i]
            v1[i] = step
            w1[i] += step


@njit(cache=True, error_model="numpy")
def sgd_step_parts(w, G, v, lr, momentum):
    """`sgd_step` with g = G[0] + G[1] + …, the gradients of the parts of a minibatch.

    G holds one part's gradient per leading index (C-contiguous, scratch: the sum is made in
    G[0]); the parts are added in order, so the step does not depend on the thread count.
    """
    G1 = G.reshape(G.shape[0], w.size)
    for t in range(1, G1.shape[0]):
        for i in range(w.size):
            G1[0, i] += G1[t, i]
    sgd_step(w, G[0], v, lr, momentum)


# -- buffers: numba compiles np.empty's implementation anew in every process (0.3-0.5 s for a
# kernel's first call, measured); through these cached wrappers it is compiled once per machine
@njit(cache=True, error_model="numpy")
def empty_matrix(rows, cols, dtype):
    """An uninitialised (rows, cols) array of ``dtype`` (np.float64, np.float32, ...)."""
    return np.empty((rows, cols), dtype)


@njit(cache=True, error_model="numpy")
def empty_vector(n, dtype):
    """An uninitialised array of n ``dtype`` values."""
    return np.empty(n, dtype)


@njit(cache=True, error_model="numpy")
def empty_like(a):
    """An uninitialised array of a's shape and dtype."""
    return np.empty_like(a)


@njit(cache=True, error_model="numpy")
def empty_stack(n, a):
    """An uninitialised array of n arrays shaped like a: shape (n,) + a.shape, a's dtype."""
    return np.empty((n,) + a.shape, a.dtype)


@njit(cache=True, error_model="numpy")
def copy_into(dst, src):
    """dst[...] = src for C-contiguous arrays of one shape (``dst[:] = src`` compiles slowly)."""
    d, s = dst.reshape(dst.size), src.reshape(src.size)
    for i in range(d.size):
        d[i] = s[i]


@njit(cache=True, error_model="numpy")
def finite_data(X, Y):
    """No NaN or infinity in the 2-d arrays X and Y: the first thing a ``train_epochs`` does
    (nanoseconds in the kernel, where the same check in Python costs a microsecond a call)."""
    return finite_matrix(X) and finite_matrix(Y)


@njit(cache=True, error_model="numpy")
def finite_matrix(A):
    """No NaN or infinity in the 2-d array A: no number whose exponent bits are all ones. An
    OR of integer tests, which LLVM vectorises (a loop of isfinite with an early exit ran at
    half the memory's speed on a 784-column dataset)."""
    ones = exponent_ones(A.dtype)
    bad = 0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            bad |= (float_bits(A[i, j]) & ones) == ones
    return bad == 0


_EXPONENT_ONES = {64: 0x7FF0000000000000, 32: 0x7F800000}   # by width: the bits of infinity


def exponent_ones(dtype):
    """The exponent bits of a float of ``dtype`` (the bits of infinity), as its integer."""
    return _EXPONENT_ONES[np.dtype(dtype).itemsize * 8]


@overload(exponent_ones)
def _exponent_ones_impl(dtype):
    ones = _EXPONENT_ONES.get(getattr(getattr(dtype, "dtype", None), "bitwidth", None))
    if ones is None:
        return None
    return lambda dtype: ones


# -- bit casts: a float's bits as an integer and back, which numba has no function for ----------
_BITS = {types.float64: types.int64, types.float32: types.int32}


@intrinsic
def float_bits(typingctx, x):
    """The bits of a float64 (float32) as an int64 (int32): one LLVM bitcast, vectorisable."""
    if x not in _BITS:
        return None
    sig = _BITS[x](x)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(signature.return_type))
    return sig, codegen


def _from_bits(float_type):
    int_type = _BITS[float_type]

    def typer(typingctx, bits):
        if not isinstance(bits, types.Integer):
            return None
        sig = float_type(bits)

        def codegen(context, builder, signature, args):
            # numba widens integer arithmetic to 64 bits: narrow (or widen) to the float's width
            value, width = args[0], int_type.bitwidth
            if bits.bitwidth > width:
                value = builder.trunc(value, context.get_value_type(int_type))
            elif bits.bitwidth < width:
                value = builder.sext(value, context.get_value_type(int_type))
            return builder.bitcast(value, context.get_value_type(float_type))
        return sig, codegen
    return typer


float64_from_bits = intrinsic(_from_bits(types.float64))
float64_from_bits.__doc__ = "The float64 whose bits are the integer's low 64 bits (a bitcast)."
float32_from_bits = intrinsic(_from_bits(types.float32))
float32_from_bits.__doc__ = "The float32 whose bits are the integer's low 32 bits (a bitcast)."


# -- calling a compiled C function by its address: a user's own row, compiled once per machine
# as a `@cfunc` piece (`pieces.py`), reached from the per-machine kernels through an int64 in
# the layout table. A plain address, not a Python object: an ahead-of-time build can call it too.
def _c_call(address, args):
    """The signature and codegen of a call to ``dtype f(dtype, …)`` at an integer address."""
    if not isinstance(address, types.Integer) or not args:
        return None
    dtype = args[0]
    if dtype not in _BITS or any(a != dtype for a in args):
        return None

    def codegen(context, builder, signature, llvm_args):
        from llvmlite import ir

        float_type = context.get_value_type(dtype)
        function_type = ir.FunctionType(float_type, [float_type] * len(args))
        pointer = builder.inttoptr(llvm_args[0], function_type.as_pointer())
        return builder.call(pointer, list(llvm_args[1:]))
    return dtype(address, *args), codegen


@intrinsic
def call_f1(typingctx, address, x):
    """f(x) for the C function ``double f(double)`` (float f(float)) at ``address``."""
    return _c_call(address, (x,))


@intrinsic
def call_f3(typingctx, address, a, b, c):
    """f(a, b, c) for the C function of three floats (one dtype) at ``address``."""
    return _c_call(address, (a, b, c))


# -- views without `reshape`: numba's reshape calls a C helper (numba_attempt_nocopy_reshape) for
# every view, a tenth of a tiny network's step in the per-machine family (perf, issue 18)
@intrinsic
def matrix_view(typingctx, flat, start, rows, cols):
    """The (rows, cols) C-contiguous view of the 1-d C-contiguous ``flat`` from ``flat[start]``
    on: flat[start:start + rows*cols].reshape(rows, cols), unchecked (the caller keeps it in
    bounds). It shares flat's memory and keeps it alive, as numba's own views do."""
    if not (isinstance(flat, types.Array) and flat.ndim == 1 and flat.layout == "C"
            and all(isinstance(a, types.Integer) for a in (start, rows, cols))):
        return None
    matrix = flat.copy(ndim=2, layout="C")

    def codegen(context, builder, signature, args):
        from numba.core.imputils import impl_ret_borrowed
        from numba.np.arrayobj import make_array, populate_array

        source = make_array(flat)(context, builder, args[0])
        begin, n_rows, n_cols = (context.cast(builder, v, t, types.intp)
                                 for v, t in zip(args[1:], signature.args[1:], strict=True))
        item = context.get_constant(types.intp, context.get_abi_sizeof(
            context.get_data_type(flat.dtype)))
        view = make_array(matrix)(context, builder)
        populate_array(view, data=builder.gep(source.data, [begin]),
                       shape=cgutils.pack_array(builder, [n_rows, n_cols]),
                       strides=cgutils.pack_array(builder, [builder.mul(n_cols, item), item]),
                       itemsize=item, meminfo=source.meminfo, parent=source.parent)
        return impl_ret_borrowed(context, builder, matrix, view._getvalue())
    return matrix(flat, start, rows, cols), codegen


# -- borrowed arrays: a view that holds no reference, so making, passing and dropping it (and any
# view or slice of it) costs no atomic reference count; in a tiny network's step those counts
# were 40 % of the time (perf, issue 18). The caller must keep the owner alive meanwhile (its
# arguments are, for the whole call) and never return it to Python
@intrinsic
def borrowed(typingctx, a):
    """``a``'s memory, shape and strides with no reference to its owner (meminfo NULL: numba's
    reference counting skips it)."""
    if not isinstance(a, types.Array):
        return None

    def codegen(context, builder, signature, args):
        from numba.np.arrayobj import make_array, populate_array

        source = make_array(a)(context, builder, args[0])
        view = make_array(a)(context, builder)
        populate_array(view, data=source.data, shape=source.shape, strides=source.strides,
                       itemsize=source.itemsize, meminfo=None)
        return view._getvalue()
    return a(a), codegen
