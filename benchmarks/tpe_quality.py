"""A quick quality check of the TPE sampler against Optuna 5.0's TPESampler().

Runs a few analytic problems from the benchmark protocol (Branin, Hartmann6, Rastrigin on
integers, the mixed S7 and the conditional S8) for several seeds and prints the mean and median
final simple regret (best observed value minus the optimum) per optimizer. Variants of the
hypersweep sampler (weights, bandwidth floor, candidates) can be compared with ``--variants``.
This is the quick tier of BENCHMARK.md (few seeds): it guards against regressions and guides
defaults, it supports no claim.

Usage:
    nice -n 10 python benchmarks/tpe_quality.py [--seeds 5] [--variants]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import logging
import math
import statistics
from typing import Any

import numpy as np

from hypersweep.bench._problems import branin as _branin
from hypersweep.bench._problems import hartmann3 as _hartmann3
from hypersweep.bench._problems import hartmann6 as _hartmann6


def branin(trial: Any) -> float:
    return _branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))


def hartmann6(trial: Any) -> float:
    return _hartmann6([trial.suggest_float(f"x{i}", 0, 1) for i in range(6)])


def rastrigin_int(trial: Any) -> float:
    x = np.array([trial.suggest_int(f"x{i}", -5, 5) for i in range(5)], dtype=float)
    return float(10 * 5 + np.sum(x**2 - 10 * np.cos(2 * math.pi * x)))


def mixed(trial: Any) -> float:
    value = _branin(trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15))
    offset = {"a": 1.0, "b": 0.0, "c": 2.0, "d": 0.5}
    value += offset[trial.suggest_categorical("cat", ["a", "b", "c", "d"])]
    value += (math.log10(trial.suggest_float("lr", 1e-6, 1.0, log=True)) + 3) ** 2
    return value + 0.1 * (trial.suggest_int("k", 1, 32) - 7) ** 2


def conditional(trial: Any) -> float:
    if trial.suggest_categorical("branch", ["branin", "hartmann3"]) == "branin":
        return _branin(trial.suggest_float("bx0", -5, 10), trial.suggest_float("bx1", 0, 15))
    return _hartmann3([trial.suggest_float(f"hx{i}", 0, 1) for i in range(3)])


PROBLEMS: dict[str, tuple[Callable[[Any], float], float, int]] = {
    "branin": (branin, 0.397887, 100),
    "hartmann6": (hartmann6, -3.32237, 100),
    "rastrigin_int": (rastrigin_int, 0.0, 100),
    "mixed": (mixed, 0.397887, 100),
    "conditional": (conditional, -3.86278, 100),
}


def run_hypersweep(kwargs: dict[str, Any]) -> Callable[[Callable[[Any], float], int, int], float]:
    def run(objective: Callable[[Any], float], n_trials: int, seed: int) -> float:
        import hypersweep

        sampler = hypersweep.samplers.TPESampler(seed=seed, **kwargs)
        study = hypersweep.create_study(sampler=sampler)
        study.optimize(objective, n_trials=n_trials)
        return study.best_value

    return run


def run_optuna(objective: Callable[[Any], float], n_trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return float(study.best_value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--no-optuna", action="store_true")
    args = parser.parse_args()
    logging.getLogger("hypersweep").setLevel(logging.WARNING)

    optimizers: dict[str, Callable[[Callable[[Any], float], int, int], float]] = {
        "hypersweep-tpe": run_hypersweep({})
    }
    if args.variants:
        optimizers["uniform-weights"] = run_hypersweep({"weights": "uniform"})
        optimizers["floor-0.01"] = run_hypersweep({"min_bandwidth": 0.01})
        optimizers["candidates-64"] = run_hypersweep({"n_ei_candidates": 64})
        optimizers["no-group"] = run_hypersweep({"group": False})
    if not args.no_optuna:
        optimizers["optuna-tpe"] = run_optuna

    print(f"final simple regret, {args.seeds} seeds: mean (median)")
    print(f"{'problem':>14} " + " ".join(f"{name:>22}" for name in optimizers))
    for problem in args.problems:
        objective, optimum, n_trials = PROBLEMS[problem]
        cells = []
        for run in optimizers.values():
            regrets = [run(objective, n_trials, seed) - optimum for seed in range(args.seeds)]
            cells.append(f"{statistics.mean(regrets):10.4f} ({statistics.median(regrets):8.4f})")
        print(f"{problem:>14} " + " ".join(f"{cell:>22}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
