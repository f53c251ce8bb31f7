"""The tree-structured Parzen estimator sampler and its parts."""

from hypersweep.samplers._tpe._sampler import TPESampler

__all__ = ["TPESampler"]
