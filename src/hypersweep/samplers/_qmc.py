from __future__ import annotations

from collections.abc import Mapping
import threading
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from hypersweep.distributions import BaseDistribution
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._unit import point_to_params
from hypersweep.samplers._unit import sample_uniform
from hypersweep.trial import FrozenTrial
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from scipy.stats import qmc

    from hypersweep.study import Study


class QMCSampler(BaseSampler):
    """Quasi-random sampling with a scrambled Sobol sequence.

    Sobol points fill the unit cube far more evenly than independent uniform draws (their
    discrepancy falls like ``(log n)^d / n`` instead of ``n^(-1/2)``), which makes them a better
    space-filling start for any budget. Each dimension is mapped onto its parameter by the
    unit-interval encoding (log scale for log parameters, equal cells for integers and
    categories). Trial number ``n`` takes the ``n``-th point, so parallel workers take distinct
    points without coordination. Owen scrambling (seeded) keeps the points unbiased.

    The joint space is ``search_space`` if given, else the parameters of the study's first
    finished trial; parameters outside it, and every parameter of the first trial when the space
    is not known yet, are drawn uniformly at random.

    See: I. M. Sobol', "On the distribution of points in a cube and the approximate evaluation of
    integrals" (1967); A. B. Owen, "Scrambling Sobol' and Niederreiter-Xing points" (1998).

    Args:
        search_space: The declarative search space, if known up front.
        seed: Seed of the scrambling and of the random draws.

    Example:
        >>> import hypersweep
        >>> sampler = hypersweep.samplers.QMCSampler(seed=0)
        >>> study = hypersweep.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=8)
        >>> len(study.trials)
        8
    """

    def __init__(
        self,
        search_space: Mapping[str, BaseDistribution] | None = None,
        seed: int | None = None,
    ) -> None:
        self._seed = int(np.random.default_rng(seed).integers(2**31)) if seed is None else seed
        self._rng = np.random.default_rng(seed)
        self._search_space = None if search_space is None else dict(search_space)
        self._lock = threading.Lock()
        self._engine: qmc.Sobol | None = None
        self._engine_dim = -1
        self._next_index = 0

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._search_space is not None:
            space = self._search_space
        else:
            finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
            if not finished:
                return {}
            space = dict(finished[0].distributions)
        return {name: d for name, d in sorted(space.items()) if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: Mapping[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        return point_to_params(self._point(trial.number, len(search_space)), search_space)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return distribution.to_external_repr(sample_uniform(distribution, self._rng))

    def _point(self, index: int, n_dims: int) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The ``index``-th point of the scrambled Sobol sequence in ``n_dims`` dimensions."""
        # scipy.stats takes most of a second to import: pay for it only when Sobol is used.
        from scipy.stats import qmc

        with self._lock:
            if self._engine is None or self._engine_dim != n_dims or index < self._next_index:
                self._engine = qmc.Sobol(n_dims, scramble=True, seed=self._seed)
                self._engine_dim = n_dims
                self._next_index = 0
            if index > self._next_index:
                self._engine.fast_forward(index - self._next_index)
            point = self._engine.random(1)[0]
            self._next_index = index + 1
            return np.asarray(point, dtype=np.float64)
