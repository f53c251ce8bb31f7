"""Hyperband: several successive-halving brackets that hedge over how early to stop."""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING
from typing import Literal

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._curves import auto_min_resource
from hypersweep.pruners._curves import check_int
from hypersweep.pruners._curves import check_resource
from hypersweep.pruners._curves import last_value_diverged
from hypersweep.pruners._curves import resolve_max_resource
from hypersweep.pruners._successive_halving import SuccessiveHalvingPruner
from hypersweep.pruners._successive_halving import rung_milestones
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study

#: Trial system attribute with the index of the trial's Hyperband bracket.
BRACKET_KEY = "hyperband_bracket"


def bracket_sizes(n_brackets: int, reduction_factor: int) -> list[int]:
    """How many trials each bracket gets per round (Li et al. 2018, Algorithm 1).

    Bracket ``b`` has ``n_s = ceil((s_max + 1) * eta**s / (s + 1))`` trials, where
    ``s = s_max - b`` is its number of rungs and ``s_max = n_brackets - 1``. Every bracket then
    spends about the same total resource; the last bracket (``s = 0``) never stops a trial.

    Example:
        >>> bracket_sizes(4, 3)
        [27, 12, 6, 4]
    """
    s_max = n_brackets - 1
    return [
        math.ceil((s_max + 1) * reduction_factor ** (s_max - b) / (s_max - b + 1))
        for b in range(n_brackets)
    ]


def assign_bracket(study_name: str, trial_number: int, sizes: list[int]) -> int:
    """The bracket of a trial: a hash of the study name and trial number, weighted by ``sizes``.

    The same trial maps to the same bracket in every worker and every session, with no
    coordination, and over many trials bracket ``b`` receives a share ``sizes[b] / sum(sizes)``.
    """
    digest = hashlib.blake2b(f"{study_name}\x00{trial_number}".encode(), digest_size=8).digest()
    ticket = int.from_bytes(digest, "big") % sum(sizes)
    for bracket, size in enumerate(sizes):
        if ticket < size:
            return bracket
        ticket -= size
    return len(sizes) - 1  # pragma: no cover - the tickets cover the sum exactly


