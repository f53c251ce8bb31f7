from __future__ import annotations

import numpy as np
from scipy.stats import qmc

import hypersweep
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.samplers import QMCSampler
from hypersweep.samplers import RandomSampler
from hypersweep.samplers._unit import from_unit
from hypersweep.samplers._unit import to_unit

SPACE = {
    "x": FloatDistribution(0.0, 1.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 8),
    "c": CategoricalDistribution(["a", "b", "c", "d"]),
}


def _run(sampler: hypersweep.samplers.BaseSampler, n_trials: int) -> hypersweep.Study:
    study = hypersweep.create_study(sampler=sampler)
    for _ in range(n_trials):
        trial = study.ask(SPACE)
        study.tell(trial, 0.0)
    return study


def _unit_points(study: hypersweep.Study) -> np.ndarray:
    rows = []
    for trial in study.trials:
        internal = trial.internal_params()
        rows.append([float(to_unit(SPACE[k], np.float64(internal[k]))) for k in sorted(SPACE)])
    return np.array(rows)


def test_qmc_covers_the_space_more_evenly_than_random() -> None:
    sobol = _unit_points(_run(QMCSampler(SPACE, seed=0), 64))
    uniform = _unit_points(_run(RandomSampler(seed=0), 64))
    # Continuous dimensions only: discrepancy of the two real parameters.
    assert qmc.discrepancy(sobol[:, [1, 3]]) < qmc.discrepancy(uniform[:, [1, 3]])


def test_qmc_covers_every_category_and_integer_evenly() -> None:
    study = _run(QMCSampler(SPACE, seed=1), 32)
    counts = {c: 0 for c in "abcd"}
    for trial in study.trials:
        counts[trial.params["c"]] += 1
    assert set(counts.values()) == {8}
    ints = [t.params["n"] for t in study.trials]
    assert sorted(set(ints)) == list(range(1, 9))


def test_qmc_infers_the_space_from_the_first_trial() -> None:
    study = hypersweep.create_study(sampler=QMCSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3), n_trials=9)
    assert len({t.params["x"] for t in study.trials}) == 9


def test_random_is_uniform_in_log_space() -> None:
    study = _run(RandomSampler(seed=2), 2000)
    logs = np.log10([t.params["lr"] for t in study.trials])
    assert abs(np.mean(logs) - (-3.0)) < 0.1
    assert abs(np.mean(logs < -3.0) - 0.5) < 0.05


def test_random_gives_every_integer_equal_probability() -> None:
    study = _run(RandomSampler(seed=3), 1600)
    counts = np.bincount([t.params["n"] for t in study.trials], minlength=9)[1:]
    assert counts.min() > 150 and counts.max() < 250


def test_unit_encoding_round_trips() -> None:
    for distribution in (
        FloatDistribution(-3.0, 5.0),
        FloatDistribution(1e-4, 1.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.125),
        IntDistribution(1, 1024, log=True),
        IntDistribution(-6, 6, step=3),
        CategoricalDistribution([None, "a", 3]),
    ):
        grid = np.linspace(0, 1, 101)
        internal = from_unit(distribution, grid)
        assert all(distribution.contains(float(v)) for v in internal)
        np.testing.assert_allclose(
            from_unit(distribution, to_unit(distribution, internal)), internal
        )
