"""The scripts under ``benchmarks/`` run end to end and print their figures.

Their timings are the scripts' business; these tests only run them on tiny budgets, so that a
change to the library cannot break a benchmark unnoticed, and check that each prints the ratio
to the reference that its target is judged on.
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
import sys

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
