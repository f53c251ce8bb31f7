"""The storage interface: what every storage (in memory, SQLite, PostgreSQL) must do.

A storage keeps studies and their trials. It knows nothing of samplers, pruners or the optimize
loop. Every method is safe to call from several threads at once; SQL storages are also safe from
several processes and machines at once.

Two operations are atomic compare-and-set steps, because correctness under many workers rests on
them:

* :meth:`BaseStorage.claim_waiting_trial` moves one WAITING trial to RUNNING. Two workers never
  claim the same trial.
* :meth:`BaseStorage.set_trial_state_values` moves a RUNNING trial to a final state and returns
  ``False`` instead if the trial was already finished (for example, failed by a worker that found
  its heartbeat stale). A finished trial is never written again.
* :meth:`BaseStorage.set_study_system_attr_if_absent` sets a study attribute only if no worker has
  set it yet; samplers use it to reserve a configuration (a grid point) exactly once.
"""

from __future__ import annotations

import abc
from collections.abc import Container
from collections.abc import Sequence
import dataclasses
import datetime
import math
from typing import Any
from typing import cast

from hypersweep._exceptions import TrialNotFoundError
from hypersweep.distributions import BaseDistribution
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState


@dataclasses.dataclass(frozen=True)
class StudySummary:
    """What a storage knows of a study, for listings such as ``hypersweep studies``.

    Attributes:
        study_id: The study's id in the storage.
        study_name: The study's unique name.
        direction: Whether the objective is minimized or maximized.
        n_trials: Trial counts by state.
        best_value: The best COMPLETE value, or ``None``.
        datetime_start: When the first trial started, or ``None``.
        last_activity: When a trial last started or finished, or ``None``.
        user_attrs: The study's user attributes.
    """

    study_id: int
    study_name: str
    direction: StudyDirection
    n_trials: dict[TrialState, int]
    best_value: float | None
    datetime_start: datetime.datetime | None
    last_activity: datetime.datetime | None
    user_attrs: dict[str, Any]


