"""The GP sampler's own time per trial, beside Optuna 5.0.0's GPSampler, in one run.

Both samplers run sequential ask-and-tell studies on the same problems with a declarative
search space; the time of ``ask`` plus ``tell`` (the sampler's work, without the objective) is
recorded for every trial, and the mean over the ten trials ending at each checkpoint is printed
(ten trials so that hypersweep's periodic hyperparameter refits are counted at their true rate).

Problems:

* ``continuous-5d``: Styblinski-Tang on ``[-5, 5]^5``;
* ``integer-5d``: Rastrigin on the integers ``{-5, ..., 5}^5``.

Usage::

    nice -n 10 python benchmarks/gp_overhead.py [--n-trials 200] [--seed 0] [--no-optuna]
        [--problems continuous-5d,integer-5d]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import math
import time
from typing import Any

import numpy as np

import hypersweep
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution

Objective = Callable[[dict[str, Any]], float]


def styblinski_tang(params: dict[str, Any]) -> float:
    x = np.array([params[f"x{i}"] for i in range(5)], dtype=float)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def rastrigin(params: dict[str, Any]) -> float:
    x = np.array([params[f"x{i}"] for i in range(5)], dtype=float)
    return float(10 * x.size + np.sum(x**2 - 10 * np.cos(2 * math.pi * x)))


Timings = tuple[list[float], list[float]]


def _time_trials(
    study: Any, space: dict[str, Any], objective: Objective, n_trials: int
) -> Timings:
    """Wall-clock and CPU seconds of ask plus tell for each trial (both libraries share the
    ``ask(fixed_distributions)`` and ``tell(trial, value)`` interface)."""
    wall, cpu = [], []
    for _ in range(n_trials):
        start, start_cpu = time.perf_counter(), time.process_time()
        trial = study.ask(space)
        asked, asked_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        value = objective(trial.params)
        start, start_cpu = time.perf_counter(), time.process_time()
        study.tell(trial, value)
        wall.append(asked + time.perf_counter() - start)
        cpu.append(asked_cpu + time.process_time() - start_cpu)
    return wall, cpu


def run_hypersweep(objective: Objective, integer: bool, n_trials: int, seed: int) -> Timings:
    """Seconds of ask plus tell for each trial of a hypersweep GPSampler study."""
    hypersweep.logging.set_verbosity(hypersweep.logging.WARNING)
    space: dict[str, Any] = {
        f"x{i}": IntDistribution(-5, 5) if integer else FloatDistribution(-5.0, 5.0)
        for i in range(5)
    }
    study = hypersweep.create_study(sampler=hypersweep.samplers.GPSampler(seed=seed))
    return _time_trials(study, space, objective, n_trials)


def run_optuna(objective: Objective, integer: bool, n_trials: int, seed: int) -> Timings:
    """Seconds of ask plus tell for each trial of an Optuna 5.0.0 GPSampler study."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space: dict[str, Any] = {
        f"x{i}": optuna.distributions.IntDistribution(-5, 5)
        if integer
        else optuna.distributions.FloatDistribution(-5.0, 5.0)
        for i in range(5)
    }
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    return _time_trials(study, space, objective, n_trials)


def window_mean(times: list[float], end: int, width: int = 10) -> float:
    """Mean of the ``width`` trials ending at trial ``end`` (1-based)."""
    chunk = times[max(0, end - width) : end]
    return float(np.mean(chunk))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-optuna", action="store_true", help="time hypersweep only")
    parser.add_argument(
        "--problems", default="continuous-5d,integer-5d", help="comma-separated problem names"
    )
    args = parser.parse_args()

    checkpoints = [t for t in (50, 100, 200, 300) if t <= args.n_trials] or [args.n_trials]
    problems: list[tuple[str, Objective, bool]] = [
        ("continuous-5d", styblinski_tang, False),
        ("integer-5d", rastrigin, True),
    ]
    print(f"time per trial (ask + tell, mean of the 10 trials ending at t), seed {args.seed}")
    print("wall = elapsed time; cpu = this process's CPU time (less sensitive to other load)")
    header = [
        "problem",
        "t",
        "hs wall ms",
        "optuna wall ms",
        "ratio",
        "hs cpu ms",
        "optuna cpu ms",
    ]
    print(
        f"{header[0]:<15}{header[1]:>5}"
        + "".join(f"{h:>15}" for h in header[2:])
        + f"{'ratio':>8}"
    )
    chosen = args.problems.split(",")
    for name, objective, integer in [p for p in problems if p[0] in chosen]:
        ours = run_hypersweep(objective, integer, args.n_trials, args.seed)
        theirs = (
            None if args.no_optuna else run_optuna(objective, integer, args.n_trials, args.seed)
        )
        for t in checkpoints:
            row = f"{name:<15}{t:>5}"
            mine_wall, mine_cpu = (1e3 * window_mean(series, t) for series in ours)
            if theirs is None:
                row += f"{mine_wall:>15.1f}{'-':>15}{'-':>15}{mine_cpu:>15.1f}{'-':>15}{'-':>8}"
            else:
                other_wall, other_cpu = (1e3 * window_mean(series, t) for series in theirs)
                row += f"{mine_wall:>15.1f}{other_wall:>15.1f}{mine_wall / other_wall:>15.2f}"
                row += f"{mine_cpu:>15.1f}{other_cpu:>15.1f}{mine_cpu / other_cpu:>8.2f}"
            print(row)
        line = f"{name:<15}total wall: hypersweep {sum(ours[0]):.1f} s"
        if theirs is not None:
            line += f", optuna {sum(theirs[0]):.1f} s, ratio {sum(ours[0]) / sum(theirs[0]):.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
