"""Tests of the Gaussian-process sampler and its parts."""

from __future__ import annotations

import doctest
import math
from typing import Any

import numpy as np
import pytest
import scipy.stats

import hypersweep
from hypersweep import TrialPruned
from hypersweep.bench._problems import branin
from hypersweep.bench._problems import hartmann6
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.samplers import GPSampler
from hypersweep.samplers import RandomSampler
from hypersweep.samplers._gp import _sampler
from hypersweep.samplers._gp._acquisition import log_ei
from hypersweep.samplers._gp._acquisition import log_ei_with_grad
from hypersweep.samplers._gp._acquisition import log_h
from hypersweep.samplers._gp._kernel import cross_kernel
from hypersweep.samplers._gp._kernel import kernel_from_deltas
from hypersweep.samplers._gp._kernel import pairwise_deltas
from hypersweep.samplers._gp._model import GaussianProcess
from hypersweep.samplers._gp._model import default_theta
from hypersweep.samplers._gp._model import fit_theta
from hypersweep.samplers._gp._model import neg_log_posterior
from hypersweep.samplers._gp._transform import SpaceEncoding
from hypersweep.samplers._gp._transform import build_targets
from hypersweep.samplers._gp._transform import warp_targets
from hypersweep.trial import TrialState
from hypersweep.trial import create_trial


def _finite_difference(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def _branin_objective(trial: hypersweep.Trial) -> float:
    return branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))


def _hartmann_objective(trial: hypersweep.Trial) -> float:
    return hartmann6([trial.suggest_float(f"x{i}", 0, 1) for i in range(6)])


def _best(sampler: hypersweep.samplers.BaseSampler, objective: Any, n_trials: int) -> float:
    study = hypersweep.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return study.best_value


# --- Kernel, likelihood and acquisition: values and gradients ------------------------------


def test_kernel_is_matern52_with_hamming_distance() -> None:
    a = np.array([[0.1, 0.0], [0.7, 2.0]])
    b = np.array([[0.4, 0.0], [0.1, 1.0]])
    is_categorical = np.array([False, True])
    lengthscales = np.array([0.5, 2.0])
    k, _ = cross_kernel(a, b, lengthscales, 1.5, is_categorical)
    for i in range(2):
        for j in range(2):
            r2 = ((a[i, 0] - b[j, 0]) / 0.5) ** 2 + float(a[i, 1] != b[j, 1]) / 4.0
            r = math.sqrt(r2)
            expected = 1.5 * (1 + math.sqrt(5) * r + 5 * r2 / 3) * math.exp(-math.sqrt(5) * r)
            assert k[i, j] == pytest.approx(expected, rel=1e-12)
    deltas = pairwise_deltas(a, b, is_categorical)
    k2, _ = kernel_from_deltas(deltas, lengthscales, 1.5)
    np.testing.assert_allclose(k, k2, rtol=1e-12)


def test_kernel_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    r2 = rng.random(5) * 3

    def k_of(r2_values: np.ndarray) -> np.ndarray:
        return kernel_from_deltas(r2_values[None, None, :], np.ones(1), 0.8)[0][0]

    _, dk = kernel_from_deltas(r2[None, None, :], np.ones(1), 0.8)
    numeric = np.array([_finite_difference(lambda v, i=i: k_of(v)[i], r2)[i] for i in range(5)])
    np.testing.assert_allclose(dk[0], numeric, rtol=1e-5)


