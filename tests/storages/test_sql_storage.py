"""What only the SQL storage does: URLs and errors, heartbeats, caching, worker processes."""

from __future__ import annotations

from collections.abc import Callable
import concurrent.futures
import multiprocessing
import os
from pathlib import Path
import time
from typing import Any

import _storage_procs
import pytest

import hypersweep
from hypersweep import StorageError
from hypersweep.distributions import FloatDistribution
from hypersweep.storages import BaseStorage
from hypersweep.storages import SQLStorage
from hypersweep.storages import get_storage
from hypersweep.storages._sql import _storage as sql_module
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState
from hypersweep.trial import create_trial

StorageFactory = Callable[..., BaseStorage]
MIN = StudyDirection.MINIMIZE


def _processes(n_workers: int) -> concurrent.futures.ProcessPoolExecutor:
    # A fork server: children start from a clean single-threaded process, and quickly.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hypersweep"])
    return concurrent.futures.ProcessPoolExecutor(n_workers, mp_context=context)


# --- Opening: URLs and their errors -----------------------------------------------------------


def test_a_path_or_url_opens_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "tune.db"
    from_path = get_storage(path)
    from_text = get_storage(str(path))
    try:
        assert isinstance(from_path, SQLStorage) and isinstance(from_text, SQLStorage)
        assert from_path.url == f"sqlite:///{path}"
        from_path.create_new_study(MIN, "shared")
        assert from_text.get_all_study_ids() == from_path.get_all_study_ids()
    finally:
        from_path.close()
        from_text.close()


def test_the_url_carries_heartbeat_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    default = SQLStorage(url)
    custom = SQLStorage(url, heartbeat_interval=0.5, grace_period=2.0)
    reopened = SQLStorage(custom.url)
    silent = SQLStorage(url, heartbeat_interval=None)
    try:
        assert default.url == url
        assert (default.heartbeat_interval, default.grace_period) == (10.0, 60.0)
        assert (reopened.heartbeat_interval, reopened.grace_period) == (0.5, 2.0)
        assert SQLStorage(silent.url).heartbeat_interval is None
    finally:
        for storage in (default, custom, reopened, silent):
            storage.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url://", "is not a database URL"),
        ("mysql://user@localhost/db", "the database 'mysql' .* is not supported"),
        ("sqlite:////no/such/directory/x.db", "the directory '/no/such/directory' does not exist"),
        ("sqlite:///tune.db?heartbeat_interval=soon", "must be a number of seconds"),
        (
            "postgresql+psycopg://nobody:secret@127.0.0.1:1/none",
            r"cannot open the database postgresql\+psycopg://nobody:\*\*\*@127.0.0.1:1/none: .*"
            "check that the server is running",
        ),
    ],
)
def test_bad_urls_give_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as raised:
        SQLStorage(url)
    assert "\n" not in str(raised.value)
    assert "secret" not in str(raised.value)


def test_bad_time_arguments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.raises(ValueError, match="heartbeat_interval must be None or a number of seconds"):
        SQLStorage(url, heartbeat_interval=0)
    with pytest.raises(ValueError, match="grace_period must be longer than heartbeat_interval"):
        SQLStorage(url, heartbeat_interval=5.0, grace_period=5.0)


def test_attributes_must_be_json(sql_factory: StorageFactory) -> None:
    storage = sql_factory()
    study = storage.create_new_study(MIN, "json")
    trial = storage.create_new_trial(study)
    with pytest.raises(TypeError, match="attribute 'obj' must be JSON-serializable"):
        storage.set_trial_user_attr(trial.trial_id, "obj", object())
    with pytest.raises(TypeError, match="attribute 'obj' must be JSON-serializable"):
        storage.set_study_user_attr(study, "obj", {1, 2})


def test_memory_sqlite_works_in_one_process() -> None:
    storage = SQLStorage("sqlite:///:memory:")
    try:
        study = hypersweep.create_study(
            storage=storage, study_name="memory", sampler=hypersweep.samplers.RandomSampler()
        )
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        assert len(study.trials) == 5
        assert storage.url is None  # no other process can open it
    finally:
        storage.close()


# --- The cache of finished trials -------------------------------------------------------------


