"""The driver: run every (problem, optimizer, seed) cell the same way and keep its full trace.

A *cell* is one study of one optimizer on one problem with one seed. The driver runs each cell
as a plain ask-and-tell loop:

1. ``ask`` (the sampler's time; with a declared flat space, the parameters are sampled here);
2. the objective (its ``suggest_*`` calls are counted as the sampler's time, the rest as the
   objective's); an exception or a non-finite value makes a failed trial;
3. noise: ``observed = f + noise_sd * z`` with ``z`` drawn from a generator seeded by
   ``(seed, trial number)`` -- common random numbers, the same for every optimizer;
4. ``tell`` with the observed value.

Every trial becomes one line of a JSON-lines trace (observed and noiseless value, times of
ask, tell and objective). A cell writes to ``seed-<k>.jsonl.partial`` and renames it to
``seed-<k>.jsonl`` when done, so a rerun skips the finished cells and redoes an interrupted one.

Results layout under ``out``::

    references.json                        f_ref (median of uniform random values) per problem
    traces/<problem>/<optimizer>/seed-<k>.jsonl
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
import concurrent.futures
import contextlib
import dataclasses
import datetime
import json
import logging
import math
import multiprocessing
import os
from pathlib import Path
import re
import statistics
import time
from typing import Any

import numpy as np

from hypersweep.bench._optimizers import COMPLETE
from hypersweep.bench._optimizers import FAIL
from hypersweep.bench._optimizers import check_optimizer
from hypersweep.bench._optimizers import make_optimizer
from hypersweep.bench._problem import Problem
from hypersweep.bench._problem import get_problem
from hypersweep.bench._problem import reference_samples
from hypersweep.logging import get_logger

_logger = get_logger(__name__)

REFERENCES_FILE = "references.json"
TRACES_DIR = "traces"


@dataclasses.dataclass(frozen=True)
class Tier:
    """A named set of problems, seeds and budgets.

    Attributes:
        name: ``quick`` or ``full``.
        problems: The problem ids run by default.
        n_seeds: Seeds ``0 .. n_seeds - 1``.
        n_trials: Budget per problem; a problem not listed uses its own ``n_trials``.
    """

    name: str
    problems: tuple[str, ...]
    n_seeds: int
    n_trials: dict[str, int]


TIERS: dict[str, Tier] = {
    # A guard against regressions, not a basis for claims: 5 seeds, 40 trials (50 from 8-D up).
    "quick": Tier(
        name="quick",
        problems=("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"),
        n_seeds=5,
        n_trials={
            "S1": 40, "S2": 40, "S3": 50, "S4": 40, "S5": 50,
            "S6": 40, "S7": 40, "S8": 40, "S9": 40, "S10": 50,
        },
    ),
    # The protocol: 20 seeds and each problem's own budget.
    "full": Tier(
        name="full",
        problems=(
            "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "R1", "R2", "R3", "R4",
        ),
        n_seeds=20,
        n_trials={},
    ),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Cell:
    """One study: an optimizer on a problem with a seed and a budget."""

    problem: str
    optimizer: str
    seed: int
    n_trials: int


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """What :func:`run` did.

    Attributes:
        out: The results directory.
        ran: Cells run now.
        skipped: Cells found finished and skipped.
        errors: Cells whose optimizer raised, with the error; they are redone on a rerun.
        n_failed_trials: Trials recorded as failed (objective raised or returned non-finite).
    """

    out: Path
    ran: list[Cell]
    skipped: list[Cell]
    errors: list[tuple[Cell, str]]
    n_failed_trials: int


def slug(label: str) -> str:
    """A file-name-safe form of an optimizer label (options included)."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", label).strip("_")


def cell_path(out: Path, cell: Cell) -> Path:
    """Where the finished trace of ``cell`` lives."""
    return Path(out) / TRACES_DIR / cell.problem / slug(cell.optimizer) / f"seed-{cell.seed}.jsonl"


