from __future__ import annotations

import math

import pytest

from _support import require
import hypersweep
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.storages import InMemoryStorage
from hypersweep.trial import TrialState


def _random(seed: int = 0) -> hypersweep.samplers.RandomSampler:
    return hypersweep.samplers.RandomSampler(seed=seed)


def test_create_load_list_delete() -> None:
    storage = InMemoryStorage()
    study = hypersweep.create_study(study_name="a", storage=storage, direction="maximize")
    hypersweep.create_study(study_name="b", storage=storage)
    assert hypersweep.get_all_study_names(storage) == ["a", "b"]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)

    loaded = hypersweep.load_study(study_name="a", storage=storage)
    assert loaded.direction == hypersweep.StudyDirection.MAXIMIZE
    assert len(loaded.trials) == 3
    summaries = {s.study_name: s for s in hypersweep.get_all_study_summaries(storage)}
    assert summaries["a"].n_trials[TrialState.COMPLETE] == 3
    assert summaries["a"].best_value == loaded.best_value
    assert summaries["b"].best_value is None

    hypersweep.delete_study(study_name="a", storage=storage)
    assert hypersweep.get_all_study_names(storage) == ["b"]
    with pytest.raises(hypersweep.StudyNotFoundError, match="no study named 'a'"):
        hypersweep.load_study(study_name="a", storage=storage)


def test_duplicate_name_and_load_if_exists() -> None:
    storage = InMemoryStorage()
    hypersweep.create_study(study_name="s", storage=storage)
    with pytest.raises(hypersweep.DuplicatedStudyError, match="load_if_exists=True"):
        hypersweep.create_study(study_name="s", storage=storage)
    again = hypersweep.create_study(study_name="s", storage=storage, load_if_exists=True)
    assert again.study_name == "s"
    with pytest.raises(ValueError, match="exists with direction minimize"):
        hypersweep.create_study(
            study_name="s", storage=storage, direction="maximize", load_if_exists=True
        )


def test_bad_direction() -> None:
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize', got 'up'"):
        hypersweep.create_study(direction="up")


def test_best_trial_respects_direction() -> None:
    for direction, expected in (("minimize", -3.0), ("maximize", 4.0)):
        study = hypersweep.create_study(direction=direction)
        for value in (1.0, -3.0, 4.0, 0.5):
            trial = study.ask()
            study.tell(trial, value)
        assert study.best_value == expected
        assert study.best_trial.value == expected


def test_best_trial_without_completed_trials() -> None:
    study = hypersweep.create_study()
    with pytest.raises(ValueError, match="has no COMPLETE trial yet"):
        _ = study.best_trial


def test_enqueue_runs_first_and_in_order() -> None:
    study = hypersweep.create_study(sampler=_random())
    study.enqueue_trial({"lr": 3e-4, "layers": 2, "optimizer": "adam"})
    study.enqueue_trial({"lr": 1e-3}, user_attrs={"source": "paper"})

    def objective(trial: hypersweep.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 4)
        trial.suggest_categorical("optimizer", ["adam", "sgd"])
        return lr * layers

    study.optimize(objective, n_trials=5)
    trials = study.trials
    assert trials[0].params == {"lr": 3e-4, "layers": 2, "optimizer": "adam"}
    assert trials[1].params["lr"] == 1e-3
    assert trials[1].user_attrs["source"] == "paper"
    assert len(trials) == 5


def test_enqueue_value_outside_range_fails_the_trial_clearly() -> None:
    study = hypersweep.create_study()
    study.enqueue_trial({"lr": 5.0})
    with pytest.raises(ValueError, match=r"parameter 'lr': the enqueued value 5.0 of trial 0 is "):
        study.optimize(lambda t: t.suggest_float("lr", 0.0, 1.0), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_enqueue_skip_if_exists() -> None:
    study = hypersweep.create_study()
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.get_trials(states=(TrialState.WAITING,))) == 1
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 1


def test_ask_and_tell() -> None:
    study = hypersweep.create_study(sampler=_random())
    for _ in range(5):
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        study.tell(trial, x * x)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 5

    trial = study.ask()
    study.tell(trial.number, state=TrialState.PRUNED)
    assert study.trials[-1].state == TrialState.PRUNED
    with pytest.raises(ValueError, match=r"trial 5 is already PRUNED; pass skip_if_finished=True"):
        study.tell(trial, 1.0)
    assert study.tell(trial, 1.0, skip_if_finished=True).state == TrialState.PRUNED

    trial = study.ask()
    with pytest.raises(ValueError, match=r"tell\(\) needs a final state"):
        study.tell(trial, 1.0, state=TrialState.RUNNING)
    assert study.tell(trial, "oops").state == TrialState.FAIL  # type: ignore[arg-type]


def test_ask_with_fixed_distributions() -> None:
    study = hypersweep.create_study(sampler=_random())
    space = {"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])}
    trial = study.ask(space)
    assert set(trial.params) == {"x", "c"}


def test_add_trial_counts_as_history() -> None:
    study = hypersweep.create_study()
    study.add_trial(
        hypersweep.create_trial(
            value=0.1, params={"x": 0.3}, distributions={"x": FloatDistribution(0, 1)}
        )
    )
    assert study.best_params == {"x": 0.3}
    with pytest.raises(ValueError, match="add_trial\\(\\) takes a finished trial"):
        study.add_trial(hypersweep.create_trial(state=TrialState.WAITING))


def test_study_user_attrs() -> None:
    study = hypersweep.create_study()
    study.set_user_attr("dataset", "cifar10")
    assert study.user_attrs == {"dataset": "cifar10"}


def test_trials_dataframe() -> None:
    pd = require("pandas")
    study = hypersweep.create_study(sampler=_random())
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=4)
    frame = study.trials_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["number"]) == [0, 1, 2, 3]
    assert {"params_x", "params_n", "value", "state", "duration"} <= set(frame.columns)
    assert (frame["state"] == "COMPLETE").all()
    with pytest.raises(ValueError, match="unknown attrs \\['bogus'\\]"):
        study.trials_dataframe(attrs=["bogus"])


def test_default_sampler_is_usable() -> None:
    study = hypersweep.create_study()
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
    assert math.isfinite(study.best_value)


def test_load_and_delete_take_positional_or_keyword_arguments() -> None:
    storage = InMemoryStorage()
    hypersweep.create_study(study_name="p", storage=storage)
    assert hypersweep.load_study("p", storage).study_name == "p"
    assert hypersweep.load_study(study_name="p", storage=storage).study_name == "p"
    hypersweep.delete_study("p", storage)
    assert hypersweep.get_all_study_names(storage) == []
