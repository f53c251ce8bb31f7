"""Tests of the tree-structured Parzen estimator sampler."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest

import hypersweep
from hypersweep import TrialPruned
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.samplers import RandomSampler
from hypersweep.samplers import TPESampler
from hypersweep.samplers._tpe import _sampler
from hypersweep.samplers._tpe._history import History
from hypersweep.samplers._tpe._parzen import Dimension
from hypersweep.samplers._tpe._parzen import ParzenEstimator
from hypersweep.samplers._tpe._split import TIER_COMPLETE
from hypersweep.samplers._tpe._split import TIER_DIVERGED
from hypersweep.samplers._tpe._split import TIER_PRUNED
from hypersweep.samplers._tpe._split import default_gamma
from hypersweep.samplers._tpe._split import rank
from hypersweep.trial import TrialState
from hypersweep.trial import create_trial


def _study(sampler: hypersweep.samplers.BaseSampler, direction: str = "minimize") -> Any:
    return hypersweep.create_study(sampler=sampler, direction=direction)


def _xs(study: Any, name: str = "x", start: int = 0) -> np.ndarray:
    return np.array([t.params[name] for t in study.trials[start:] if name in t.params])


# --- The estimator -------------------------------------------------------------------------


def test_parzen_estimator_is_a_probability_distribution() -> None:
    rng = np.random.default_rng(0)
    dimensions = [
        Dimension.of(FloatDistribution(0, 1)),
        Dimension.of(IntDistribution(1, 20, log=True)),
        Dimension.of(CategoricalDistribution(["a", "b", "c"])),
        Dimension.of(FloatDistribution(-1, 1, step=0.5)),
    ]
    centres = np.column_stack(
        [
            rng.random(7),
            dimensions[1].encode(rng.integers(1, 21, 7).astype(float)),
            rng.integers(0, 3, 7),
            dimensions[3].encode(rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], 7)),
        ]
    )
    estimator = ParzenEstimator(dimensions, centres, rng.random(7), 1.0, 0.03)

    # Sum the mass over every grid value and choice, integrating the continuous column.
    xs = (np.arange(1000) + 0.5) / 1000
    ks = dimensions[1].encode(np.arange(1.0, 21.0))
    steps = dimensions[3].encode(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]))
    grid = np.meshgrid(xs, ks, np.arange(3.0), steps, indexing="ij")
    points = np.column_stack([axis.reshape(-1) for axis in grid])
    total = float(np.exp(estimator.log_pdf(points)).sum()) / xs.size
    assert total == pytest.approx(1.0, abs=1e-4)

    samples = estimator.sample(rng, 200)
    assert np.all(np.isfinite(estimator.log_pdf(samples)))
    assert set(np.unique(samples[:, 2])) <= {0.0, 1.0, 2.0}


def test_rank_orders_complete_then_pruned_by_depth_then_diverged() -> None:
    tier = np.array([TIER_PRUNED, TIER_COMPLETE, TIER_DIVERGED, TIER_PRUNED, TIER_COMPLETE])
    step = np.array([3.0, 0.0, 0.0, 7.0, 0.0])
    value = np.array([0.1, 5.0, math.inf, 9.0, 2.0])
    number = np.arange(5.0)
    assert rank(tier, step, value, number).tolist() == [4, 1, 3, 0, 2]


def test_default_gamma_is_a_capped_linear_split() -> None:
    assert [default_gamma(n) for n in (1, 10, 20, 100, 1000)] == [1, 2, 3, 15, 25]


def test_groups_separate_conditional_branches() -> None:
    history = History(1.0)
    spaces = [
        {"branch": CategoricalDistribution(["a", "b"]), "x": FloatDistribution(0, 1)},
        {"branch": CategoricalDistribution(["a", "b"]), "y": FloatDistribution(0, 1)},
        {
            "branch": CategoricalDistribution(["a", "b"]),
            "y": FloatDistribution(0, 1),
            "z": IntDistribution(0, 3),
        },
    ]
    values = [
        {"branch": "a", "x": 0.5},
        {"branch": "b", "y": 0.5},
        {"branch": "b", "y": 0.1, "z": 1},
    ]
    for number, (space, params) in enumerate(zip(spaces, values, strict=True)):
        history.add(create_trial(value=1.0, params=params, distributions=space), float(number))
    assert history.groups() == [["branch"], ["x"], ["y"], ["z"]]
    assert history.intersection() == ["branch"]
    column = history.column("y", FloatDistribution(0, 1))
    assert np.isnan(column[0]) and column[1:].tolist() == [0.5, 0.1]


# --- Values and spaces -----------------------------------------------------------------------


def _every_kind(trial: Any) -> float:
    x = trial.suggest_float("x", -3.0, 2.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", -4, 9)
    k = trial.suggest_int("k", 1, 300, log=True)
    s = trial.suggest_int("s", 0, 12, step=3)
    c = trial.suggest_categorical("c", ["relu", None, 3, 0.5, True])
    return x**2 + abs(math.log10(lr) + 3) + q + abs(n) + k / 100 + s + (c is None)


def test_values_lie_in_their_distributions() -> None:
    study = _study(TPESampler(seed=1, n_startup_trials=5))
    study.optimize(_every_kind, n_trials=40)
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        for name, value in trial.params.items():
            distribution = trial.distributions[name]
            assert distribution.contains(distribution.to_internal_repr(value)), (name, value)
        assert isinstance(trial.params["n"], int) and isinstance(trial.params["k"], int)
        assert trial.params["s"] % 3 == 0
        assert trial.params["q"] in (0.0, 0.25, 0.5, 0.75, 1.0)


def _branches(trial: Any) -> float:
    if trial.suggest_categorical("model", ["linear", "tree"]) == "linear":
        x = trial.suggest_float("x", 0.0, 1.0)
        return 0.5 + (x - 0.2) ** 2
    depth = trial.suggest_int("depth", 1, 16)
    rate = trial.suggest_float("rate", 1e-4, 1.0, log=True)
    return (depth - 11) ** 2 / 25 + (math.log10(rate) + 2) ** 2 / 4


def test_conditional_branches_get_their_own_models() -> None:
    study = _study(TPESampler(seed=3))
    study.optimize(_branches, n_trials=80)
    late = study.trials[40:]
    assert sum(t.params["model"] == "tree" for t in late) >= 30
    tree = [t for t in late if t.params["model"] == "tree"]
    assert set(tree[0].params) == {"model", "depth", "rate"}
    assert np.median([t.params["depth"] for t in tree]) == pytest.approx(11, abs=2)
    assert study.best_value < 0.2
    linear = [t for t in study.trials if t.params["model"] == "linear"]
    assert all(set(t.params) == {"model", "x"} for t in linear)


def test_a_parameter_with_a_new_distribution_is_sampled_from_compatible_history() -> None:
    def objective(trial: Any) -> float:
        high = 1.0 if trial.number < 20 else 2.0
        x = trial.suggest_float("x", 0.0, high)
        return (x - 0.4) ** 2

    study = _study(TPESampler(seed=0))
    study.optimize(objective, n_trials=40)
    widened = _xs(study, start=20)
    assert np.all((widened >= 0) & (widened <= 2))
    assert np.median(np.abs(widened - 0.4)) < 0.2


def test_same_seed_gives_same_trials() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        study = _study(TPESampler(seed=seed))
        study.optimize(_every_kind, n_trials=25)
        study.optimize(_branches, n_trials=5)
        return [dict(t.params) for t in study.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_reseed_rng_changes_the_stream() -> None:
    sampler = TPESampler(seed=0)
    before = sampler._rng.random()
    sampler = TPESampler(seed=0)
    sampler.reseed_rng()
    assert sampler._rng.random() != before


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_both_directions_find_the_optimum(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    study = _study(TPESampler(seed=2), direction)
    study.optimize(lambda t: sign * (t.suggest_float("x", -5.0, 5.0) - 1.5) ** 2, n_trials=40)
    assert abs(study.best_params["x"] - 1.5) < 0.2
    assert np.median(np.abs(_xs(study, start=25) - 1.5)) < 0.5


# --- Quality ---------------------------------------------------------------------------------


def _quadratic(trial: Any) -> float:
    return sum((trial.suggest_float(f"x{i}", -5.0, 5.0) - 1.0) ** 2 for i in range(4))


def _categorical(trial: Any) -> float:
    cost = {"a": 3.0, "b": 1.0, "c": 0.0, "d": 2.0, "e": 4.0, "f": 2.5}
    total = 0.0
    for i in range(4):
        total += cost[trial.suggest_categorical(f"c{i}", list(cost))]
    return total + 0.5 * abs(trial.suggest_int("k", 0, 20) - 13)


@pytest.mark.parametrize("objective", [_quadratic, _categorical])
def test_beats_random_search(objective: Any) -> None:
    tpe, random = [], []
    for seed in range(3):
        study = _study(TPESampler(seed=seed))
        study.optimize(objective, n_trials=60)
        tpe.append(study.best_value)
        study = _study(RandomSampler(seed=seed))
        study.optimize(objective, n_trials=60)
        random.append(study.best_value)
    assert np.mean(tpe) < 0.5 * np.mean(random)


# --- History rules ---------------------------------------------------------------------------


def test_diverged_trials_push_the_search_away() -> None:
    # x only matters through divergence: finished trials all have x <= 0.5.
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        return math.inf if x > 0.5 else (y - 0.5) ** 2

    shares = []
    for seed in range(3):
        study = _study(TPESampler(seed=seed))
        study.optimize(objective, n_trials=60)
        diverged = study.get_trials(states=(TrialState.FAIL,))
        assert diverged and all(t.value == math.inf for t in diverged)
        shares.append(np.mean(_xs(study, start=30) <= 0.5))
    assert np.mean(shares) >= 0.8


def test_pruned_trials_count_as_evidence() -> None:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        y = trial.suggest_float("y", 0.0, 1.0)
        trial.report(10.0, 0)
        if x > 0.5:
            raise TrialPruned()
        return (y - 0.5) ** 2

    study = _study(TPESampler(seed=5))
    study.optimize(objective, n_trials=60)
    assert study.get_trials(states=(TrialState.PRUNED,))
    assert np.mean(_xs(study, start=30) <= 0.5) >= 0.8


def test_pruned_trials_fill_the_good_set_deepest_first() -> None:
    # Only pruned trials: the ones that got furthest (x near 0.8) define l(x).
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(int(10 - 10 * abs(x - 0.8))):
            trial.report(1.0, step)
        raise TrialPruned()

    study = _study(TPESampler(seed=6))
    study.optimize(objective, n_trials=50)
    assert np.median(np.abs(_xs(study, start=25) - 0.8)) < 0.15


def _batch_spread(constant_liar: bool, seed: int) -> float:
    """Median pairwise distance of 8 trials asked at once (all RUNNING) after 20 finished."""

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        return (x - 0.3) ** 2 + (trial.suggest_float("y", 0.0, 1.0) - 0.6) ** 2

    study = _study(TPESampler(seed=seed, constant_liar=constant_liar))
    study.optimize(objective, n_trials=20)
    points = []
    for _ in range(8):
        trial = study.ask()
        points.append((trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)))
    assert len(study.get_trials(states=(TrialState.RUNNING,))) == 8
    batch = np.array(points)
    distances = np.sqrt(((batch[:, None] - batch[None]) ** 2).sum(axis=-1))
    return float(np.median(distances[np.triu_indices(8, 1)]))


def test_running_trials_repel_new_samples() -> None:
    # The constant liar puts running trials into g, so a batch of parallel trials spreads out.
    with_liar = np.mean([_batch_spread(True, seed) for seed in range(3)])
    without_liar = np.mean([_batch_spread(False, seed) for seed in range(3)])
    assert with_liar > 1.3 * without_liar


def test_enqueued_trials_are_observations() -> None:
    study = _study(TPESampler(seed=8, n_startup_trials=3))
    study.enqueue_trial({"x": 0.71})
    study.optimize(lambda t: abs(t.suggest_float("x", 0.0, 1.0) - 0.71), n_trials=30)
    assert study.trials[0].params["x"] == 0.71
    assert np.median(np.abs(_xs(study, start=10) - 0.71)) < 0.1


def test_warm_start_uses_earlier_trials() -> None:
    def objective(trial: Any) -> float:
        return (trial.suggest_float("x", 0.0, 1.0) - 0.3) ** 2

    old = _study(TPESampler(seed=9))
    old.optimize(objective, n_trials=40)
    # A trial outside the new range does not count.
    outside = create_trial(
        value=-1.0, params={"x": 5.0}, distributions={"x": FloatDistribution(0, 10)}
    )
    warm = [*old.trials, outside]

    study = _study(TPESampler(seed=10, warm_start_trials=warm))
    study.optimize(objective, n_trials=8)
    assert np.median(np.abs(_xs(study) - 0.3)) < 0.1
    cold = _study(TPESampler(seed=10))
    cold.optimize(objective, n_trials=8)
    assert np.median(np.abs(_xs(cold) - 0.3)) > np.median(np.abs(_xs(study) - 0.3))


def test_a_sampler_follows_the_study_it_is_used_with() -> None:
    sampler = TPESampler(seed=11)
    first = _study(sampler)
    first.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=15)
    second = _study(sampler, "maximize")
    second.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=30)
    assert np.median(_xs(second, start=15)) > 0.6


# --- Arguments and documentation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_startup_trials": -1}, ValueError, r"n_startup_trials must be an integer >= 0"),
        ({"n_ei_candidates": 0}, ValueError, r"n_ei_candidates must be an integer >= 1"),
        ({"n_ei_candidates": 2.5}, ValueError, r"n_ei_candidates must be an integer >= 1"),
        ({"weights": "linear"}, ValueError, r"weights must be 'ei' or 'uniform'"),
        ({"prior_weight": 0.0}, ValueError, r"prior_weight must be a finite number > 0"),
        ({"min_bandwidth": 0.0}, ValueError, r"min_bandwidth must be in \(0, 1\]"),
        ({"min_bandwidth": 2.0}, ValueError, r"min_bandwidth must be in \(0, 1\]"),
        ({"gamma": 0.25}, TypeError, r"gamma must be a function"),
        ({"warm_start_trials": [{"x": 1}]}, TypeError, r"warm_start_trials must hold FrozenTrial"),
    ],
)
def test_invalid_arguments_are_rejected(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        TPESampler(**kwargs)


def test_docstring_example_runs() -> None:
    result = doctest.testmod(_sampler, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0
