"""Samplers: the search algorithms that choose each trial's parameters."""

from typing import TYPE_CHECKING
from typing import Any

from hypersweep.samplers._auto import AutoSampler
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._base import Reservation
from hypersweep.samplers._grid import GridSampler
from hypersweep.samplers._qmc import QMCSampler
from hypersweep.samplers._random import RandomSampler
from hypersweep.samplers._tpe import TPESampler

if TYPE_CHECKING:
    from hypersweep.samplers._gp import GPSampler

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


def __getattr__(name: str) -> Any:
    # The Gaussian process loads scipy.linalg and scipy.optimize (about 0.4 s): on first use.
    if name == "GPSampler":
        from hypersweep.samplers._gp import GPSampler

        return GPSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