def read_trace(path: Path) -> list[dict[str, Any]]:
    """The lines of a trace file, parsed."""
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def is_finished(out: Path, cell: Cell) -> bool:
    """Whether ``cell`` has a finished trace in ``out`` (the resume rule).

    A cell is finished when its final file exists (it is renamed from ``.partial`` only after
    its last line is written) and its header names the same problem, optimizer, seed and budget.

    Raises:
        ValueError: If a finished trace of the same cell has another budget.
    """
    path = cell_path(out, cell)
    if not path.exists():
        return False
    lines = read_trace(path)
    if not lines or lines[0].get("kind") != "header" or lines[-1].get("kind") != "end":
        return False
    header = lines[0]
    if (header["problem"], header["optimizer"], header["seed"]) != (
        cell.problem,
        cell.optimizer,
        cell.seed,
    ):
        return False
    if header["n_trials"] != cell.n_trials:
        raise ValueError(
            f"{path} was run with n_trials={header['n_trials']}, but n_trials={cell.n_trials} "
            "was asked; use another --out directory or the same budget"
        )
    return True


class _TimedTrial:
    """Forwards a trial's methods and counts the time spent inside ``suggest_*``."""

    def __init__(self, trial: Any) -> None:
        self._trial = trial
        self.suggest_seconds = 0.0

    def _timed(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self.suggest_seconds += time.perf_counter() - start

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        return float(self._timed(self._trial.suggest_float, name, low, high, step=step, log=log))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        return int(self._timed(self._trial.suggest_int, name, low, high, step=step, log=log))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._timed(self._trial.suggest_categorical, name, choices)

    def report(self, value: float, step: int) -> None:
        self._trial.report(value, step)

    def should_prune(self) -> bool:
        return bool(self._trial.should_prune())

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._trial.params)


def noise(seed: int, number: int) -> float:
    """The standard normal draw of trial ``number`` in seed ``seed`` (common random numbers)."""
    return float(np.random.default_rng([seed, number]).standard_normal())


def _json_safe(value: Any) -> Any:
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    return str(value)


