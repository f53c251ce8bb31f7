from __future__ import annotations

import numpy as np
import pytest

from _support import require
import hypersweep
from hypersweep.bench import Categorical
from hypersweep.bench import Condition
from hypersweep.bench import Float
from hypersweep.bench import Int
from hypersweep.bench import SearchSpace
from hypersweep.bench import to_hypersweep
from hypersweep.bench import to_optuna
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution

optuna = require("optuna")

SPACE = SearchSpace(
    [
        Float("x", -5.0, 10.0),
        Float("lr", 1e-6, 1.0, log=True),
        Int("k", 1, 32),
        Int("width", 16, 256, log=True),
        Categorical("kind", ("a", "b")),
        Float("only_b", 0.0, 1.0, condition=Condition("kind", ("b",))),
    ]
)


def test_conversion_to_hypersweep() -> None:
    distributions = to_hypersweep(SPACE)
    assert distributions["x"] == FloatDistribution(-5.0, 10.0)
    assert distributions["lr"] == FloatDistribution(1e-6, 1.0, log=True)
    assert distributions["k"] == IntDistribution(1, 32)
    assert distributions["width"] == IntDistribution(16, 256, log=True)
    assert distributions["kind"] == CategoricalDistribution(["a", "b"])
    assert list(distributions) == list(SPACE.names)


def test_conversion_to_optuna() -> None:
    distributions = to_optuna(SPACE)
    assert distributions["x"] == optuna.distributions.FloatDistribution(-5.0, 10.0)
    assert distributions["lr"] == optuna.distributions.FloatDistribution(1e-6, 1.0, log=True)
    assert distributions["k"] == optuna.distributions.IntDistribution(1, 32)
    assert distributions["width"] == optuna.distributions.IntDistribution(16, 256, log=True)
    assert distributions["kind"] == optuna.distributions.CategoricalDistribution(["a", "b"])


def test_suggest_gives_the_same_space_in_both_libraries() -> None:
    hs_study = hypersweep.create_study(sampler=hypersweep.samplers.RandomSampler(seed=0))
    op_study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        hs_trial, op_trial = hs_study.ask(), op_study.ask()
        hs_params, op_params = SPACE.suggest(hs_trial), SPACE.suggest(op_trial)
        for params, trial in ((hs_params, hs_trial), (op_params, op_trial)):
            assert ("only_b" in params) == (params["kind"] == "b")
            assert set(params) == set(trial.params)
        hs_study.tell(hs_trial, 0.0)
        op_study.tell(op_trial, 0.0)
    assert {d.__class__.__name__ for d in hs_study.trials[0].distributions.values()} <= {
        "FloatDistribution",
        "IntDistribution",
        "CategoricalDistribution",
    }


def test_sample_respects_ranges_and_conditions() -> None:
    rng = np.random.default_rng(0)
    for _ in range(500):
        params = SPACE.sample(rng)
        assert -5.0 <= params["x"] <= 10.0
        assert 1e-6 <= params["lr"] <= 1.0
        assert isinstance(params["k"], int) and 1 <= params["k"] <= 32
        assert 16 <= params["width"] <= 256
        assert ("only_b" in params) == (params["kind"] == "b")


def test_space_validation() -> None:
    assert not SPACE.is_flat
    with pytest.raises(ValueError, match="names must be unique, got 'x' twice"):
        SearchSpace([Float("x", 0.0, 1.0), Float("x", 0.0, 1.0)])
    with pytest.raises(ValueError, match="must name an earlier categorical parameter"):
        SearchSpace(
            [Float("y", 0.0, 1.0, condition=Condition("c", ("a",))), Categorical("c", ("a",))]
        )
    with pytest.raises(ValueError, match=r"condition values must be choices of 'c'"):
        SearchSpace(
            [Categorical("c", ("a",)), Float("y", 0.0, 1.0, condition=Condition("c", ("z",)))]
        )
