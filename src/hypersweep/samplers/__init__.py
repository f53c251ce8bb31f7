"""Samplers: the search algorithms that choose each trial's parameters."""

from hypersweep.samplers._auto import AutoSampler
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._base import Reservation
from hypersweep.samplers._gp import GPSampler
from hypersweep.samplers._grid import GridSampler
from hypersweep.samplers._qmc import QMCSampler
from hypersweep.samplers._random import RandomSampler
from hypersweep.samplers._tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "GPSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "Reservation",
    "TPESampler",
]
