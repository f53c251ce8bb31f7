"""Pruners: stop unpromising trials early, from their intermediate values."""

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._base import NopPruner
from hypersweep.pruners._percentile import MedianPruner
from hypersweep.pruners._percentile import PercentilePruner

__all__ = ["BasePruner", "MedianPruner", "NopPruner", "PercentilePruner"]
