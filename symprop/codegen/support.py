"""The few ``@njit`` helpers every generated module shares, compiled once per process.

They hold nothing network-specific: BLAS products into preallocated buffers, the shuffling
random numbers, the SGD step and a copy. Keeping them here rather than in each generated module
means numba compiles them once per process (and caches them on disk), not once per network —
every numba function costs a fixed few tenths of a second to compile.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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
def copy_into(dst, src):
    """dst[...] = src for C-contiguous arrays of one shape (``dst[:] = src`` compiles slowly)."""
    d, s = dst.reshape(dst.size), src.reshape(src.size)
    for i in range(d.size):
        d[i] = s[i]
