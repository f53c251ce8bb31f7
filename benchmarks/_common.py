"""What the speed benchmarks share: the trivial 5-parameter objective of issues 2, 3 and 5.

It suggests one parameter of each kind (real, log-real, integer, log-integer, categorical) and
costs microseconds, so the time a study takes is nearly all the library's own.
"""

from __future__ import annotations

from typing import Any


def trivial_objective(trial: Any) -> float:
    """The 5-parameter benchmark objective; works with hypersweep's and Optuna's trials."""
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_float("y", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 64)
    k = trial.suggest_int("k", 1, 128, log=True)
    c = trial.suggest_categorical("c", ["adam", "sgd", "rmsprop"])
    return float(x * x + y + n + k + (0.5 if c == "sgd" else 0.0))
