"""A search space written once, in a form neither library owns.

A benchmark problem declares its parameters as :class:`Float`, :class:`Int` and
:class:`Categorical` entries of a :class:`SearchSpace`. A parameter may be *conditional*: it
exists only when an earlier categorical parameter takes one of some values (``condition``).
The same declaration is turned into hypersweep distributions (:func:`to_hypersweep`), into
Optuna distributions (:func:`to_optuna`), into calls of any trial's ``suggest_*`` methods
(:meth:`SearchSpace.suggest`), and into uniformly random configurations
(:meth:`SearchSpace.sample`), so every optimizer sees the same encoding.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import math
from typing import Any
from typing import Protocol

import numpy as np

from hypersweep.bench._optional import import_optional
from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalChoice
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution


class TrialLike(Protocol):
    """What a benchmark objective may call on its trial (hypersweep's and Optuna's both fit)."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...

    def report(self, value: float, step: int) -> None: ...

    def should_prune(self) -> bool: ...


@dataclasses.dataclass(frozen=True)
class Condition:
    """A parameter exists only when the categorical parameter ``parent`` is one of ``values``."""

    parent: str
    values: tuple[CategoricalChoice, ...]


@dataclasses.dataclass(frozen=True)
class Float:
    """A real parameter in ``[low, high]``, uniform or on a log scale."""

    name: str
    low: float
    high: float
    log: bool = False
    condition: Condition | None = None


@dataclasses.dataclass(frozen=True)
class Int:
    """An integer parameter in ``[low, high]``, uniform or on a log scale."""

    name: str
    low: int
    high: int
    log: bool = False
    condition: Condition | None = None


@dataclasses.dataclass(frozen=True)
class Categorical:
    """A parameter that takes one of ``choices``."""

    name: str
    choices: tuple[CategoricalChoice, ...]
    condition: Condition | None = None


Param = Float | Int | Categorical


class SearchSpace:
    """An ordered list of parameters, some of them conditional on earlier categorical ones.

    Args:
        params: The parameters in the order an objective suggests them; the parent of a
            conditional parameter must be a categorical parameter listed before it.

    Raises:
        ValueError: If two parameters share a name, or a condition names a parameter that is
            not an earlier categorical one, or values outside its choices.

    Example:
        >>> from hypersweep.bench import Float, Int, SearchSpace
        >>> space = SearchSpace([Float("x", -5.0, 10.0), Int("k", 1, 32, log=True)])
        >>> sorted(space.names)
        ['k', 'x']
    """

    def __init__(self, params: Sequence[Param]) -> None:
        seen: dict[str, Param] = {}
        for param in params:
            if param.name in seen:
                raise ValueError(
                    f"search space parameter names must be unique, got {param.name!r} twice"
                )
            condition = param.condition
            if condition is not None:
                parent = seen.get(condition.parent)
                if not isinstance(parent, Categorical):
                    raise ValueError(
                        f"parameter {param.name!r}: a condition must name an earlier "
                        f"categorical parameter, got {condition.parent!r}; list the parent first"
                    )
                unknown = [v for v in condition.values if v not in parent.choices]
                if unknown:
                    raise ValueError(
                        f"parameter {param.name!r}: condition values must be choices of "
                        f"{parent.name!r} ({list(parent.choices)!r}), got {unknown!r}"
                    )
            seen[param.name] = param
        self.params: tuple[Param, ...] = tuple(params)

    @property
    def names(self) -> tuple[str, ...]:
        """The names of all parameters, conditional ones included."""
        return tuple(p.name for p in self.params)

    @property
    def is_flat(self) -> bool:
        """Whether no parameter is conditional."""
        return all(p.condition is None for p in self.params)

    def active(self, param: Param, chosen: Mapping[str, Any]) -> bool:
        """Whether ``param`` exists given the values ``chosen`` for earlier parameters."""
        condition = param.condition
        return condition is None or chosen.get(condition.parent, _MISSING) in condition.values

    def suggest(self, trial: TrialLike) -> dict[str, Any]:
        """Suggest every active parameter on ``trial``, in order; return the values."""
        chosen: dict[str, Any] = {}
        for param in self.params:
            if not self.active(param, chosen):
                continue
            if isinstance(param, Float):
                chosen[param.name] = trial.suggest_float(
                    param.name, param.low, param.high, log=param.log
                )
            elif isinstance(param, Int):
                chosen[param.name] = trial.suggest_int(
                    param.name, param.low, param.high, log=param.log
                )
            else:
                chosen[param.name] = trial.suggest_categorical(param.name, list(param.choices))
        return chosen

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """One configuration drawn uniformly (uniform in log space for log parameters).

        Integers give every value the same probability, except on a log scale, where each
        value owns an interval of equal width in log space (``[k - 1/2, k + 1/2]``).
        """
        chosen: dict[str, Any] = {}
        for param in self.params:
            if not self.active(param, chosen):
                continue
            if isinstance(param, Categorical):
                chosen[param.name] = param.choices[int(rng.integers(len(param.choices)))]
            elif isinstance(param, Int):
                if param.log:
                    low, high = math.log(param.low - 0.5), math.log(param.high + 0.5)
                    value = round(math.exp(rng.uniform(low, high)))
                    chosen[param.name] = int(min(max(value, param.low), param.high))
                else:
                    chosen[param.name] = int(rng.integers(param.low, param.high + 1))
            elif param.log:
                low, high = math.log(param.low), math.log(param.high)
                chosen[param.name] = float(
                    min(max(math.exp(rng.uniform(low, high)), param.low), param.high)
                )
            else:
                chosen[param.name] = float(rng.uniform(param.low, param.high))
        return chosen

    def numeric_unit(self, param: Float | Int, value: float) -> float:
        """``value`` of a numeric parameter mapped linearly (log scale if log) onto ``[0, 1]``."""
        low, high, x = float(param.low), float(param.high), float(value)
        if param.log:
            low, high, x = math.log(low), math.log(high), math.log(x)
        if high == low:
            return 0.5
        return (x - low) / (high - low)

    def __repr__(self) -> str:
        return f"SearchSpace({list(self.params)!r})"


_MISSING = object()


def to_hypersweep(space: SearchSpace) -> dict[str, BaseDistribution]:
    """hypersweep distributions of every parameter (conditional ones included)."""
    distributions: dict[str, BaseDistribution] = {}
    for param in space.params:
        if isinstance(param, Float):
            distributions[param.name] = FloatDistribution(
                param.low, param.high, log=param.log, name=param.name
            )
        elif isinstance(param, Int):
            distributions[param.name] = IntDistribution(
                param.low, param.high, log=param.log, name=param.name
            )
        else:
            distributions[param.name] = CategoricalDistribution(param.choices, name=param.name)
    return distributions


def to_optuna(space: SearchSpace) -> dict[str, Any]:
    """Optuna distributions of every parameter (conditional ones included).

    Raises:
        ImportError: If Optuna is not installed (``pip install 'hypersweep[bench]'``).
    """
    optuna = import_optional("optuna")
    distributions: dict[str, Any] = {}
    for param in space.params:
        if isinstance(param, Float):
            distributions[param.name] = optuna.distributions.FloatDistribution(
                param.low, param.high, log=param.log
            )
        elif isinstance(param, Int):
            distributions[param.name] = optuna.distributions.IntDistribution(
                param.low, param.high, log=param.log
            )
        else:
            distributions[param.name] = optuna.distributions.CategoricalDistribution(
                list(param.choices)
            )
    return distributions