def test_marginal_likelihood_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.random(12), rng.random(12), rng.integers(0, 3, 12)])
    y = rng.standard_normal(12)
    deltas = pairwise_deltas(x, x, np.array([False, False, True]))
    theta = np.array([-1.0, 0.3, 0.1, 0.2, -3.0])
    _, grad = neg_log_posterior(theta, deltas, y)
    numeric = _finite_difference(lambda t: neg_log_posterior(t, deltas, y)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_posterior_gradient_and_log_ei_gradient_match_finite_differences() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((15, 3))
    y = np.sin(6 * x).sum(axis=1)
    y = (y - y.mean()) / y.std()
    gp = GaussianProcess(np.array([-1.2, -0.8, -1.0, 0.0, -5.0]), np.zeros(3, dtype=bool))
    gp.add_points(x)
    gp.set_targets(y)
    query = rng.random((4, 3))
    best = float(y.min())
    mean, var, d_mean, d_var = gp.predict_with_grad(query)
    value, grad = log_ei_with_grad(mean, var, d_mean, d_var, best)
    np.testing.assert_allclose(value, log_ei(*gp.predict(query), best))
    for row in range(4):

        def f(point: np.ndarray, row: int = row) -> float:
            return float(log_ei(*gp.predict(point[None, :]), best)[0])

        np.testing.assert_allclose(grad[row], _finite_difference(f, query[row]), rtol=1e-4)
        np.testing.assert_allclose(
            d_mean[row], _finite_difference(lambda p: gp.predict(p[None, :])[0][0], query[row])
        )


def test_log_ei_matches_closed_form_and_stays_finite_and_monotone_far_below() -> None:
    z = np.linspace(-3, 5, 50)
    expected = np.log(scipy.stats.norm.pdf(z) + z * scipy.stats.norm.cdf(z))
    np.testing.assert_allclose(log_h(z), expected, rtol=1e-10)

    far = -np.array([1.0, 5.0, 20.0, 40.0, 100.0, 1e4, 1e7, 1e9])
    values = log_h(far)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)
    # h(z) ~ phi(z) / z^2 as z -> -inf.
    assert values[3] == pytest.approx(
        -0.5 * 40**2 - 0.5 * math.log(2 * math.pi) - 2 * math.log(40), abs=2e-3
    )

    # The gradient stays finite and points towards improvement for z = -40.
    mean = np.array([40.0])
    value, grad = log_ei_with_grad(
        mean, np.array([1.0]), np.array([[1.0]]), np.array([[0.0]]), 0.0
    )
    assert np.isfinite(value[0]) and np.isfinite(grad[0, 0]) and grad[0, 0] < 0
    assert grad[0, 0] == pytest.approx(-40.0, rel=0.01)


def test_log_h_is_continuous_at_the_branch_points() -> None:
    for z in (-1.0, -1.0 / math.sqrt(np.finfo(float).eps)):
        below, above = log_h(np.array([z - 1e-9 * abs(z), z + 1e-9 * abs(z)]))
        assert below == pytest.approx(above, rel=1e-6)


def test_hyperparameter_fit_finds_the_relevant_dimension() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((40, 3))
    y = np.sin(8 * x[:, 0])
    y = (y - y.mean()) / y.std()
    theta = fit_theta(x, y, np.zeros(3, dtype=bool), [default_theta(3, True)], True, 100)
    lengthscales = np.exp(theta[:3])
    assert lengthscales[0] < 0.5 < min(lengthscales[1], lengthscales[2])


def test_incremental_cholesky_equals_a_full_factorization() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((20, 2))
    y = rng.standard_normal(20)
    theta = np.array([-1.0, -0.5, 0.0, -4.0])
    full = GaussianProcess(theta, np.zeros(2, dtype=bool))
    full.add_points(x)
    full.set_targets(y)
    grown = GaussianProcess(theta, np.zeros(2, dtype=bool))
    grown.add_points(x[:7])
    grown.add_points(x[7:15])
    grown.truncate(12)
    grown.add_points(x[12:])
    grown.set_targets(y)
    query = rng.random((5, 2))
    for a, b in zip(full.predict(query), grown.predict(query), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


# --- Target transforms ---------------------------------------------------------------------


def test_power_transform_removes_skew_and_keeps_order() -> None:
    rng = np.random.default_rng(5)
    y = np.exp(2 * rng.standard_normal(60))
    warped = warp_targets(y)
    assert abs(scipy.stats.skew(warped)) < 0.3 < abs(scipy.stats.skew(y))
    assert np.array_equal(np.argsort(warped), np.argsort(y))
    assert warped.mean() == pytest.approx(0, abs=1e-12)
    assert warped.std() == pytest.approx(1)
    assert np.array_equal(warp_targets(np.full(5, 3.0)), np.zeros(5))


def test_prior_mean_sits_at_the_worst_completed_value() -> None:
    rng = np.random.default_rng(8)
    completed = rng.standard_normal(40)
    targets = build_targets(completed, np.arange(5.0), 2)

    assert targets[:40].max() == pytest.approx(0.0, abs=1e-12)
    assert targets[40:].min() > 0.0  # pruned and diverged trials: worse than the prior mean
    assert np.array_equal(np.argsort(targets[:40]), np.argsort(completed))
    assert targets.std() == pytest.approx(1.0)


def test_late_suggestions_do_not_chase_the_corners() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])
        return float(np.log1p(50.0 * ((x - 0.35) ** 2).sum()))  # a bowl, optimum inside

    for seed in range(2):
        study = hypersweep.create_study(sampler=GPSampler(seed=seed))
        study.optimize(objective, n_trials=40)

        # With the prior mean at the average value, 10-25% of these trials went to a corner.
        cornered = [
            np.mean([v < 0.02 or v > 0.98 for v in t.params.values()]) >= 0.5
            for t in study.trials[20:]
        ]
        assert sum(cornered) <= 1


