from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.progress import TimeRemainingColumn

from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from hypersweep.study._study import Study


class ProgressBar:
    """A live bar on standard error: trials done of ``n_trials`` (or time of ``timeout``),
    the best value so far, time elapsed and an estimate of the time left."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        self._n_trials = n_trials
        self._timeout = timeout
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._maximize = study.direction == StudyDirection.MAXIMIZE
        self._best: float | None = None
        self._done = 0
        by_time = n_trials is None and timeout is not None
        columns = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s")
            if by_time
            else MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[best]}"),
        ]
        self._progress = Progress(*columns, transient=False)
        total = float(n_trials) if n_trials is not None else timeout
        self._task = self._progress.add_task("trials", total=total, best="best: -")
        self._progress.start()

    def update(self, trial: FrozenTrial) -> None:
        with self._lock:
            self._done += 1
            if trial.state == TrialState.COMPLETE and trial.value is not None:
                value = trial.value
                if self._best is None or (
                    value > self._best if self._maximize else value < self._best
                ):
                    self._best = value
            best = "best: -" if self._best is None else f"best: {self._best:.6g}"
            if self._n_trials is None and self._timeout is not None:
                completed = min(time.monotonic() - self._start, self._timeout)
            else:
                completed = float(self._done)
            self._progress.update(self._task, completed=completed, best=best)

    def close(self) -> None:
        if self._n_trials is None and self._timeout is not None:
            elapsed = min(time.monotonic() - self._start, self._timeout)
            if math.isfinite(elapsed):
                self._progress.update(self._task, completed=elapsed)
        self._progress.stop()
