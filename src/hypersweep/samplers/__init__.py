"""Samplers: the search algorithms that choose each trial's parameters."""

from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._base import Reservation
from hypersweep.samplers._grid import GridSampler
from hypersweep.samplers._qmc import QMCSampler
from hypersweep.samplers._random import RandomSampler

__all__ = [
    "BaseSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "Reservation",
]
