from __future__ import annotations

import pytest

import hypersweep
from hypersweep.samplers import GridSampler
from hypersweep.trial import TrialState

GRID = {"lr": [1e-3, 1e-4, 1e-5], "batch_size": [16, 32, 64]}


def _objective(trial: hypersweep.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-3, log=True)
    batch_size = trial.suggest_categorical("batch_size", [16, 32, 64])
    return lr * batch_size


def _combinations(study: hypersweep.Study) -> list[tuple[float, int]]:
    return sorted((t.params["lr"], t.params["batch_size"]) for t in study.trials)


EXPECTED = sorted((lr, bs) for lr in GRID["lr"] for bs in GRID["batch_size"])


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_grid_runs_each_combination_once_then_stops(n_jobs: int) -> None:
    study = hypersweep.create_study(sampler=GridSampler(GRID, seed=0))
    study.optimize(_objective, n_trials=100, n_jobs=n_jobs)
    assert len(study.trials) == 9
    assert _combinations(study) == EXPECTED
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_grid_without_n_trials_stops_by_itself() -> None:
    study = hypersweep.create_study(sampler=GridSampler(GRID))
    study.optimize(_objective)
    assert _combinations(study) == EXPECTED


def test_grid_resumes_where_it_left_off() -> None:
    storage = hypersweep.storages.InMemoryStorage()
    study = hypersweep.create_study(storage=storage, study_name="g", sampler=GridSampler(GRID))
    study.optimize(_objective, n_trials=4)
    resumed = hypersweep.load_study(study_name="g", storage=storage, sampler=GridSampler(GRID))
    resumed.optimize(_objective, n_trials=100)
    assert _combinations(resumed) == EXPECTED


def test_exhausted_grid_in_ask_raises() -> None:
    study = hypersweep.create_study(sampler=GridSampler({"x": [0.0, 1.0]}))
    for _ in range(2):
        trial = study.ask()
        study.tell(trial, trial.suggest_float("x", 0, 1))
    with pytest.raises(hypersweep.SearchSpaceExhausted, match="every one of the 2 combinations"):
        study.ask()


def test_grid_value_outside_the_suggested_range_is_a_clear_error() -> None:
    study = hypersweep.create_study(sampler=GridSampler({"x": [5.0]}))
    with pytest.raises(ValueError, match=r"parameter 'x': the enqueued value 5.0 .* is outside"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_parameter_outside_the_grid_is_sampled_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = hypersweep.create_study(sampler=GridSampler({"x": [0.0, 1.0]}, seed=1))
    with caplog.at_level("WARNING", logger="hypersweep"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1))
    assert len(study.trials) == 2
    assert "Parameter 'y' of trial 0 is not in the grid" in caplog.text


@pytest.mark.parametrize(
    ("space", "match"),
    [
        ({}, "GridSampler needs a non-empty mapping"),
        ({"x": []}, r"parameter 'x': the grid needs at least one value, got \[\]"),
        ({"x": "abc"}, r"parameter 'x': the grid needs a list of values, got 'abc'"),
        ({"x": [1, 1]}, r"parameter 'x': grid values must be distinct"),
        ({"x": [float("nan")]}, r"parameter 'x': grid values must be finite"),
        ({"x": [object()]}, r"parameter 'x': grid values must be None, bool, int, float or str"),
    ],
)
def test_bad_grids(space: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GridSampler(space)
