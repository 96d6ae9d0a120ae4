"""Benchmarks: symprop's generated training kernels against PyTorch, JAX, scikit-learn, NumPy."""