def test_imputed_targets_are_worse_than_completed_and_keep_pruned_rank() -> None:
    targets = build_targets(np.array([1.0, 3.0, 2.0]), np.array([1.0, 0.0]), 1)
    completed, pruned, diverged = targets[:3], targets[3:5], targets[5]
    assert pruned.min() > completed.max()
    assert pruned[1] < pruned[0]
    assert diverged > pruned.max()


# --- Encoding ------------------------------------------------------------------------------


def test_encoding_round_trips_every_kind_of_distribution() -> None:
    space = {
        "a": FloatDistribution(0.0, 1.0),
        "b": FloatDistribution(1e-4, 1.0, log=True),
        "c": FloatDistribution(0.0, 1.0, step=0.25),
        "d": IntDistribution(-3, 5),
        "e": IntDistribution(1, 1000, log=True),
        "f": CategoricalDistribution(["x", "y", "z"]),
    }
    encoding = SpaceEncoding(space)
    internal = {"a": 0.3, "b": 1e-3, "c": 0.75, "d": 2.0, "e": 17.0, "f": 2.0}
    point = encoding.encode(internal)
    assert encoding.decode(point) == pytest.approx(internal)
    snapped = encoding.snap(point[None, :].copy())[0]
    np.testing.assert_allclose(snapped, point)
    assert list(encoding.n_values) == [0, 0, 5, 9, 0, 3]


# --- The sampler ---------------------------------------------------------------------------


def test_values_lie_inside_their_distributions() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        a = trial.suggest_float("a", -2, 2)
        b = trial.suggest_float("b", 1e-5, 1e-1, log=True)
        c = trial.suggest_float("c", 0, 1, step=0.1)
        d = trial.suggest_int("d", 1, 9, step=2)
        e = trial.suggest_int("e", 1, 256, log=True)
        f = trial.suggest_categorical("f", ["relu", "tanh", None])
        assert -2 <= a <= 2 and 1e-5 <= b <= 1e-1
        assert round(c * 10) == pytest.approx(c * 10) and 0 <= c <= 1
        assert d in (1, 3, 5, 7, 9) and isinstance(d, int)
        assert 1 <= e <= 256 and isinstance(e, int)
        assert f in ("relu", "tanh", None)
        return a**2 + math.log10(b) ** 2 / 10 + c + d / 9 + math.log(e) / 5 + (f is None)

    study = hypersweep.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(objective, n_trials=14)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_same_seed_gives_the_same_trials() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        study = hypersweep.create_study(sampler=GPSampler(seed=seed))
        study.optimize(_branin_objective, n_trials=12)
        return [t.params for t in study.trials]

    assert params(3) == params(3)
    assert params(3) != params(4)


def test_beats_random_search_on_branin() -> None:
    seeds = range(3)
    gp = [_best(GPSampler(seed=s), _branin_objective, 30) for s in seeds]
    rs = [_best(RandomSampler(seed=s), _branin_objective, 30) for s in seeds]
    assert max(gp) < 0.6  # the optimum is 0.398
    assert np.mean(gp) < np.mean(rs)


@pytest.mark.slow
def test_beats_random_search_on_hartmann6() -> None:
    seeds = range(2)
    gp = [_best(GPSampler(seed=s), _hartmann_objective, 40) for s in seeds]
    rs = [_best(RandomSampler(seed=s), _hartmann_objective, 40) for s in seeds]
    assert np.mean(gp) < -2.5  # the optimum is -3.32
    assert np.mean(gp) < np.mean(rs) - 0.3


def test_integer_and_categorical_points_are_not_repeated() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        k = trial.suggest_int("k", 0, 5)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return (k - 3) ** 2 + {"a": 1.0, "b": 0.0, "c": 2.0}[c]

    study = hypersweep.create_study(sampler=GPSampler(seed=0, deterministic_objective=True))
    study.optimize(objective, n_trials=14)
    seen = [(t.params["k"], t.params["c"]) for t in study.trials]
    assert len(set(seen)) == len(seen)  # 18 cells, 14 trials: never a repeat
    assert study.best_value == 0.0


