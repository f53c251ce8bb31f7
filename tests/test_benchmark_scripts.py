"""The scripts under ``benchmarks/`` run end to end and print their figures.

Their timings are the scripts' business; these tests only run them on tiny budgets, so that a
change to the library cannot break a benchmark unnoticed, and check that each prints the ratio
to the reference that its target is judged on.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from _support import postgres_url
from _support import require

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        cwd=BENCHMARKS,
        env={**os.environ, **(env or {}), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_overhead_prints_the_ratio_to_optuna() -> None:
    require("optuna")

    out = _run("overhead.py", "--n-trials", "20", "--repeats", "1")

    assert "ratio hypersweep / optuna" in out
    assert "(target <= 0.50)" in out


def test_tpe_overhead_prints_total_and_growth_ratios() -> None:
    require("optuna")

    out = _run("tpe_overhead.py", "--n-trials", "30", "--repeats", "1")

    assert "hypersweep / optuna total time" in out
    assert "per-trial cost, trial 30 / trial 30" in out


def test_gp_overhead_prints_per_trial_ratios() -> None:
    require("optuna")
    require("torch")

    out = _run("gp_overhead.py", "--n-trials", "8")

    assert "continuous-5d" in out
    assert "total wall: hypersweep" in out


def test_storage_prints_every_storage_and_the_worker_speed_up() -> None:
    require("optuna")
    url = postgres_url()

    out = _run(
        "storage.py",
        "--n-trials", "10", "--repeats", "1", "--workers", "2", "--cpu-trials", "4",
        env={"HYPERSWEEP_TEST_POSTGRES_URL": url},
    )  # fmt: skip

    for line in ("memory", "SQLite", "PostgreSQL", "hypersweep PostgreSQL / SQLite overhead"):
        assert line in out
    assert "a committed one-row write" in out
    assert "speed-up:" in out


@pytest.mark.parametrize(
    ("flag", "value"), [("--workers", "-1"), ("--n-trials", "0"), ("--repeats", "0")]
)
def test_storage_refuses_a_bad_flag(flag: str, value: str) -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "storage.py"), flag, value, "--skip-optuna"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    assert f"{flag} must be >= " in completed.stderr
    assert "Traceback" not in completed.stderr


def _load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_pruning_ceiling_replays_a_schedule_within_its_budget() -> None:
    ceiling = _load_script("pruning_ceiling")
    # Flat curves at distinct levels: the first epoch ranks the rows exactly.
    levels = np.array([0.5, 0.1, 0.4, 0.3, 0.2, 0.6])
    errors = np.repeat(levels[:, None], 10, axis=1)

    # Screen all six for one epoch, train the best in full: 6 + 9 epochs find the best row.
    screen = ceiling.screen_then_train(6, 1, 1)
    assert screen.brackets[0].cost(10) == 15
    assert ceiling.replay(screen, errors, iter(range(6)), 15) == 0.1
    # One epoch short of the cohort: only whole trainings fit, the first row alone.
    assert ceiling.replay(screen, errors, iter(range(6)), 14) == 0.5
    assert ceiling.replay(screen, errors, iter(range(6)), 9) == float("inf")

    # Successive halving r=2, eta=2 on R=10: rungs at 2, 4, 8; 4 rows -> 2 -> 1 -> 1.
    halving = ceiling.successive_halving(2, 2, 4, 10)
    assert [rung.milestone for rung in halving.brackets[0].rungs] == [2, 4, 8]
    assert halving.brackets[0].cost(10) == 4 * 2 + 2 * 2 + 1 * 4 + 1 * 2
    assert ceiling.replay(halving, errors, iter([0, 2, 3, 4, 1, 5]), 18) == 0.2


def test_pruning_ceiling_hyperband_gives_each_bracket_about_the_same_budget() -> None:
    ceiling = _load_script("pruning_ceiling")

    # r=1, eta=2, R=10: bracket 0 has rungs 1, 2, 4, 8 (s_max = 4); the last has none.
    schedule = ceiling.hyperband(1, 2, 0, 10)
    brackets = schedule.brackets
    milestones = [[rung.milestone for rung in bracket.rungs] for bracket in brackets]
    assert milestones == [[1, 2, 4, 8], [2, 4, 8], [4, 8], [8], []]
    # Cohorts ceil((s_max + 1) / (s + 1) * eta**s) for s = 4, 3, 2, 1, 0 rungs.
    assert [b.cohort for b in brackets] == [16, 10, 7, 5, 5]
    assert [b.cost(10) for b in brackets] == [42, 40, 42, 44, 50]
    # Starting at the last bracket: the no-stop bracket comes first.
    assert ceiling.hyperband(1, 2, 4, 10).brackets[0].rungs == ()

    # Flat curves: bracket 0 alone finds the best of its 16 configurations.
    errors = np.repeat(np.linspace(0.9, 0.1, 16)[:, None], 10, axis=1)
    assert ceiling.replay(schedule, errors, iter(range(16)), 42) == pytest.approx(0.1)


def test_pruning_ceiling_prints_the_ceiling_beside_hypersweeps_pruners(tmp_path: Path) -> None:
    require("sklearn")
    import hypersweep.bench as bench

    bench.make_curves("LC1", n_configs=8, n_epochs=4, directory=tmp_path)

    out = _run(
        "pruning_ceiling.py", "--tasks", "LC1", "--seeds", "3", "--budget", "3",
        "--cache-dir", str(tmp_path),
    )  # fmt: skip

    assert "budget 12 epochs (1/1):" in out and "budget 4 epochs (1/3):" in out
    for label in ("hypersweep hs-sha", "hypersweep hs-hyperband", "best successive halving"):
        assert label in out
    assert "schedules that match no pruning with the whole budget:" in out


def test_pruning_ceiling_says_which_table_is_missing(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "pruning_ceiling.py"), "--cache-dir", str(tmp_path)],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    assert "hypersweep bench make-curves" in completed.stderr
    assert "Traceback" not in completed.stderr
