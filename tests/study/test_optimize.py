from __future__ import annotations

import logging
import math
import threading
import time

import pytest

import hypersweep
from hypersweep.trial import TrialState


def _random(seed: int = 0) -> hypersweep.samplers.RandomSampler:
    return hypersweep.samplers.RandomSampler(seed=seed)


def test_exception_fails_trial_and_is_raised_again() -> None:
    study = hypersweep.create_study()

    def objective(trial: hypersweep.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        study.optimize(objective, n_trials=3)
    [trial] = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.fail_reason == "the objective raised RuntimeError: out of memory"
    assert "RuntimeError('out of memory')" in trial.system_attrs["exception"]
    assert "Traceback" in trial.system_attrs["traceback"]


def test_caught_exception_lets_study_go_on(caplog: pytest.LogCaptureFixture) -> None:
    study = hypersweep.create_study()
    calls = []

    def objective(trial: hypersweep.Trial) -> float:
        calls.append(trial.number)
        if trial.number % 2 == 0:
            raise ValueError("bad batch")
        return 1.0

    with caplog.at_level(logging.WARNING, logger="hypersweep"):
        study.optimize(objective, n_trials=4, catch=(ValueError,))
    assert calls == [0, 1, 2, 3]
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.COMPLETE] * 2
    assert caplog.text.count("failed") == 2


@pytest.mark.parametrize("returned", [None, "0.5", [1.0], True])
def test_non_number_fails_with_warning_naming_trial_and_value(
    returned: object, caplog: pytest.LogCaptureFixture
) -> None:
    study = hypersweep.create_study()
    with caplog.at_level(logging.WARNING, logger="hypersweep"):
        study.optimize(lambda t: returned, n_trials=2)  # type: ignore[arg-type,return-value]
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert f"Trial 0 failed: the objective returned {returned!r}" in caplog.text
    assert study.trials[0].value is None


@pytest.mark.parametrize("diverged", [math.nan, math.inf, -math.inf])
def test_non_finite_value_is_a_diverged_failure_that_keeps_its_value(diverged: float) -> None:
    study = hypersweep.create_study()
    study.optimize(lambda t: diverged, n_trials=1)
    [trial] = study.trials
    assert trial.state == TrialState.FAIL
    assert trial.value is not None and (math.isnan(trial.value) or trial.value == diverged)
    assert "diverged" in (trial.fail_reason or "")


def test_numpy_and_int_values_are_accepted() -> None:
    import numpy as np

    study = hypersweep.create_study()
    study.optimize(lambda t: np.float32(1.5), n_trials=1)
    study.optimize(lambda t: 2, n_trials=1)
    assert [t.value for t in study.trials] == [1.5, 2.0]


def test_keyboard_interrupt_fails_the_running_trial_and_leaves_study_consistent() -> None:
    study = hypersweep.create_study()

    def objective(trial: hypersweep.Trial) -> float:
        if trial.number == 2:
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[2].fail_reason == "interrupted by KeyboardInterrupt"
    study.optimize(lambda t: 0.5, n_trials=1)
    assert study.best_value == 0.5


def test_pruned_trials() -> None:
    study = hypersweep.create_study()

    def objective(trial: hypersweep.Trial) -> float:
        trial.report(1.0, 0)
        raise hypersweep.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert dict(study.trials[0].intermediate_values) == {0: 1.0}


def test_callbacks_and_stop() -> None:
    study = hypersweep.create_study()
    seen = []

    def callback(study: hypersweep.Study, trial: hypersweep.FrozenTrial) -> None:
        seen.append(trial.number)
        if trial.number == 3:
            study.stop()

    study.optimize(lambda t: 1.0, n_trials=100, callbacks=[callback])
    assert seen == [0, 1, 2, 3]
    # A later call starts afresh.
    study.optimize(lambda t: 1.0, n_trials=2)
    assert len(study.trials) == 6


def test_stop_from_the_objective() -> None:
    study = hypersweep.create_study()

    def objective(trial: hypersweep.Trial) -> float:
        if trial.number == 1:
            trial.study.stop()
        return 0.0

    study.optimize(objective, n_trials=10)
    assert len(study.trials) == 2


def test_timeout_stops_starting_trials() -> None:
    study = hypersweep.create_study()
    start = time.monotonic()
    study.optimize(lambda t: time.sleep(0.02) or 0.0, timeout=0.2)
    assert time.monotonic() - start < 5.0
    assert 1 <= len(study.trials) < 100


