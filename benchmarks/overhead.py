"""The optimizer's own overhead per trial, beside Optuna's, in one run.

Runs ``--n-trials`` trials of a trivial 5-parameter objective (the objective itself costs
microseconds, so nearly all the time is the library's: creating the trial, sampling, storing,
finishing) with random sampling in memory, for hypersweep and, when it is installed, Optuna.
Each library runs ``--repeats`` times, interleaved, and the median time is reported, so that the
ratio holds even when the machine is noisy.

Usage:
    python benchmarks/overhead.py [--n-trials 1000] [--repeats 5]

Target (issue 2): hypersweep at most 0.5x Optuna's time.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

from _common import trivial_objective


def time_hypersweep(n_trials: int, seed: int) -> float:
    import hypersweep

    study = hypersweep.create_study(sampler=hypersweep.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(trivial_objective, n_trials=n_trials)
    return time.perf_counter() - start


def time_optuna(n_trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    study.optimize(trivial_objective, n_trials=n_trials)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("hypersweep").setLevel(logging.WARNING)

    try:
        import optuna

        have_optuna = True
    except ImportError:
        have_optuna = False

    ours: list[float] = []
    theirs: list[float] = []
    for repeat in range(args.repeats):
        ours.append(time_hypersweep(args.n_trials, seed=repeat))
        if have_optuna:
            theirs.append(time_optuna(args.n_trials, seed=repeat))

    ours_median = statistics.median(ours)
    print(f"{args.n_trials} trials, random sampling, in memory, median of {args.repeats} runs")
    print(
        f"  hypersweep: {ours_median:8.3f} s  ({1e6 * ours_median / args.n_trials:7.1f} us/trial)"
    )
    if have_optuna:
        import optuna

        theirs_median = statistics.median(theirs)
        print(
            f"  optuna {optuna.__version__}: {theirs_median:8.3f} s  "
            f"({1e6 * theirs_median / args.n_trials:7.1f} us/trial)"
        )
        print(f"  ratio hypersweep / optuna: {ours_median / theirs_median:.2f} (target <= 0.50)")
    else:
        print("  optuna is not installed; pip install 'hypersweep[bench]' to compare")


if __name__ == "__main__":
    main()
