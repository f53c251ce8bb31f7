from __future__ import annotations

import math

import numpy as np
import pytest

from _support import require
import hypersweep.bench as bench
from hypersweep.bench._problems import branin
from hypersweep.bench._problems import hartmann3
from hypersweep.bench._problems import hartmann6

S_PROBLEMS = [f"S{i}" for i in range(1, 11)]


@pytest.mark.parametrize("name", S_PROBLEMS)
def test_stated_optimum_is_reached_at_the_argmin(name: str) -> None:
    problem = bench.get_problem(name)
    value = bench.check_problem(problem)
    assert value == pytest.approx(problem.optimum, abs=1e-4)


@pytest.mark.parametrize("name", S_PROBLEMS)
def test_no_random_configuration_beats_the_optimum(name: str) -> None:
    problem = bench.get_problem(name)
    assert problem.optimum is not None
    values = bench._problem.reference_samples(problem, n_samples=300, seed=1)
    assert len(values) == 300
    assert min(values) > problem.optimum - 1e-6


def test_branin_has_its_three_minima() -> None:
    for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]:
        assert branin(x1, x2) == pytest.approx(0.397887, abs=1e-5)


def test_hartmann_functions_are_negative_and_bounded() -> None:
    rng = np.random.default_rng(0)
    assert all(-3.86278 - 1e-6 <= hartmann3(x) < 0 for x in rng.random((200, 3)))
    assert all(-3.32237 - 1e-6 <= hartmann6(x) < 0 for x in rng.random((200, 6)))


def test_s8_branches_use_their_own_parameters() -> None:
    objective = bench.get_problem("S8").objective
    trial = bench.FixedTrial({"branch": "branin", "bx0": math.pi, "bx1": 2.275})
    assert objective(trial) == pytest.approx(0.397887, abs=1e-5)


def test_s10_ignores_the_inactive_dimensions() -> None:
    problem = bench.get_problem("S10")
    assert problem.argmin is not None
    moved = dict(problem.argmin)
    moved["x0"], moved["x29"] = 0.0, 1.0
    assert problem.objective(bench.FixedTrial(moved)) == pytest.approx(problem.optimum)


def test_check_problem_rejects_a_wrong_optimum() -> None:
    problem = bench.Problem(
        "wrong", lambda t: t.suggest_float("x", 0.0, 1.0) + 1.0, optimum=0.0, argmin={"x": 0.0}
    )
    with pytest.raises(ValueError, match=r"must equal the optimum 0.0 within"):
        bench.check_problem(problem)


def test_check_problem_needs_optimum_and_argmin() -> None:
    with pytest.raises(ValueError, match="states no optimum and argmin"):
        bench.check_problem(bench.get_problem("R1"))


def test_fixed_trial_rejects_missing_and_out_of_range_values() -> None:
    with pytest.raises(ValueError, match="FixedTrial has no value for parameter 'y'"):
        bench.FixedTrial({"x": 0.5}).suggest_float("y", 0.0, 1.0)
    with pytest.raises(ValueError, match=r"must lie in \[0.0, 1.0\], got 2.0"):
        bench.FixedTrial({"x": 2.0}).suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="must be one of"):
        bench.FixedTrial({"c": "z"}).suggest_categorical("c", ["a", "b"])


def test_random_trial_stays_in_range_and_is_uniform_in_log_space() -> None:
    rng = np.random.default_rng(0)
    logs = []
    for _ in range(2000):
        trial = bench.RandomTrial(rng)
        value = trial.suggest_float("lr", 1e-6, 1.0, log=True)
        k = trial.suggest_int("k", 1, 32, log=True)
        assert 1e-6 <= value <= 1.0 and 1 <= k <= 32
        assert trial.suggest_float("lr", 1e-6, 1.0, log=True) == value
        logs.append(math.log10(value))
    assert np.mean(logs) == pytest.approx(-3.0, abs=0.15)


def test_real_problem_r4_elastic_net_and_held_out_value() -> None:
    require("sklearn")
    problem = bench.get_problem("R4")
    params = {"model": "elastic_net", "enet_alpha": 0.01, "enet_l1_ratio": 0.5}
    value = problem.objective(bench.FixedTrial(params))
    assert 0.3 < value < 1.0  # MSE of the standardized target: better than the mean
    assert problem.test_objective is not None
    assert 0.3 < problem.test_objective(params) < 1.0


def test_custom_problem_extension_point() -> None:
    @bench.problem("custom-abs", n_trials=5, optimum=0.0, argmin={"x": 0}, replace=True)
    def custom_abs(trial: bench.TrialLike) -> float:
        """Absolute value on integers."""
        return float(abs(trial.suggest_int("x", -3, 3)))

    registered = bench.get_problem("custom-abs")
    assert registered.objective is custom_abs
    assert registered.description == "Absolute value on integers."
    assert bench.check_problem(registered) == 0.0
    assert "custom-abs" in bench.list_problems()
    with pytest.raises(ValueError, match="a problem named 'custom-abs' is registered already"):
        bench.problem("custom-abs")(custom_abs)


def test_problem_validation_and_unknown_name() -> None:
    with pytest.raises(ValueError, match="without slashes"):
        bench.Problem("a/b", lambda t: 0.0)
    with pytest.raises(ValueError, match="n_trials must be >= 1"):
        bench.Problem("a", lambda t: 0.0, n_trials=0)
    with pytest.raises(ValueError, match="unknown problem 'S99'; registered problems: S1"):
        bench.get_problem("S99")
