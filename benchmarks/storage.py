"""The cost of durable storage per trial, beside Optuna's, and the speed-up of worker processes.

Part 1 runs ``--n-trials`` trials of a trivial 5-parameter objective with random sampling, for
hypersweep and (when installed) Optuna, in memory, on SQLite and on PostgreSQL, in one run. The
objective costs microseconds, so the difference between a storage's time and the in-memory time
is the storage's own overhead per trial.

Part 2 runs a CPU-bound 200-trial study on one SQLite file with one worker process and with
``--workers`` worker processes (``optimize(executor=ProcessPoolExecutor(...))``) and reports the
speed-up.

PostgreSQL runs when ``--postgres-url`` or ``HYPERSWEEP_TEST_POSTGRES_URL`` names a server; the
benchmark creates the schemas ``hypersweep_bench`` and ``optuna_bench`` there (dropping them
first), so the two libraries' tables do not meet.

Usage:
    nice -n 10 python benchmarks/storage.py [--n-trials 1000] [--repeats 9] [--workers 4]
        [--postgres-url URL] [--skip-optuna]

Targets (issue 3): SQLite overhead at most 2 ms per trial and about 1/10 of Optuna's;
PostgreSQL overhead within 2x of SQLite's; 4 SQLite workers at least 1.7x faster than one.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import logging
import os
from pathlib import Path
import statistics
import tempfile
import time
from typing import Any
import urllib.parse

from _common import trivial_objective


def cpu_bound_objective(trial: Any) -> float:
    """About 30 ms of pure-Python arithmetic: the GIL keeps threads from helping."""
    x = trial.suggest_float("x", -5.0, 5.0)
    total = 0.0
    for i in range(300_000):
        total += (x * i) % 7.0
    return total * 1e-9 + x * x


def _with_schema(url: str, schema: str) -> str:
    """The URL with the PostgreSQL schema search path set to ``schema``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={urllib.parse.quote(f'-csearch_path={schema}')}"


def time_hypersweep(storage: str | None, n_trials: int) -> float:
    import hypersweep

    study = hypersweep.create_study(
        storage=storage, sampler=hypersweep.samplers.RandomSampler(seed=0)
    )
    start = time.perf_counter()
    study.optimize(trivial_objective, n_trials=n_trials)
    elapsed = time.perf_counter() - start
    study.storage.close()
    return elapsed


