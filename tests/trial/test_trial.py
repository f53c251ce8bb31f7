from __future__ import annotations

import math

import pytest

import hypersweep
from hypersweep.distributions import FloatDistribution
from hypersweep.trial import TrialState


def _study() -> hypersweep.Study:
    return hypersweep.create_study(sampler=hypersweep.samplers.RandomSampler(seed=0))


def test_suggest_same_name_returns_same_value() -> None:
    trial = _study().ask()
    first = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    assert trial.suggest_float("lr", 1e-5, 1e-1, log=True) == first
    n = trial.suggest_int("n", 1, 8)
    assert trial.suggest_int("n", 1, 8) == n
    c = trial.suggest_categorical("c", ["a", "b"])
    assert trial.suggest_categorical("c", ["a", "b"]) == c


def test_suggest_same_name_with_other_range_is_an_error() -> None:
    trial = _study().ask()
    trial.suggest_float("lr", 0.0, 1.0)
    with pytest.raises(ValueError, match=r"parameter 'lr' was already suggested in this trial"):
        trial.suggest_float("lr", 0.0, 2.0)
    trial.suggest_categorical("c", ["a", "b"])
    with pytest.raises(ValueError, match=r"parameter 'c' was already suggested"):
        trial.suggest_categorical("c", ["a", "b", "c"])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda t: t.suggest_float("lr", 1.0, 0.0), r"parameter 'lr': low must be <= high"),
        (lambda t: t.suggest_float("lr", 0.0, 1.0, log=True), r"parameter 'lr': log scale needs"),
        (
            lambda t: t.suggest_float("lr", 1e-3, 1.0, log=True, step=0.1),
            r"'lr': log scale and step",
        ),
        (
            lambda t: t.suggest_float("lr", 0.0, 1.0, step=0.3),
            r"'lr': high - low must be a multiple",
        ),
        (lambda t: t.suggest_float("lr", math.nan, 1.0), r"'lr': low must be finite"),
        (lambda t: t.suggest_int("n", 0, math.inf), r"'n': high must be finite"),
        (lambda t: t.suggest_int("n", 4, 1), r"parameter 'n': low must be <= high"),
        (lambda t: t.suggest_categorical("c", []), r"parameter 'c': choices must not be empty"),
    ],
)
def test_bad_suggestions_raise_value_errors_naming_the_parameter(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(_study().ask())


def test_unhashable_choices_raise() -> None:
    with pytest.raises(TypeError, match=r"parameter 'c': each choice must be"):
        _study().ask().suggest_categorical("c", [[1], [2]])


def test_values_respect_distributions() -> None:
    study = _study()
    for _ in range(200):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0, step=0.25)
        assert x in (0.0, 0.25, 0.5, 0.75, 1.0)
        n = trial.suggest_int("n", 2, 20, step=3)
        assert n in range(2, 21, 3) and isinstance(n, int)
        k = trial.suggest_int("k", 1, 1000, log=True)
        assert 1 <= k <= 1000
        y = trial.suggest_float("y", 1e-5, 1e-1, log=True)
        assert 1e-5 <= y <= 1e-1
        study.tell(trial, 0.0)


def test_single_value_distribution_is_not_sampled() -> None:
    trial = _study().ask()
    assert trial.suggest_float("x", 2.0, 2.0) == 2.0
    assert trial.suggest_int("n", 5, 5) == 5
    assert trial.suggest_categorical("c", ["only"]) == "only"


def test_report_validates_and_keeps_first_value(caplog: pytest.LogCaptureFixture) -> None:
    study = _study()
    trial = study.ask()
    trial.report(1.5, 0)
    trial.report(1.0, 1)
    with caplog.at_level("WARNING", logger="hypersweep"):
        trial.report(99.0, 1)
    assert "already reported step 1" in caplog.text
    assert trial.intermediate_values == {0: 1.5, 1: 1.0}
    with pytest.raises(ValueError, match=r"report\(\) needs step >= 0, got step=-1"):
        trial.report(1.0, -1)
    with pytest.raises(TypeError, match=r"report\(\) needs a number as value, got 'x'"):
        trial.report("x", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"report\(\) needs an integer step, got 1.5"):
        trial.report(1.0, 1.5)  # type: ignore[arg-type]
    frozen = study.tell(trial, 0.5)
    assert dict(frozen.intermediate_values) == {0: 1.5, 1: 1.0}


def test_user_attrs_are_stored() -> None:
    study = _study()
    trial = study.ask()
    trial.set_user_attr("note", {"a": 1})
    assert trial.user_attrs == {"note": {"a": 1}}
    frozen = study.tell(trial, 1.0)
    assert frozen.user_attrs["note"] == {"a": 1}


def test_frozen_trial_is_immutable() -> None:
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    frozen = study.trials[0]
    with pytest.raises(AttributeError, match=r"cannot assign to field|frozen"):
        frozen.value = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        frozen.params["x"] = 3.0  # type: ignore[index]
    assert frozen.state == TrialState.COMPLETE
    assert frozen.duration is not None and frozen.duration.total_seconds() >= 0


def test_create_trial_validates() -> None:
    space = {"x": FloatDistribution(0, 1)}
    with pytest.raises(ValueError, match=r"parameter 'x': value 2.0 is outside its distribution"):
        hypersweep.create_trial(value=1.0, params={"x": 2.0}, distributions=space)
    with pytest.raises(ValueError, match=r"params and distributions must name the same"):
        hypersweep.create_trial(value=1.0, params={"x": 0.5}, distributions={})
    with pytest.raises(ValueError, match=r"a COMPLETE trial needs a finite value, got value=None"):
        hypersweep.create_trial(params={"x": 0.5}, distributions=space)
    with pytest.raises(ValueError, match=r"a PRUNED trial takes no value"):
        hypersweep.create_trial(state=TrialState.PRUNED, value=1.0)
