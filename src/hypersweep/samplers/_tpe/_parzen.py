"""Vectorized Parzen estimators: the densities l(x) and g(x) of the TPE sampler.

Each estimator is a weighted mixture of product kernels, one component per observation plus one
prior component (Bergstra et al. 2011, https://papers.nips.cc/paper/4443; Watanabe 2023,
https://arxiv.org/abs/2304.11127):

    p(x) = sum_i w_i prod_d k_d(x_d | c_id),    sum_i w_i = 1.

Numeric dimensions live in the unit interval of :mod:`hypersweep.samplers._unit` (log space for
log parameters, padded by half a step for stepped and integer ones). Their kernel is a normal
``N(mu_i, sigma_i)`` truncated to ``[0, 1]``; a stepped dimension gives each grid value the mass
of its cell, ``Phi((b - mu) / sigma) - Phi((a - mu) / sigma)`` over the cell ``[a, b]``, divided
by the truncation mass. Categorical dimensions with ``C`` choices use the Aitchison-Aitken kernel

    k(c | c_i) = 1 - eps        if c == c_i,
                 eps / (C - 1)  otherwise,

with ``eps = (C - 1) / (n + 1 + C)`` for an estimator of ``n`` observations, so the kernel starts
near uniform and sharpens like ``1 / n``. The prior component is ``N(0.5, 1)`` truncated to the
unit interval for numeric dimensions and uniform for categorical ones.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr
from scipy.special import ndtr
from scipy.special import ndtri_exp

from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.samplers._unit import from_unit
from hypersweep.samplers._unit import to_unit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: Bandwidth floor of a stepped dimension, as a fraction of its cell width; a kernel much
#: narrower than a cell puts all its mass on one grid value and cannot propose its neighbours.
CELL_BANDWIDTH = 0.75
_TINY = 1e-300  # floor of probabilities before a log, so that log never sees 0


class GridCells(NamedTuple):
    """The cells of one stepped column of some points (see :meth:`ParzenEstimator.grid_cells`).

    Attributes:
        inverse: Shape ``(m,)``: each point's index among the distinct values.
        edges: Shape ``(e,)``: the distinct cell edges, sorted.
        lower: Shape ``(u,)``: each distinct value's lower edge, as an index into ``edges``.
        upper: Shape ``(u,)``: each distinct value's upper edge, as an index into ``edges``.
    """

    inverse: IntArray
    edges: FloatArray
    lower: IntArray
    upper: IntArray


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One parameter of an estimator, with how it is encoded.

    Attributes:
        distribution: The parameter's distribution.
        n_choices: The number of choices of a categorical parameter, else 0.
        stepped: Whether a numeric parameter takes grid values (integers or a ``step``).
    """

    distribution: BaseDistribution
    n_choices: int
    stepped: bool

    @classmethod
    def of(cls, distribution: BaseDistribution) -> Dimension:
        """The dimension of ``distribution``."""
        if isinstance(distribution, CategoricalDistribution):
            return cls(distribution, len(distribution.choices), False)
        if isinstance(distribution, IntDistribution):
            return cls(distribution, 0, True)
        if isinstance(distribution, FloatDistribution):
            return cls(distribution, 0, distribution.step is not None)
        raise TypeError(f"unknown distribution {distribution!r}")

    @property
    def cell_width(self) -> float:
        """The mean unit-interval width of a grid value's cell (0 if not stepped)."""
        distribution = self.distribution
        if not self.stepped or not isinstance(distribution, (FloatDistribution, IntDistribution)):
            return 0.0
        step = float(distribution.step or 1)
        return 1.0 / (round((distribution.high - distribution.low) / step) + 1)

    @property
    def categorical(self) -> bool:
        """Whether the dimension is categorical."""
        return self.n_choices > 0

    def encode(self, internal: FloatArray) -> FloatArray:
        """Internal values to the estimator's coordinates (unit interval, or choice index)."""
        if self.categorical:
            return np.asarray(internal, dtype=np.float64)
        return to_unit(self.distribution, internal)

    def decode(self, encoded: FloatArray) -> FloatArray:
        """Estimator coordinates to internal values (rounded to the grid when stepped)."""
        if self.categorical:
            return np.asarray(encoded, dtype=np.float64)
        return from_unit(self.distribution, encoded)

    def cell_edges(self, internal: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The unit-interval cell ``[a, b]`` of each grid value of a stepped dimension."""
        distribution = self.distribution
        if not isinstance(distribution, (FloatDistribution, IntDistribution)):
            raise TypeError(f"cell edges need a numeric distribution, got {distribution!r}")
        step = float(distribution.step or 0.0)
        lower = np.asarray(internal, dtype=np.float64) - step / 2
        upper = lower + step
        low = distribution.low - step / 2
        high = distribution.high + step / 2
        if distribution.log:
            lower, upper = np.log(lower), np.log(upper)
            low, high = math.log(low), math.log(high)
        span = high - low
        return (lower - low) / span, (upper - low) / span


def _gauss_mass(lower: FloatArray, upper: FloatArray) -> FloatArray:
    """``Phi(upper) - Phi(lower)``.

    The plain difference loses relative precision only beyond about 8 standard deviations,
    where a kernel's mass is negligible next to the prior component's in any mixture.
    """
    mass: FloatArray = ndtr(upper) - ndtr(lower)
    return mass


def sample_truncated_normal(
    mu: FloatArray, sigma: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Draw from ``N(mu, sigma)`` truncated to ``[0, 1]``, elementwise, by inverting the CDF.

    The inversion runs in log space on the lower tail (intervals right of the mean are mirrored),
    so components far from the interval still give points inside it.
    """
    lower = (0.0 - mu) / sigma
    upper = (1.0 - mu) / sigma
    mirror = lower + upper > 0
    low = np.where(mirror, -upper, lower)
    high = np.where(mirror, -lower, upper)
    log_low = log_ndtr(low)
    log_high = log_ndtr(high)
    uniform = 1.0 - rng.random(np.shape(mu))

    # log u = log(Phi(low) + U (Phi(high) - Phi(low))), kept in log space.
    log_width = log_high + np.log(np.maximum(-np.expm1(log_low - log_high), _TINY))
    log_u = np.logaddexp(log_low, log_width + np.log(uniform))
    z = np.clip(ndtri_exp(np.minimum(log_u, 0.0)), low, high)
    z = np.where(mirror, -z, z)
    return np.clip(mu + sigma * z, 0.0, 1.0)  # type: ignore[no-any-return]


def neighbour_bandwidths(centres: FloatArray, min_bandwidth: FloatArray) -> FloatArray:
    """Bandwidths by the neighbour rule, one per centre and numeric dimension.

    For each dimension the centres are sorted together with the interval ends 0 and 1 and the
    prior centre 0.5; each centre's bandwidth is the larger gap to its two neighbours, clipped
    to ``[min_bandwidth, 1]`` (the hyperopt rule that Watanabe 2023 recommends).

    Args:
        centres: Shape ``(n, d)``, values in ``[0, 1]``.
        min_bandwidth: Shape ``(d,)``: the bandwidth floor of each dimension.

    Returns:
        Shape ``(n, d)``.
    """
    n_centres, n_dims = centres.shape
    anchors = np.repeat(np.array([[0.0], [0.5], [1.0]]), n_dims, axis=1)
    points = np.concatenate([centres, anchors], axis=0)
    order = np.argsort(points, axis=0, kind="stable")
    ordered = np.take_along_axis(points, order, axis=0)
    gaps = np.diff(ordered, axis=0)
    zero = np.zeros((1, n_dims))
    left = np.concatenate([zero, gaps], axis=0)
    right = np.concatenate([gaps, zero], axis=0)
    widest = np.maximum(left, right)
    bandwidths = np.empty_like(widest)
    np.put_along_axis(bandwidths, order, widest, axis=0)
    clipped: FloatArray = np.clip(bandwidths[:n_centres], min_bandwidth[None], 1.0)
    return clipped


class ParzenEstimator:
    """A mixture of product kernels over observations plus a prior component.

    Args:
        dimensions: The parameters, in column order.
        centres: Shape ``(n, d)``: the encoded observations (unit coordinates for numeric
            columns, choice indices for categorical ones).
        weights: Shape ``(n,)``: non-negative observation weights.
        prior_weight: The prior component's weight relative to the mean observation weight.
        min_bandwidth: The numeric bandwidth floor, as a fraction of the unit interval.
    """

    def __init__(
        self,
        dimensions: list[Dimension],
        centres: FloatArray,
        weights: FloatArray,
        prior_weight: float,
        min_bandwidth: float,
    ) -> None:
        n_observations = centres.shape[0]
        self._dimensions = dimensions
        self._numeric = [i for i, d in enumerate(dimensions) if not d.categorical]
        self._stepped = [j for j, i in enumerate(self._numeric) if dimensions[i].stepped]
        self._categorical = [i for i, d in enumerate(dimensions) if d.categorical]

        # Mixture weights w_i, the prior's being prior_weight times the mean observation weight.
        mean_weight = float(np.mean(weights)) if n_observations > 0 else 1.0
        all_weights = np.append(weights, prior_weight * mean_weight)
        all_weights = all_weights / all_weights.sum()
        self._log_weights = np.log(np.maximum(all_weights, _TINY))
        self._weights = all_weights

        # Numeric kernels: centres mu_id, neighbour-rule bandwidths sigma_id, and the prior
        # component N(0.5, 1); log_mass is the log of each kernel's mass inside [0, 1].
        numeric = centres[:, self._numeric]
        floors = np.array(
            [max(min_bandwidth, CELL_BANDWIDTH * dimensions[i].cell_width) for i in self._numeric]
        )
        sigma = neighbour_bandwidths(numeric, floors)
        self._mu = np.concatenate([numeric, np.full((1, len(self._numeric)), 0.5)], axis=0)
        self._sigma = np.concatenate([sigma, np.ones((1, len(self._numeric)))], axis=0)

        # Truncation masses Phi((1 - mu) / sigma) - Phi(-mu / sigma). Centres lie in [0, 1] and
        # sigma <= 1, so each is at least Phi(1) - Phi(0) = 0.34 and plain CDF differences are
        # accurate; beyond 8.5 sigma, ndtr is 0 or 1 in float64, so only kernels near an end
        # need it.
        lower = -self._mu / self._sigma
        upper = (1.0 - self._mu) / self._sigma
        near = (lower > -8.5) | (upper < 8.5)
        mass = np.ones_like(self._mu)
        mass[near] = _gauss_mass(lower[near], upper[near])
        self._log_mass = np.log(mass)

        # Categorical kernels (Aitchison-Aitken): eps = (C - 1) / (n + 1 + C); the prior row
        # (index -1) is uniform.
        self._choices = np.concatenate(
            [centres[:, self._categorical], np.full((1, len(self._categorical)), -1.0)], axis=0
        ).astype(np.int64)
        self._n_choices = np.array(
            [dimensions[i].n_choices for i in self._categorical], dtype=np.int64
        )
        eps = (self._n_choices - 1) / (n_observations + 1.0 + self._n_choices)
        self._log_hit = np.log1p(-eps)
        self._log_miss = np.log(np.maximum(eps / np.maximum(self._n_choices - 1, 1), _TINY))
        self._log_uniform = -np.log(self._n_choices.astype(np.float64))
        self._tables = []
        for j, n_choices in enumerate(self._n_choices):
            table = np.where(
                np.arange(n_choices)[:, None] == self._choices[None, :, j],
                self._log_hit[j],
                self._log_miss[j],
            )
            table[:, -1] = self._log_uniform[j]
            self._tables.append(table)

        # Continuous columns, precomputed for log_pdf: s = 1 / sigma^2, mu s, and per component
        # the offset log w_i - sum_d (mu^2 s / 2 + log sigma + log sqrt(2 pi) + log mass), less
        # the log truncation masses of the stepped columns.
        self._continuous = [j for j in range(len(self._numeric)) if j not in self._stepped]
        self._continuous_columns = [self._numeric[j] for j in self._continuous]
        mu = self._mu[:, self._continuous]
        sigma = self._sigma[:, self._continuous]
        self._precision = 1.0 / (sigma * sigma)
        self._scaled_mu = mu * self._precision
        continuous_log_norm = (
            0.5 * mu * self._scaled_mu
            + np.log(sigma)
            + _LOG_SQRT_2PI
            + self._log_mass[:, self._continuous]
        ).sum(axis=1)
        stepped_log_mass = self._log_mass[:, self._stepped].sum(axis=1)
        self._offset = self._log_weights - continuous_log_norm - stepped_log_mass

    def sample(self, rng: np.random.Generator, n_samples: int) -> FloatArray:
        """Draw encoded points from the mixture.

        Returns:
            Shape ``(n_samples, d)``; stepped columns are snapped to their grid values.
        """
        points = np.empty((n_samples, len(self._dimensions)))
        component = rng.choice(len(self._weights), size=n_samples, p=self._weights)

        # Numeric columns: one truncated normal draw from each chosen component.
        if self._numeric:
            drawn = sample_truncated_normal(self._mu[component], self._sigma[component], rng)
            for j, i in enumerate(self._numeric):
                dimension = self._dimensions[i]
                column = drawn[:, j]
                if dimension.stepped:
                    column = dimension.encode(dimension.decode(column))
                points[:, i] = column

        # Categorical columns: keep the component's choice with probability 1 - eps, else pick
        # one of the other choices uniformly; the prior component picks uniformly.
        for j, i in enumerate(self._categorical):
            n_choices = int(self._n_choices[j])
            centre = self._choices[component, j]
            eps = math.exp(float(self._log_miss[j])) * (n_choices - 1)
            other = rng.integers(n_choices - 1, size=n_samples) if n_choices > 1 else centre
            other = np.where(other >= centre, other + 1, other)
            keep = rng.random(n_samples) >= eps
            uniform = rng.integers(n_choices, size=n_samples)
            points[:, i] = np.where(centre < 0, uniform, np.where(keep, centre, other))
        return points

    def grid_cells(self, points: FloatArray) -> list[GridCells]:
        """The cells of the stepped columns of ``points``, for :meth:`log_pdf`.

        Returns:
            Per stepped column: for each point the index of its distinct grid value; the
            distinct cell edges (unit interval, sorted); and for each distinct value the indices
            of its lower and upper edges among them. Neighbouring values share an edge, so the
            CDF is evaluated once per edge.
        """
        cells = []
        for j in self._stepped:
            dimension = self._dimensions[self._numeric[j]]
            values = dimension.decode(points[:, self._numeric[j]])

            # Distinct values by one sort (np.unique costs more than this for a few points).
            order = np.argsort(values, kind="stable")
            ordered = values[order]
            first = np.empty(ordered.shape[0], dtype=bool)
            first[:1] = True
            first[1:] = ordered[1:] != ordered[:-1]
            inverse = np.empty(ordered.shape[0], dtype=np.int64)
            inverse[order] = np.cumsum(first) - 1

            # Distinct edges: rounding merges the shared edge of neighbouring values.
            lower, upper = dimension.cell_edges(ordered[first])
            both = np.round(np.concatenate([lower, upper]), 12)
            order = np.argsort(both, kind="stable")
            ordered = both[order]
            first = np.empty(ordered.shape[0], dtype=bool)
            first[:1] = True
            first[1:] = ordered[1:] != ordered[:-1]
            edge_index = np.empty(ordered.shape[0], dtype=np.int64)
            edge_index[order] = np.cumsum(first) - 1
            n_values = lower.shape[0]
            cells.append(
                GridCells(inverse, ordered[first], edge_index[:n_values], edge_index[n_values:])
            )
        return cells

    def log_pdf(
        self,
        points: FloatArray,
        cells: list[GridCells] | None = None,
    ) -> FloatArray:
        """``log p(x)`` of encoded points (log mass per cell for stepped columns).

        Args:
            points: Shape ``(m, d)``, as :meth:`sample` returns.
            cells: :meth:`grid_cells` of ``points`` (computed if not given; estimators over the
                same dimensions may share it).

        Returns:
            Shape ``(m,)``.
        """
        # Continuous columns: log phi(z) - log sigma - log mass with z = (x - mu) / sigma; the
        # sum of -z^2 / 2 over columns is -x^2 . s / 2 + x . (mu s) - mu^2 . s / 2 with
        # s = 1 / sigma^2, as matrix products; terms without x are in self._offset.
        log_kernel = np.empty((points.shape[0], self._offset.size))
        log_kernel[:] = self._offset
        if self._continuous:
            x = points[:, self._continuous_columns]
            log_kernel -= (0.5 * x * x) @ self._precision.T
            log_kernel += x @ self._scaled_mu.T

        # Stepped columns: log of the kernel's mass over the cell [a, b] of each grid value,
        # computed once per distinct value among the points.
        if cells is None:
            cells = self.grid_cells(points)
        # The truncation masses of these columns are in self._offset.
        for j, cell in zip(self._stepped, cells, strict=True):
            cdf = ndtr((cell.edges[:, None] - self._mu[None, :, j]) / self._sigma[None, :, j])
            mass = cdf[cell.upper] - cdf[cell.lower]
            mass += _TINY
            log_kernel += np.log(mass, out=mass)[cell.inverse]

        # Categorical columns: a (C, k) table of log k(c | c_i), gathered by choice.
        for j, i in enumerate(self._categorical):
            log_kernel += self._tables[j][points[:, i].astype(np.int64)]

        # Mixture: log sum_i w_i exp(log k_i(x)).
        return _log_sum_exp(log_kernel)


def _log_sum_exp(values: FloatArray) -> FloatArray:
    """``log(sum(exp(values), axis=1))``, shifted by the row maximum."""
    top = np.max(values, axis=1)
    top[~np.isfinite(top)] = 0.0
    shifted = values - top[:, None]
    np.exp(shifted, out=shifted)
    total: FloatArray = np.log(shifted.sum(axis=1)) + top
    return total
