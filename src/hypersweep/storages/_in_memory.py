from __future__ import annotations

from collections import deque
from collections.abc import Container
import copy
import dataclasses
import datetime
import threading
from typing import Any

from hypersweep._exceptions import DuplicatedStudyError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep._exceptions import TrialNotFoundError
from hypersweep._exceptions import UpdateFinishedTrialError
from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import check_compatible
from hypersweep.storages._base import BaseStorage
from hypersweep.storages._base import check_value_for_state
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState

DEFAULT_STUDY_NAME_PREFIX = "no-name-"


@dataclasses.dataclass
class _Trial:
    """The mutable record of an unfinished trial; finished ones are kept as FrozenTrial."""

    number: int
    trial_id: int
    study_id: int
    state: TrialState
    value: float | None
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    intermediate_values: dict[int, float]
    datetime_start: datetime.datetime | None
    datetime_complete: datetime.datetime | None
    snapshot: FrozenTrial | None = None

    def freeze(self) -> FrozenTrial:
        if self.snapshot is None:
            self.snapshot = FrozenTrial(
                number=self.number,
                trial_id=self.trial_id,
                state=self.state,
                value=self.value,
                params=self.params,
                distributions=self.distributions,
                user_attrs=self.user_attrs,
                system_attrs=self.system_attrs,
                intermediate_values=self.intermediate_values,
                datetime_start=self.datetime_start,
                datetime_complete=self.datetime_complete,
            )
        return self.snapshot


@dataclasses.dataclass
class _Study:
    name: str
    direction: StudyDirection
    user_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    system_attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    trials: list[_Trial | FrozenTrial] = dataclasses.field(default_factory=list)
    waiting: deque[int] = dataclasses.field(default_factory=deque)


