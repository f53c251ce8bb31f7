"""The unit-interval encoding of distributions, shared by the samplers.

Each distribution maps onto ``[0, 1]`` so that a uniform ``u`` gives a uniform draw from the
distribution:

* real, linear: ``x = low + u (high - low)``;
* real, log: ``log x = log low + u (log high - log low)``;
* stepped and integer: the domain is padded by half a step on each side, ``[low - step/2,
  high + step/2]`` (in log space for log integers), and the result rounded to the grid, so each
  grid value owns a cell of equal width (equal width in log space for log integers);
* categorical with ``C`` choices: index ``floor(u C)``.

The inverse map :func:`to_unit` sends a value to the centre of its cell, so that
``from_unit(to_unit(x)) == x``.
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution

FloatArray = npt.NDArray[np.float64]


def _bounds(distribution: FloatDistribution | IntDistribution) -> tuple[float, float, float]:
    """(lower, upper, step) of the padded domain, in log space for log distributions."""
    step = float(distribution.step) if distribution.step is not None else 0.0
    low = distribution.low - step / 2
    high = distribution.high + step / 2
    if distribution.log:
        return math.log(low), math.log(high), step
    return low, high, step


def from_unit(distribution: BaseDistribution, u: FloatArray) -> FloatArray:
    """Map points of ``[0, 1]`` to internal values of ``distribution``.

    Args:
        distribution: The target distribution.
        u: Points in ``[0, 1]``, any shape.

    Returns:
        Internal values, the shape of ``u``; each lies in the distribution.
    """
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if isinstance(distribution, CategoricalDistribution):
        n_choices = len(distribution.choices)
        return np.minimum(np.floor(u * n_choices), n_choices - 1).astype(np.float64)
    if not isinstance(distribution, (FloatDistribution, IntDistribution)):
        raise TypeError(f"unknown distribution {distribution!r}")

    low, high, step = _bounds(distribution)
    x = low + u * (high - low)
    if distribution.log:
        x = np.exp(x)
    if step > 0:
        x = distribution.low + np.round((x - distribution.low) / step) * step
    return np.clip(x, distribution.low, distribution.high)


def to_unit(distribution: BaseDistribution, internal: FloatArray) -> FloatArray:
    """Map internal values of ``distribution`` to ``[0, 1]`` (the centre of their cell)."""
    x = np.asarray(internal, dtype=np.float64)
    if isinstance(distribution, CategoricalDistribution):
        return (x + 0.5) / len(distribution.choices)
    if not isinstance(distribution, (FloatDistribution, IntDistribution)):
        raise TypeError(f"unknown distribution {distribution!r}")

    low, high, _ = _bounds(distribution)
    if high == low:
        return np.full_like(x, 0.5)
    if distribution.log:
        x = np.log(x)
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def point_to_params(
    point: FloatArray, search_space: Mapping[str, BaseDistribution]
) -> dict[str, Any]:
    """Decode a point of the unit cube into external parameter values, one dimension each.

    Args:
        point: Shape ``(len(search_space),)``, in ``[0, 1]``, in the order of ``search_space``.
        search_space: The parameters the dimensions stand for.
    """
    params = {}
    for u, (name, distribution) in zip(point, search_space.items(), strict=True):
        internal = float(from_unit(distribution, np.float64(u)))
        params[name] = distribution.to_external_repr(internal)
    return params


def sample_uniform(distribution: BaseDistribution, rng: np.random.Generator) -> float:
    """One internal value drawn uniformly from ``distribution`` (uniform in log space if log).

    The scalar twin of ``from_unit(distribution, rng.random())``, without numpy's per-call cost.
    """
    if isinstance(distribution, CategoricalDistribution):
        return float(rng.integers(len(distribution.choices)))
    if not isinstance(distribution, (FloatDistribution, IntDistribution)):
        raise TypeError(f"unknown distribution {distribution!r}")
    if isinstance(distribution, IntDistribution) and not distribution.log:
        n_values = (distribution.high - distribution.low) // distribution.step + 1
        return float(distribution.low + distribution.step * int(rng.integers(n_values)))

    low, high, step = _bounds(distribution)
    x = low + rng.random() * (high - low)
    if distribution.log:
        x = math.exp(x)
    if step > 0:
        x = distribution.low + round((x - distribution.low) / step) * step
    return min(max(x, distribution.low), distribution.high)
