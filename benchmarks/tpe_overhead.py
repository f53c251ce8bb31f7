"""The TPE sampler's time per trial, beside Optuna 5.0's TPESampler(), in one run.

Runs ``--n-trials`` trials of a cheap 5-parameter objective (a float, a log float, an integer, a
log integer and a categorical) in memory with hypersweep's ``TPESampler`` and Optuna's
``TPESampler()`` (default settings). The objective costs microseconds, so the time is the
library's: sampling, storing, finishing. Times are the process's CPU time
(``time.process_time``), so that other work on a shared machine distorts them less than wall
time. Per-trial cost at trial ``t`` is the median of trials ``t - 20 .. t`` (timed between
consecutive callbacks). Libraries alternate over ``--repeats`` runs and the medians are
reported.

Usage:
    nice -n 10 python benchmarks/tpe_overhead.py [--n-trials 1000] [--repeats 3]

Targets (issue 5): hypersweep's total at most 0.3x Optuna's, and its per-trial cost at trial
1000 less than 2x its cost at trial 100.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from typing import Any

from _common import trivial_objective


def _run(study: Any, n_trials: int) -> tuple[float, list[float]]:
    stamps: list[float] = []
    start = time.process_time()
    study.optimize(
        trivial_objective,
        n_trials=n_trials,
        callbacks=[lambda s, t: stamps.append(time.process_time())],
    )
    total = time.process_time() - start
    per_trial = [b - a for a, b in zip([start, *stamps[:-1]], stamps, strict=True)]
    return total, per_trial


def time_hypersweep(n_trials: int, seed: int) -> tuple[float, list[float]]:
    import hypersweep

    study = hypersweep.create_study(sampler=hypersweep.samplers.TPESampler(seed=seed))
    return _run(study, n_trials)


def time_optuna(n_trials: int, seed: int) -> tuple[float, list[float]]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    return _run(study, n_trials)


def _at(per_trial: list[float], t: int) -> float:
    window = per_trial[max(0, t - 21) : t]
    return statistics.median(window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("hypersweep").setLevel(logging.WARNING)

    results: dict[str, list[tuple[float, list[float]]]] = {"hypersweep": [], "optuna": []}
    for repeat in range(args.repeats):
        results["hypersweep"].append(time_hypersweep(args.n_trials, repeat))
        results["optuna"].append(time_optuna(args.n_trials, repeat))

    n = args.n_trials
    early = min(100, n)
    figures = {}
    for name, runs in results.items():
        total = statistics.median(r[0] for r in runs)
        at_early = statistics.median(_at(r[1], early) for r in runs)
        at_end = statistics.median(_at(r[1], n) for r in runs)
        figures[name] = (total, at_early, at_end)
        print(
            f"{name:>10}: {total:7.2f} s for {n} trials; per trial {1e3 * at_early:6.2f} ms at "
            f"trial {early}, {1e3 * at_end:6.2f} ms at trial {n} (x{at_end / at_early:.2f})"
        )
    ratio = figures["hypersweep"][0] / figures["optuna"][0]
    growth = figures["hypersweep"][2] / figures["hypersweep"][1]
    print(f"hypersweep / optuna total time: {ratio:.3f} (target <= 0.3)")
    print(f"hypersweep per-trial cost, trial {n} / trial {early}: {growth:.2f} (target < 2)")


if __name__ == "__main__":
    main()