class InMemoryStorage(BaseStorage):
    """A storage that keeps everything in this process's memory.

    Fast and thread-safe, gone when the process exits; the default of ``create_study()`` when no
    storage is given. Records of finished trials are built once and shared by every read.

    Example:
        >>> import hypersweep
        >>> storage = hypersweep.storages.InMemoryStorage()
        >>> study = hypersweep.create_study(storage=storage, study_name="demo")
        >>> [s.study_name for s in storage.get_study_summaries()]
        ['demo']
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._name_to_id: dict[str, int] = {}
        self._trial_index: dict[int, tuple[int, int]] = {}  # trial id -> (study id, number)
        self._next_study_id = 0
        self._next_trial_id = 0

    # --- Studies -----------------------------------------------------------------------------

    def create_new_study(self, direction: StudyDirection, study_name: str | None = None) -> int:
        with self._lock:
            study_id = self._next_study_id
            if study_name is None:
                study_name = f"{DEFAULT_STUDY_NAME_PREFIX}{study_id:05d}"
            if study_name in self._name_to_id:
                raise DuplicatedStudyError(
                    f"a study named {study_name!r} exists already; pass load_if_exists=True to "
                    "continue it or choose another name"
                )
            self._next_study_id += 1
            self._studies[study_id] = _Study(name=study_name, direction=direction)
            self._name_to_id[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for trial in study.trials:
                del self._trial_index[trial.trial_id]
            del self._name_to_id[study.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            if study_name not in self._name_to_id:
                raise StudyNotFoundError(f"no study named {study_name!r} in this storage")
            return self._name_to_id[study_name]

    def get_study_name(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_direction(self, study_id: int) -> StudyDirection:
        with self._lock:
            return self._study(study_id).direction

    def get_all_study_ids(self) -> list[int]:
        with self._lock:
            return list(self._studies)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = copy.deepcopy(value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = copy.deepcopy(value)

    def set_study_system_attr_if_absent(self, study_id: int, key: str, value: Any) -> bool:
        with self._lock:
            attrs = self._study(study_id).system_attrs
            if key in attrs:
                return False
            attrs[key] = copy.deepcopy(value)
            return True

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    # --- Trials ------------------------------------------------------------------------------

    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        with self._lock:
            study = self._study(study_id)
            number = len(study.trials)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            if template is None:
                record = _Trial(
                    number=number,
                    trial_id=trial_id,
                    study_id=study_id,
                    state=TrialState.RUNNING,
                    value=None,
                    params={},
                    distributions={},
                    user_attrs={},
                    system_attrs={},
                    intermediate_values={},
                    datetime_start=datetime.datetime.now(),
                    datetime_complete=None,
                )
            else:
                record = _Trial(
                    number=number,
                    trial_id=trial_id,
                    study_id=study_id,
                    state=template.state,
                    value=template.value,
                    params=dict(template.params),
                    distributions=dict(template.distributions),
                    user_attrs=copy.deepcopy(dict(template.user_attrs)),
                    system_attrs=copy.deepcopy(dict(template.system_attrs)),
                    intermediate_values=dict(template.intermediate_values),
                    datetime_start=template.datetime_start,
                    datetime_complete=template.datetime_complete,
                )
            self._trial_index[trial_id] = (study_id, number)
            if record.state.is_finished():
                study.trials.append(record.freeze())
            else:
                study.trials.append(record)
                if record.state == TrialState.WAITING:
                    study.waiting.append(trial_id)
            return record.freeze()

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            study = self._study(study_id)
            while study.waiting:
                trial_id = study.waiting.popleft()
                record = self._record(trial_id)
                if isinstance(record, _Trial) and record.state == TrialState.WAITING:
                    record.state = TrialState.RUNNING
                    record.datetime_start = datetime.datetime.now()
                    record.snapshot = None
                    return record.freeze()
            return None

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        with self._lock:
            record = self._running(trial_id)
            old = record.distributions.get(name)
            if old is not None:
                check_compatible(name, old, distribution)
            record.params[name] = distribution.to_external_repr(internal_value)
            record.distributions[name] = distribution
            record.snapshot = None

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        check_value_for_state(state, value)
        with self._lock:
            record = self._record(trial_id)
            if isinstance(record, FrozenTrial):
                return False
            if state == TrialState.RUNNING:
                if record.state != TrialState.WAITING:
                    return False
                record.datetime_start = datetime.datetime.now()
            elif state == TrialState.WAITING:
                return False
            record.state = state
            record.value = value
            record.snapshot = None
            if state.is_finished():
                record.datetime_complete = datetime.datetime.now()
                study = self._studies[record.study_id]
                study.trials[record.number] = record.freeze()
            return True

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            record = self._running(trial_id)
            record.intermediate_values[step] = value
            record.snapshot = None

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            record = self._running(trial_id)
            record.user_attrs[key] = copy.deepcopy(value)
            record.snapshot = None

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            record = self._running(trial_id)
            record.system_attrs[key] = copy.deepcopy(value)
            record.snapshot = None

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            record = self._record(trial_id)
            return record if isinstance(record, FrozenTrial) else record.freeze()

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._study(study_id).trials
            frozen = [t if isinstance(t, FrozenTrial) else t.freeze() for t in trials]
            if states is None:
                return frozen
            return [t for t in frozen if t.state in states]

    def get_trial_id_from_study_id_trial_number(self, study_id: int, number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= number < len(trials):
                raise TrialNotFoundError(f"study {study_id} has no trial number {number}")
            return trials[number].trial_id

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if states is None:
                return len(trials)
            return sum(1 for t in trials if t.state in states)

    # --- Helpers -----------------------------------------------------------------------------

    def _study(self, study_id: int) -> _Study:
        study = self._studies.get(study_id)
        if study is None:
            raise StudyNotFoundError(f"no study with id {study_id} in this storage")
        return study

    def _record(self, trial_id: int) -> _Trial | FrozenTrial:
        location = self._trial_index.get(trial_id)
        if location is None:
            raise TrialNotFoundError(f"no trial with id {trial_id} in this storage")
        study_id, number = location
        return self._studies[study_id].trials[number]

    def _running(self, trial_id: int) -> _Trial:
        record = self._record(trial_id)
        if isinstance(record, FrozenTrial):
            raise UpdateFinishedTrialError(
                f"trial {record.number} is {record.state.name} and can no longer be changed"
            )
        return record
