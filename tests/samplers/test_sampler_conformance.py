"""The sampler conformance suite: every public sampler must pass it.

Property-based (Hypothesis) checks that each value lies in its distribution and respects log,
step and integer rules, plus reproducibility under a seed, conditional parameters, parallel
workers, failed/pruned/diverged history, and that no global random generator is touched.
"""

from __future__ import annotations

from collections.abc import Callable
import math
import random

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import numpy as np
import pytest

import hypersweep
from hypersweep import samplers
from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.trial import TrialState

# How to build each public sampler for the suite. A sampler added to ``samplers.__all__`` without
# an entry here fails ``test_every_public_sampler_is_covered``.
FACTORIES: dict[str, Callable[[int | None], samplers.BaseSampler]] = {
    "RandomSampler": lambda seed: samplers.RandomSampler(seed=seed),
    "QMCSampler": lambda seed: samplers.QMCSampler(seed=seed),
    "TPESampler": lambda seed: samplers.TPESampler(seed=seed),  # type: ignore[attr-defined]
    "GPSampler": lambda seed: samplers.GPSampler(seed=seed),  # type: ignore[attr-defined]
    "AutoSampler": lambda seed: samplers.AutoSampler(seed=seed),  # type: ignore[attr-defined]
}
# Tested on its own in test_grid.py: it needs its grid up front.
NOT_GENERIC = {"BaseSampler", "Reservation", "GridSampler"}
PUBLIC = [name for name in samplers.__all__ if name not in NOT_GENERIC]

# Enough trials to get every model-based sampler past its start-up phase.
N_TRIALS = 14


def test_every_public_sampler_is_covered() -> None:
    assert set(PUBLIC) <= set(FACTORIES), f"add a factory for {set(PUBLIC) - set(FACTORIES)}"


@st.composite
def distributions(draw: st.DrawFn) -> BaseDistribution:
    kind = draw(st.sampled_from(["float", "log", "fstep", "int", "logint", "istep", "cat"]))
    if kind == "float":
        low = draw(st.floats(-1e3, 1e3))
        return FloatDistribution(low, low + draw(st.floats(1e-3, 1e3)))
    if kind == "log":
        low = draw(st.floats(1e-6, 1e2))
        return FloatDistribution(low, low * draw(st.floats(1.5, 1e4)), log=True)
    if kind == "fstep":
        low = draw(st.integers(-50, 50)) / 4
        return FloatDistribution(low, low + 0.25 * draw(st.integers(1, 40)), step=0.25)
    if kind == "int":
        low = draw(st.integers(-100, 100))
        return IntDistribution(low, low + draw(st.integers(1, 200)))
    if kind == "logint":
        low = draw(st.integers(1, 50))
        return IntDistribution(low, low + draw(st.integers(1, 2000)), log=True)
    if kind == "istep":
        low = draw(st.integers(-20, 20))
        step = draw(st.integers(2, 5))
        return IntDistribution(low, low + step * draw(st.integers(1, 10)), step=step)
    choices = draw(
        st.lists(
            st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3)),
            min_size=1,
            max_size=5,
            unique_by=lambda c: (type(c).__name__, c),
        )
    )
    return CategoricalDistribution(choices)


def _suggest(trial: hypersweep.Trial, name: str, distribution: BaseDistribution) -> object:
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    assert isinstance(distribution, FloatDistribution)
    return trial.suggest_float(
        name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
    )


def _check_value(value: object, distribution: BaseDistribution) -> None:
    if isinstance(distribution, CategoricalDistribution):
        assert distribution.index(value) is not None, (value, distribution)
        return
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    if isinstance(distribution, IntDistribution):
        assert isinstance(value, int) and not isinstance(value, bool), (value, distribution)
    assert isinstance(value, (int, float))
    assert distribution.low <= value <= distribution.high, (value, distribution)
    if distribution.step is not None:
        k = (value - distribution.low) / distribution.step
        assert abs(k - round(k)) < 1e-6, (value, distribution)


@pytest.mark.parametrize("name", PUBLIC)
@settings(max_examples=8)
@given(
    space=st.dictionaries(st.sampled_from("abcdef"), distributions(), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_values_lie_in_their_distributions(
    name: str, space: dict[str, BaseDistribution], seed: int
) -> None:
    study = hypersweep.create_study(sampler=FACTORIES[name](seed))

    def objective(trial: hypersweep.Trial) -> float:
        total = 0.0
        for param, distribution in space.items():
            value = _suggest(trial, param, distribution)
            _check_value(value, distribution)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total += float(value)
        return total

    study.optimize(objective, n_trials=N_TRIALS)
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        for param, distribution in space.items():
            _check_value(trial.params[param], distribution)


def _conditional(trial: hypersweep.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    value = (math.log10(lr) + 3) ** 2 + 0.1 * layers
    if optimizer == "sgd":
        momentum = trial.suggest_float("momentum", 0.0, 0.99)
        value += (momentum - 0.9) ** 2
    else:
        beta = trial.suggest_float("beta", 0.8, 0.999, step=0.001)
        value += (beta - 0.95) ** 2 + 0.05
    return value


@pytest.mark.parametrize("name", PUBLIC)
def test_same_seed_gives_same_trials(name: str) -> None:
    def run() -> list[dict[str, object]]:
        study = hypersweep.create_study(sampler=FACTORIES[name](7))
        study.optimize(_conditional, n_trials=N_TRIALS + 4)
        return [dict(t.params) for t in study.trials]

    assert run() == run()


@pytest.mark.parametrize("name", PUBLIC)
def test_conditional_parameters(name: str) -> None:
    study = hypersweep.create_study(sampler=FACTORIES[name](3))
    study.optimize(_conditional, n_trials=N_TRIALS + 6)
    branches = {t.params["optimizer"] for t in study.trials}
    assert branches == {"adam", "sgd"}
    for trial in study.trials:
        assert ("momentum" in trial.params) == (trial.params["optimizer"] == "sgd")
        assert ("beta" in trial.params) == (trial.params["optimizer"] == "adam")


@pytest.mark.parametrize("name", PUBLIC)
def test_parallel_workers(name: str) -> None:
    study = hypersweep.create_study(sampler=FACTORIES[name](5))
    study.optimize(_conditional, n_trials=N_TRIALS + 6, n_jobs=3)
    assert len(study.trials) == N_TRIALS + 6
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("name", PUBLIC)
def test_history_with_failed_pruned_and_diverged_trials(name: str) -> None:
    study = hypersweep.create_study(sampler=FACTORIES[name](11), direction="maximize")

    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        n = trial.suggest_int("n", 1, 5)
        trial.report(x, 0)
        if trial.number % 5 == 1:
            raise hypersweep.TrialPruned()
        if trial.number % 5 == 2:
            raise RuntimeError("crash")
        if trial.number % 5 == 3:
            return math.nan
        return -(x**2) - n

    study.optimize(objective, n_trials=N_TRIALS + 6, catch=(RuntimeError,))
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}


@pytest.mark.parametrize("name", PUBLIC)
def test_global_random_generators_are_untouched(name: str) -> None:
    random.seed(123)
    np.random.seed(123)
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    study = hypersweep.create_study(sampler=FACTORIES[name](1))
    study.optimize(_conditional, n_trials=N_TRIALS + 2)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