def time_optuna(storage: str | None, n_trials: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(trivial_objective, n_trials=n_trials)
    return time.perf_counter() - start


def time_workers(url: str, n_workers: int, n_trials: int) -> float:
    import hypersweep

    study = hypersweep.create_study(
        storage=url, study_name=f"cpu-{n_workers}", sampler=hypersweep.samplers.RandomSampler()
    )
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(n_workers) as pool:
        study.optimize(cpu_bound_objective, n_trials=n_trials, executor=pool)
    elapsed = time.perf_counter() - start
    finished = len(study.get_trials())
    study.storage.close()
    if finished != n_trials:
        raise RuntimeError(f"expected {n_trials} trials, got {finished}")
    return elapsed


def _round_trips_ms(url: str) -> tuple[float, float]:
    """A read round trip (``SELECT 1``) and a committed one-row write, in ms, on ``url``.

    Both go straight through the driver (psycopg, prepared statements, autocommit), and the
    write runs with ``synchronous_commit=off`` as hypersweep's sessions do: the least a durable
    write of one trial's state can cost on this server.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    connection: Any = engine.raw_connection().driver_connection
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("CREATE TABLE IF NOT EXISTS floor_probe (id int PRIMARY KEY, n int)")
        cursor.execute("INSERT INTO floor_probe VALUES (1, 0) ON CONFLICT DO NOTHING")
        timings = []
        for statement in ("SELECT 1", "UPDATE floor_probe SET n = n + 1 WHERE id = 1"):
            start = time.perf_counter()
            for _ in range(1000):
                cursor.execute(statement, prepare=True)
            timings.append(1e3 * (time.perf_counter() - start) / 1000)
        cursor.execute("DROP TABLE floor_probe")
    connection.close()
    engine.dispose()
    return timings[0], timings[1]


def _row(name: str, seconds: float, memory: float, n_trials: int) -> str:
    overhead = 1e3 * (seconds - memory) / n_trials
    return (
        f"  {name:<22} {seconds:8.2f} s  {1e3 * seconds / n_trials:7.2f} ms/trial  "
        f"storage overhead {overhead:6.2f} ms/trial"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=4, help="worker processes of part 2; 0 skips part 2"
    )
    parser.add_argument("--cpu-trials", type=int, default=200)
    parser.add_argument("--postgres-url", default=os.environ.get("HYPERSWEEP_TEST_POSTGRES_URL"))
    parser.add_argument("--repeats", type=int, default=9, help="runs of hypersweep per storage")
    parser.add_argument("--skip-optuna", action="store_true")
    args = parser.parse_args()
    for flag, value, least in (
        ("--n-trials", args.n_trials, 1),
        ("--workers", args.workers, 0),
        ("--cpu-trials", args.cpu_trials, 1),
        ("--repeats", args.repeats, 1),
    ):
        if value < least:
            parser.error(f"{flag} must be >= {least}, got {value}")
    logging.getLogger("hypersweep").setLevel(logging.WARNING)
    n = args.n_trials

    try:
        import optuna

        have_optuna = not args.skip_optuna
        optuna_version = optuna.__version__
    except ImportError:
        have_optuna = False
        optuna_version = "not installed"

    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        ours: dict[str, float] = {}
        theirs: dict[str, float] = {}
        storages: dict[str, tuple[str | None, str | None]] = {
            "memory": (None, None),
            "SQLite": (f"sqlite:///{folder / 'hs.db'}", f"sqlite:///{folder / 'optuna.db'}"),
        }
        if args.postgres_url:
            storages["PostgreSQL"] = (
                _with_schema(args.postgres_url, "hypersweep_bench"),
                _with_schema(args.postgres_url, "optuna_bench"),
            )
        # hypersweep's runs take seconds: repeat them, interleaved, and keep the median, so a
        # busy machine moves the figures less. Optuna's take minutes on SQLite: one run each.
        runs: dict[str, list[float]] = {name: [] for name in storages}
        for repeat in range(args.repeats):
            for name, (our_url, _) in storages.items():
                if name == "SQLite":  # a new file each time
                    our_url = f"sqlite:///{folder / f'hs-{repeat}.db'}"
                runs[name].append(time_hypersweep(our_url, n))
        ours = {name: statistics.median(times) for name, times in runs.items()}
        if have_optuna:
            for name, (_, their_url) in storages.items():
                theirs[name] = time_optuna(their_url, n)

        print(f"Part 1: {n} trials of a trivial 5-parameter objective, random sampling")
        print(f"hypersweep (median of {args.repeats} runs)")
        for name, seconds in ours.items():
            print(_row(name, seconds, ours["memory"], n))
        if have_optuna:
            print(f"optuna {optuna_version} (one run)")
            for name, seconds in theirs.items():
                print(_row(name, seconds, theirs["memory"], n))
        elif args.skip_optuna:
            print("optuna: skipped (--skip-optuna)")
        else:
            print(f"optuna: {optuna_version}; pip install 'hypersweep[bench]' to compare")
        print("ratios")
        # Each repeat runs every storage back to back, so its overheads share one state of the
        # machine; the medians over repeats of the overheads and of their ratio drift least.
        per_repeat = {
            name: [(t - m) / n for t, m in zip(times, runs["memory"], strict=True)]
            for name, times in runs.items()
            if name != "memory"
        }
        ours_overhead = {name: statistics.median(v) for name, v in per_repeat.items()}
        for name, overhead in ours_overhead.items():
            line = f"  {name}: hypersweep overhead {1e3 * overhead:.2f} ms/trial"
            if have_optuna:
                their_overhead = (theirs[name] - theirs["memory"]) / n
                line += (
                    f", optuna {1e3 * their_overhead:.2f} ms/trial, hypersweep / optuna "
                    f"{overhead / their_overhead:.3f} (target <= 0.1); total time ratio "
                    f"{ours[name] / theirs[name]:.3f}"
                )
            print(line)
        if "PostgreSQL" in ours_overhead:
            ratios = [
                postgres / sqlite
                for postgres, sqlite in zip(
                    per_repeat["PostgreSQL"], per_repeat["SQLite"], strict=True
                )
            ]
            print(
                f"  hypersweep PostgreSQL / SQLite overhead: {statistics.median(ratios):.2f} "
                f"(median of the {len(ratios)} repeats' ratios, which range "
                f"{min(ratios):.2f}-{max(ratios):.2f}; target <= 2)"
            )
            read, write = _round_trips_ms(storages["PostgreSQL"][0] or "")
            print(
                f"  PostgreSQL on this machine: a read round trip (SELECT 1) {read:.3f} ms, a "
                f"committed one-row write {write:.3f} ms. A trial makes two committed writes: "
                "its creation, which the worker waits for (it needs the trial's number), and "
                "its result, which is sent without waiting and written while the next trial "
                f"runs. One write is {1e-3 * write / ours_overhead['SQLite']:.2f}x this run's "
                "SQLite overhead per trial"
            )
        print(
            f"  target: SQLite overhead <= 2 ms/trial: "
            f"{'met' if ours_overhead['SQLite'] <= 2e-3 else 'NOT met'}"
        )

        if args.workers == 0:
            return
        print()
        print(
            f"Part 2: a CPU-bound {args.cpu_trials}-trial study (about 30 ms per trial) on one "
            f"SQLite file, {os.cpu_count()} CPUs"
        )
        url = f"sqlite:///{folder / 'workers.db'}"
        one = time_workers(url, 1, args.cpu_trials)
        many = time_workers(url, args.workers, args.cpu_trials)
        print(f"  1 worker process:  {one:7.2f} s")
        print(f"  {args.workers} worker processes: {many:7.2f} s")
        print(f"  speed-up: {one / many:.2f}x (target >= 1.7x with {args.workers} free CPUs)")


if __name__ == "__main__":
    main()
