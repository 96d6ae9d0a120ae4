"""Sweeps of many trainings on Dask."""
