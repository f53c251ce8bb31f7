"""Asynchronous successive halving: keep the top 1/eta of the trials at each rung."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from typing import Literal

from hypersweep.logging import get_logger
from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._curves import REPORTING_STATES
from hypersweep.pruners._curves import auto_min_resource
from hypersweep.pruners._curves import check_int
from hypersweep.pruners._curves import check_resource
from hypersweep.pruners._curves import last_value_diverged
from hypersweep.pruners._curves import minimizing
from hypersweep.pruners._curves import resolve_max_resource
from hypersweep.pruners._curves import value_at_milestone
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study

_logger = get_logger(__name__)

#: Prefix of the trial system attribute that records the last rung a trial was promoted from.
PASSED_KEY_PREFIX = "successive_halving:passed"


def rung_milestones(
    min_resource: int, reduction_factor: int, min_early_stopping_rate: int, max_resource: int
) -> list[int]:
    """The steps at which successive halving checks a trial.

    Rung ``k`` sits at ``r * eta**(s + k)`` steps for ``k = 0, 1, ...`` while that is below the
    maximum resource ``R`` (no rung at or after the last step), where ``r`` is the minimum
    resource, ``eta`` the reduction factor and ``s`` the minimum early-stopping rate.

    Args:
        min_resource: ``r``, at least 1.
        reduction_factor: ``eta``, at least 2.
        min_early_stopping_rate: ``s``, at least 0 (a Hyperband bracket's index).
        max_resource: ``R``, the step at which a full run ends.

    Returns:
        The rung milestones in increasing order (empty when ``r * eta**s >= R``).

    Example:
        >>> rung_milestones(2, 3, 0, 40)
        [2, 6, 18]
    """
    milestones = []
    milestone = min_resource * reduction_factor**min_early_stopping_rate
    while milestone < max_resource:
        milestones.append(milestone)
        milestone *= reduction_factor
    return milestones


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA), the early-stopping variant.

    Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020
    (https://arxiv.org/abs/1810.05934). Rungs sit at the milestones

    .. math:: m_k = r \\, \\eta^{s + k}, \\qquad k = 0, 1, \\dots, \\quad m_k < R,

    with minimum resource ``r``, reduction factor ``eta``, minimum early-stopping rate ``s`` and
    maximum resource ``R`` (steps of a full run). When a trial first reaches rung ``k`` its value
    there is its best intermediate value so far; it continues only if that value is within the
    top ``max(1, floor(n / eta))`` of the ``n`` values recorded at rung ``k`` by all trials of
    the study (itself included, running trials too). Nobody waits for stragglers: the decision
    uses whatever the other workers have stored so far.

    Guards against the known failure modes of early stopping with a fixed epoch budget:

    - ``min_resource="auto"`` starts at ``ceil(R / eta**3)`` steps, so there are at most three
      rungs and the first one is a meaningful fraction of a full run.
    - Rung ``k`` prunes nothing until ``max(1, ceil(n_min_trials / eta**k))`` other trials
      have reached it; until then, trials arriving there are promoted (as in ASHA, the first
      arrivals continue). The requirement shrinks with ``k`` because rung ``k`` holds about
      ``1/eta**k`` of the trials of rung 0: a fixed minimum at every rung would let the first
      few trials run to the end and spend much of a small budget.
    - Values are compared at equal resource, best-so-far against best-so-far.
    - Nothing is pruned at or after step ``R``: a finished run is never thrown away.
    - A trial is judged only at the rung it has reached (with sparse reporting, a jump over
      several milestones is judged once, at the highest one), and at most once per rung: the
      promotion is recorded in the trial's system attributes.
    - A NaN or infinite intermediate value stops the trial at once, at any step: a diverged
      run never recovers.

    Resource is whatever ``step`` counts: epochs, optimizer steps, or seconds. For a time
    budget report the elapsed whole seconds as the step, ``trial.report(loss, step=int(elapsed))``,
    and give ``max_resource`` in seconds.

    Args:
        min_resource: ``r``, the first rung's step, or ``"auto"`` for ``ceil(R / eta**3)``.
        max_resource: ``R``, the last step of a full run, or ``"auto"`` to take the last step of
            the first trial that completes (no pruning happens before then).
        reduction_factor: ``eta``; a trial continues past a rung if it is in the top
            ``1/eta`` there.
        min_early_stopping_rate: ``s``; the first rung is at ``r * eta**s``.
        n_min_trials: Other trials that must have reached the first rung before it prunes
            (``ceil(n_min_trials / eta**k)`` at rung ``k``); ``None`` for ``max(eta, 5)``.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> import hypersweep
        >>> pruner = hypersweep.pruners.SuccessiveHalvingPruner(max_resource=30)
        >>> def objective(trial):
        ...     lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        ...     loss = 1.0
        ...     for epoch in range(31):
        ...         loss *= 1.0 - lr / 2
        ...         trial.report(loss, step=epoch)
        ...         if trial.should_prune():
        ...             raise hypersweep.TrialPruned()
        ...     return loss
        >>> study = hypersweep.create_study(
        ...     sampler=hypersweep.samplers.RandomSampler(seed=0), pruner=pruner)
        >>> study.optimize(objective, n_trials=20)
        >>> n_pruned = len(study.get_trials(states=(hypersweep.TrialState.PRUNED,)))
        >>> 0 < n_pruned < 20
        True
    """

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        *,
        n_min_trials: int | None = None,
    ) -> None:
        self._min_resource = check_resource("min_resource", min_resource, 1)
        self._max_resource = check_resource("max_resource", max_resource, 1)
        self._reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        self._min_early_stopping_rate = check_int(
            "min_early_stopping_rate", min_early_stopping_rate, 0
        )
        if n_min_trials is None:
            n_min_trials = max(reduction_factor, 5)
        self._n_min_trials = check_int("n_min_trials", n_min_trials, 1)
        if (
            self._min_resource is not None
            and self._max_resource is not None
            and self._min_resource >= self._max_resource
        ):
            raise ValueError(
                f"min_resource must be below max_resource, got min_resource={min_resource} and "
                f"max_resource={max_resource}"
            )
        self._max_resource_cache: dict[str, int] = {}

    @property
    def reduction_factor(self) -> int:
        """``eta``: a trial continues past a rung if it is in the top ``1/eta`` there."""
        return self._reduction_factor

    def max_resource(self, study: Study) -> int | None:
        """``R`` for ``study``: as given, or inferred (``None`` until a trial completed)."""
        return resolve_max_resource(study, self._max_resource, self._max_resource_cache)

    def min_resource(self, study: Study) -> int | None:
        """``r`` for ``study``: as given, or ``ceil(R / eta**3)`` (``None`` while R is unknown)."""
        if self._min_resource is not None:
            return self._min_resource
        max_resource = self.max_resource(study)
        if max_resource is None:
            return None
        return auto_min_resource(max_resource, self._reduction_factor)

    def milestones(self, study: Study) -> list[int]:
        """The rung milestones for ``study`` (empty while the maximum resource is unknown)."""
        max_resource = self.max_resource(study)
        min_resource = self.min_resource(study)
        if max_resource is None or min_resource is None:
            return []
        return rung_milestones(
            min_resource, self._reduction_factor, self._min_early_stopping_rate, max_resource
        )

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return self._prune(study, trial, self._min_early_stopping_rate)

    def _prune(
        self,
        study: Study,
        trial: FrozenTrial,
        min_early_stopping_rate: int,
    ) -> bool:
        """Judge ``trial`` at its rung ``k`` against every other trial that reached ``m_k``.

        With sparse reporting, ``k`` is the highest rung at or below the current step.
        """
        step = trial.last_step
        if step is None:
            return False
        if last_value_diverged(trial):
            return True

        # Rungs: m_k = r * eta^(s + k) below R; no decision at or after the last step.
        max_resource = self.max_resource(study)
        min_resource = self.min_resource(study)
        if max_resource is None or min_resource is None or step >= max_resource:
            return False
        milestones = rung_milestones(
            min_resource, self._reduction_factor, min_early_stopping_rate, max_resource
        )
        reached = [m for m in milestones if m <= step]
        if not reached:
            return False
        rung = len(reached) - 1
        milestone = reached[rung]

        # Judge a trial once per rung: a recorded promotion at this rung or above stands.
        passed_key = (
            f"{PASSED_KEY_PREFIX}:r{min_resource}:eta{self._reduction_factor}"
            f":s{min_early_stopping_rate}"
        )
        if int(trial.system_attrs.get(passed_key, -1)) >= milestone:
            return False

        # The rung's population: best-so-far losses of the other trials that reached it.
        direction = study.direction
        own = value_at_milestone(minimizing(trial.intermediate_values, direction), milestone)
        others = []
        for other in study.get_trials(states=REPORTING_STATES):
            if other.trial_id == trial.trial_id:
                continue
            value = value_at_milestone(minimizing(other.intermediate_values, direction), milestone)
            if value is not None:
                others.append(value)

        # Promotion rule: continue iff within the top max(1, floor(n / eta)) of the rung.
        n_required = max(1, math.ceil(self._n_min_trials / self._reduction_factor**rung))
        if own is not None and len(others) >= n_required:
            n_better = sum(1 for value in others if value < own)
            n_kept = max(1, (len(others) + 1) // self._reduction_factor)
            if n_better >= n_kept:
                _logger.debug(
                    "Trial %d stops at rung %d: %d of %d trials there are better, %d may go on.",
                    trial.number,
                    milestone,
                    n_better,
                    len(others) + 1,
                    n_kept,
                )
                return True
        study.set_trial_system_attr(trial.trial_id, passed_key, milestone)
        return False
