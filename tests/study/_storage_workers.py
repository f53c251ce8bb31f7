"""Objectives and worker bodies that other processes run in the multi-process and crash tests.

They live in an importable module because a process pool pickles functions by reference.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
import sys
import time

import hypersweep
from hypersweep.storages import SQLStorage

#: Heartbeat settings of the crash tests: short, so that a killed worker is noticed quickly.
HEARTBEAT_INTERVAL = 0.2
GRACE_PERIOD = 1.0


def quadratic(trial: hypersweep.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_int("y", 0, 10)
    return (x - 1.0) ** 2 + y


def slow_grid_objective(trial: hypersweep.Trial) -> float:
    x = trial.suggest_int("x", 0, 2)
    y = trial.suggest_categorical("y", ["a", "b", "c"])
    time.sleep(0.02)  # long enough for the workers to interleave
    return float(x) + (0.5 if y == "b" else 0.0)


def run_worker(url: str, study_name: str, n_trials: int, scope: str = "call") -> int:
    """One independent worker: open (or create) the study and run ``n_trials`` trials."""
    storage = SQLStorage(url)
    try:
        study = hypersweep.create_study(
            study_name=study_name,
            storage=storage,
            sampler=hypersweep.samplers.RandomSampler(),
            load_if_exists=True,
        )
        before = len(study.trials)
        study.optimize(quadratic, n_trials=n_trials, n_trials_scope=scope)
        return len(study.trials) - before
    finally:
        storage.close()


def _open(url: str, study_name: str) -> hypersweep.Study:
    storage = SQLStorage(url, heartbeat_interval=HEARTBEAT_INTERVAL, grace_period=GRACE_PERIOD)
    return hypersweep.create_study(
        study_name=study_name,
        storage=storage,
        sampler=hypersweep.samplers.RandomSampler(seed=0),
        load_if_exists=True,
    )


def hang_after(url: str, study_name: str, n_finished: int, marker: str) -> None:
    """Finish ``n_finished`` trials, then start one that writes ``marker`` and hangs."""
    study = _open(url, study_name)

    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        if trial.number == n_finished:
            Path(marker).write_text(str(trial.number))
            time.sleep(3600)  # killed here
        return x * x

    study.optimize(objective, n_trials=n_finished + 1)


def interrupt_repeatedly(url: str, study_name: str, marker: str) -> None:
    """Run trials until interrupted; write ``marker`` once trials are being finished."""
    study = _open(url, study_name)

    def objective(trial: hypersweep.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        trial.report(x, 0)
        if trial.number == 5:
            Path(marker).write_text("running")
        time.sleep(0.005)
        return x * x

    study.optimize(objective)


if __name__ == "__main__":
    logging.getLogger("hypersweep").setLevel(logging.ERROR)
    command, *arguments = sys.argv[1:]
    if command == "hang":
        hang_after(arguments[0], arguments[1], int(arguments[2]), arguments[3])
    elif command == "interrupt":
        try:
            interrupt_repeatedly(arguments[0], arguments[1], arguments[2])
        except KeyboardInterrupt:
            os._exit(130)