def run_cell(problem: Problem, cell: Cell, out: Path) -> int:
    """Run one cell and write its trace; return how many trials failed.

    Raises:
        Exception: Whatever the optimizer raises (the objective's exceptions are recorded).
    """
    path = cell_path(out, cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    optimizer = make_optimizer(cell.optimizer, cell.seed)
    started = time.perf_counter()
    cpu_started = time.process_time()
    best: dict[str, Any] | None = None
    n_failed = 0
    with open(partial, "w", encoding="utf-8") as file:
        header = {
            "kind": "header",
            "problem": cell.problem,
            "optimizer": cell.optimizer,
            "seed": cell.seed,
            "n_trials": cell.n_trials,
            "optimum": problem.optimum,
            "noise_sd": problem.noise_sd,
            "versions": _versions(cell.optimizer),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        file.write(json.dumps(header) + "\n")
        for number in range(cell.n_trials):
            # Step 1: ask (and, for a flat declared space, sample).
            start = time.perf_counter()
            trial = optimizer.ask(problem.space)
            asked = time.perf_counter()
            timed = _TimedTrial(trial)

            # Step 2: the objective; its suggest_* calls count as the sampler's time.
            error: str | None = None
            noiseless: float | None = None
            try:
                noiseless = float(problem.objective(timed))
            except Exception as exception:
                error = f"{type(exception).__name__}: {exception}"
            evaluated = time.perf_counter()
            if noiseless is not None and not math.isfinite(noiseless):
                error = f"the objective returned {noiseless}"

            # Step 3: common random numbers for the noise.
            observed = noiseless
            if error is None and noiseless is not None and problem.noise_sd > 0:
                observed = noiseless + problem.noise_sd * noise(cell.seed, number)

            # Step 4: tell.
            told = time.perf_counter()
            if error is None:
                optimizer.tell(trial, observed, COMPLETE)
            else:
                n_failed += 1
                optimizer.tell(trial, noiseless, FAIL)
            finished = time.perf_counter()

            params = {k: _json_safe(v) for k, v in timed.params.items()}
            line = {
                "kind": "trial",
                "number": number,
                "state": COMPLETE if error is None else FAIL,
                "value": _json_safe(observed) if error is None else None,
                "noiseless": _json_safe(noiseless) if error is None else None,
                "params": params,
                "ask_s": (asked - start) + timed.suggest_seconds,
                "objective_s": (evaluated - asked) - timed.suggest_seconds,
                "tell_s": finished - told,
                "error": error,
            }
            file.write(json.dumps(line) + "\n")
            file.flush()
            if error is None and (best is None or line["value"] < best["value"]):
                best = line

        # The incumbent (chosen on observed values) and its held-out value.
        test_value: float | None = None
        if best is not None and problem.test_objective is not None:
            try:
                test_value = float(problem.test_objective(best["params"]))
            except Exception as exception:
                _logger.warning("Held-out test of %s failed: %s", cell, exception)
        end = {
            "kind": "end",
            "incumbent": None if best is None else best["number"],
            "incumbent_params": None if best is None else best["params"],
            "test_value": _json_safe(test_value),
            "n_failed": n_failed,
            "wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu_started,
        }
        file.write(json.dumps(end) + "\n")
    os.replace(partial, path)
    return n_failed


def _versions(optimizer: str) -> dict[str, str]:
    import hypersweep

    versions = {"hypersweep": hypersweep.__version__}
    if optimizer.startswith("optuna"):
        with contextlib.suppress(ImportError):
            import optuna

            versions["optuna"] = optuna.__version__
    return versions


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Silence the per-trial log lines of hypersweep and Optuna (failures are in the traces)."""
    hypersweep_logger = logging.getLogger("hypersweep")
    old_level = hypersweep_logger.level
    hypersweep_logger.setLevel(logging.ERROR)
    # Optuna sets its logger's level when it is first imported: import it before quieting it.
    with contextlib.suppress(ImportError):
        import optuna  # noqa: F401
    optuna_logger = logging.getLogger("optuna")
    old_optuna = optuna_logger.level
    optuna_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hypersweep_logger.setLevel(old_level)
        optuna_logger.setLevel(old_optuna)


def _worker_init() -> None:
    # One thread per worker: the pool already uses every core it is given.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        threadpool_limits(1)
    logging.getLogger("hypersweep").setLevel(logging.ERROR)
    with contextlib.suppress(ImportError):
        import optuna  # noqa: F401
    logging.getLogger("optuna").setLevel(logging.ERROR)


def _run_cell_task(problem: Problem, cell: Cell, out: Path) -> tuple[int, str | None]:
    try:
        return run_cell(problem, cell, out), None
    except Exception as exception:
        return 0, f"{type(exception).__name__}: {exception}"


def _reference_task(problem: Problem) -> dict[str, Any]:
    values = reference_samples(problem)
    return {
        "f_ref": statistics.median(values) if values else None,
        "best": min(values) if values else None,
        "n_samples": len(values),
    }


def load_references(out: Path) -> dict[str, dict[str, Any]]:
    """The stored reference statistics (``f_ref``, best sampled value) by problem."""
    path = Path(out) / REFERENCES_FILE
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as file:
        data: dict[str, dict[str, Any]] = json.load(file)
    return data


def save_references(out: Path, references: dict[str, dict[str, Any]]) -> None:
    """Store the reference statistics atomically."""
    path = Path(out) / REFERENCES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(references, file, indent=1, sort_keys=True)
    os.replace(temporary, path)


def ensure_references(
    problems: Sequence[Problem], out: Path, executor: concurrent.futures.Executor | None = None
) -> dict[str, dict[str, Any]]:
    """Compute ``f_ref`` for the problems that lack it in ``out`` and store it."""
    references = load_references(out)
    todo = [p for p in problems if p.name not in references]
    if executor is None:
        for problem in todo:
            references[problem.name] = _reference_task(problem)
    else:
        futures = {p.name: executor.submit(_reference_task, p) for p in todo}
        for name, future in futures.items():
            references[name] = future.result()
    if todo:
        save_references(out, references)
    return references


def plan(
    optimizers: Sequence[str],
    *,
    tier: str = "quick",
    problems: Sequence[str] | None = None,
    seeds: int | Sequence[int] | None = None,
    n_trials: int | None = None,
) -> list[Cell]:
    """The cells of a run, problem by problem, then optimizer, then seed.

    Args:
        optimizers: Optimizer labels.
        tier: ``quick`` or ``full``; gives the default problems, seeds and budgets.
        problems: Problem names (default: the tier's).
        seeds: A number of seeds (``0 .. n - 1``) or the seeds themselves (default: the tier's).
        n_trials: One budget for every problem (default: the tier's, else the problem's).

    Raises:
        ValueError: If the tier, a problem or an optimizer is unknown, or a count is < 1.
    """
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {sorted(TIERS)}, got {tier!r}")
    spec = TIERS[tier]
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer, got none")
    for label in optimizers:
        check_optimizer(label)
    names = list(problems) if problems else list(spec.problems)
    resolved = [get_problem(name) for name in names]
    if seeds is None:
        seed_list = list(range(spec.n_seeds))
    elif isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {seeds}")
        seed_list = list(range(seeds))
    else:
        seed_list = [int(s) for s in seeds]
    if n_trials is not None and n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    cells = []
    for problem in resolved:
        budget = n_trials or spec.n_trials.get(problem.name, problem.n_trials)
        for label in optimizers:
            for seed in seed_list:
                cells.append(Cell(problem.name, label, seed, budget))
    return cells


def run(
    optimizers: Sequence[str],
    *,
    tier: str = "quick",
    problems: Sequence[str] | None = None,
    seeds: int | Sequence[int] | None = None,
    n_trials: int | None = None,
    jobs: int = 1,
    out: str | os.PathLike[str] = "bench-results",
    on_cell: Callable[[Cell, bool, int, int], None] | None = None,
) -> RunSummary:
    """Run the benchmark cells that are not finished yet, ``jobs`` at a time.

    Args:
        optimizers: Optimizer labels (see :data:`hypersweep.bench.OPTIMIZERS`).
        tier: ``quick`` or ``full``.
        problems: Problem names (default: the tier's).
        seeds: A number of seeds or the seeds themselves (default: the tier's).
        n_trials: One budget for every problem (default: the tier's).
        jobs: Worker processes (1 runs in this process).
        out: The results directory; finished cells in it are skipped.
        on_cell: Called as ``on_cell(cell, skipped, n_done, n_total)`` after each cell.

    Returns:
        What ran, what was skipped, and the cells whose optimizer raised.

    Raises:
        ValueError: If an argument is invalid (see :func:`plan`) or ``jobs < 1``.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    out_dir = Path(out)
    cells = plan(optimizers, tier=tier, problems=problems, seeds=seeds, n_trials=n_trials)
    by_name = {name: get_problem(name) for name in dict.fromkeys(c.problem for c in cells)}
    skipped = [c for c in cells if is_finished(out_dir, c)]
    todo = [c for c in cells if c not in skipped]
    # Expensive optimizers first, so that the pool does not end on one slow cell.
    todo.sort(key=lambda c: (("gp" not in c.optimizer), -c.n_trials))
    total = len(cells)
    done = 0
    for cell in skipped:
        done += 1
        if on_cell is not None:
            on_cell(cell, True, done, total)

    errors: list[tuple[Cell, str]] = []
    n_failed = 0
    with quiet_libraries():
        if jobs == 1:
            ensure_references(list(by_name.values()), out_dir)
            for cell in todo:
                failed, error = _run_cell_task(by_name[cell.problem], cell, out_dir)
                n_failed += failed
                if error is not None:
                    errors.append((cell, error))
                done += 1
                if on_cell is not None:
                    on_cell(cell, False, done, total)
        else:
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=jobs, mp_context=context, initializer=_worker_init
            ) as executor:
                futures = {
                    executor.submit(_run_cell_task, by_name[c.problem], c, out_dir): c
                    for c in todo
                }
                ensure_references(list(by_name.values()), out_dir, executor)
                try:
                    for future in concurrent.futures.as_completed(futures):
                        cell = futures[future]
                        failed, error = future.result()
                        n_failed += failed
                        if error is not None:
                            errors.append((cell, error))
                        done += 1
                        if on_cell is not None:
                            on_cell(cell, False, done, total)
                except BaseException:
                    executor.shutdown(wait=False, cancel_futures=True)
                    raise
    for cell, error in errors:
        _logger.error("Cell %s failed: %s", cell, error)
    return RunSummary(out_dir, todo, skipped, errors, n_failed)