def test_finished_trials_are_read_from_the_database_once(
    sql_factory: StorageFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = sql_factory(), sql_factory()
    study = writer.create_new_study(MIN, "cache")
    for value in range(30):
        writer.create_new_trial(study, create_trial(value=float(value)))
    running = writer.create_new_trial(study)
    loaded: list[int] = []
    original = sql_module.SQLStorage._load

    def counting_load(self: SQLStorage, ids: Any, **kwargs: Any) -> Any:
        loaded.extend(ids)
        return original(self, ids, **kwargs)

    monkeypatch.setattr(sql_module.SQLStorage, "_load", counting_load)

    assert len(reader.get_all_trials(study)) == 31
    assert len(loaded) == 31
    loaded.clear()
    writer.create_new_trial(study, create_trial(value=-1.0))
    writer.set_trial_state_values(running.trial_id, TrialState.COMPLETE, 0.5)

    trials = reader.get_all_trials(study)

    assert len(trials) == 32 and trials[30].value == 0.5
    assert sorted(loaded) == sorted([running.trial_id, trials[31].trial_id])
    loaded.clear()
    assert len(reader.get_all_trials(study, states=(TrialState.COMPLETE,))) == 32
    assert loaded == []


# --- Heartbeats and stale trials ---------------------------------------------------------------


def test_a_silent_trial_fails_after_the_grace_period(sql_factory: StorageFactory) -> None:
    dead = sql_factory(heartbeat_interval=0.1, grace_period=0.5)
    watcher = sql_factory(heartbeat_interval=0.1, grace_period=0.5)
    study = dead.create_new_study(MIN, "stale")
    trial = dead.create_new_trial(study)
    dead.set_trial_param(trial.trial_id, "x", 1.0, FloatDistribution(0, 2))
    dead.close()  # its worker is gone: no more heartbeats

    assert watcher.fail_stale_trials(study, 0.5) == []
    time.sleep(0.7)
    assert watcher.fail_stale_trials(study, 0.5) == [trial.trial_id]
    assert watcher.fail_stale_trials(study, 0.5) == []

    record = watcher.get_trial(trial.trial_id)
    assert record.state == TrialState.FAIL
    assert record.params == {"x": 1.0}
    assert record.fail_reason is not None and "stopped sending heartbeats" in record.fail_reason
    assert record.datetime_complete is not None


def test_a_beating_trial_is_never_failed(sql_factory: StorageFactory) -> None:
    alive = sql_factory(heartbeat_interval=0.1, grace_period=0.4)
    watcher = sql_factory(heartbeat_interval=0.1, grace_period=0.4)
    study = alive.create_new_study(MIN, "alive")
    trial = alive.create_new_trial(study)

    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        assert watcher.fail_stale_trials(study, 0.4) == []
        assert alive.fail_stale_trials(study, 0.4) == []
        time.sleep(0.1)

    assert alive.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)


def test_a_late_worker_cannot_overwrite_a_failed_trial(sql_factory: StorageFactory) -> None:
    worker = sql_factory(heartbeat_interval=None)
    watcher = sql_factory(heartbeat_interval=0.1, grace_period=0.3)
    study = worker.create_new_study(MIN, "late")
    trial = worker.create_new_trial(study)
    # A worker that records no heartbeats leaves no trace to judge it by: never stale.
    time.sleep(0.4)
    assert watcher.fail_stale_trials(study, 0.3) == []

    assert watcher.set_trial_state_values(trial.trial_id, TrialState.FAIL)
    worker.set_trial_user_attr(trial.trial_id, "late", True)
    assert not worker.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)
    assert watcher.get_trial(trial.trial_id).state == TrialState.FAIL


# --- Atomic operations across processes --------------------------------------------------------


@pytest.mark.slow
def test_processes_claim_each_waiting_trial_once(sql_url: str) -> None:
    storage = SQLStorage(sql_url)
    study = storage.create_new_study(MIN, "claim")
    for _ in range(60):
        storage.create_new_trial(study, create_trial(state=TrialState.WAITING))

    with _processes(3) as pool:
        claimed = [
            trial_id
            for future in [pool.submit(_storage_procs.claim_all, sql_url, study) for _ in range(3)]
            for trial_id in future.result()
        ]

    assert sorted(claimed) == sorted(t.trial_id for t in storage.get_all_trials(study))
    assert storage.get_n_trials(study, states=(TrialState.COMPLETE,)) == 60
    storage.close()