def test_threads_run_trials_in_parallel() -> None:
    study = hypersweep.create_study(sampler=_random())
    active = 0
    peak = 0
    lock = threading.Lock()

    def objective(trial: hypersweep.Trial) -> float:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with lock:
            active -= 1
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=24, n_jobs=4)
    assert len(study.trials) == 24
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert sorted(t.number for t in study.trials) == list(range(24))
    assert peak > 1


def test_threads_raise_the_first_error_and_stop() -> None:
    study = hypersweep.create_study()

    def objective(trial: hypersweep.Trial) -> float:
        if trial.number == 3:
            raise RuntimeError("boom")
        time.sleep(0.005)
        return 1.0

    with pytest.raises(RuntimeError, match="boom"):
        study.optimize(objective, n_trials=200, n_jobs=3)
    assert len(study.trials) < 200


def test_n_trials_scope_study_counts_earlier_runs() -> None:
    study = hypersweep.create_study()
    study.optimize(lambda t: 1.0, n_trials=3)
    study.optimize(lambda t: 1.0, n_trials=10, n_trials_scope="study", n_jobs=3)
    assert len(study.trials) == 10
    study.optimize(lambda t: 1.0, n_trials=10, n_trials_scope="study")
    assert len(study.trials) == 10


def test_retry_failed_reenqueues_with_same_params_and_links_origin() -> None:
    study = hypersweep.create_study(sampler=_random())

    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number in (0, 1):
            raise ConnectionError("flaky")
        return x

    study.optimize(objective, n_trials=4, catch=(ConnectionError,), retry_failed=2)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL] * 2 + [TrialState.COMPLETE] * 2
    assert trials[1].system_attrs["retry_of"] == 0
    assert trials[1].system_attrs["retry_count"] == 1
    assert trials[2].system_attrs["retry_of"] == 1
    assert trials[2].system_attrs["retry_count"] == 2
    assert trials[0].params == trials[1].params == trials[2].params
    assert "retry_of" not in trials[3].system_attrs


def test_retry_failed_gives_up_after_n_retries() -> None:
    study = hypersweep.create_study(sampler=_random())

    def objective(trial: hypersweep.Trial) -> float:
        trial.suggest_float("x", 0, 1)
        raise ConnectionError("always")

    study.optimize(objective, n_trials=3, catch=(ConnectionError,), retry_failed=1)
    trials = study.trials
    # Trial 1 retries trial 0 once and is not retried again; trial 2's retry waits in the queue
    # for the next run, since the budget of 3 trials is spent.
    assert [t.system_attrs.get("retry_count") for t in trials] == [None, 1, None, 1]
    assert [t.state for t in trials] == [TrialState.FAIL] * 3 + [TrialState.WAITING]
    assert trials[0].params == trials[1].params != trials[2].params


def test_bad_optimize_arguments() -> None:
    study = hypersweep.create_study()
    with pytest.raises(ValueError, match="n_trials must be None or an integer >= 0, got -1"):
        study.optimize(lambda t: 1.0, n_trials=-1)
    with pytest.raises(ValueError, match="n_jobs must be a positive integer or -1, got 0"):
        study.optimize(lambda t: 1.0, n_trials=1, n_jobs=0)
    with pytest.raises(ValueError, match="timeout must be None or a number of seconds"):
        study.optimize(lambda t: 1.0, timeout=-5)
    with pytest.raises(ValueError, match="n_trials_scope must be 'call' or 'study'"):
        study.optimize(lambda t: 1.0, n_trials=1, n_trials_scope="global")
    with pytest.raises(TypeError, match="catch must hold exception types, got 'x'"):
        study.optimize(lambda t: 1.0, n_trials=1, catch=("x",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="the objective must be callable"):
        study.optimize(3, n_trials=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a storage that other processes can open"):
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            study.optimize(lambda t: 1.0, n_trials=1, executor=pool)


def test_logging_one_info_line_per_trial_and_no_prints(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    study = hypersweep.create_study(sampler=_random())
    with caplog.at_level(logging.INFO, logger="hypersweep"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    finished = [r for r in caplog.records if "finished with value" in r.getMessage()]
    assert len(finished) == 3
    assert all(r.name.startswith("hypersweep") for r in caplog.records)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    study = hypersweep.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5, show_progress_bar=True)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), timeout=0.1, show_progress_bar=True)
    assert len(study.trials) >= 6
