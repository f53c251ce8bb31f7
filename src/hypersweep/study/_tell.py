"""Finishing a trial: the value rules, failure records, logging and retries."""

from __future__ import annotations

import logging
import math
import numbers
from typing import TYPE_CHECKING
from typing import Any

from hypersweep.logging import get_logger
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import Trial
from hypersweep.trial import TrialState
from hypersweep.trial._frozen import EXCEPTION_KEY
from hypersweep.trial._frozen import FAIL_REASON_KEY
from hypersweep.trial._frozen import FIXED_PARAMS_KEY
from hypersweep.trial._frozen import RETRY_OF_KEY
from hypersweep.trial._frozen import TRACEBACK_KEY
from hypersweep.trial._frozen import create_trial

if TYPE_CHECKING:
    from hypersweep.study._study import Study

_logger = get_logger("hypersweep.study")

RETRY_COUNT_KEY = "retry_count"


def check_value(number: int, value: Any) -> tuple[TrialState, float | None, str | None]:
    """Classify what an objective returned.

    Returns:
        ``(state, value, fail_reason)``: COMPLETE with the float for a finite number; FAIL with
        the value kept for NaN or infinity (a diverged run); FAIL without a value for anything
        that is not a number.
    """
    is_number = isinstance(value, numbers.Real) or (
        hasattr(value, "__float__") and not isinstance(value, (str, bytes))
    )
    if value is None or isinstance(value, bool) or not is_number:
        reason = (
            f"the objective returned {value!r} of type {type(value).__name__}, not a number; "
            "return the value to optimize as a float"
        )
        return TrialState.FAIL, None, reason
    try:
        number_value = float(value)
    except (TypeError, ValueError):
        return TrialState.FAIL, None, f"the objective returned {value!r}, not a number"
    if not math.isfinite(number_value):
        reason = (
            f"the objective returned {number_value}: the run diverged; samplers treat it as "
            "worse than every finished trial"
        )
        return TrialState.FAIL, number_value, reason
    return TrialState.COMPLETE, number_value, None


def tell(
    study: Study,
    trial: Trial | int,
    value: Any = None,
    state: TrialState | None = None,
    *,
    skip_if_finished: bool = False,
) -> FrozenTrial:
    """Implements ``Study.tell``."""
    storage = study._storage
    if isinstance(trial, Trial):
        trial_id = trial._trial_id
    elif isinstance(trial, int) and not isinstance(trial, bool):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, trial)
    else:
        raise TypeError(f"tell() takes a Trial or a trial number, got {trial!r}")

    record = storage.get_trial(trial_id)
    if record.state.is_finished():
        if skip_if_finished:
            return record
        raise ValueError(
            f"trial {record.number} is already {record.state.name}; pass "
            "skip_if_finished=True to ignore this"
        )
    if state is not None and not TrialState(state).is_finished():
        raise ValueError(f"tell() needs a final state (COMPLETE, PRUNED or FAIL), got {state!r}")

    reason: str | None = None
    if state is None:
        state = TrialState.COMPLETE if value is not None else TrialState.FAIL
        if value is None:
            reason = "tell() was called without a value"
    if state == TrialState.COMPLETE:
        state, value, reason = check_value(record.number, value)
        if reason is not None:
            _logger.warning("Trial %d failed: %s.", record.number, reason)
    elif state == TrialState.PRUNED:
        value = None
    elif value is not None:
        value = float(value)
    return finish(study, record, state, value, reason)


def finish(
    study: Study,
    record: FrozenTrial,
    state: TrialState,
    value: float | None,
    fail_reason: str | None = None,
    exception: BaseException | None = None,
    traceback_text: str | None = None,
    retry_failed: int = 0,
) -> FrozenTrial:
    """Store a trial's final state, call the sampler's hook, log it and retry it if asked."""
    storage = study._storage
    trial_id = record.trial_id
    if state == TrialState.FAIL:
        if fail_reason is not None:
            storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, fail_reason)
        if exception is not None:
            storage.set_trial_system_attr(trial_id, EXCEPTION_KEY, repr(exception))
        if traceback_text is not None:
            storage.set_trial_system_attr(trial_id, TRACEBACK_KEY, traceback_text)

    study.sampler.after_trial(study, record, state, value)
    if not storage.finish_own_trial(trial_id, state, value):
        final = storage.get_trial(trial_id)
        _logger.warning(
            "Trial %d was already %s when its worker tried to finish it as %s (%s); the result "
            "is kept as it was.",
            final.number,
            final.state.name,
            state.name,
            final.fail_reason or "finished elsewhere",
        )
        return final

    final = storage.get_trial(trial_id)
    _log_finished(study, final)
    if state == TrialState.FAIL and retry_failed > 0:
        retry(study, final, retry_failed)
    return final


def retry(study: Study, failed: FrozenTrial, max_retries: int) -> bool:
    """Enqueue a failed trial again with the same parameters, up to ``max_retries`` times.

    The new trial records the number of the trial it retries (``retry_of``) and how many
    retries precede it (``retry_count``).

    Returns:
        Whether a retry was enqueued.
    """
    count = int(failed.system_attrs.get(RETRY_COUNT_KEY, 0))
    if count >= max_retries:
        return False
    params = dict(failed.system_attrs.get(FIXED_PARAMS_KEY) or {})
    params.update(failed.params)
    template = create_trial(
        state=TrialState.WAITING,
        user_attrs=dict(failed.user_attrs),
        system_attrs={
            FIXED_PARAMS_KEY: params,
            RETRY_OF_KEY: failed.number,
            RETRY_COUNT_KEY: count + 1,
        },
    )
    study._storage.create_new_trial(study._study_id, template)
    _logger.info(
        "Trial %d failed (%s); enqueued retry %d of %d with the same parameters.",
        failed.number,
        failed.fail_reason,
        count + 1,
        max_retries,
    )
    return True


def _log_finished(study: Study, trial: FrozenTrial) -> None:
    if trial.state == TrialState.FAIL:
        _logger.warning(
            "Trial %d failed with parameters %s: %s",
            trial.number,
            dict(trial.params),
            trial.fail_reason or trial.system_attrs.get(EXCEPTION_KEY, "unknown reason"),
        )
        return
    if not _logger.isEnabledFor(logging.INFO):
        return
    if trial.state == TrialState.PRUNED:
        _logger.info(
            "Trial %d pruned at step %s with parameters %s.",
            trial.number,
            trial.last_step,
            dict(trial.params),
        )
        return
    best = study._storage.get_best_trial(study._study_id)
    _logger.info(
        "Trial %d finished with value %s and parameters %s. Best is trial %d with value %s.",
        trial.number,
        trial.value,
        dict(trial.params),
        -1 if best is None else best.number,
        None if best is None else best.value,
    )


def is_better(direction: StudyDirection, a: float, b: float) -> bool:
    """Whether value ``a`` is better than ``b`` in ``direction``."""
    return a < b if direction == StudyDirection.MINIMIZE else a > b
