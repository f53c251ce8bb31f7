from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._curves import check_int
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from hypersweep.study import Study


class PercentilePruner(BasePruner):
    """Prune a trial whose best value so far is worse than a percentile of earlier trials.

    At step ``s`` the trial's best intermediate value up to ``s`` is compared with the
    ``percentile``-th percentile (for minimization; the ``100 - percentile``-th for
    maximization) of the values that earlier finished trials reported at step ``s``. It is
    pruned if it is worse. NaN or infinite intermediate values are pruned at once: a diverged
    run never recovers.

    Args:
        percentile: In ``[0, 100]``; lower prunes more (25 keeps roughly the best quarter).
        n_startup_trials: No pruning until this many trials have finished (COMPLETE or PRUNED).
        n_warmup_steps: No pruning before this step.
        interval_steps: Check only every ``interval_steps`` steps after the warm-up.
        n_min_trials: At least this many earlier trials must have reported at the step.

    Raises:
        ValueError: If an argument is out of range.
    """

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        if not isinstance(percentile, (int, float)) or not 0.0 <= percentile <= 100.0:
            raise ValueError(f"percentile must be in [0, 100], got {percentile!r}")
        check_int("n_startup_trials", n_startup_trials, 0)
        check_int("n_warmup_steps", n_warmup_steps, 0)
        check_int("interval_steps", interval_steps, 1)
        check_int("n_min_trials", n_min_trials, 1)
        self._percentile = float(percentile)
        self._n_startup_trials = n_startup_trials
        self._n_warmup_steps = n_warmup_steps
        self._interval_steps = interval_steps
        self._n_min_trials = n_min_trials

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        current = trial.intermediate_values[step]
        if not math.isfinite(current):
            return True

        if step < self._n_warmup_steps:
            return False
        if (step - self._n_warmup_steps) % self._interval_steps != 0:
            return False
        finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
        if len(finished) < self._n_startup_trials:
            return False

        others = [
            t.intermediate_values[step]
            for t in finished
            if step in t.intermediate_values and math.isfinite(t.intermediate_values[step])
        ]
        if len(others) < self._n_min_trials:
            return False

        maximize = study.direction == StudyDirection.MAXIMIZE
        values = [v for s, v in trial.intermediate_values.items() if s <= step]
        best = max(values) if maximize else min(values)
        if maximize:
            return bool(best < np.percentile(others, 100.0 - self._percentile))
        return bool(best > np.percentile(others, self._percentile))


class MedianPruner(PercentilePruner):
    """Prune a trial whose best value so far is worse than the median of earlier trials.

    The median stopping rule of Google Vizier (Golovin et al., KDD 2017,
    https://research.google/pubs/pub46180/), compared at equal steps: a trial stops at step
    ``s`` if its best intermediate value up to ``s`` is worse than the median of the values
    earlier trials reported at ``s``, once ``n_startup_trials`` trials have finished and past
    ``n_warmup_steps``.

    Args:
        n_startup_trials: No pruning until this many trials have finished.
        n_warmup_steps: No pruning before this step.
        interval_steps: Check only every ``interval_steps`` steps after the warm-up.
        n_min_trials: At least this many earlier trials must have reported at the step.

    Example:
        >>> import hypersweep
        >>> pruner = hypersweep.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
        >>> study = hypersweep.create_study(pruner=pruner)
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )
