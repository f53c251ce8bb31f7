"""A worker's own finish (``finish_own_trial``), and PostgreSQL's statements sent through libpq.

On PostgreSQL a worker's finish of its own beating trial is sent and not waited for; these tests
pin what that may and may not change: the result is stored even if the worker dies at once, the
worker's later reads observe it, and a finish from elsewhere that came first still wins.
"""

from __future__ import annotations

from collections.abc import Iterator
import logging
import multiprocessing
import time
from typing import Any

import _storage_procs
import pytest

from _support import fresh_postgres_url
from hypersweep.storages import BaseStorage
from hypersweep.storages import SQLStorage
from hypersweep.storages._sql import _wire
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState
from storages.conftest import StorageFactory

MIN = StudyDirection.MINIMIZE


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres_url() as url:
        yield url


# --- Every storage ------------------------------------------------------------------------------


def test_finish_own_trial_finishes_and_other_workers_see_it(
    storage_factory: StorageFactory,
) -> None:
    owner = storage_factory()
    study = owner.create_new_study(MIN, "own")
    trial = owner.create_new_trial(study)
    owner.set_trial_user_attr(trial.trial_id, "epochs", 3)

    assert owner.finish_own_trial(trial.trial_id, TrialState.COMPLETE, 0.25)
    assert owner.get_trial(trial.trial_id).value == 0.25
    assert owner.get_n_trials(study, states=(TrialState.COMPLETE,)) == 1
    other = storage_factory()
    seen = other.get_trial(trial.trial_id)
    assert (seen.state, seen.value, seen.user_attrs) == (TrialState.COMPLETE, 0.25, {"epochs": 3})
    assert not owner.finish_own_trial(trial.trial_id, TrialState.FAIL, None)


def test_finish_own_trial_checks_its_arguments(storage: BaseStorage) -> None:
    study = storage.create_new_study(MIN, "arguments")
    trial = storage.create_new_trial(study)
    with pytest.raises(ValueError, match="COMPLETE"):
        storage.finish_own_trial(trial.trial_id, TrialState.COMPLETE, None)
    assert storage.get_trial(trial.trial_id).state == TrialState.RUNNING


def test_an_owner_that_lost_a_race_keeps_the_stored_result(
    sql_factory: StorageFactory, caplog: pytest.LogCaptureFixture
) -> None:
    owner = sql_factory()
    other = sql_factory()
    study = owner.create_new_study(MIN, "race")
    trial = owner.create_new_trial(study)
    owner.set_trial_user_attr(trial.trial_id, "late", True)
    # A misuse: another worker finishes a trial whose worker is alive and beating.
    assert other.set_trial_state_values(trial.trial_id, TrialState.FAIL)

    with caplog.at_level(logging.WARNING, logger="hypersweep"):
        # SQLite answers at once; PostgreSQL learns it when the owner next reads.
        owner.finish_own_trial(trial.trial_id, TrialState.COMPLETE, 1.0)
        assert owner.get_n_trials(study, states=(TrialState.FAIL,)) == 1

    assert owner.get_trial(trial.trial_id).state == TrialState.FAIL
    assert [t.state for t in owner.get_all_trials(study)] == [TrialState.FAIL]
    assert other.get_trial(trial.trial_id).state == TrialState.FAIL
    assert "late" not in other.get_trial(trial.trial_id).user_attrs


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_lost_race_is_reported_when_the_answer_is_read(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    owner = SQLStorage(pg_url)
    other = SQLStorage(pg_url)
    study = owner.create_new_study(MIN, "race")
    trial = owner.create_new_trial(study)
    assert other.set_trial_state_values(trial.trial_id, TrialState.PRUNED)

    with caplog.at_level(logging.WARNING, logger="hypersweep"):
        assert owner.finish_own_trial(trial.trial_id, TrialState.COMPLETE, 1.0)
        assert "reached the database" not in caplog.text  # not read yet
        owner.get_study_summaries()

    assert "Trial 0 was already PRUNED when its worker's result, COMPLETE, reached" in caplog.text
    assert owner.get_trial(trial.trial_id).state == TrialState.PRUNED
    owner.close()
    other.close()


@pytest.mark.postgres
def test_a_trial_that_may_be_stale_waits_for_its_answer(pg_url: str) -> None:
    owner = SQLStorage(pg_url, heartbeat_interval=0.1, grace_period=0.4)
    other = SQLStorage(pg_url)
    study = owner.create_new_study(MIN, "stale")
    trial = owner.create_new_trial(study)
    assert other.set_trial_state_values(trial.trial_id, TrialState.FAIL)
    # As if this worker had been suspended for longer than half the grace period.
    owner._live[trial.trial_id].last_beat -= 1.0

    assert not owner.finish_own_trial(trial.trial_id, TrialState.COMPLETE, 1.0)
    owner.close()
    other.close()


@pytest.mark.postgres
def test_an_answer_lost_with_its_connection_is_run_again(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    owner = SQLStorage(pg_url)
    study = owner.create_new_study(MIN, "lost")
    first = owner.create_new_trial(study)
    second = owner.create_new_trial(study)
    lose = [True]
    receive = _wire.Wire.receive

    def lossy(self: _wire.Wire) -> list[tuple[Any, ...]]:
        rows = receive(self)  # the statement ran; only its answer is lost
        if lose and self is owner._raw._local.finisher.wire:
            lose.clear()
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return rows

    monkeypatch.setattr(_wire.Wire, "receive", lossy)
    with caplog.at_level(logging.WARNING, logger="hypersweep"):
        assert owner.finish_own_trial(first.trial_id, TrialState.COMPLETE, 1.0)
        # Run again, it finds the trial finished, by itself: no warning, the result stands.
        assert owner.finish_own_trial(second.trial_id, TrialState.COMPLETE, 2.0)
        assert owner.get_n_trials(study, states=(TrialState.COMPLETE,)) == 2

    assert not lose
    assert "reached the database" not in caplog.text
    observer = SQLStorage(pg_url)
    assert [t.value for t in observer.get_all_trials(study)] == [1.0, 2.0]
    observer.close()
    owner.close()


@pytest.mark.postgres
def test_a_worker_killed_right_after_finishing_loses_nothing(pg_url: str) -> None:
    storage = SQLStorage(pg_url)
    study = storage.create_new_study(MIN, "killed")
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_storage_procs.finish_then_die, args=(pg_url, study, 20))
    child.start()
    child.join(60)
    assert child.exitcode == -9

    # The server completes what it received; give it a moment to have done so.
    deadline = time.monotonic() + 5.0
    while storage.get_n_trials(study, states=(TrialState.COMPLETE,)) < 20:
        assert time.monotonic() < deadline, "a finish sent before the kill was lost"
        time.sleep(0.05)
    assert [t.value for t in storage.get_all_trials(study)] == [float(n) for n in range(20)]
    storage.close()


@pytest.mark.postgres
def test_text_parameters_survive_the_trip(pg_url: str) -> None:
    storage = SQLStorage(pg_url)
    study = storage.create_new_study(MIN, "text")
    trial = storage.create_new_trial(study)
    tricky = {
        'quote " and backslash \\': "{braces, commas}",
        "NULL": "null",
        "": "",
        "unicode é 漢字": ["a\\b", 'c"d', None],
    }
    for key, value in tricky.items():
        storage.set_trial_user_attr(trial.trial_id, key, value)
    storage.set_trial_intermediate_value(trial.trial_id, 0, float("nan"))
    storage.set_trial_intermediate_value(trial.trial_id, 1, float("-inf"))
    assert storage.finish_own_trial(trial.trial_id, TrialState.COMPLETE, 1e-300)

    observer = SQLStorage(pg_url)
    stored = observer.get_trial(trial.trial_id)
    observer.close()
    assert stored.user_attrs == tricky
    assert stored.value == 1e-300
    values = stored.intermediate_values
    assert values[0] != values[0] and values[1] == float("-inf")
    storage.close()


def test_statements_become_positional() -> None:
    prepared = _wire.statement("SELECT :a::int, :b::text[] WHERE x = :a")
    assert prepared.sql == b"SELECT $1::int, $2::text[] WHERE x = $1"
    assert prepared.names == ("a", "b")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (3, b"3"),
        (True, b"true"),
        (0.1, b"0.1"),
        (float("inf"), b"Infinity"),
        ("plain", b"plain"),
        ([], b"{}"),
        (["a", 'b"c', "d\\e", None], b'{"a","b\\"c","d\\\\e",NULL}'),
        ([1.5, None, 2], b"{1.5,NULL,2}"),
    ],
)
def test_parameters_are_encoded_as_postgresql_input(value: Any, text: bytes | None) -> None:
    assert _wire.encode(value) == text


def test_an_unknown_parameter_type_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot send a dict to PostgreSQL"):
        _wire.encode({"a": 1})


def test_the_examples_in_the_docstrings_run() -> None:
    import doctest

    failures, attempts = doctest.testmod(_wire, raise_on_error=False)
    assert attempts > 0
    assert failures == 0
