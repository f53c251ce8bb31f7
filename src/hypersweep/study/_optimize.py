"""The optimize loop: threads in this process, or workers in an executor."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
import concurrent.futures
import dataclasses
import gc
import os
import threading
import time
import traceback
from typing import TYPE_CHECKING

from hypersweep._exceptions import SearchSpaceExhausted
from hypersweep._exceptions import TrialPruned
from hypersweep.logging import get_logger
from hypersweep.pruners import BasePruner
from hypersweep.samplers import BaseSampler
from hypersweep.study._progress import ProgressBar
from hypersweep.study._tell import check_value
from hypersweep.study._tell import finish
from hypersweep.study._tell import retry
from hypersweep.trial import FrozenTrial
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from hypersweep.study._study import Callback
    from hypersweep.study._study import ObjectiveFunc
    from hypersweep.study._study import Study

_logger = get_logger("hypersweep.study")

_STARTED_STATES = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_SLOT_PREFIX = "n_trials_slot:"


@dataclasses.dataclass
class _Budget:
    """Decides, before each trial, whether another one may start (shared by threads)."""

    n_trials: int | None
    deadline: float | None
    study_scope: bool
    started: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def take(self, study: Study) -> bool:
        if study._stop_flag.is_set():
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        if self.n_trials is None:
            return True
        if self.study_scope:
            return _claim_study_slot(study, self.n_trials)
        with self.lock:
            if self.started >= self.n_trials:
                return False
            self.started += 1
            return True


def _claim_study_slot(study: Study, n_trials: int) -> bool:
    """Reserve one of the study's ``n_trials`` trial slots; atomic across all workers.

    Slot ``k`` may be held by one worker only (a compare-and-set in the storage). Slots below
    the number of trials already started are skipped, so trials of earlier runs count too.
    """
    k = study._storage.get_n_trials(study._study_id, states=_STARTED_STATES)
    while k < n_trials:
        if study.set_system_attr_if_absent(f"{_SLOT_PREFIX}{k}", True):
            return True
        k += 1
    return False


class _Heartbeat:
    """Beats for the trials this process runs, so other workers can tell ours are alive."""

    def __init__(self, study: Study) -> None:
        self._study = study
        self._interval = study._storage.heartbeat_interval
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self._interval is not None:
            self._thread = threading.Thread(
                target=self._run,
                args=(self._interval,),
                name="hypersweep-heartbeat",
                daemon=True,
            )
            self._thread.start()

    def add(self, trial_id: int) -> None:
        if self._thread is None:
            return
        with self._lock:
            self._running.add(trial_id)
        self._study._storage.record_heartbeat([trial_id])

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._running.discard(trial_id)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                trial_ids = sorted(self._running)
            if not trial_ids:
                continue
            try:
                self._study._storage.record_heartbeat(trial_ids)
            except Exception:  # a missed beat is retried at the next interval
                _logger.debug(
                    "Heartbeat for trials %s failed; retrying.", trial_ids, exc_info=True
                )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def optimize(
    study: Study,
    func: ObjectiveFunc,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Sequence[Callback] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
    executor: concurrent.futures.Executor | None,
    n_trials_scope: str,
    retry_failed: int,
) -> None:
    """Implements ``Study.optimize``."""
    if not callable(func):
        raise TypeError(f"the objective must be callable, got {func!r}")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"n_trials must be None or an integer >= 0, got {n_trials!r}")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout < 0):
        raise ValueError(f"timeout must be None or a number of seconds >= 0, got {timeout!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if n_trials_scope not in ("call", "study"):
        raise ValueError(f"n_trials_scope must be 'call' or 'study', got {n_trials_scope!r}")
    if isinstance(retry_failed, bool) or not isinstance(retry_failed, int) or retry_failed < 0:
        raise ValueError(f"retry_failed must be an integer >= 0, got {retry_failed!r}")
    catch_types = _catch_tuple(catch)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1

    study._stop_flag.clear()
    if executor is not None:
        _optimize_in_executor(
            study,
            func,
            executor,
            n_trials,
            timeout,
            n_jobs,
            catch_types,
            retry_failed,
            n_trials_scope,
        )
        return

    deadline = None if timeout is None else time.monotonic() + timeout
    budget = _Budget(n_trials, deadline, study_scope=n_trials_scope == "study")
    progress = ProgressBar(study, n_trials, timeout) if show_progress_bar else None
    heartbeat = _Heartbeat(study)
    loop = _Loop(
        study,
        func,
        budget,
        catch_types,
        callbacks or (),
        gc_after_trial,
        progress,
        heartbeat,
        retry_failed,
    )
    try:
        if n_jobs == 1:
            loop.run()
        else:
            _run_threads(loop, n_jobs)
    finally:
        heartbeat.close()
        if progress is not None:
            progress.close()


def _run_threads(loop: _Loop, n_jobs: int) -> None:
    with concurrent.futures.ThreadPoolExecutor(n_jobs, "hypersweep-worker") as pool:
        futures = [pool.submit(loop.run) for _ in range(n_jobs)]
        try:
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()
                if error is not None:
                    loop.study.stop()
                    raise error
        except BaseException:
            loop.study.stop()
            raise


@dataclasses.dataclass
class _Loop:
    study: Study
    func: ObjectiveFunc
    budget: _Budget
    catch: tuple[type[Exception], ...]
    callbacks: Sequence[Callback]
    gc_after_trial: bool
    progress: ProgressBar | None
    heartbeat: _Heartbeat
    retry_failed: int

    def run(self) -> None:
        while self.budget.take(self.study):
            self._fail_stale_trials()
            try:
                frozen = run_trial(
                    self.study, self.func, self.catch, self.heartbeat, self.retry_failed
                )
            except SearchSpaceExhausted as exhausted:
                _logger.info("Stopping: %s.", exhausted)
                self.study.stop()
                return
            if frozen is None:
                continue
            for callback in self.callbacks:
                callback(self.study, frozen)
            if self.progress is not None:
                self.progress.update(frozen)
            if self.gc_after_trial:
                gc.collect()

    def _fail_stale_trials(self) -> None:
        storage = self.study._storage
        if storage.grace_period is None:
            return
        for trial_id in storage.fail_stale_trials(self.study._study_id, storage.grace_period):
            if self.retry_failed > 0:
                retry(self.study, storage.get_trial(trial_id), self.retry_failed)


def run_trial(
    study: Study,
    func: ObjectiveFunc,
    catch: tuple[type[Exception], ...],
    heartbeat: _Heartbeat | None = None,
    retry_failed: int = 0,
) -> FrozenTrial | None:
    """Run one trial of ``func`` and store its outcome.

    Returns:
        The finished trial's record.

    Raises:
        SearchSpaceExhausted: If the sampler has nothing left to try.
        Exception: What the objective raised, unless its type is in ``catch``.
    """
    trial = study.ask()
    trial_id = trial._trial_id
    if heartbeat is not None:
        heartbeat.add(trial_id)
    error: BaseException | None = None
    text: str | None = None
    try:
        value = func(trial)
    except TrialPruned:
        state, result, reason = TrialState.PRUNED, None, None
    except Exception as exception:
        error, text = exception, traceback.format_exc()
        state, result = TrialState.FAIL, None
        reason = f"the objective raised {type(exception).__name__}: {exception}"
    except KeyboardInterrupt as interrupt:
        error, text = interrupt, traceback.format_exc()
        record = study._storage.get_trial(trial_id)
        finish(
            study, record, TrialState.FAIL, None, "interrupted by KeyboardInterrupt", error, text
        )
        raise
    else:
        state, result, reason = check_value(trial.number, value)
        if reason is not None:
            _logger.warning("Trial %d failed: %s.", trial.number, reason)
    finally:
        if heartbeat is not None:
            heartbeat.discard(trial_id)

    record = study._storage.get_trial(trial_id)
    frozen = finish(study, record, state, result, reason, error, text, retry_failed)
    if error is not None and not isinstance(error, catch):
        raise error
    return frozen


def _catch_tuple(
    catch: Iterable[type[Exception]] | type[Exception],
) -> tuple[type[Exception], ...]:
    if isinstance(catch, type):
        catch = (catch,)
    types = tuple(catch)
    for item in types:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(f"catch must hold exception types, got {item!r}")
    return types


# --- Workers in an executor ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _WorkerTask:
    storage_url: str
    study_name: str
    func: ObjectiveFunc
    sampler: BaseSampler
    pruner: BasePruner
    n_trials: int | None
    deadline: float | None
    catch: tuple[type[Exception], ...]
    retry_failed: int


def _worker_main(task: _WorkerTask) -> int:
    """Body of one executor worker: reopen the study from its URL and run the loop."""
    from hypersweep.study._study import load_study

    task.sampler.reseed_rng()
    study = load_study(
        study_name=task.study_name,
        storage=task.storage_url,
        sampler=task.sampler,
        pruner=task.pruner,
    )
    timeout = None if task.deadline is None else max(0.0, task.deadline - time.time())
    before = study._storage.get_n_trials(study._study_id, states=_STARTED_STATES)
    try:
        optimize(
            study,
            task.func,
            n_trials=task.n_trials,
            timeout=timeout,
            n_jobs=1,
            catch=task.catch,
            callbacks=None,
            gc_after_trial=False,
            show_progress_bar=False,
            executor=None,
            n_trials_scope="study",
            retry_failed=task.retry_failed,
        )
        # Count before closing: a closed storage may not be used.
        return study._storage.get_n_trials(study._study_id, states=_STARTED_STATES) - before
    finally:
        study._storage.close()


def _optimize_in_executor(
    study: Study,
    func: ObjectiveFunc,
    executor: concurrent.futures.Executor,
    n_trials: int | None,
    timeout: float | None,
    n_workers: int,
    catch: tuple[type[Exception], ...],
    retry_failed: int,
    n_trials_scope: str,
) -> None:
    url = study._storage.url
    if url is None or (url.startswith("sqlite://") and ":memory:" in url):
        raise ValueError(
            "optimize(executor=...) needs a storage that other processes can open, got "
            f"{type(study._storage).__name__}; create the study with a database URL such as "
            "storage='sqlite:///tune.db'"
        )
    if n_workers == 1:
        n_workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    target = n_trials
    if n_trials is not None and n_trials_scope == "call":
        # Workers count against study-wide slots; this call's share starts after what exists.
        target = n_trials + study._storage.get_n_trials(study._study_id, states=_STARTED_STATES)
    task = _WorkerTask(
        storage_url=url,
        study_name=study.study_name,
        func=func,
        sampler=study.sampler,
        pruner=study.pruner,
        n_trials=target,
        deadline=None if timeout is None else time.time() + timeout,
        catch=catch,
        retry_failed=retry_failed,
    )
    futures = [executor.submit(_worker_main, task) for _ in range(n_workers)]
    errors = [f.exception() for f in concurrent.futures.as_completed(futures)]
    for error in errors:
        if error is not None:
            raise error