class BaseStorage(abc.ABC):
    """Persistence of studies and trials, behind one interface."""

    # --- Studies -----------------------------------------------------------------------------

    @abc.abstractmethod
    def create_new_study(self, direction: StudyDirection, study_name: str | None = None) -> int:
        """Create a study and return its id.

        Raises:
            DuplicatedStudyError: If a study of that name exists.
        """

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials.

        Raises:
            StudyNotFoundError: If no such study exists.
        """

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """The id of the study of that name.

        Raises:
            StudyNotFoundError: If no such study exists.
        """

    @abc.abstractmethod
    def get_study_name(self, study_id: int) -> str:
        """The name of a study."""

    @abc.abstractmethod
    def get_study_direction(self, study_id: int) -> StudyDirection:
        """The direction of a study."""

    @abc.abstractmethod
    def get_all_study_ids(self) -> list[int]:
        """The ids of every study, in order of creation."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a JSON-serializable user attribute on a study."""

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a JSON-serializable system attribute on a study."""

    @abc.abstractmethod
    def set_study_system_attr_if_absent(self, study_id: int, key: str, value: Any) -> bool:
        """Set a study system attribute unless it is set already; atomic across workers.

        Returns:
            ``True`` if this call set it, ``False`` if it was set before.
        """

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """A study's user attributes."""

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """A study's system attributes."""

    # --- Trials ------------------------------------------------------------------------------

    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        """Create a trial and return its record.

        Without a template the trial is RUNNING, with no parameters, started now. With a
        template, its state, value, parameters, attributes, intermediate values and times are
        copied; its number and id are ignored and assigned here.
        """

    @abc.abstractmethod
    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it, or ``None``."""

    @abc.abstractmethod
    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        """Record a parameter of a RUNNING trial.

        Raises:
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        """Move a trial to ``state``, with its value; atomic.

        Moving to RUNNING claims a WAITING trial; moving to a final state finishes a RUNNING one
        and stamps its completion time.

        Returns:
            ``False`` (and changes nothing) if the transition is no longer possible: the trial
            was claimed or finished by another worker meanwhile.
        """

    def finish_own_trial(self, trial_id: int, state: TrialState, value: float | None) -> bool:
        """Finish a RUNNING trial that this storage object runs; the worker's own last write.

        The same as :meth:`set_trial_state_values`, except that a storage may return ``True``
        before the database confirms the write, when no other worker can have finished the
        trial by then (:class:`~hypersweep.storages.SQLStorage` does so on PostgreSQL, so the
        server writes the result while the worker goes on to its next trial). Only an explicit
        finish of the same trial from elsewhere could still come first; then the stored record
        stands, a warning says so, and this storage serves the stored record from its next
        read on. This default waits for the answer.

        Returns:
            ``False`` if the trial is known to have been finished already.
        """
        return self.set_trial_state_values(trial_id, state, value)

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        """Record the intermediate value of a RUNNING trial at ``step`` (overwrites)."""

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a JSON-serializable user attribute on a trial."""

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a JSON-serializable system attribute on a trial."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """The record of one trial.

        Raises:
            TrialNotFoundError: If no such trial exists.
        """

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """A study's trials in order of number, optionally only those in ``states``.

        Records of finished trials are immutable and may be shared between calls; storages are
        expected not to rebuild them on every call.
        """

    # --- Operations with a default implementation --------------------------------------------

    def get_trial_id_from_study_id_trial_number(self, study_id: int, number: int) -> int:
        """The id of a study's trial of that number.

        Raises:
            TrialNotFoundError: If the study has no trial of that number.
        """
        for trial in self.get_all_trials(study_id):
            if trial.number == number:
                return trial.trial_id
        raise TrialNotFoundError(f"study {study_id} has no trial number {number}")

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        """How many trials a study has, optionally only in ``states``."""
        return len(self.get_all_trials(study_id, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial | None:
        """The COMPLETE trial with the best value (the first one on ties), or ``None``."""
        direction = self.get_study_direction(study_id)
        completed = self.get_all_trials(study_id, states=(TrialState.COMPLETE,))
        if not completed:
            return None
        sign = 1.0 if direction == StudyDirection.MINIMIZE else -1.0
        return min(completed, key=lambda trial: sign * cast(float, trial.value))

    def get_study_summaries(self) -> list[StudySummary]:
        """A :class:`StudySummary` of every study, in order of creation."""
        summaries = []
        for study_id in self.get_all_study_ids():
            trials = self.get_all_trials(study_id)
            counts = {state: 0 for state in TrialState}
            for trial in trials:
                counts[trial.state] += 1
            best = self.get_best_trial(study_id)
            starts = [t.datetime_start for t in trials if t.datetime_start is not None]
            stamps = starts + [t.datetime_complete for t in trials if t.datetime_complete]
            summaries.append(
                StudySummary(
                    study_id=study_id,
                    study_name=self.get_study_name(study_id),
                    direction=self.get_study_direction(study_id),
                    n_trials=counts,
                    best_value=None if best is None else best.value,
                    datetime_start=min(starts) if starts else None,
                    last_activity=max(stamps) if stamps else None,
                    user_attrs=self.get_study_user_attrs(study_id),
                )
            )
        return summaries

    # --- Heartbeats: storages shared between processes override these ------------------------

    #: Seconds between heartbeats of a running trial; ``None`` if this storage needs none
    #: (trials cannot outlive their worker, as in memory).
    heartbeat_interval: float | None = None

    #: Seconds without a heartbeat after which a RUNNING trial counts as lost.
    grace_period: float | None = None

    def record_heartbeat(self, trial_ids: Sequence[int]) -> None:
        """Record that the workers of these RUNNING trials are alive, now."""

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[int]:
        """Mark FAIL every RUNNING trial whose last heartbeat is older than ``grace_period``.

        Each trial is failed by exactly one caller, with a ``fail_reason`` that says its worker
        stopped sending heartbeats.

        Returns:
            The ids of the trials this call failed.
        """
        return []

    # --- Lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        """A URL from which another process can open this same storage, if there is one."""
        return None

    def close(self) -> None:
        """Release connections and threads; the storage may not be used afterwards."""


def check_value_for_state(state: TrialState, value: float | None) -> None:
    """The value rules every storage enforces on a state change.

    Raises:
        ValueError: If a COMPLETE trial has no finite value, or a PRUNED, WAITING or RUNNING
            trial has a value.
    """
    if state == TrialState.COMPLETE and (value is None or not math.isfinite(value)):
        raise ValueError(f"a COMPLETE trial needs a finite value, got {value!r}")
    if state != TrialState.COMPLETE and state != TrialState.FAIL and value is not None:
        raise ValueError(f"a {state.name} trial takes no value, got {value!r}")
