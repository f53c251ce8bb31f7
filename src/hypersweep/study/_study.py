from __future__ import annotations

from collections.abc import Callable
from collections.abc import Container
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
import concurrent.futures
import copy
import math
import numbers
import os
import threading
from typing import TYPE_CHECKING
from typing import Any

from hypersweep._exceptions import DuplicatedStudyError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep.distributions import BaseDistribution
from hypersweep.logging import get_logger
from hypersweep.pruners import BasePruner
from hypersweep.pruners import NopPruner
from hypersweep.samplers import AutoSampler
from hypersweep.samplers import BaseSampler
from hypersweep.storages import BaseStorage
from hypersweep.storages import StudySummary
from hypersweep.storages import get_storage
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import Trial
from hypersweep.trial import TrialState
from hypersweep.trial._frozen import FIXED_PARAMS_KEY
from hypersweep.trial._frozen import create_trial

if TYPE_CHECKING:
    import pandas as pd

ObjectiveFunc = Callable[[Trial], float]
Callback = Callable[["Study", FrozenTrial], None]
StorageLike = str | os.PathLike[str] | BaseStorage | None

_logger = get_logger(__name__)


class Study:
    """A tuning job: an objective's trials, kept in a storage, driven by a sampler and a pruner.

    Create one with :func:`create_study` or :func:`load_study`. Several ``Study`` objects, in
    one process or many, may drive the same stored study at once.

    Args:
        study_name: The name of a study that exists in ``storage``.
        storage: A storage object, a database URL or a file path.
        sampler: The sampler (default: :class:`hypersweep.samplers.AutoSampler`).
        pruner: The pruner (default: :class:`hypersweep.pruners.NopPruner`, which never prunes).
    """

    def __init__(
        self,
        study_name: str,
        storage: StorageLike,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self._study_name = study_name
        self._direction = self._storage.get_study_direction(self._study_id)
        self.sampler = sampler if sampler is not None else _default_sampler()
        self.pruner = pruner if pruner is not None else NopPruner()
        self._stop_flag = threading.Event()
        self._thread_local = threading.local()

    # --- The public view that samplers, pruners and surfaces read ----------------------------

    @property
    def study_name(self) -> str:
        """The study's unique name in its storage."""
        return self._study_name

    @property
    def direction(self) -> StudyDirection:
        """Whether the objective is minimized or maximized."""
        return self._direction

    @property
    def storage(self) -> BaseStorage:
        """The storage the study lives in."""
        return self._storage

    def get_trials(
        self, deepcopy: bool = False, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials in order of number, optionally only those in ``states``.

        Records are immutable; ``deepcopy`` is accepted for compatibility and makes a copy.
        """
        trials = self._storage.get_all_trials(self._study_id, states=states)
        return copy.deepcopy(trials) if deepcopy else trials

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, in order of number."""
        return self.get_trials()

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value.

        Raises:
            ValueError: If no trial has completed yet.
        """
        best = self._storage.get_best_trial(self._study_id)
        if best is None:
            raise ValueError(
                f"study {self._study_name!r} has no COMPLETE trial yet, so it has no best trial"
            )
        return best

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of :attr:`best_trial`."""
        return dict(self.best_trial.params)

    @property
    def best_value(self) -> float:
        """The value of :attr:`best_trial`."""
        value = self.best_trial.value
        if value is None:  # pragma: no cover - a COMPLETE trial always has a value
            raise ValueError("the best trial has no value")
        return value

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The study's system attributes (written by hypersweep, its samplers and pruners)."""
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study."""
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Set a system attribute (for samplers and pruners; users want :meth:`set_user_attr`)."""
        self._storage.set_study_system_attr(self._study_id, key, value)

    def set_system_attr_if_absent(self, key: str, value: Any) -> bool:
        """Set a system attribute unless a worker did already; atomic across workers.

        Returns:
            ``True`` if this call set it.
        """
        return self._storage.set_study_system_attr_if_absent(self._study_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a system attribute on a running trial (for samplers and pruners)."""
        self._storage.set_trial_system_attr(trial_id, key, value)

    # --- Running trials ----------------------------------------------------------------------

    def optimize(
        self,
        func: ObjectiveFunc,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        *,
        executor: concurrent.futures.Executor | None = None,
        n_trials_scope: str = "call",
        retry_failed: int = 0,
    ) -> None:
        """Run trials of ``func`` until ``n_trials`` ran, ``timeout`` passed, or :meth:`stop`.

        Args:
            func: The objective: takes a :class:`Trial`, returns the value to optimize.
            n_trials: How many trials to run (``None``: until timeout or stop).
            timeout: Stop starting trials after this many seconds.
            n_jobs: Trials run at a time in threads of this process (``-1``: one per CPU).
                Threads help when the objective releases the GIL; for CPU-bound Python
                objectives pass a process ``executor``.
            catch: Exception types that fail a trial without stopping the study; any other
                exception fails the trial and is raised again.
            callbacks: Each is called as ``callback(study, finished_trial)`` after each trial.
            gc_after_trial: Run the garbage collector after each trial.
            show_progress_bar: Show a live progress bar on standard error.
            executor: Run workers in this ``concurrent.futures.Executor`` (for example a
                ``ProcessPoolExecutor``); each worker reopens the storage from its URL, so the
                storage must have one (SQLite or PostgreSQL).
            n_trials_scope: ``"call"`` (default) counts ``n_trials`` for this call;
                ``"study"`` makes it a target for the whole study across all workers and
                earlier runs.
            retry_failed: Re-enqueue a trial that failed (including one whose worker died) with
                the same parameters, up to this many times.

        Raises:
            ValueError: If an argument is out of range.
        """
        from hypersweep.study._optimize import optimize

        optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
            executor=executor,
            n_trials_scope=n_trials_scope,
            retry_failed=retry_failed,
        )

    def stop(self) -> None:
        """Start no new trial; trials already running finish.

        Call it from a callback or the objective. ``optimize`` returns once its running trials
        are done.
        """
        self._stop_flag.set()

    def ask(self, fixed_distributions: Mapping[str, BaseDistribution] | None = None) -> Trial:
        """Start a new trial, for loops the caller drives (finish it with :meth:`tell`).

        An enqueued trial is started first if there is one. ``fixed_distributions`` suggests
        those parameters at once (a declarative search space).

        Raises:
            SearchSpaceExhausted: If the sampler has nothing left to try (a finished grid).

        Example:
            >>> import hypersweep
            >>> study = hypersweep.create_study()
            >>> trial = study.ask()
            >>> x = trial.suggest_float("x", -1, 1)
            >>> study.tell(trial, x ** 2).state.name
            'COMPLETE'
        """
        frozen = self._storage.claim_waiting_trial(self._study_id)
        if frozen is None:
            reservation = self.sampler.reserve(self)
            template = None
            if reservation is not None:
                system_attrs = dict(reservation.system_attrs)
                system_attrs[FIXED_PARAMS_KEY] = dict(reservation.params)
                template = create_trial(state=TrialState.RUNNING, system_attrs=system_attrs)
            frozen = self._storage.create_new_trial(self._study_id, template)

        self.sampler.before_trial(self, frozen)
        trial = Trial(self, frozen)
        for name, distribution in (fixed_distributions or {}).items():
            trial._suggest(name, distribution)
        return trial

    def tell(
        self,
        trial: Trial | int,
        value: float | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial started by :meth:`ask`.

        Args:
            trial: The trial or its number.
            value: The objective value (needed for COMPLETE).
            state: The final state; COMPLETE if ``value`` is given, else FAIL.
            skip_if_finished: Return quietly if the trial is already finished.

        Returns:
            The record of the finished trial.

        Raises:
            ValueError: If the state is not final, or the trial is finished already and
                ``skip_if_finished`` is false.
        """
        from hypersweep.study._tell import tell

        return tell(self, trial, value, state, skip_if_finished=skip_if_finished)

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial with fixed parameters (published defaults, a known good setting).

        Queued trials run before any sampled one, in the order queued. Parameters that the
        objective suggests but ``params`` lacks are sampled as usual. Samplers treat the
        finished trial as an observation like any other.

        Args:
            params: Parameter names mapped to values (as the objective sees them).
            user_attrs: User attributes to give the trial.
            skip_if_exists: Do nothing if a trial with the same parameters is queued, running
                or finished already.
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping of names to values, got {params!r}")
        if skip_if_exists and self._has_trial_with_params(params):
            _logger.info("A trial with parameters %s exists; not enqueued again.", dict(params))
            return
        template = create_trial(
            state=TrialState.WAITING,
            user_attrs=user_attrs,
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
        )
        self._storage.create_new_trial(self._study_id, template)

    def _has_trial_with_params(self, params: Mapping[str, Any]) -> bool:
        for trial in self.get_trials():
            if trial.state == TrialState.WAITING:
                existing = trial.system_attrs.get(FIXED_PARAMS_KEY, {})
            else:
                existing = dict(trial.params)
            if all(k in existing and _same(existing[k], v) for k, v in params.items()):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial obtained elsewhere (see :func:`hypersweep.create_trial`)."""
        if not trial.state.is_finished():
            raise ValueError(
                f"add_trial() takes a finished trial (COMPLETE, PRUNED or FAIL), got "
                f"{trial.state.name}; use enqueue_trial() to queue parameters"
            )
        self._storage.create_new_trial(self._study_id, trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several finished trials (see :meth:`add_trial`)."""
        for trial in trials:
            self.add_trial(trial)

    def trials_dataframe(self, attrs: Sequence[str] | None = None) -> pd.DataFrame:
        """The trials as a pandas ``DataFrame`` (needs the ``pandas`` extra).

        Columns: ``number``, ``value``, ``state``, ``datetime_start``, ``datetime_complete``,
        ``duration``, one ``params_<name>`` column per parameter and one ``user_attrs_<key>``
        column per user attribute.
        """
        from hypersweep.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs)

    def __repr__(self) -> str:
        return f"Study(study_name={self._study_name!r}, direction={self._direction.name})"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0) or a == b
    return bool(a == b)


def _default_sampler() -> BaseSampler:
    return AutoSampler()


def create_study(
    *,
    study_name: str | None = None,
    storage: StorageLike = None,
    direction: str | StudyDirection = "minimize",
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a new study.

    Args:
        study_name: A unique name (one is made up if not given).
        storage: ``None`` for memory, a URL (``sqlite:///tune.db``,
            ``postgresql+psycopg://...``), a file path (SQLite), or a storage object.
        direction: ``"minimize"`` or ``"maximize"``.
        sampler: The sampler; the default picks a good one for the search space.
        pruner: The pruner; the default never prunes.
        load_if_exists: If a study of that name exists, continue it instead of failing.

    Raises:
        DuplicatedStudyError: If the name is taken and ``load_if_exists`` is false.
        ValueError: If the direction is neither minimize nor maximize, or an existing study
            was created with the other direction.

    Example:
        >>> import hypersweep
        >>> study = hypersweep.create_study(direction="maximize")
        >>> study.direction.name
        'MAXIMIZE'
    """
    direction = StudyDirection.parse(direction)
    backend = get_storage(storage)
    if load_if_exists and study_name is not None:
        try:
            study_id = backend.get_study_id_from_name(study_name)
        except StudyNotFoundError:
            pass
        else:
            existing = backend.get_study_direction(study_id)
            if existing != direction:
                raise ValueError(
                    f"study {study_name!r} exists with direction {existing.name.lower()}, but "
                    f"direction={direction.name.lower()!r} was given; use the same direction"
                )
            _logger.info("Continuing the existing study %r.", study_name)
            return Study(study_name, backend, sampler=sampler, pruner=pruner)
    try:
        study_id = backend.create_new_study(direction, study_name)
    except DuplicatedStudyError:
        # Another worker may have created it between the lookup and the creation.
        if load_if_exists and study_name is not None:
            return Study(study_name, backend, sampler=sampler, pruner=pruner)
        raise
    name = backend.get_study_name(study_id)
    _logger.info("Created study %r.", name)
    return Study(name, backend, sampler=sampler, pruner=pruner)


def load_study(
    study_name: str | None,
    storage: StorageLike,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Open an existing study.

    Args:
        study_name: The study's name; may be ``None`` if the storage holds exactly one study.
        storage: A storage object, a database URL or a file path.
        sampler: The sampler to continue with.
        pruner: The pruner to continue with.

    Raises:
        StudyNotFoundError: If the storage has no such study.
    """
    backend = get_storage(storage)
    if study_name is None:
        ids = backend.get_all_study_ids()
        if len(ids) != 1:
            raise ValueError(
                f"study_name is required: the storage holds {len(ids)} studies, not exactly one"
            )
        study_name = backend.get_study_name(ids[0])
    return Study(study_name, backend, sampler=sampler, pruner=pruner)


def delete_study(study_name: str, storage: StorageLike) -> None:
    """Delete a study and all its trials.

    Raises:
        StudyNotFoundError: If the storage has no such study.
    """
    backend = get_storage(storage)
    backend.delete_study(backend.get_study_id_from_name(study_name))


def get_all_study_summaries(storage: StorageLike) -> list[StudySummary]:
    """A summary of every study in ``storage`` (name, direction, counts, best value)."""
    return get_storage(storage).get_study_summaries()


def get_all_study_names(storage: StorageLike) -> list[str]:
    """The names of every study in ``storage``, in order of creation."""
    backend = get_storage(storage)
    return [backend.get_study_name(i) for i in backend.get_all_study_ids()]
