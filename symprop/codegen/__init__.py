"""Generate numba kernels from the derived formulas."""
