"""Benchmark problems: an objective (a function of a trial), its name, its budget, its optimum.

Built-in problems declare a :class:`~hypersweep.bench.SearchSpace` and a function of the
parameter values (:class:`SpaceObjective`); users add their own as any function of a trial
with :func:`problem` or :func:`register_problem`. The registry is filled on import of
:mod:`hypersweep.bench`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import math
from typing import Any

import numpy as np

from hypersweep.bench._space import SearchSpace
from hypersweep.bench._space import TrialLike

Objective = Callable[[TrialLike], float]


@dataclasses.dataclass(frozen=True)
class SpaceObjective:
    """An objective made of a declared search space and a function of the parameter values.

    Calling it suggests the space on the trial and returns ``function(params)``.
    """

    space: SearchSpace
    function: Callable[[Mapping[str, Any]], float]

    def __call__(self, trial: TrialLike) -> float:
        return self.function(self.space.suggest(trial))


@dataclasses.dataclass(frozen=True)
class Problem:
    """One benchmark problem (minimized).

    Attributes:
        name: A unique id (``S1``, ``R2``, or a user's name).
        objective: A function of a trial that suggests parameters and returns the noiseless
            value to minimize; it may raise (the trial is recorded as failed).
        n_trials: The budget ``T`` of the full tier.
        optimum: The known optimum ``f*``; ``None`` if unknown, in which case ``f*`` is the
            best value ever observed across all runs stored with the results.
        argmin: Parameters at which ``optimum`` is reached (checked by :func:`check_problem`).
        noise_sd: Standard deviation of Gaussian noise added to what the optimizer observes
            (common random numbers: the noise of trial ``t`` in seed ``s`` is the same for
            every optimizer); the figures score the noiseless value of the incumbent.
        kind: A word for the report (continuous, integer, mixed, conditional, ...).
        description: One line for ``hypersweep bench list``.
        test_objective: For real tasks, the held-out test value of a configuration (the
            incumbent's generalization); ``None`` otherwise.
        n_reference_samples: How many uniformly random configurations estimate ``f_ref``.
        space: The declared search space, if the problem has one.
        tolerance: The absolute tolerance of the optimum self-check.
    """

    name: str
    objective: Objective
    n_trials: int = 100
    optimum: float | None = None
    argmin: Mapping[str, Any] | None = None
    noise_sd: float = 0.0
    kind: str = "custom"
    description: str = ""
    test_objective: Callable[[Mapping[str, Any]], float] | None = None
    n_reference_samples: int = 10_000
    space: SearchSpace | None = None
    tolerance: float = 1e-4

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in "/\\"):
            raise ValueError(
                f"a problem name must be a non-empty string without slashes, got {self.name!r}"
            )
        if not callable(self.objective):
            raise TypeError(
                f"problem {self.name!r}: the objective must be a function of a trial, got "
                f"{self.objective!r}"
            )
        if isinstance(self.n_trials, bool) or not isinstance(self.n_trials, int):
            raise TypeError(
                f"problem {self.name!r}: n_trials must be an int, got {self.n_trials!r}"
            )
        if self.n_trials < 1:
            raise ValueError(f"problem {self.name!r}: n_trials must be >= 1, got {self.n_trials}")
        if self.noise_sd < 0:
            raise ValueError(f"problem {self.name!r}: noise_sd must be >= 0, got {self.noise_sd}")


class FixedTrial:
    """A trial that answers each ``suggest_*`` call with a given value (for self-checks).

    Raises:
        ValueError: From a ``suggest_*`` call whose parameter is missing from ``params`` or
            whose value lies outside the suggested range.
    """

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self.reported: dict[int, float] = {}

    def _get(self, name: str) -> Any:
        if name not in self.params:
            raise ValueError(
                f"FixedTrial has no value for parameter {name!r}; give one in params "
                f"(it has {sorted(self.params)!r})"
            )
        return self.params[name]

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        value = float(self._get(name))
        if not low <= value <= high:
            raise ValueError(f"parameter {name!r} must lie in [{low}, {high}], got {value!r}")
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        value = int(self._get(name))
        if not low <= value <= high:
            raise ValueError(f"parameter {name!r} must lie in [{low}, {high}], got {value!r}")
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        value = self._get(name)
        if value not in choices:
            raise ValueError(f"parameter {name!r} must be one of {list(choices)!r}, got {value!r}")
        return value

    def report(self, value: float, step: int) -> None:
        self.reported[step] = float(value)

    def should_prune(self) -> bool:
        return False


class RandomTrial:
    """A trial that answers each ``suggest_*`` call with a uniform random draw.

    Log parameters are uniform in log space; integers give every value the same probability
    (on a log scale, each value owns an equal interval of log space). Estimates ``f_ref`` for
    any problem, declared space or not.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.params: dict[str, Any] = {}

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        if name in self.params:
            return float(self.params[name])
        if log:
            value = math.exp(self._rng.uniform(math.log(low), math.log(high)))
        else:
            value = self._rng.uniform(low, high)
        if step is not None:
            value = low + round((value - low) / step) * step
        self.params[name] = float(min(max(value, low), high))
        return float(self.params[name])

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        if name in self.params:
            return int(self.params[name])
        if log:
            value = round(math.exp(self._rng.uniform(math.log(low - 0.5), math.log(high + 0.5))))
        else:
            value = low + step * int(self._rng.integers((high - low) // step + 1))
        self.params[name] = int(min(max(value, low), high))
        return int(self.params[name])

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        if name not in self.params:
            self.params[name] = choices[int(self._rng.integers(len(choices)))]
        return self.params[name]

    def report(self, value: float, step: int) -> None:
        return None

    def should_prune(self) -> bool:
        return False


_REGISTRY: dict[str, Problem] = {}


def register_problem(problem: Problem, *, replace: bool = False) -> Problem:
    """Add ``problem`` to the registry so ``run`` and the command line find it by name.

    Args:
        problem: The problem.
        replace: Replace a registered problem of the same name instead of raising.

    Returns:
        The problem, unchanged.

    Raises:
        ValueError: If the name is taken and ``replace`` is false.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"register_problem() takes a Problem, got {problem!r}")
    if problem.name in _REGISTRY and not replace:
        raise ValueError(
            f"a problem named {problem.name!r} is registered already; choose another name or "
            "pass replace=True"
        )
    _REGISTRY[problem.name] = problem
    return problem


def problem(
    name: str,
    *,
    n_trials: int = 100,
    optimum: float | None = None,
    argmin: Mapping[str, Any] | None = None,
    noise_sd: float = 0.0,
    description: str = "",
    n_reference_samples: int = 10_000,
    replace: bool = False,
) -> Callable[[Objective], Objective]:
    """Register a function of a trial as a benchmark problem named ``name``.

    The function suggests its parameters on the trial (as an objective for ``Study.optimize``
    does) and returns the value to minimize. For a process pool (``jobs > 1``) it must be
    defined at the top level of an importable module.

    Args:
        name: The problem's id in the results and the report.
        n_trials: The budget ``T``.
        optimum: The known minimum, or ``None`` to estimate it as the best value observed.
        argmin: Parameters that reach ``optimum`` (checked by :func:`check_problem`).
        noise_sd: Gaussian noise added to what the optimizer observes.
        description: One line for ``hypersweep bench list``.
        n_reference_samples: Uniform random configurations that estimate ``f_ref``.
        replace: Replace an earlier problem of the same name.

    Returns:
        A decorator that registers the function and returns it unchanged.

    Example:
        >>> import hypersweep.bench as bench
        >>> @bench.problem(
        ...     "sphere-2d", n_trials=20, optimum=0.0, argmin={"x": 0.0, "y": 0.0}, replace=True
        ... )
        ... def sphere(trial):
        ...     x = trial.suggest_float("x", -1.0, 1.0)
        ...     y = trial.suggest_float("y", -1.0, 1.0)
        ...     return x**2 + y**2
        >>> bench.check_problem(bench.get_problem("sphere-2d"))
        0.0
    """

    def decorate(function: Objective) -> Objective:
        register_problem(
            Problem(
                name=name,
                objective=function,
                n_trials=n_trials,
                optimum=optimum,
                argmin=argmin,
                noise_sd=noise_sd,
                description=description or (function.__doc__ or "").strip().split("\n")[0],
                n_reference_samples=n_reference_samples,
            ),
            replace=replace,
        )
        return function

    return decorate


def get_problem(name: str) -> Problem:
    """The registered problem called ``name``.

    Raises:
        ValueError: If no problem has that name; the message lists the names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        hint = ""
        if name in ("LC1", "LC2"):
            hint = (
                "; LC1 and LC2 appear once their tables exist: run `hypersweep bench make-curves`"
            )
        raise ValueError(
            f"unknown problem {name!r}; registered problems: {', '.join(list_problems())}{hint}"
        ) from None


def list_problems() -> list[str]:
    """The names of all registered problems, in order of registration."""
    return list(_REGISTRY)


def check_problem(problem: Problem) -> float:
    """Evaluate ``problem`` at its known argmin and check that it gives the stated optimum.

    Returns:
        The value at the argmin.

    Raises:
        ValueError: If the problem states no optimum or argmin, or the value differs from
            the optimum by more than ``problem.tolerance``.
    """
    if problem.optimum is None or problem.argmin is None:
        raise ValueError(
            f"problem {problem.name!r} states no optimum and argmin to check; give both"
        )
    value = float(problem.objective(FixedTrial(problem.argmin)))
    if not abs(value - problem.optimum) <= problem.tolerance:
        raise ValueError(
            f"problem {problem.name!r}: the value at the stated argmin must equal the optimum "
            f"{problem.optimum!r} within {problem.tolerance}, got {value!r}"
        )
    return value


def reference_samples(
    problem: Problem, n_samples: int | None = None, seed: int = 0
) -> list[float]:
    """Objective values of uniformly random configurations (failures left out).

    Args:
        problem: The problem.
        n_samples: How many configurations (default: ``problem.n_reference_samples``).
        seed: Seed of the draws.

    Returns:
        The finite values, in order of drawing.
    """
    rng = np.random.default_rng([seed, 7919])
    values = []
    for _ in range(problem.n_reference_samples if n_samples is None else n_samples):
        try:
            value = float(problem.objective(RandomTrial(rng)))
        except Exception:
            continue
        if math.isfinite(value):
            values.append(value)
    return values
