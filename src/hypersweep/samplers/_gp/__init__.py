"""Bayesian optimization with a Gaussian process (numpy and scipy only)."""

from hypersweep.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]
