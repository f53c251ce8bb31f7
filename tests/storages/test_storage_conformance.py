"""The storage conformance suite: every storage behaves the same through ``BaseStorage``.

Each test runs on the in-memory storage, on SQLite and on PostgreSQL (see ``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import datetime
import math
import threading
import time
from typing import Any

import pytest

from hypersweep import DuplicatedStudyError
from hypersweep import StudyNotFoundError
from hypersweep._exceptions import TrialNotFoundError
from hypersweep._exceptions import UpdateFinishedTrialError
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.storages import BaseStorage
from hypersweep.storages import InMemoryStorage
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState
from hypersweep.trial import create_trial

StorageFactory = Callable[..., BaseStorage]

MIN = StudyDirection.MINIMIZE
MAX = StudyDirection.MAXIMIZE
X = FloatDistribution(-10.0, 10.0)
N = IntDistribution(1, 64, log=True)
C = CategoricalDistribution(["adam", "sgd", None, 1.5])


def _finished_trial(value: float, **kwargs: Any) -> FrozenTrial:
    return create_trial(
        value=value,
        params={"x": value},
        distributions={"x": FloatDistribution(-100, 100)},
        **kwargs,
    )


def _wait_until(condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


# --- Studies ----------------------------------------------------------------------------------


def test_create_and_find_studies(storage: BaseStorage) -> None:
    a = storage.create_new_study(MIN, "a")
    b = storage.create_new_study(MAX, "b")
    unnamed = storage.create_new_study(MIN)

    assert storage.get_all_study_ids() == [a, b, unnamed]
    assert storage.get_study_id_from_name("b") == b
    assert storage.get_study_name(a) == "a"
    assert storage.get_study_direction(b) == MAX
    assert storage.get_study_name(unnamed).startswith("no-name-")
    assert storage.get_study_name(storage.create_new_study(MIN)) != storage.get_study_name(unnamed)


def test_duplicated_study_name_is_refused(storage: BaseStorage) -> None:
    storage.create_new_study(MIN, "same")
    with pytest.raises(DuplicatedStudyError, match="load_if_exists=True"):
        storage.create_new_study(MAX, "same")


def test_missing_studies_raise(storage: BaseStorage) -> None:
    with pytest.raises(StudyNotFoundError, match="no study named 'nope'"):
        storage.get_study_id_from_name("nope")
    for call in (
        storage.get_study_name,
        storage.get_study_direction,
        storage.get_study_user_attrs,
        storage.get_study_system_attrs,
        storage.get_all_trials,
        storage.get_n_trials,
        storage.create_new_trial,
        storage.claim_waiting_trial,
        storage.delete_study,
    ):
        with pytest.raises(StudyNotFoundError):
            call(12345)
    with pytest.raises(StudyNotFoundError):
        storage.set_study_user_attr(12345, "k", 1)
    with pytest.raises(StudyNotFoundError):
        storage.set_study_system_attr_if_absent(12345, "k", 1)


def test_delete_study_removes_its_trials(storage: BaseStorage) -> None:
    keep = storage.create_new_study(MIN, "keep")
    gone = storage.create_new_study(MIN, "gone")
    kept = storage.create_new_trial(keep, _finished_trial(1.0))
    deleted = storage.create_new_trial(gone, _finished_trial(2.0))
    storage.get_all_trials(gone)  # so that a cache, if any, holds the trial

    storage.delete_study(gone)

    assert storage.get_all_study_ids() == [keep]
    with pytest.raises(StudyNotFoundError):
        storage.get_study_id_from_name("gone")
    with pytest.raises(TrialNotFoundError):
        storage.get_trial(deleted.trial_id)
    assert storage.get_trial(kept.trial_id).value == 1.0
    storage.create_new_study(MAX, "gone")  # the name is free again


def test_study_attributes(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "attrs")
    value = {"list": [1, 2.5, "three", None, True], "nested": {"a": {"b": []}}}
    storage.set_study_user_attr(study, "config", value)
    storage.set_study_user_attr(study, "lr", 0.1)
    storage.set_study_user_attr(study, "lr", 0.2)
    storage.set_study_system_attr(study, "sampler", "tpe")

    assert storage.get_study_user_attrs(study) == {"config": value, "lr": 0.2}
    assert storage.get_study_system_attrs(study) == {"sampler": "tpe"}
    assert storage.get_study_user_attrs(storage.create_new_study(MIN, "empty")) == {}


def test_set_study_system_attr_if_absent(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "cas")
    assert storage.set_study_system_attr_if_absent(study, "grid:3", "first")
    assert not storage.set_study_system_attr_if_absent(study, "grid:3", "second")
    assert storage.get_study_system_attrs(study) == {"grid:3": "first"}


# --- Trials: creating, claiming ------------------------------------------------------------


def test_new_trials_are_running_and_numbered(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "numbers")
    other = storage.create_new_study(MIN, "other")
    before = datetime.datetime.now()
    trials = [storage.create_new_trial(study) for _ in range(3)]
    storage.create_new_trial(other)

    assert [t.number for t in trials] == [0, 1, 2]
    assert len({t.trial_id for t in trials}) == 3
    first = trials[0]
    assert first.state == TrialState.RUNNING
    assert first.value is None
    assert first.params == {} and first.user_attrs == {} and first.intermediate_values == {}
    assert first.datetime_start is not None and first.datetime_start >= before
    assert first.datetime_complete is None
    assert storage.get_trial(first.trial_id) == first
    assert storage.get_trial_id_from_study_id_trial_number(study, 2) == trials[2].trial_id
    with pytest.raises(TrialNotFoundError):
        storage.get_trial_id_from_study_id_trial_number(study, 3)
    with pytest.raises(TrialNotFoundError):
        storage.get_trial(987654)


def test_create_trial_from_a_template(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "template")
    template = create_trial(
        value=0.5,
        params={"x": 1.5, "n": 8, "c": None},
        distributions={"x": X, "n": N, "c": C},
        user_attrs={"note": "from a paper", "seeds": [1, 2]},
        system_attrs={"origin": {"kind": "import"}},
        intermediate_values={0: 3.0, 5: 1.0, 9: math.inf},
    )

    created = storage.create_new_trial(study, template)
    stored = storage.get_trial(created.trial_id)

    for record in (created, stored):
        assert record.number == 0
        assert record.state == TrialState.COMPLETE
        assert record.value == 0.5
        assert dict(record.params) == {"x": 1.5, "n": 8, "c": None}
        assert dict(record.distributions) == {"x": X, "n": N, "c": C}
        assert dict(record.user_attrs) == {"note": "from a paper", "seeds": [1, 2]}
        assert dict(record.system_attrs) == {"origin": {"kind": "import"}}
        assert dict(record.intermediate_values) == {0: 3.0, 5: 1.0, 9: math.inf}
        assert record.datetime_start == template.datetime_start
        assert record.datetime_complete == template.datetime_complete
    assert isinstance(stored.params["n"], int)


def test_claim_waiting_trials_oldest_first(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "queue")
    assert storage.claim_waiting_trial(study) is None
    for x in (1.0, 2.0):
        storage.create_new_trial(
            study, create_trial(state=TrialState.WAITING, system_attrs={"fixed_params": {"x": x}})
        )
    waiting = storage.get_all_trials(study, states=(TrialState.WAITING,))
    assert [t.datetime_start for t in waiting] == [None, None]

    first = storage.claim_waiting_trial(study)
    second = storage.claim_waiting_trial(study)

    assert first is not None and second is not None
    assert (first.number, second.number) == (0, 1)
    assert first.state == TrialState.RUNNING and first.datetime_start is not None
    assert first.system_attrs["fixed_params"] == {"x": 1.0}
    assert storage.claim_waiting_trial(study) is None
    assert storage.get_n_trials(study, states=(TrialState.RUNNING,)) == 2


def test_set_state_running_claims_a_waiting_trial(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "claim by id")
    waiting = storage.create_new_trial(study, create_trial(state=TrialState.WAITING))
    assert storage.set_trial_state_values(waiting.trial_id, TrialState.RUNNING)
    assert not storage.set_trial_state_values(waiting.trial_id, TrialState.RUNNING)
    assert storage.get_trial(waiting.trial_id).state == TrialState.RUNNING
    assert not storage.set_trial_state_values(waiting.trial_id, TrialState.WAITING)


# --- Trials: writing ----------------------------------------------------------------------


def test_parameters(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "params")
    trial = storage.create_new_trial(study)
    storage.set_trial_param(trial.trial_id, "x", 2.5, X)
    storage.set_trial_param(trial.trial_id, "n", 16.0, N)
    storage.set_trial_param(trial.trial_id, "c", 2.0, C)

    record = storage.get_trial(trial.trial_id)
    assert dict(record.params) == {"x": 2.5, "n": 16, "c": None}
    assert dict(record.distributions) == {"x": X, "n": N, "c": C}
    assert record.internal_params() == {"x": 2.5, "n": 16.0, "c": 2.0}

    with pytest.raises(ValueError, match="already suggested"):
        storage.set_trial_param(trial.trial_id, "x", 1.0, FloatDistribution(0.0, 1.0))
    with pytest.raises(TrialNotFoundError):
        storage.set_trial_param(987654, "x", 1.0, X)


def test_finish_a_trial(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "finish")
    trial = storage.create_new_trial(study)
    storage.set_trial_param(trial.trial_id, "x", 1.0, X)
    before = datetime.datetime.now()

    assert storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 0.25)

    record = storage.get_trial(trial.trial_id)
    assert record.state == TrialState.COMPLETE
    assert record.value == 0.25
    assert record.params == {"x": 1.0}
    assert record.datetime_complete is not None and record.datetime_complete >= before
    assert not storage.set_trial_state_values(trial.trial_id, TrialState.FAIL)
    assert storage.get_trial(trial.trial_id).state == TrialState.COMPLETE


def test_state_values_are_checked(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "checks")
    trial = storage.create_new_trial(study)
    with pytest.raises(ValueError, match="a COMPLETE trial needs a finite value"):
        storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, math.nan)
    with pytest.raises(ValueError, match="a COMPLETE trial needs a finite value"):
        storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE)
    with pytest.raises(ValueError, match="a PRUNED trial takes no value"):
        storage.set_trial_state_values(trial.trial_id, TrialState.PRUNED, 1.0)
    assert storage.get_trial(trial.trial_id).state == TrialState.RUNNING
    with pytest.raises(TrialNotFoundError):
        storage.set_trial_state_values(987654, TrialState.COMPLETE, 1.0)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_round_trip(storage_factory: StorageFactory, value: float) -> None:
    storage = storage_factory()
    study = storage.create_new_study(MIN, "non-finite")
    trial = storage.create_new_trial(study)
    storage.set_trial_intermediate_value(trial.trial_id, 0, value)
    storage.set_trial_intermediate_value(trial.trial_id, 1, -0.0)
    assert storage.set_trial_state_values(trial.trial_id, TrialState.FAIL, value)

    # Read back through a storage object that has cached nothing.
    record = storage_factory().get_trial(trial.trial_id)
    assert record.value is not None
    stored = record.intermediate_values[0]
    if math.isnan(value):
        assert math.isnan(record.value) and math.isnan(stored)
    else:
        assert record.value == value and stored == value
    assert record.intermediate_values[1] == 0.0


def test_intermediate_values_overwrite(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "steps")
    trial = storage.create_new_trial(study)
    storage.set_trial_intermediate_value(trial.trial_id, 3, 0.5)
    storage.set_trial_intermediate_value(trial.trial_id, 1, 0.9)
    storage.set_trial_intermediate_value(trial.trial_id, 3, 0.4)

    record = storage.get_trial(trial.trial_id)
    assert dict(record.intermediate_values) == {1: 0.9, 3: 0.4}
    assert record.last_step == 3


def test_trial_attributes(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "trial attrs")
    trial = storage.create_new_trial(study)
    storage.set_trial_user_attr(trial.trial_id, "loss_curve", [0.9, 0.5, 0.4])
    storage.set_trial_user_attr(trial.trial_id, "epochs", 3)
    storage.set_trial_user_attr(trial.trial_id, "epochs", 4)
    storage.set_trial_system_attr(trial.trial_id, "bracket", {"rung": 2})

    record = storage.get_trial(trial.trial_id)
    assert dict(record.user_attrs) == {"loss_curve": [0.9, 0.5, 0.4], "epochs": 4}
    assert dict(record.system_attrs) == {"bracket": {"rung": 2}}


def test_finished_trials_are_immutable(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "immutable")
    trial = storage.create_new_trial(study)
    storage.set_trial_param(trial.trial_id, "x", 1.0, X)
    storage.set_trial_state_values(trial.trial_id, TrialState.PRUNED)
    added = storage.create_new_trial(study, _finished_trial(3.0))

    for trial_id in (trial.trial_id, added.trial_id):
        with pytest.raises(UpdateFinishedTrialError, match="can no longer be changed"):
            storage.set_trial_param(trial_id, "y", 1.0, X)
        with pytest.raises(UpdateFinishedTrialError):
            storage.set_trial_intermediate_value(trial_id, 0, 1.0)
        with pytest.raises(UpdateFinishedTrialError):
            storage.set_trial_user_attr(trial_id, "k", 1)
        with pytest.raises(UpdateFinishedTrialError):
            storage.set_trial_system_attr(trial_id, "k", 1)
        assert not storage.set_trial_state_values(trial_id, TrialState.COMPLETE, 1.0)
    assert storage.get_trial(trial.trial_id).params == {"x": 1.0}
    assert storage.get_trial(trial.trial_id).state == TrialState.PRUNED


def test_finished_trials_are_immutable_for_other_workers(
    storage_factory: StorageFactory,
) -> None:
    storage, other = storage_factory(), storage_factory()
    study = storage.create_new_study(MIN, "immutable elsewhere")
    trial = storage.create_new_trial(study)
    storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)

    with pytest.raises(UpdateFinishedTrialError):
        other.set_trial_user_attr(trial.trial_id, "k", 1)
    assert not other.set_trial_state_values(trial.trial_id, TrialState.FAIL)


# --- Trials: reading ----------------------------------------------------------------------


def test_get_all_trials_in_order_with_states(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "listing")
    complete = storage.create_new_trial(study, _finished_trial(1.0))
    running = storage.create_new_trial(study)
    waiting = storage.create_new_trial(study, create_trial(state=TrialState.WAITING))
    failed = storage.create_new_trial(study)
    storage.set_trial_state_values(failed.trial_id, TrialState.FAIL)

    trials = storage.get_all_trials(study)
    assert [t.trial_id for t in trials] == [
        complete.trial_id,
        running.trial_id,
        waiting.trial_id,
        failed.trial_id,
    ]
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.RUNNING,
        TrialState.WAITING,
        TrialState.FAIL,
    ]
    finished = (TrialState.COMPLETE, TrialState.FAIL)
    assert [t.number for t in storage.get_all_trials(study, states=finished)] == [0, 3]
    assert storage.get_n_trials(study) == 4
    assert storage.get_n_trials(study, states=finished) == 2
    assert storage.get_n_trials(study, states=()) == 0
    assert storage.get_all_trials(storage.create_new_study(MIN, "empty")) == []


def test_finished_records_are_shared_between_reads(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "shared")
    for value in (3.0, 1.0):
        storage.create_new_trial(study, _finished_trial(value))
    running = storage.create_new_trial(study)

    first = storage.get_all_trials(study)
    second = storage.get_all_trials(study)

    assert first[0] is second[0] and first[1] is second[1]
    storage.set_trial_user_attr(running.trial_id, "k", "v")
    assert storage.get_all_trials(study)[2].user_attrs == {"k": "v"}


def test_best_trial(storage: BaseStorage) -> None:
    low = storage.create_new_study(MIN, "low")
    high = storage.create_new_study(MAX, "high")
    assert storage.get_best_trial(low) is None
    for study in (low, high):
        for value in (2.0, -1.0, 5.0, -1.0):
            storage.create_new_trial(study, _finished_trial(value))
        storage.create_new_trial(study, create_trial(state=TrialState.FAIL, value=-math.inf))
        storage.create_new_trial(study)

    best_low = storage.get_best_trial(low)
    best_high = storage.get_best_trial(high)
    assert best_low is not None and (best_low.number, best_low.value) == (1, -1.0)
    assert best_high is not None and (best_high.number, best_high.value) == (2, 5.0)


def test_study_summaries(storage: BaseStorage) -> None:
    study = storage.create_new_study(MAX, "summary")
    storage.set_study_user_attr(study, "owner", "ml-team")
    for value in (1.0, 4.0):
        storage.create_new_trial(study, _finished_trial(value))
    storage.create_new_trial(study)
    empty = storage.create_new_study(MIN, "empty")

    summaries = storage.get_study_summaries()

    assert [s.study_id for s in summaries] == [study, empty]
    first, second = summaries
    assert first.study_name == "summary" and first.direction == MAX
    assert first.n_trials[TrialState.COMPLETE] == 2
    assert first.n_trials[TrialState.RUNNING] == 1
    assert first.n_trials[TrialState.FAIL] == 0
    assert first.best_value == 4.0
    assert first.user_attrs == {"owner": "ml-team"}
    assert first.datetime_start is not None and first.last_activity is not None
    assert first.last_activity >= first.datetime_start
    assert second.best_value is None and second.datetime_start is None
    assert sum(second.n_trials.values()) == 0


def test_other_workers_see_running_trials_and_results(storage_factory: StorageFactory) -> None:
    worker, observer = storage_factory(), storage_factory()
    study = worker.create_new_study(MIN, "visibility")
    trial = worker.create_new_trial(study)
    worker.set_trial_param(trial.trial_id, "x", 1.0, X)
    worker.set_trial_intermediate_value(trial.trial_id, 0, 0.5)

    # Parallel-aware samplers need the parameters of trials that are still running.
    def seen() -> bool:
        record = observer.get_trial(trial.trial_id)
        return record.params == {"x": 1.0} and record.intermediate_values == {0: 0.5}

    assert _wait_until(seen, timeout=2.0)
    assert observer.get_all_trials(study)[0].state == TrialState.RUNNING

    worker.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 3.0)
    assert observer.get_all_trials(study)[0].value == 3.0
    assert observer.get_trial(trial.trial_id).state == TrialState.COMPLETE


# --- Atomic operations under threads ------------------------------------------------------


def test_threads_claim_each_waiting_trial_once(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "threads claim")
    for _ in range(40):
        storage.create_new_trial(study, create_trial(state=TrialState.WAITING))
    claimed: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        while (trial := storage.claim_waiting_trial(study)) is not None:
            with lock:
                claimed.append(trial.trial_id)
            storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(work) for _ in range(6)]:
            future.result()

    assert len(claimed) == 40 and len(set(claimed)) == 40
    assert storage.get_n_trials(study, states=(TrialState.COMPLETE,)) == 40


def test_threads_create_unique_numbers(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "threads numbers")
    with ThreadPoolExecutor(6) as pool:
        trials = list(pool.map(lambda _: storage.create_new_trial(study), range(60)))
    assert sorted(t.number for t in trials) == list(range(60))


def test_threads_set_if_absent_once(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "threads cas")
    with ThreadPoolExecutor(6) as pool:
        won = list(
            pool.map(lambda i: storage.set_study_system_attr_if_absent(study, "k", i), range(30))
        )
    assert won.count(True) == 1
    assert storage.get_study_system_attrs(study)["k"] == won.index(True)


def test_threads_finish_a_trial_once(storage_factory: StorageFactory) -> None:
    storages = [storage_factory() for _ in range(4)]
    study = storages[0].create_new_study(MIN, "threads finish")
    trial = storages[0].create_new_trial(study)
    with ThreadPoolExecutor(4) as pool:
        won = list(
            pool.map(
                lambda i: storages[i].set_trial_state_values(
                    trial.trial_id, TrialState.COMPLETE, float(i)
                ),
                range(4),
            )
        )
    assert won.count(True) == 1
    assert storages[0].get_trial(trial.trial_id).value in (0.0, 1.0, 2.0, 3.0)


# --- Heartbeats -------------------------------------------------------------------------------


def test_heartbeat_hooks_of_the_in_memory_storage_do_nothing() -> None:
    storage = InMemoryStorage()
    study = storage.create_new_study(MIN, "memory")
    trial = storage.create_new_trial(study)
    storage.record_heartbeat([trial.trial_id])
    assert storage.heartbeat_interval is None and storage.grace_period is None
    assert storage.fail_stale_trials(study, 0.0) == []
    assert storage.url is None
