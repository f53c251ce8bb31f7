from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import hashlib
import itertools
import json
import math
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from hypersweep._exceptions import SearchSpaceExhausted
from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalChoice
from hypersweep.logging import get_logger
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._base import Reservation
from hypersweep.samplers._unit import sample_uniform
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study

_logger = get_logger(__name__)

GRID_ID_KEY = "grid_id"


class GridSampler(BaseSampler):
    """Exhaustive search: every combination of the listed values, each exactly once.

    Before each trial the sampler reserves one combination no worker has taken yet, with an
    atomic claim in the storage, so a grid run by several threads, processes or machines runs
    each combination exactly once. When every combination is taken, the study stops by itself,
    even if ``n_trials`` asked for more.

    Args:
        search_space: Parameter names mapped to the values to try. The objective must suggest
            each of these parameters with a distribution that contains the listed values.
        seed: Seed of the order in which combinations are taken (and of the random draw of any
            parameter that is not in the grid).

    Raises:
        ValueError: If the grid is empty or a parameter has no values or repeated values.

    Example:
        >>> import hypersweep
        >>> grid = {"lr": [1e-3, 1e-4, 1e-5], "batch_size": [16, 32, 64]}
        >>> study = hypersweep.create_study(sampler=hypersweep.samplers.GridSampler(grid))
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-5, 1e-3, log=True)
        ...     batch_size = trial.suggest_categorical("batch_size", [16, 32, 64])
        ...     return lr * batch_size
        >>> study.optimize(objective, n_trials=100)
        >>> len(study.trials)
        9
    """

    def __init__(
        self, search_space: Mapping[str, Sequence[CategoricalChoice]], seed: int | None = None
    ) -> None:
        if not isinstance(search_space, Mapping) or len(search_space) == 0:
            raise ValueError(
                "GridSampler needs a non-empty mapping of parameter names to lists of values, "
                f"got {search_space!r}"
            )
        for name, values in search_space.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise ValueError(
                    f"parameter {name!r}: the grid needs a list of values, got {values!r}"
                )
            if len(values) == 0:
                raise ValueError(f"parameter {name!r}: the grid needs at least one value, got []")
            for value in values:
                if value is not None and not isinstance(value, (bool, int, float, str)):
                    raise ValueError(
                        f"parameter {name!r}: grid values must be None, bool, int, float or "
                        f"str, got {value!r}"
                    )
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValueError(
                        f"parameter {name!r}: grid values must be finite, got {value!r}"
                    )
            if len({json.dumps(v) for v in values}) != len(values):
                raise ValueError(
                    f"parameter {name!r}: grid values must be distinct, got {values!r}"
                )

        self._names = sorted(search_space)
        self._values = [list(search_space[name]) for name in self._names]
        self._grid = list(itertools.product(*self._values))
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(self._grid)).tolist()
        signature = json.dumps([self._names, self._values], sort_keys=True)
        self._key_prefix = f"grid:{hashlib.sha1(signature.encode()).hexdigest()[:12]}:"

    @property
    def n_combinations(self) -> int:
        """How many combinations the grid holds."""
        return len(self._grid)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def reserve(self, study: Study) -> Reservation:
        # Claim the first combination in our order that no worker holds yet. A lost race only
        # moves us on to the next one; the storage makes each claim atomic.
        taken = {key for key in study.system_attrs if key.startswith(self._key_prefix)}
        for grid_id in self._order:
            key = f"{self._key_prefix}{grid_id}"
            if key in taken:
                continue
            if study.set_system_attr_if_absent(key, True):
                params = dict(zip(self._names, self._grid[grid_id], strict=True))
                return Reservation(params=params, system_attrs={GRID_ID_KEY: grid_id})
        raise SearchSpaceExhausted(
            f"every one of the {len(self._grid)} combinations of the grid has been run or is "
            "running"
        )

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        _logger.warning(
            "Parameter %r of trial %d is not in the grid of GridSampler; it is sampled at random.",
            param_name,
            trial.number,
        )
        return distribution.to_external_repr(sample_uniform(distribution, self._rng))