class HyperbandPruner(BasePruner):
    """Hyperband with asynchronous successive halving in each bracket.

    Li et al., "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization",
    JMLR 2018 (https://jmlr.org/papers/v18/16-558.html), run asynchronously as in Li et al.,
    MLSys 2020 (https://arxiv.org/abs/1810.05934). With minimum resource ``r``, maximum ``R`` and
    reduction factor ``eta``, let ``s_max`` be the number of rungs ``r * eta**k < R``. Bracket
    ``b = 0, ..., s_max`` is successive halving (:class:`SuccessiveHalvingPruner`) with rungs at

    .. math:: m_k = r \\, \\eta^{b + k} < R,

    so bracket 0 is the most aggressive and bracket ``s_max`` has no rung: it never stops a
    trial early, a hedge for problems where early values do not predict final ones. Each trial
    belongs to one bracket, drawn deterministically from a hash of the study name and the trial
    number with weights ``n_s = ceil((s_max + 1) * eta**s / (s + 1))`` (``s = s_max - b``
    rungs), the bracket sizes of Hyperband's Algorithm 1, so every bracket spends about the same
    resource. At a later rung a trial is ranked only among the trials of its own bracket, the
    survivors of the same earlier rungs, so that "top ``1/eta``" means what it does in
    successive halving. At a bracket's first rung, ``m_0 = r * eta**b``, the population is
    every trial of bracket ``b`` or above that reached ``m_0``: none of them met a rung before
    it, so they are all unfiltered, and pooling them lets the higher brackets start pruning
    without paying their own start-up.

    The sampler is not restricted to a bracket. Filtering the sampler's view by bracket (as
    Optuna does) leaves each bracket's sampler a fraction of the history, so a model-based
    sampler spends its startup trials once per bracket. Here every trial stays visible and
    pruned trials are ranked by how far they got, then by their last value (the history rules
    of :class:`hypersweep.samplers.BaseSampler`). The bracket is recorded in each trial's
    system attributes under ``"hyperband_bracket"`` (see :meth:`bracket`) for samplers and
    analyses that want to compare like with like.

    NaN or infinite intermediate values stop a trial at once in every bracket, and nothing is
    pruned at or after step ``R``. Resource may be epochs, steps or seconds; see
    :class:`SuccessiveHalvingPruner`.

    Args:
        min_resource: ``r``, the first rung of bracket 0, or ``"auto"`` for ``ceil(R / eta**3)``
            (at most three rungs, four brackets).
        max_resource: ``R``, the last step of a full run, or ``"auto"`` to take the last step of
            the first trial that completes (no pruning happens before then).
        reduction_factor: ``eta``.
        n_min_trials: Other trials that must have reached a bracket's first rung before it
            prunes (``ceil(n_min_trials / eta**k)`` at its rung ``k``); ``None`` for
            ``max(eta, 5)``.

    Raises:
        ValueError: If an argument is out of range.

    Example:
        >>> import hypersweep
        >>> pruner = hypersweep.pruners.HyperbandPruner(max_resource=27)
        >>> [pruner.bracket_milestones(27, b) for b in range(4)]
        [[1, 3, 9], [3, 9], [9], []]
    """

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        *,
        n_min_trials: int | None = None,
    ) -> None:
        self._min_resource = check_resource("min_resource", min_resource, 1)
        self._max_resource = check_resource("max_resource", max_resource, 1)
        self._reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        self._halving = SuccessiveHalvingPruner(
            min_resource, max_resource, reduction_factor, n_min_trials=n_min_trials
        )
        self._max_resource_cache: dict[str, int] = {}

    def _resources(self, study: Study) -> tuple[int, int] | None:
        max_resource = resolve_max_resource(study, self._max_resource, self._max_resource_cache)
        if max_resource is None:
            return None
        min_resource = self._min_resource
        if min_resource is None:
            min_resource = auto_min_resource(max_resource, self._reduction_factor)
        return min_resource, max_resource

    def bracket_milestones(self, max_resource: int, bracket: int) -> list[int]:
        """The rung milestones of ``bracket`` when a full run is ``max_resource`` steps."""
        min_resource = self._min_resource
        if min_resource is None:
            min_resource = auto_min_resource(max_resource, self._reduction_factor)
        return rung_milestones(min_resource, self._reduction_factor, bracket, max_resource)

    def n_brackets(self, study: Study) -> int | None:
        """The number of brackets, ``s_max + 1`` (``None`` while ``R`` is unknown)."""
        resources = self._resources(study)
        if resources is None:
            return None
        min_resource, max_resource = resources
        return len(rung_milestones(min_resource, self._reduction_factor, 0, max_resource)) + 1

    def bracket(self, study: Study, trial: FrozenTrial) -> int | None:
        """The bracket of ``trial`` (``None`` while the maximum resource is unknown)."""
        n_brackets = self.n_brackets(study)
        if n_brackets is None:
            return None
        sizes = bracket_sizes(n_brackets, self._reduction_factor)
        return assign_bracket(study.study_name, trial.number, sizes)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        if last_value_diverged(trial):
            return True
        n_brackets = self.n_brackets(study)
        if n_brackets is None:
            return False

        # Bracket assignment: deterministic in (study name, trial number), Hyperband weights.
        sizes = bracket_sizes(n_brackets, self._reduction_factor)
        bracket = assign_bracket(study.study_name, trial.number, sizes)
        if trial.system_attrs.get(BRACKET_KEY) != bracket:
            study.set_trial_system_attr(trial.trial_id, BRACKET_KEY, bracket)

        # Successive halving within the bracket, rate s = b. At the first rung every trial of
        # bracket b or above reached the milestone unfiltered; later rungs hold only the
        # bracket's own survivors.
        def in_population(other: FrozenTrial, rung: int) -> bool:
            other_bracket = assign_bracket(study.study_name, other.number, sizes)
            return other_bracket >= bracket if rung == 0 else other_bracket == bracket

        return self._halving._prune(study, trial, bracket, in_population)
