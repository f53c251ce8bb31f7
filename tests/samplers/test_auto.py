from __future__ import annotations

import logging

import pytest

import hypersweep
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.samplers import AutoSampler
from hypersweep.samplers import GPSampler
from hypersweep.samplers import TPESampler
from hypersweep.samplers._auto import MAX_GP_TRIALS
from hypersweep.samplers._auto import SpaceProfile


def _trial(**params: object) -> hypersweep.FrozenTrial:
    distributions = {
        name: CategoricalDistribution(list(value))
        if isinstance(value, tuple)
        else FloatDistribution(0, 1)
        for name, value in params.items()
    }
    values = {k: (v[0] if isinstance(v, tuple) else v) for k, v in params.items()}
    return hypersweep.create_trial(value=0.0, params=values, distributions=distributions)


@pytest.mark.parametrize(
    ("trials", "gp"),
    [
        ([_trial(x=0.1, y=0.2)] * 3, True),
        ([_trial(x=0.1, c=("a", "b", "c"))] * 3, True),  # one categorical of two parameters
        ([_trial(c=("a", "b"), d=("x", "y"), x=0.5)] * 3, False),  # mostly categorical
        ([_trial(x=0.1, c=tuple("abcdefghij"))] * 3, False),  # ten choices
        ([_trial(x=0.1, y=0.3), _trial(x=0.2)], False),  # conditional
    ],
)
def test_the_rule(trials: list[hypersweep.FrozenTrial], gp: bool) -> None:
    assert SpaceProfile.of(trials).prefers_gp() is gp


def test_long_studies_and_many_dimensions_go_to_tpe() -> None:
    many = SpaceProfile(MAX_GP_TRIALS, 5, 0, 0, False)
    wide = SpaceProfile(20, 41, 0, 0, False)
    assert not many.prefers_gp() and not wide.prefers_gp()
    assert SpaceProfile(MAX_GP_TRIALS - 1, 40, 0, 0, False).prefers_gp()


def test_numeric_study_uses_the_gp_and_conditional_study_uses_tpe() -> None:
    sampler = AutoSampler(seed=0)
    numeric = hypersweep.create_study(sampler=sampler)
    numeric.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=3)
    assert isinstance(sampler.choose(numeric), GPSampler)

    conditional = hypersweep.create_study(sampler=AutoSampler(seed=0))

    def objective(trial: hypersweep.Trial) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_float("x", 0, 1)
        return trial.suggest_float("y", 0, 1)

    conditional.optimize(objective, n_trials=8)
    auto = conditional.sampler
    assert isinstance(auto, AutoSampler)
    assert isinstance(auto.choose(conditional), TPESampler)


@pytest.mark.parametrize(
    ("interval", "expected"), [(10, [9, 19]), (4, [3, 7, 11, 15, 19]), (None, [])]
)
def test_tpe_samples_one_trial_in_each_interval_while_the_gp_leads(
    interval: int | None, expected: list[int]
) -> None:
    sampler = AutoSampler(seed=0, tpe_interval=interval)
    by_tpe: list[int] = []
    tpe_before_trial = sampler._tpe.before_trial

    def spy(study: hypersweep.Study, trial: hypersweep.FrozenTrial) -> None:
        by_tpe.append(trial.number)
        tpe_before_trial(study, trial)

    sampler._tpe.before_trial = spy  # type: ignore[method-assign]
    study = hypersweep.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=20)

    assert by_tpe == expected
    assert isinstance(sampler.choose(study), GPSampler)  # the rule's choice is unchanged


@pytest.mark.parametrize("interval", [1, 0, 2.5, True])
def test_bad_tpe_interval(interval: object) -> None:
    with pytest.raises(ValueError, match=r"tpe_interval must be None or an integer >= 2, got "):
        AutoSampler(tpe_interval=interval)  # type: ignore[arg-type]


def test_switch_is_logged_and_history_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    study = hypersweep.create_study(sampler=AutoSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    with caplog.at_level(logging.INFO, logger="hypersweep"):
        # A new parameter appears: the space becomes conditional, so TPE takes over.
        study.optimize(
            lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("z", 0, 1), n_trials=3
        )
    assert "AutoSampler switches from GPSampler to TPESampler at trial 5" in caplog.text
    assert len(study.trials) == 7


def test_default_sampler_of_create_study() -> None:
    assert isinstance(hypersweep.create_study().sampler, AutoSampler)
