from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
import pytest

from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.distributions import check_compatible
from hypersweep.distributions import distribution_to_json
from hypersweep.distributions import json_to_distribution


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"low": 2.0, "high": 1.0},
            r"parameter 'lr': low must be <= high, got low=2.0 and high=1.0",
        ),
        (
            {"low": 0.0, "high": 1.0, "log": True},
            r"parameter 'lr': log scale needs low > 0, got low=0.0",
        ),
        ({"low": -1.0, "high": 1.0, "log": True}, r"log scale needs low > 0"),
        (
            {"low": 1e-3, "high": 1.0, "log": True, "step": 0.1},
            r"log scale and step cannot be combined",
        ),
        (
            {"low": 0.0, "high": 1.0, "step": 0.3},
            r"high - low must be a multiple of step.*adjust high to 0.9",
        ),
        ({"low": 0.0, "high": 1.0, "step": 0.0}, r"step must be > 0, got step=0.0"),
        ({"low": math.nan, "high": 1.0}, r"parameter 'lr': low must be finite, got nan"),
        ({"low": 0.0, "high": math.inf}, r"parameter 'lr': high must be finite, got inf"),
    ],
)
def test_float_distribution_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FloatDistribution(**kwargs, name="lr")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"low": 5, "high": 1},
            ValueError,
            r"parameter 'n': low must be <= high, got low=5 and high=1",
        ),
        ({"low": 0, "high": 8, "log": True}, ValueError, r"log scale needs low > 0"),
        ({"low": 1, "high": 9, "log": True, "step": 2}, ValueError, r"log scale and step cannot"),
        ({"low": 0, "high": 10, "step": 3}, ValueError, r"multiple of step.*adjust high to 9"),
        ({"low": 0, "high": 10, "step": 0}, ValueError, r"step must be > 0"),
        ({"low": 0.5, "high": 10}, TypeError, r"parameter 'n': low must be an integer, got 0.5"),
        ({"low": 0, "high": math.inf}, ValueError, r"parameter 'n': high must be finite"),
        ({"low": "a", "high": 3}, TypeError, r"low must be a number, got 'a'"),
    ],
)
def test_int_distribution_rejects_bad_input(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        IntDistribution(**kwargs, name="n")


def test_categorical_distribution_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"parameter 'opt': choices must not be empty, got \[\]"):
        CategoricalDistribution([], name="opt")
    with pytest.raises(TypeError, match=r"parameter 'opt': each choice must be None, bool, int"):
        CategoricalDistribution([[1, 2], [3]], name="opt")
    with pytest.raises(TypeError, match=r"each choice must be .* got \{\} of type dict"):
        CategoricalDistribution([{}], name="opt")
    with pytest.raises(ValueError, match=r"choices must be distinct"):
        CategoricalDistribution(["a", "a"], name="opt")
    with pytest.raises(TypeError, match=r"choices must be a list or tuple, got 'abc'"):
        CategoricalDistribution("abc", name="opt")  # type: ignore[arg-type]


def test_categorical_supports_every_choice_type() -> None:
    choices = [None, True, False, 1, 1.5, "x"]
    distribution = CategoricalDistribution(choices)
    for i, choice in enumerate(choices):
        assert distribution.to_internal_repr(choice) == i
        assert distribution.to_external_repr(i) is choice
    # True == 1 in Python, but they are different choices.
    assert CategoricalDistribution([1, True]).to_internal_repr(True) == 1


@given(
    low=st.floats(-1e6, 1e6),
    width=st.floats(0, 1e6),
    log=st.booleans(),
)
def test_float_json_round_trip(low: float, width: float, log: bool) -> None:
    if log:
        low = abs(low) + 1e-3
    distribution = FloatDistribution(low, low + width, log=log)
    assert json_to_distribution(distribution_to_json(distribution)) == distribution


def test_json_round_trip_of_each_kind() -> None:
    for distribution in (
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(1, 64, log=True),
        IntDistribution(0, 10, step=2),
        CategoricalDistribution([None, "a", 2.5]),
    ):
        restored = json_to_distribution(distribution_to_json(distribution))
        assert restored == distribution
        assert hash(restored) == hash(distribution)
    with pytest.raises(ValueError, match="unknown distribution 'Beta'"):
        json_to_distribution('{"name": "Beta", "attributes": {}}')


def test_contains_and_single() -> None:
    stepped = FloatDistribution(0.0, 1.0, step=0.25)
    assert stepped.contains(0.75) and not stepped.contains(0.7) and not stepped.contains(1.25)
    ints = IntDistribution(0, 10, step=2)
    assert ints.contains(4) and not ints.contains(5) and not ints.contains(12)
    assert FloatDistribution(1.0, 1.0).single()
    assert IntDistribution(3, 3).single() and not IntDistribution(3, 5, step=2).single()
    assert CategoricalDistribution(["only"]).single()


def test_check_compatible_names_both_ranges() -> None:
    with pytest.raises(ValueError, match=r"parameter 'x' was already suggested.*low=0.0.*low=1.0"):
        check_compatible("x", FloatDistribution(0, 1), FloatDistribution(1, 2))