def test_pruned_trials_are_used_as_evidence() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if x > 0.5:
            trial.report(5.0, 0)
            raise TrialPruned()
        return (x - 0.5) ** 2

    study = hypersweep.create_study(sampler=GPSampler(seed=1, n_startup_trials=6))
    study.optimize(objective, n_trials=26)
    later = [t.params["x"] for t in study.trials[6:]]
    assert sum(x > 0.5 for x in later) <= 4  # the pruned half is avoided
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned  # and it was visited


def test_pruned_trials_are_ranked_by_depth_then_value() -> None:
    deep = create_trial(state=TrialState.PRUNED, intermediate_values={0: 9.0, 3: 5.0})
    shallow_good = create_trial(state=TrialState.PRUNED, intermediate_values={0: 0.1})
    shallow_bad = create_trial(state=TrialState.PRUNED, intermediate_values={0: 2.0})
    silent = create_trial(state=TrialState.PRUNED)
    keys = [_sampler._pruned_rank_key(t, 1.0) for t in (silent, shallow_bad, deep, shallow_good)]
    assert sorted(range(4), key=keys.__getitem__) == [2, 3, 1, 0]


def test_diverged_trials_are_avoided() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        return math.nan if x < 0.4 else (x - 0.7) ** 2

    study = hypersweep.create_study(sampler=GPSampler(seed=2, n_startup_trials=6))
    study.optimize(objective, n_trials=24)
    later = [t for t in study.trials[6:]]
    assert sum(t.state == TrialState.FAIL for t in later) <= 4
    assert study.best_value < 1e-3


def test_running_trials_are_avoided() -> None:
    study = hypersweep.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
    for _ in range(8):
        trial = study.ask(space)
        study.tell(trial, (trial.params["x"] - 0.3) ** 2 + (trial.params["y"] - 0.6) ** 2)
    running = [study.ask(space) for _ in range(3)]
    points = np.array([[t.params["x"], t.params["y"]] for t in running])
    distances = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    assert distances[np.triu_indices(3, 1)].min() > 1e-3


def test_enqueued_trials_and_warm_start_are_observations() -> None:
    earlier = hypersweep.create_study(sampler=RandomSampler(seed=0))
    earlier.optimize(_branin_objective, n_trials=20)

    sampler = GPSampler(seed=0, warm_start_trials=earlier.trials)
    study = hypersweep.create_study(sampler=sampler)
    study.enqueue_trial({"x1": math.pi, "x2": 2.275})
    study.optimize(_branin_objective, n_trials=8)
    assert study.trials[0].params == {"x1": math.pi, "x2": 2.275}
    # With 21 observations, the GP (not the Sobol start-up) chose trials 2 to 7.
    assert study.best_value < 0.5
    data = sampler._observations(
        study,
        study.trials[-1],
        SpaceEncoding(sampler.infer_relative_search_space(study, study.trials[-1])),
    )
    assert data.x.shape[0] == 28


def test_maximize_direction() -> None:
    study = hypersweep.create_study(sampler=GPSampler(seed=0), direction="maximize")
    study.optimize(lambda t: -((t.suggest_float("x", -3, 3) - 1) ** 2), n_trials=15)
    assert study.best_value > -0.01


def test_parameters_outside_the_shared_space_are_sampled_independently() -> None:
    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2:
            return x + trial.suggest_float("extra", 0, 1)
        return x

    study = hypersweep.create_study(sampler=GPSampler(seed=0, n_startup_trials=2))
    study.optimize(objective, n_trials=8)
    sampler = study.sampler
    assert sampler.infer_relative_search_space(study, study.trials[-1]) == {
        "x": FloatDistribution(0, 1)
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_startup_trials": -1}, ValueError, r"n_startup_trials must be >= 0, got -1; use 0"),
        ({"n_startup_trials": 2.5}, TypeError, r"n_startup_trials must be an int or None"),
        ({"n_startup_trials": True}, TypeError, r"n_startup_trials must be an int or None"),
        ({"deterministic_objective": 1}, TypeError, r"deterministic_objective must be a bool"),
        ({"warm_start_trials": [1]}, TypeError, r"warm_start_trials must be a sequence of Frozen"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        GPSampler(**kwargs)


def test_docstring_example_runs() -> None:
    failures, attempted = doctest.testmod(_sampler, verbose=False)
    assert attempted > 0 and failures == 0


def test_reseed_rng_changes_the_stream() -> None:
    sampler = GPSampler(seed=0)
    before = sampler._rng.random()
    sampler = GPSampler(seed=0)
    sampler.reseed_rng()
    assert sampler._rng.random() != before
