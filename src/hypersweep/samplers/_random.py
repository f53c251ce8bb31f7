from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from hypersweep.distributions import BaseDistribution
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._unit import sample_uniform
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study


class RandomSampler(BaseSampler):
    """Independent uniform sampling (uniform in log space for log-scale parameters).

    Each parameter is drawn on its own from its distribution; integer and stepped parameters give
    every value the same probability. A strong baseline for any budget and the reference every
    model-based sampler must beat.

    Args:
        seed: Seed of the sampler's own ``numpy.random.Generator``; the same seed gives the same
            sequence of parameters in a sequential study.

    Example:
        >>> import hypersweep
        >>> sampler = hypersweep.samplers.RandomSampler(seed=42)
        >>> study = hypersweep.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> len(study.trials)
        5
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = np.random.default_rng(seed)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return distribution.to_external_repr(sample_uniform(distribution, self._rng))
