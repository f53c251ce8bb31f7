"""Many worker processes on one study: exact trial counts, no lock errors, grids run once."""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
from pathlib import Path

import _storage_workers as workers
import pytest

from _support import fresh_postgres_url
import hypersweep
from hypersweep.storages import SQLStorage
from hypersweep.trial import TrialState

pytestmark = pytest.mark.slow


def _processes(n_workers: int) -> concurrent.futures.ProcessPoolExecutor:
    # A fork server: children start from a clean single-threaded process, and quickly.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hypersweep"])
    return concurrent.futures.ProcessPoolExecutor(n_workers, mp_context=context)


def _states(url: str, study_name: str) -> dict[TrialState, int]:
    storage = SQLStorage(url)
    try:
        study_id = storage.get_study_id_from_name(study_name)
        trials = storage.get_all_trials(study_id)
        return {state: sum(t.state == state for t in trials) for state in TrialState}
    finally:
        storage.close()


def _independent_workers(
    url: str, n_workers: int, n_trials: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hypersweep")
    with _processes(n_workers) as pool:
        futures = [
            pool.submit(workers.run_worker, url, "shared", n_trials) for _ in range(n_workers)
        ]
        ran = [future.result() for future in futures]

    states = _states(url, "shared")
    assert states[TrialState.COMPLETE] == n_workers * n_trials
    assert sum(states.values()) == n_workers * n_trials
    assert sum(ran) >= n_trials  # each saw at least its own trials
    assert not [r for r in caplog.records if "locked" in r.getMessage()]


def test_four_processes_on_one_sqlite_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _independent_workers(f"sqlite:///{tmp_path / 'shared.db'}", 4, 50, caplog)


@pytest.mark.postgres
def test_eight_processes_on_postgres(caplog: pytest.LogCaptureFixture) -> None:
    with fresh_postgres_url() as url:
        _independent_workers(url, 8, 50, caplog)


def test_study_scope_makes_n_trials_a_study_wide_target(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scope.db'}"
    with _processes(3) as pool:
        futures = [pool.submit(workers.run_worker, url, "target", 40, "study") for _ in range(3)]
        for future in futures:
            future.result()
    assert sum(_states(url, "target").values()) == 40


def test_an_executor_runs_workers_that_reopen_the_storage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'executor.db'}"
    study = hypersweep.create_study(
        study_name="pool", storage=url, sampler=hypersweep.samplers.RandomSampler(seed=0)
    )
    study.optimize(workers.quadratic, n_trials=5)

    with _processes(3) as pool:
        study.optimize(workers.quadratic, n_trials=30, executor=pool)

    trials = study.get_trials()
    assert len(trials) == 35
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(35))


def test_a_grid_run_by_three_processes_runs_each_combination_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    grid = {"x": [0, 1, 2], "y": ["a", "b", "c"]}
    study = hypersweep.create_study(
        study_name="grid", storage=url, sampler=hypersweep.samplers.GridSampler(grid, seed=0)
    )

    with _processes(3) as pool:
        study.optimize(workers.slow_grid_objective, n_trials=30, executor=pool)

    trials = study.get_trials()
    combinations = sorted((t.params["x"], t.params["y"]) for t in trials)
    assert combinations == sorted((x, y) for x in grid["x"] for y in grid["y"])
    assert all(t.state == TrialState.COMPLETE for t in trials)


@pytest.mark.postgres
def test_a_grid_run_by_three_processes_on_postgres() -> None:
    grid = {"x": [0, 1, 2], "y": ["a", "b", "c"]}
    with fresh_postgres_url() as url:
        study = hypersweep.create_study(
            study_name="grid", storage=url, sampler=hypersweep.samplers.GridSampler(grid, seed=1)
        )

        with _processes(3) as pool:
            study.optimize(workers.slow_grid_objective, executor=pool)

        combinations = sorted((t.params["x"], t.params["y"]) for t in study.get_trials())
        study.storage.close()
    assert combinations == sorted((x, y) for x in grid["x"] for y in grid["y"])
