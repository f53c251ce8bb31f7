"""Pruners: stop unpromising trials early, from their intermediate values."""

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._base import NopPruner
from hypersweep.pruners._composite import CompositePruner
from hypersweep.pruners._hyperband import HyperbandPruner
from hypersweep.pruners._patient import PatientPruner
from hypersweep.pruners._percentile import MedianPruner
from hypersweep.pruners._percentile import PercentilePruner
from hypersweep.pruners._successive_halving import SuccessiveHalvingPruner
from hypersweep.pruners._threshold import ThresholdPruner

__all__ = [
    "BasePruner",
    "CompositePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]