@pytest.mark.slow
def test_processes_race_on_numbers_attributes_and_finishing(sql_url: str) -> None:
    storage = SQLStorage(sql_url)
    study = storage.create_new_study(MIN, "race")
    contested = storage.create_new_trial(study)

    with _processes(3) as pool:
        numbers = [pool.submit(_storage_procs.create_trials, sql_url, study, 20) for _ in range(3)]
        keys = [
            pool.submit(_storage_procs.reserve_keys, sql_url, study, 30, worker)
            for worker in range(3)
        ]
        finishes = [
            pool.submit(_storage_procs.finish_race, sql_url, contested.trial_id, worker)
            for worker in range(3)
        ]
        all_numbers = sorted(n for future in numbers for n in future.result())
        all_keys = sorted(k for future in keys for k in future.result())
        wins = [future.result() for future in finishes]

    assert all_numbers == list(range(1, 61))
    assert all_keys == sorted(f"slot:{k}" for k in range(30))
    assert wins.count(True) == 1
    observer = SQLStorage(sql_url)
    assert observer.get_trial(contested.trial_id).state == TrialState.COMPLETE
    # The storage object that created the trial learns it when it tries to finish it.
    assert not storage.set_trial_state_values(contested.trial_id, TrialState.FAIL)
    assert storage.get_trial(contested.trial_id).state == TrialState.COMPLETE
    observer.close()
    storage.close()


def test_a_forked_child_does_not_disturb_the_parent(sql_url: str) -> None:
    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    storage = SQLStorage(sql_url)
    study = storage.create_new_study(MIN, "fork")
    storage.create_new_trial(study)
    pid = os.fork()
    if pid == 0:  # the child opens nothing and exits: its copies of connections stay unused
        os._exit(0)
    os.waitpid(pid, 0)
    trial = storage.create_new_trial(study)
    assert storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)
    assert storage.get_n_trials(study) == 2
    storage.close()


def test_an_interrupted_transaction_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'interrupted.db'}")
    study = storage.create_new_study(MIN, "interrupted")
    trial = storage.create_new_trial(study)
    storage.set_trial_param(trial.trial_id, "x", 1.0, FloatDistribution(0, 2))

    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    # Ctrl-C after the trial's row was finished, before its parameters were written.
    monkeypatch.setattr(sql_module._raw, "write_children", interrupt)
    with pytest.raises(KeyboardInterrupt):
        storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)
    monkeypatch.undo()

    observer = SQLStorage(storage.url)
    assert observer.get_trial(trial.trial_id).state == TrialState.RUNNING
    assert storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)
    finished = SQLStorage(storage.url).get_trial(trial.trial_id)
    assert finished.state == TrialState.COMPLETE and finished.params == {"x": 1.0}
    observer.close()
    storage.close()


@pytest.mark.parametrize(
    ("url", "timeout"),
    [
        ("postgresql+psycopg://tuner:pw@db.example:5432/studies", 10),
        ("postgresql+psycopg://db.example/studies?connect_timeout=3", None),
    ],
)
def test_postgresql_connections_time_out_unless_the_url_says(
    url: str, timeout: int | None
) -> None:
    # A server that never answers fails within seconds instead of hanging a worker forever.
    # (A timeout in the URL reaches the driver through the URL itself.)
    from unittest import mock

    from hypersweep.storages._sql import _engine

    with mock.patch.object(_engine.sa, "create_engine") as factory:
        _engine.create_engine(_engine.sa.make_url(url))
    assert factory.call_args.kwargs["connect_args"].get("connect_timeout") == timeout


@pytest.mark.postgres
def test_a_worker_with_a_skewed_clock_is_not_failed_as_stale() -> None:
    # Workers on other machines may have clocks that disagree; heartbeats are stamped in the
    # database server's time, so a worker 1000 s behind still looks alive to the others.
    from unittest import mock

    from _support import fresh_postgres_url
    from hypersweep.storages._sql import _storage

    real_time = time.time

    class _SkewedClock:
        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def time() -> float:
            return real_time() - 1000.0

    with fresh_postgres_url() as url:
        with mock.patch.object(_storage, "time", _SkewedClock()):
            behind = SQLStorage(url, heartbeat_interval=60.0)
            study = behind.create_new_study(MIN, "skew")
            trial = behind.create_new_trial(study)
            behind.record_heartbeat([trial.trial_id])
        other = SQLStorage(url, heartbeat_interval=1.0, grace_period=5.0)
        assert other.fail_stale_trials(study, grace_period=5.0) == []
        assert other.get_trial(trial.trial_id).state == TrialState.RUNNING
        other.close()
        behind.close()
