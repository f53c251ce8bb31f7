"""Parameter distributions and search spaces.

This package depends on nothing else in hypersweep: it is the bottom layer.
"""

from hypersweep.distributions._distributions import BaseDistribution
from hypersweep.distributions._distributions import CategoricalChoice
from hypersweep.distributions._distributions import CategoricalDistribution
from hypersweep.distributions._distributions import FloatDistribution
from hypersweep.distributions._distributions import IntDistribution
from hypersweep.distributions._distributions import SearchSpace
from hypersweep.distributions._distributions import check_compatible
from hypersweep.distributions._distributions import distribution_to_json
from hypersweep.distributions._distributions import json_to_distribution

__all__ = [
    "BaseDistribution",
    "CategoricalChoice",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "SearchSpace",
    "check_compatible",
    "distribution_to_json",
    "json_to_distribution",
]
