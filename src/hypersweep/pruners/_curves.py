"""Learning-curve helpers shared by the pruners: best-so-far values, resources, divergence."""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import TYPE_CHECKING

from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from hypersweep.study import Study

#: Study system attribute holding the maximum resource inferred by ``max_resource="auto"``.
MAX_RESOURCE_KEY = "pruners:max_resource"

#: States of trials whose intermediate values a pruner compares against.
REPORTING_STATES = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def check_int(name: str, value: object, minimum: int) -> int:
    """Return ``value`` if it is an integer ``>= minimum``; raise otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_resource(name: str, value: object, minimum: int) -> int | None:
    """Validate a resource argument that may be ``"auto"``; return ``None`` for ``"auto"``."""
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"{name} must be 'auto' or an integer >= {minimum} (a number of steps), got {value!r}"
        )
    return value


def last_value_diverged(trial: FrozenTrial) -> bool:
    """Whether the trial's latest intermediate value is NaN or infinite (a diverged run)."""
    step = trial.last_step
    return step is not None and not math.isfinite(trial.intermediate_values[step])


def minimizing(values: Mapping[int, float], direction: StudyDirection) -> dict[int, float]:
    """The values turned into losses: negated when maximizing, non-finite ones as ``+inf``."""
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
    return {s: sign * v if math.isfinite(v) else math.inf for s, v in values.items()}


def first_step_at_or_after(steps: list[int], milestone: int) -> int | None:
    """The first of the sorted ``steps`` that is ``>= milestone``, or ``None``."""
    for step in steps:
        if step >= milestone:
            return step
    return None


def value_at_milestone(losses: Mapping[int, float], milestone: int) -> float | None:
    """A trial's best loss when it first reached ``milestone`` steps, or ``None`` if it did not.

    The trial reached the milestone at its first reported step ``s >= milestone``; its value
    there is the best (smallest) loss over all steps up to ``s``. With sparse reporting this
    compares trials at the first step each one was seen past the milestone.
    """
    steps = sorted(losses)
    reached = first_step_at_or_after(steps, milestone)
    if reached is None:
        return None
    return min(losses[s] for s in steps if s <= reached)


def resolve_max_resource(study: Study, given: int | None, cache: dict[str, int]) -> int | None:
    """The maximum resource: ``given``, or inferred from the first trial to complete.

    With ``max_resource="auto"`` the last step of the first COMPLETE trial seen by any worker is
    stored once in the study's system attributes (an atomic set-if-absent), so every worker and
    every later session uses the same value.

    Returns:
        The maximum resource, or ``None`` while no trial has completed.
    """
    if given is not None:
        return given
    known = cache.get(study.study_name)
    if known is not None:
        return known
    stored = study.system_attrs.get(MAX_RESOURCE_KEY)
    if stored is None:
        complete = [
            t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.last_step is not None
        ]
        if not complete:
            return None
        first = min(complete, key=lambda t: (t.datetime_complete is None, t.datetime_complete))
        step = first.last_step
        if step is None or step < 1:
            return None
        study.set_system_attr_if_absent(MAX_RESOURCE_KEY, int(step))
        stored = study.system_attrs.get(MAX_RESOURCE_KEY, step)
    cache[study.study_name] = int(stored)
    return int(stored)


def auto_min_resource(max_resource: int, reduction_factor: int) -> int:
    """The default first rung: ``ceil(max_resource / reduction_factor**3)``, at least 1.

    With it a successive-halving schedule has at most three rungs below the maximum resource,
    the first at a meaningful fraction of a full run rather than after one step, where rankings
    are close to random.
    """
    return max(1, math.ceil(max_resource / reduction_factor**3))
