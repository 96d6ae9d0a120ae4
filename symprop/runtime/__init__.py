"""Runtime: train networks with the generated kernels, datasets and plots."""
