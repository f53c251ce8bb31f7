"""Crash safety: killed workers, interrupted runs, stale trials, retries, resuming."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import _storage_workers as workers
import pytest

import hypersweep
from hypersweep.storages import SQLStorage
from hypersweep.trial import TrialState

pytestmark = pytest.mark.slow

_HERE = Path(__file__).parent


def _start(log: Path, *arguments: str) -> subprocess.Popen[bytes]:
    environment = dict(os.environ)
    paths = [str(_HERE), str(_HERE.parent), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    with open(log, "wb") as stderr:
        return subprocess.Popen(
            [sys.executable, str(_HERE / "_storage_workers.py"), *arguments],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _wait_for(path: Path, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the worker exited early with {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the worker did not reach the marked point in time")
        time.sleep(0.05)


def test_a_killed_worker_loses_nothing_finished_and_its_trial_is_retried(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    marker = tmp_path / "hanging"
    worker = _start(tmp_path / "stderr", "hang", url, "crash", "5", str(marker))
    _wait_for(marker, worker)
    time.sleep(0.3)  # let a heartbeat pass, so the trial's parameters are surely written

    worker.send_signal(signal.SIGKILL)
    worker.wait()

    # Everything finished before the kill is there; the hanging trial is still RUNNING.
    storage = SQLStorage(
        url, heartbeat_interval=workers.HEARTBEAT_INTERVAL, grace_period=workers.GRACE_PERIOD
    )
    study = hypersweep.load_study(
        study_name="crash", storage=storage, sampler=hypersweep.samplers.RandomSampler()
    )
    before = study.get_trials()
    assert [t.state for t in before] == [TrialState.COMPLETE] * 5 + [TrialState.RUNNING]
    assert all(t.value == t.params["x"] ** 2 for t in before[:5])
    lost = before[5]
    assert "x" in lost.params

    # Rerunning the same script continues the study: after the grace period the lost trial is
    # failed with a reason that says so, and retried with the same parameters.
    time.sleep(workers.GRACE_PERIOD)
    resumed = hypersweep.create_study(
        study_name="crash",
        storage=storage,
        sampler=hypersweep.samplers.RandomSampler(seed=1),
        load_if_exists=True,
    )
    resumed.optimize(workers.quadratic, n_trials=3, retry_failed=2)

    trials = resumed.get_trials()
    assert trials[:5] == before[:5]
    failed = trials[5]
    assert failed.state == TrialState.FAIL
    assert failed.fail_reason is not None and "stopped sending heartbeats" in failed.fail_reason
    retry = trials[6]
    assert retry.state == TrialState.COMPLETE
    assert retry.system_attrs["retry_of"] == failed.number
    assert retry.system_attrs["retry_count"] == 1
    assert retry.params["x"] == lost.params["x"]
    assert len(trials) == 9
    storage.close()


def test_an_interrupted_worker_leaves_the_database_consistent(tmp_path: Path) -> None:
    path = tmp_path / "interrupt.db"
    url = f"sqlite:///{path}"
    marker = tmp_path / "running"
    worker = _start(tmp_path / "stderr", "interrupt", url, "interrupt", str(marker))
    _wait_for(marker, worker)

    worker.send_signal(signal.SIGINT)
    assert worker.wait(timeout=60) == 130, (tmp_path / "stderr").read_text()

    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    storage = SQLStorage(
        url, heartbeat_interval=workers.HEARTBEAT_INTERVAL, grace_period=workers.GRACE_PERIOD
    )
    study = hypersweep.load_study(
        study_name="interrupt", storage=storage, sampler=hypersweep.samplers.RandomSampler()
    )
    trials = study.get_trials()
    assert len(trials) >= 6
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert trial.value == trial.params["x"] ** 2
            assert trial.intermediate_values == {0: trial.params["x"]}
    # The interrupted trial is failed and says why, or (if the signal came between trials)
    # nothing is left running; a trial cut off inside a storage call fails as stale later.
    unfinished = [t for t in trials if not t.state.is_finished()]
    interrupted = [t for t in trials if t.fail_reason == "interrupted by KeyboardInterrupt"]
    assert len(unfinished) + len(interrupted) <= 1

    time.sleep(workers.GRACE_PERIOD)
    study.optimize(workers.quadratic, n_trials=2)
    assert all(t.state.is_finished() for t in study.get_trials())
    storage.close()


def test_keyboard_interrupt_in_the_objective_fails_the_trial_and_stops(tmp_path: Path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'ctrl-c.db'}")
    study = hypersweep.create_study(
        storage=storage, study_name="ctrl-c", sampler=hypersweep.samplers.RandomSampler(seed=0)
    )

    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)

    reopened = SQLStorage(storage.url)
    trials = reopened.get_all_trials(reopened.get_study_id_from_name("ctrl-c"))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]
    assert trials[2].fail_reason == "interrupted by KeyboardInterrupt"
    assert "x" in trials[2].params
    reopened.close()
    storage.close()


def test_a_live_worker_is_never_failed_by_another(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    settings = {"heartbeat_interval": 0.1, "grace_period": 0.5}
    slow_storage = SQLStorage(url, **settings)
    fast_storage = SQLStorage(url, **settings)
    random = hypersweep.samplers.RandomSampler
    slow = hypersweep.create_study(study_name="live", storage=slow_storage, sampler=random())
    fast = hypersweep.load_study(study_name="live", storage=fast_storage, sampler=random())
    started = threading.Event()

    def slow_objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        started.set()
        time.sleep(2.0)  # four grace periods
        return x

    def fast_objective(trial: hypersweep.Trial) -> float:
        time.sleep(0.02)
        return trial.suggest_float("x", 0.0, 1.0)

    thread = threading.Thread(target=slow.optimize, args=(slow_objective,), kwargs={"n_trials": 1})
    thread.start()
    assert started.wait(30)
    fast.optimize(fast_objective, timeout=2.0)  # checks for stale trials before each trial
    thread.join()

    trials = fast.get_trials()
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sum(1 for t in trials if t.duration and t.duration.total_seconds() >= 2.0) == 1
    slow_storage.close()
    fast_storage.close()


def test_retry_failed_reruns_a_failing_trial_with_the_same_parameters(tmp_path: Path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'retry.db'}")
    study = hypersweep.create_study(
        storage=storage, study_name="retry", sampler=hypersweep.samplers.RandomSampler(seed=0)
    )
    attempts: list[float] = []

    def flaky(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        attempts.append(x)
        if len(attempts) < 3:
            raise RuntimeError("preempted")
        return x

    study.optimize(flaky, n_trials=3, retry_failed=2, catch=RuntimeError)

    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL, TrialState.COMPLETE]
    assert attempts == [attempts[0]] * 3
    assert [t.system_attrs.get("retry_of") for t in trials] == [None, 0, 1]
    assert [t.system_attrs.get("retry_count") for t in trials] == [None, 1, 2]
    storage.close()
