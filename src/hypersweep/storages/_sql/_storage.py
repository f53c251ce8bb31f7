"""The SQL storage: studies and trials in SQLite or PostgreSQL, shared by many workers."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Container
from collections.abc import Iterable
from collections.abc import Sequence
import dataclasses
import datetime
import json
import math
import os
import threading
import time
from typing import Any
from typing import TypeVar
from typing import cast
import uuid
import weakref

import sqlalchemy as sa
from sqlalchemy import exc

from hypersweep._exceptions import DuplicatedStudyError
from hypersweep._exceptions import StorageError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep._exceptions import TrialNotFoundError
from hypersweep._exceptions import UpdateFinishedTrialError
from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import check_compatible
from hypersweep.distributions import distribution_to_json
from hypersweep.distributions import json_to_distribution
from hypersweep.logging import get_logger
from hypersweep.storages._base import BaseStorage
from hypersweep.storages._base import StudySummary
from hypersweep.storages._base import check_value_for_state
from hypersweep.storages._sql import _engine
from hypersweep.storages._sql import _migrations
from hypersweep.storages._sql import _models as m
from hypersweep.storages._sql import _raw
from hypersweep.storages._sql._raw import Cursor
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState
from hypersweep.trial._frozen import FAIL_REASON_KEY

_logger = get_logger(__name__)

_T = TypeVar("_T")

DEFAULT_STUDY_NAME_PREFIX = "no-name-"

#: How long the changes of a running trial (parameters, attributes, intermediate values) may
#: wait in this process before they are written. Finishing the trial writes them at once, in
#: the same transaction; a trial that runs longer has them written after this delay, so that
#: other workers (parallel-aware samplers, pruners) see them while it runs.
FLUSH_DELAY = 0.05

#: Above this many trials, child rows are read by study rather than by a list of trial ids.
_MAX_ID_LIST = 500

#: A study found without WAITING trials is not asked again for this many seconds (unless this
#: storage object enqueues one), which saves a query per trial; a trial enqueued by another
#: worker waits at most this long.
_WAITING_RECHECK = 0.5

#: The background thread polls every half :data:`FLUSH_DELAY` while trials run (waking it on
#: every change would cost more than the writes), and every ``_IDLE_POLL`` seconds after
#: ``_LINGER`` seconds without any.
_LINGER = 2.0
_IDLE_POLL = 0.25

_RUNNING = int(TrialState.RUNNING)
_WAITING = int(TrialState.WAITING)
_FAIL = int(TrialState.FAIL)
_COMPLETE = int(TrialState.COMPLETE)
_RUNNING_AND_FINAL = (
    TrialState.RUNNING,
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAIL,
)


@dataclasses.dataclass(eq=False)
class _Live:
    """A RUNNING trial that this storage object runs: its record and its unwritten changes.

    Only the worker running a trial writes to it, so this process's view of the trial is the
    trial; reads are answered from here and writes wait in the ``pending_*`` buffers until the
    trial finishes, a heartbeat is sent, or :data:`FLUSH_DELAY` passes.
    """

    trial_id: int
    study_id: int
    number: int
    datetime_start: datetime.datetime | None
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    intermediate_values: dict[int, float]
    last_beat: float
    pending_params: dict[str, tuple[float, str]] = dataclasses.field(default_factory=dict)
    pending_user_attrs: dict[str, str] = dataclasses.field(default_factory=dict)
    pending_system_attrs: dict[str, str] = dataclasses.field(default_factory=dict)
    pending_values: dict[int, float] = dataclasses.field(default_factory=dict)
    dirty_since: float | None = None
    snapshot: FrozenTrial | None = None
    # Held while this trial's changes are written, so that a background flush and the
    # finishing transaction never interleave.
    io_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def freeze(self) -> FrozenTrial:
        if self.snapshot is None:
            self.snapshot = FrozenTrial(
                number=self.number,
                trial_id=self.trial_id,
                state=TrialState.RUNNING,
                value=None,
                params=dict(self.params),
                distributions=dict(self.distributions),
                user_attrs=dict(self.user_attrs),
                system_attrs=dict(self.system_attrs),
                intermediate_values=dict(self.intermediate_values),
                datetime_start=self.datetime_start,
                datetime_complete=None,
            )
        return self.snapshot

    def touch(self) -> None:
        self.snapshot = None
        if self.dirty_since is None:
            self.dirty_since = time.monotonic()

    def take_pending(self) -> _Pending:
        return _Pending(
            params=dict(self.pending_params),
            user_attrs=dict(self.pending_user_attrs),
            system_attrs=dict(self.pending_system_attrs),
            values=dict(self.pending_values),
        )

    def clear_pending(self, written: _Pending) -> None:
        """Forget the changes in ``written``, unless they were changed again since."""
        _forget(self.pending_params, written.params)
        _forget(self.pending_user_attrs, written.user_attrs)
        _forget(self.pending_system_attrs, written.system_attrs)
        _forget(self.pending_values, written.values)
        if not (
            self.pending_params
            or self.pending_user_attrs
            or self.pending_system_attrs
            or self.pending_values
        ):
            self.dirty_since = None


_K = TypeVar("_K")
_V = TypeVar("_V")


def _forget(buffer: dict[_K, _V], written: dict[_K, _V]) -> None:
    for key, value in written.items():
        if buffer.get(key) == value:
            del buffer[key]


@dataclasses.dataclass(frozen=True)
class _Pending:
    """Changes of a running trial taken from its buffers, to be written in one transaction."""

    params: dict[str, tuple[float, str]]
    user_attrs: dict[str, str]
    system_attrs: dict[str, str]
    values: dict[int, float]

    def __bool__(self) -> bool:
        return bool(self.params or self.user_attrs or self.system_attrs or self.values)

    def columns(
        self,
    ) -> tuple[dict[str, tuple[float, str]], dict[str, str], dict[str, str], dict[int, float]]:
        return self.params, self.user_attrs, self.system_attrs, self.values


@dataclasses.dataclass
class _StudyCache:
    """Finished trials of one study, kept because finished trials never change.

    ``prefix`` holds the finished trials numbered ``0 .. len(prefix) - 1``; trials from there on
    are listed from the database again, but only those not in ``finished_ids`` are read whole.
    """

    prefix: list[FrozenTrial] = dataclasses.field(default_factory=list)
    finished_ids: set[int] = dataclasses.field(default_factory=set)


# Storages alive in this process, so a forked child can drop its copies of their connections.
_ALL_STORAGES: weakref.WeakSet[SQLStorage] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for storage in list(_ALL_STORAGES):
        storage._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class SQLStorage(BaseStorage):
    """Studies and trials in an SQLite file or a PostgreSQL database, safe for many workers.

    Any number of threads, processes and (with PostgreSQL) machines may use the same database
    at once. A trial is created in one transaction and finished in one more, which also writes
    its parameters and attributes: other changes of a running trial are kept in this process and
    written within :data:`FLUSH_DELAY` seconds, so other workers see the parameters of running
    trials. On PostgreSQL the worker's own finish (:meth:`finish_own_trial`, what the optimize
    loop and ``tell`` call) is sent without waiting for the server's answer when no other worker
    can have failed the trial as stale, so the server writes it while the worker goes on.
    Finished trials never change, so they are read from the database once per storage object
    and served from memory afterwards.

    A RUNNING trial is seen by the storage object running it as that object wrote it: if
    another worker changes or finishes the trial meanwhile (for example, fails it as stale), the
    running worker learns it when it finishes the trial, which then returns ``False``.

    Workers prove they are alive: every ``heartbeat_interval`` seconds a background thread
    records a heartbeat for each trial this storage object runs. A RUNNING trial without a
    heartbeat for ``grace_period`` seconds is failed by the next worker that calls
    :meth:`fail_stale_trials` (the optimize loop does so before every trial).

    Durability: a commit survives the crash or ``SIGKILL`` of any worker. SQLite runs in WAL
    mode with ``synchronous=NORMAL`` and PostgreSQL sessions with ``synchronous_commit=off``, so
    only a crash of the database's machine (a power cut) may lose the last fraction of a second
    of commits, never consistency; this spares a disk flush per commit.

    Args:
        url: A database URL: ``sqlite:///path/to/file.db`` (created if missing),
            ``sqlite:///:memory:`` (this process only) or
            ``postgresql+psycopg://user:password@host:5432/database`` (needs the ``postgres``
            extra). The query parameters ``heartbeat_interval`` and ``grace_period`` set the
            arguments of the same names, so that workers opening the URL agree on them.
        heartbeat_interval: Seconds between heartbeats, or ``None`` to record none (then
            trials of killed workers stay RUNNING).
        grace_period: Seconds without a heartbeat after which a RUNNING trial is failed;
            six heartbeat intervals by default.
        engine_kwargs: Extra arguments for :func:`sqlalchemy.create_engine` (pool sizes,
            for example).

    Raises:
        StorageError: If the URL is malformed or names another database, the server cannot be
            reached, the database has an older schema (run ``hypersweep storage upgrade``) or a
            newer one, or the file is not a hypersweep database (it is left unchanged).
        ValueError: If a time argument is not a positive number, or the grace period is not
            longer than the heartbeat interval.

    Example:
        >>> import hypersweep
        >>> storage = hypersweep.storages.SQLStorage("sqlite:///:memory:")
        >>> study = hypersweep.create_study(storage=storage, study_name="demo")
        >>> study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
        >>> storage.get_study_summaries()[0].n_trials[hypersweep.TrialState.COMPLETE]
        3
    """

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None = 10.0,
        grace_period: float | None = None,
        engine_kwargs: dict[str, Any] | None = None,
    ) -> None:
        parsed, settings = _engine.parse_url(url)
        if _engine.HEARTBEAT_INTERVAL_PARAM in settings:
            from_url = settings[_engine.HEARTBEAT_INTERVAL_PARAM]
            heartbeat_interval = None if from_url == 0 else from_url
        grace_period = settings.get(_engine.GRACE_PERIOD_PARAM, grace_period)
        self.heartbeat_interval, self.grace_period = _check_times(heartbeat_interval, grace_period)
        self._url = parsed

        if parsed.get_backend_name() == "sqlite":
            _engine.check_sqlite_file(parsed)
        self._engine = _engine.create_engine(parsed, engine_kwargs)
        try:
            _migrations.prepare(self._engine, parsed)
        except exc.DBAPIError as error:
            self._engine.dispose()
            raise _unreachable(parsed, error) from None
        except BaseException:
            self._engine.dispose()
            raise
        self._writer = _engine.writer(self._engine)
        self._raw = _raw.Connections(self._engine)
        # On PostgreSQL the hot statements are single statements that need no transaction.
        self._postgres = self._engine.dialect.name == "postgresql"
        self._clock_offset = self._measure_clock_offset()

        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._live: dict[int, _Live] = {}
        self._finished: dict[int, tuple[int, FrozenTrial]] = {}
        self._caches: dict[int, _StudyCache] = {}
        self._study_info: dict[int, tuple[str, StudyDirection]] = {}
        self._stale_checked: dict[int, float] = {}
        self._no_waiting_since: dict[int, float] = {}
        self._last_live = time.monotonic()
        self._distributions: dict[str, BaseDistribution] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        # Connections are closed when the storage is closed or garbage-collected.
        self._release = weakref.finalize(self, _release, self._raw, self._engine)
        _ALL_STORAGES.add(self)

    # --- Lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        """The database URL (with the heartbeat settings, if not the defaults).

        ``None`` for an SQLite database in memory, which no other process can open.
        """
        if _engine.is_memory_sqlite(self._url):
            return None
        url = self._url
        query: dict[str, str] = {}
        if self.heartbeat_interval != 10.0:
            interval = self.heartbeat_interval
            query[_engine.HEARTBEAT_INTERVAL_PARAM] = "0" if interval is None else repr(interval)
        if (
            self.heartbeat_interval is not None
            and self.grace_period != 6 * self.heartbeat_interval
        ):
            query[_engine.GRACE_PERIOD_PARAM] = repr(self.grace_period)
        if query:
            url = url.update_query_dict(query)
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        """Write what is buffered, stop the heartbeat thread and close the connections.

        Trials this storage object was running stay RUNNING; other workers fail them once
        their heartbeats are older than the grace period.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for live in list(self._live.values()):
            try:
                self._flush(live)
            except Exception:  # the trial stays RUNNING and fails as stale; nothing finished
                _logger.debug("Could not write buffered changes of trial %d.", live.number)
        self._release()

    def __repr__(self) -> str:
        return f"SQLStorage({_engine.describe(self._url)!r})"

    def _forget_after_fork(self) -> None:
        # A forked child must not use (or close) the parent's connections, locks or trials.
        self._engine.dispose(close=False)
        self._raw.forget_after_fork()
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._live = {}
        self._thread = None

    # --- Studies -----------------------------------------------------------------------------

    def create_new_study(self, direction: StudyDirection, study_name: str | None = None) -> int:
        name = (
            study_name if study_name is not None else f"{DEFAULT_STUDY_NAME_PREFIX}{uuid.uuid4()}"
        )

        def body(connection: sa.Connection) -> int:
            statement = sa.insert(m.studies).values(study_name=name, direction=int(direction))
            return int(connection.execute(statement.returning(m.studies.c.study_id)).scalar_one())

        try:
            study_id = self._write(body)
        except exc.IntegrityError:
            raise DuplicatedStudyError(
                f"a study named {name!r} exists already; pass load_if_exists=True to continue it "
                "or choose another name"
            ) from None
        with self._lock:
            self._study_info[study_id] = (name, StudyDirection(direction))
        return study_id

    def delete_study(self, study_id: int) -> None:
        def body(connection: sa.Connection) -> int:
            statement = sa.delete(m.studies).where(m.studies.c.study_id == study_id)
            return int(connection.execute(statement).rowcount)

        if self._write(body) == 0:
            raise _no_study(study_id)
        with self._lock:
            self._caches.pop(study_id, None)
            self._study_info.pop(study_id, None)
            for trial_id in [i for i, (s, _) in self._finished.items() if s == study_id]:
                del self._finished[trial_id]
            for trial_id in [i for i, live in self._live.items() if live.study_id == study_id]:
                del self._live[trial_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        def body(connection: sa.Connection) -> Any:
            statement = sa.select(m.studies.c.study_id, m.studies.c.direction).where(
                m.studies.c.study_name == study_name
            )
            return connection.execute(statement).first()

        row = self._read(body)
        if row is None:
            raise StudyNotFoundError(f"no study named {study_name!r} in this storage")
        with self._lock:
            self._study_info[int(row[0])] = (study_name, StudyDirection(row[1]))
        return int(row[0])

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id)[0]

    def get_study_direction(self, study_id: int) -> StudyDirection:
        return self._study(study_id)[1]

    def get_all_study_ids(self) -> list[int]:
        def body(connection: sa.Connection) -> list[int]:
            statement = sa.select(m.studies.c.study_id).order_by(m.studies.c.study_id)
            return [int(i) for i in connection.execute(statement).scalars()]

        return self._read(body)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(m.study_user_attrs, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(m.study_system_attrs, study_id, key, value)

    def set_study_system_attr_if_absent(self, study_id: int, key: str, value: Any) -> bool:
        text = _to_json(key, value)

        def body(cursor: Cursor) -> bool:
            _require_study(cursor, study_id)
            arguments = {"study_id": study_id, "key": key, "value_json": text}
            return cursor.execute(_raw.SET_STUDY_SYSTEM_ATTR_IF_ABSENT, arguments).rowcount == 1

        return self._raw.run(body, write=True)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(m.study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(m.study_system_attrs, study_id)

    def get_study_summaries(self) -> list[StudySummary]:
        """A :class:`StudySummary` of every study, from five queries whatever their size."""
        t = m.trials

        def body(connection: sa.Connection) -> list[StudySummary]:
            studies = connection.execute(
                sa.select(
                    m.studies.c.study_id, m.studies.c.study_name, m.studies.c.direction
                ).order_by(m.studies.c.study_id)
            ).all()
            counts: dict[int, dict[TrialState, int]] = {}
            for study_id, state, count in connection.execute(
                sa.select(t.c.study_id, t.c.state, sa.func.count()).group_by(
                    t.c.study_id, t.c.state
                )
            ):
                counts.setdefault(study_id, {})[TrialState(state)] = int(count)
            best = {
                row[0]: (row[1], row[2])
                for row in connection.execute(
                    sa.select(t.c.study_id, sa.func.min(t.c.value), sa.func.max(t.c.value))
                    .where(t.c.state == _COMPLETE)
                    .group_by(t.c.study_id)
                )
            }
            times = {
                row[0]: (row[1], row[2], row[3])
                for row in connection.execute(
                    sa.select(
                        t.c.study_id,
                        sa.func.min(t.c.datetime_start),
                        sa.func.max(t.c.datetime_start),
                        sa.func.max(t.c.datetime_complete),
                    ).group_by(t.c.study_id)
                )
            }
            attrs: dict[int, dict[str, Any]] = {}
            for study_id, key, text in connection.execute(
                sa.select(
                    m.study_user_attrs.c.study_id,
                    m.study_user_attrs.c.key,
                    m.study_user_attrs.c.value_json,
                )
            ):
                attrs.setdefault(study_id, {})[key] = json.loads(text)

            summaries = []
            for study_id, name, direction_code in studies:
                direction = StudyDirection(direction_code)
                low, high = best.get(study_id, (None, None))
                first, last_start, last_complete = times.get(study_id, (None, None, None))
                stamps = [s for s in (last_start, last_complete) if s is not None]
                summaries.append(
                    StudySummary(
                        study_id=int(study_id),
                        study_name=str(name),
                        direction=direction,
                        n_trials={
                            state: counts.get(study_id, {}).get(state, 0) for state in TrialState
                        },
                        best_value=low if direction == StudyDirection.MINIMIZE else high,
                        datetime_start=first,
                        last_activity=max(stamps) if stamps else None,
                        user_attrs=attrs.get(study_id, {}),
                    )
                )
            return summaries

        return self._read(body)

    # --- Trials: creating and claiming -------------------------------------------------------

    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        now = datetime.datetime.now()
        state = TrialState.RUNNING if template is None else template.state
        value = None if template is None else template.value
        start = now if template is None else template.datetime_start
        complete = None if template is None else template.datetime_complete
        beat = self._beat_now() if state == TrialState.RUNNING else None
        encoded_value, kind = m.encode_float(value)
        params = {} if template is None else _params_rows(template)
        user_attrs = {} if template is None else _json_rows(template.user_attrs)
        system_attrs = {} if template is None else _json_rows(template.system_attrs)
        values = {} if template is None else dict(template.intermediate_values)

        row = {
            "study_id": study_id,
            "state": int(state),
            "value": encoded_value,
            "value_kind": kind,
            "datetime_start": start,
            "datetime_complete": complete,
            "heartbeat": beat,
        }

        # The study's counter row serializes trial creation per study: numbers are unique and
        # trial ids grow with numbers in the order of commits.
        def body(cursor: Cursor) -> tuple[int, int]:
            number = cursor.execute(_raw.NEXT_NUMBER, {"study_id": study_id}).one()
            if number is None:
                raise _no_study(study_id)
            number = int(number) - 1
            arguments = row | {
                "number": number,
                "datetime_start": cursor.timestamp(start),
                "datetime_complete": cursor.timestamp(complete),
            }
            trial_id = int(cursor.execute(_raw.INSERT_TRIAL, arguments).one())
            _raw.write_children(cursor, trial_id, params, user_attrs, system_attrs, values)
            return number, trial_id

        if self._postgres:
            # Overlaps the finish of this worker's previous trial, which it cannot observe.
            sql, children = _raw.pg_statement(
                _raw.PG_CREATE_TRIAL, params, user_attrs, system_attrs, values
            )
            created = self._raw.run_wire(sql, row | children, overlap=True)
            if not created:
                raise _no_study(study_id)
            trial_id, number = (int(column) for column in created[0])
        else:
            number, trial_id = self._raw.run(body, write=True)
        if state == TrialState.WAITING:
            with self._lock:
                self._no_waiting_since.pop(study_id, None)

        if template is None:
            live = self._adopt(trial_id, study_id, number, start, {}, {}, {}, {}, {})
            return live.freeze()
        record = FrozenTrial(
            number=number,
            trial_id=trial_id,
            state=state,
            value=value,
            params=dict(template.params),
            distributions=dict(template.distributions),
            user_attrs=_round_trip(template.user_attrs),
            system_attrs=_round_trip(template.system_attrs),
            intermediate_values=values,
            datetime_start=start,
            datetime_complete=complete,
        )
        if state == TrialState.RUNNING:
            live = self._adopt(
                trial_id,
                study_id,
                number,
                start,
                dict(record.params),
                dict(record.distributions),
                dict(record.user_attrs),
                dict(record.system_attrs),
                values,
            )
            return live.freeze()
        if state.is_finished():
            with self._lock:
                self._remember(study_id, record)
        return record

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            checked = self._no_waiting_since.get(study_id)
        if checked is not None and time.monotonic() - checked < _WAITING_RECHECK:
            return None

        def find(cursor: Cursor) -> int | None:
            candidate = cursor.execute(_raw.FIRST_WAITING, {"study_id": study_id}).one()
            return None if candidate is None else int(candidate)

        while True:
            now = time.monotonic()
            candidate = self._raw.run(find, write=False, single=True)
            if candidate is None:
                self._study(study_id)  # raises StudyNotFoundError for an unknown id
                with self._lock:
                    self._no_waiting_since[study_id] = now
                return None
            claimed = self._claim(candidate)
            if claimed is not None:
                return claimed
            _logger.debug("Trial id %d was claimed by another worker; trying the next.", candidate)

    def _claim(self, trial_id: int) -> FrozenTrial | None:
        """Move one WAITING trial to RUNNING if no other worker did; adopt it."""
        now = datetime.datetime.now()
        beat = self._beat_now()

        def body(cursor: Cursor) -> tuple[int, FrozenTrial] | None:
            # Compare-and-set: of all workers claiming this trial, exactly one changes it.
            claimed = cursor.execute(
                "UPDATE trials SET state = 0, datetime_start = :datetime_start, "
                "heartbeat = :heartbeat WHERE trial_id = :trial_id AND state = 4",
                {
                    "datetime_start": cursor.timestamp(now),
                    "heartbeat": beat,
                    "trial_id": trial_id,
                },
            ).rowcount
            if claimed != 1:
                return None
            return self._load_with(cursor, [trial_id])[trial_id]

        loaded = self._raw.run(body, write=True)
        if loaded is None:
            return None
        study_id, record = loaded
        live = self._adopt(
            trial_id,
            study_id,
            record.number,
            record.datetime_start,
            dict(record.params),
            dict(record.distributions),
            dict(record.user_attrs),
            dict(record.system_attrs),
            dict(record.intermediate_values),
        )
        return live.freeze()

    # --- Trials: writing ---------------------------------------------------------------------

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        external = distribution.to_external_repr(internal_value)
        with self._lock:
            live = self._live.get(trial_id)
            if live is not None:
                old = live.distributions.get(name)
                if old is not None:
                    check_compatible(name, old, distribution)
                live.params[name] = external
                live.distributions[name] = distribution
                live.pending_params[name] = (float(internal_value), _json(distribution))
                self._changed(live)
                return
        self._check_not_cached_finished(trial_id)
        text = _json(distribution)

        def body(cursor: Cursor) -> None:
            _lock_unfinished(cursor, trial_id)
            old = cursor.execute(
                "SELECT distribution_json FROM trial_params WHERE trial_id = :trial_id "
                "AND name = :name",
                {"trial_id": trial_id, "name": name},
            ).one()
            if old is not None:
                check_compatible(name, self._distribution(old), distribution)
            _raw.write_children(cursor, trial_id, {name: (internal_value, text)}, {}, {}, {})

        self._raw.run(body, write=True)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            live = self._live.get(trial_id)
            if live is not None:
                live.intermediate_values[step] = float(value)
                live.pending_values[step] = float(value)
                self._changed(live)
                return
        self._write_through(trial_id, values={step: float(value)})

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, system=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, system=True)

    def _set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool) -> None:
        """Buffer an attribute of a trial this process runs; write anyone else's at once."""
        text = _to_json(key, value)
        with self._lock:
            live = self._live.get(trial_id)
            if live is not None:
                attrs = live.system_attrs if system else live.user_attrs
                pending = live.pending_system_attrs if system else live.pending_user_attrs
                attrs[key] = json.loads(text)
                pending[key] = text
                self._changed(live)
                return
        if system:
            self._write_through(trial_id, system_attrs={key: text})
        else:
            self._write_through(trial_id, user_attrs={key: text})

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        check_value_for_state(state, value)
        state = TrialState(state)
        if state == TrialState.WAITING:
            self.get_trial(trial_id)  # raises TrialNotFoundError for an unknown id
            return False
        if state == TrialState.RUNNING:
            if self._claim(trial_id) is not None:
                return True
            self.get_trial(trial_id)
            return False
        return self._finish(trial_id, state, value, wait=True)

    def finish_own_trial(self, trial_id: int, state: TrialState, value: float | None) -> bool:
        """Finish a trial this storage object runs; on PostgreSQL, without waiting if safe.

        The finish is sent and not waited for when no other worker can have failed the trial
        as stale (:meth:`_unchallenged`): the server writes it while this worker creates and
        samples its next trial. It is as durable as a finish waited for (a worker killed just
        after sending does not unsend it, and the server completes a statement it received);
        its answer is read before this storage's next read that could observe it.
        """
        check_value_for_state(state, value)
        if not TrialState(state).is_finished():
            return self.set_trial_state_values(trial_id, state, value)
        return self._finish(trial_id, TrialState(state), value, wait=False)

    def _finish(
        self, trial_id: int, state: TrialState, value: float | None, *, wait: bool
    ) -> bool:
        now = datetime.datetime.now()
        encoded_value, kind = m.encode_float(value)
        with self._lock:
            live = self._live.get(trial_id)
            if live is None and trial_id in self._finished:
                return False
        arguments = {
            "trial_id": trial_id,
            "state": int(state),
            "value": encoded_value,
            "value_kind": kind,
            "datetime_complete": now,
        }

        def body(cursor: Cursor, pending: _Pending | None) -> bool:
            # Compare-and-set: only an unfinished trial is finished, by exactly one worker.
            stamped = arguments | {"datetime_complete": cursor.timestamp(now)}
            if cursor.execute(_raw.FINISH_TRIAL, stamped).rowcount != 1:
                if live is None:
                    _require_trial(cursor, trial_id)
                return False
            if pending:
                _raw.write_children(
                    cursor,
                    trial_id,
                    pending.params,
                    pending.user_attrs,
                    pending.system_attrs,
                    pending.values,
                )
            return True

        if live is None:
            return self._raw.run(lambda cursor: body(cursor, None), write=True)

        with live.io_lock:
            with self._lock:
                pending = live.take_pending()
            record = live.freeze().replace(state=state, value=value, datetime_complete=now)
            if not self._postgres:
                done = self._raw.run(lambda cursor: body(cursor, pending), write=True)
            elif not wait and self._unchallenged(live):
                self._send_finish(live.study_id, record, arguments, pending)
                return True
            else:
                sql, children = _raw.pg_statement(_raw.PG_FINISH_TRIAL, *pending.columns())
                done = int(self._raw.run_wire(sql, arguments | children)[0][0]) == 1
            with self._lock:
                self._live.pop(trial_id, None)
                if done:
                    self._remember(live.study_id, record)
        return done

    def _unchallenged(self, live: _Live) -> bool:
        """Whether no other worker can have finished ``live`` yet (so its finish must succeed).

        Other workers finish a trial only when they find it stale: it has had no heartbeat for
        a grace period. A trial that beat less than half a grace period ago (or that records no
        heartbeats, and so is never stale) cannot have been. Only a second ``tell`` of the same
        trial from elsewhere, a misuse, could still beat this worker to it.
        """
        if self.heartbeat_interval is None or self.grace_period is None:
            return True
        return time.monotonic() - live.last_beat < self.grace_period / 2

    def _send_finish(
        self,
        study_id: int,
        record: FrozenTrial,
        arguments: dict[str, Any],
        pending: _Pending,
    ) -> None:
        """Finish a live trial on PostgreSQL without waiting for the server's answer.

        The finished record is kept at once, as if the answer were in; :meth:`_settle_finish`
        reads the answer later (see :meth:`_raw.Connections.send`).
        """
        sql, children = _raw.pg_statement(_raw.PG_FINISH_TRIAL, *pending.columns())
        with self._lock:
            self._live.pop(record.trial_id, None)
            self._remember(study_id, record)
        try:
            self._raw.send(
                sql,
                arguments | children,
                lambda rows: self._settle_finish(study_id, record, rows),
            )
        except BaseException:
            # Whether the server has it is unknown: read the trial from the database again.
            with self._lock:
                self._forget(study_id, record.trial_id)
            raise

    def _settle_finish(
        self, study_id: int, record: FrozenTrial, rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Act on the answer to a finish sent without waiting: the count of trials it finished.

        A count of 0 means the trial was finished already: by this very statement, when its
        answer was lost with a connection and it was run again (the stored completion time is
        then this one), or by another worker. In that last case the stored record stands, as
        when a waiting finish returns ``False``, and replaces the one kept here.
        """
        if rows and int(rows[0][0]) == 1:
            return
        stored = self._load([record.trial_id], overlap=True).get(record.trial_id)
        if stored is not None and (
            stored[1].state == record.state
            and stored[1].datetime_complete == record.datetime_complete
        ):
            return
        with self._lock:
            self._forget(study_id, record.trial_id)
            if stored is not None:
                self._remember(study_id, stored[1])
        _logger.warning(
            "Trial %d was already %s when its worker's result, %s, reached the database; the "
            "stored result is kept.",
            record.number,
            "deleted" if stored is None else stored[1].state.name,
            record.state.name,
        )

    # --- Trials: reading ---------------------------------------------------------------------

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            cached = self._finished.get(trial_id)
            if cached is not None:
                return cached[1]
            live = self._live.get(trial_id)
            if live is not None:
                return live.freeze()

        loaded = self._load([trial_id]).get(trial_id)
        if loaded is None:
            raise TrialNotFoundError(f"no trial with id {trial_id} in this storage")
        study_id, record = loaded
        if record.state.is_finished():
            with self._lock:
                self._remember(study_id, record)
        return record

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            cache = self._caches.setdefault(study_id, _StudyCache())
            prefix = list(cache.prefix)
            known = set(cache.finished_ids)
        scan_from = len(prefix)

        def listing(cursor: Cursor) -> list[Any]:
            arguments = {"study_id": study_id, "from_number": scan_from}
            return cursor.execute(_raw.LIST_TRIALS, arguments).all()

        # Trials this process finished are answered from its cache, so these reads need not
        # wait for finishes in flight.
        rows = [
            (int(i), int(n), int(s))
            for i, n, s in self._raw.run(listing, write=False, single=True, overlap=True)
        ]
        if not rows and not prefix:
            self._study(study_id)  # raises StudyNotFoundError for an unknown id
        wanted = [row[0] for row in rows if row[0] not in known]
        loaded: dict[int, tuple[int, FrozenTrial]] = {}
        if wanted:
            loaded = self._load(wanted, study_id=study_id, from_number=scan_from, overlap=True)

        with self._lock:
            tail: list[FrozenTrial] = []
            for trial_id, _, _ in rows:
                if trial_id in self._finished:
                    tail.append(self._finished[trial_id][1])
                    continue
                if trial_id not in loaded:
                    continue  # its study was deleted meanwhile
                record = loaded[trial_id][1]
                live = self._live.get(trial_id)
                if live is not None and record.state == TrialState.RUNNING:
                    record = live.freeze()
                elif record.state.is_finished():
                    self._remember(study_id, record)
                tail.append(record)
            cache = self._caches.setdefault(study_id, _StudyCache())
            for record in tail:
                if record.number != len(cache.prefix) or not record.state.is_finished():
                    break
                cache.prefix.append(record)

        trials = prefix + tail
        if states is None:
            return trials
        return [trial for trial in trials if trial.state in states]

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        sql = "SELECT count(*) FROM trials WHERE study_id = :study_id"
        if states is not None:
            codes = [str(int(s)) for s in TrialState if s in states]
            sql += f" AND state IN ({', '.join(codes)})" if codes else " AND 1 = 0"

        def body(cursor: Cursor) -> int:
            return int(cursor.execute(sql, {"study_id": study_id}).one())

        # A finish in flight moves a trial from RUNNING to a final state: a count of all of
        # them (the optimize loop's study-wide budget) is the same before and after it.
        overlap = states is None or all(state in states for state in _RUNNING_AND_FINAL)
        count = self._raw.run(body, write=False, single=True, overlap=overlap)
        if count == 0:
            self._study(study_id)  # raises StudyNotFoundError for an unknown id
        return count

    def get_trial_id_from_study_id_trial_number(self, study_id: int, number: int) -> int:
        t = m.trials

        def body(connection: sa.Connection) -> int | None:
            found = connection.execute(
                sa.select(t.c.trial_id).where(t.c.study_id == study_id, t.c.number == number)
            ).scalar_one_or_none()
            if found is None:
                self._require_study(connection, study_id)
            return None if found is None else int(found)

        trial_id = self._read(body)
        if trial_id is None:
            raise TrialNotFoundError(f"study {study_id} has no trial number {number}")
        return trial_id

    def get_best_trial(self, study_id: int) -> FrozenTrial | None:
        t = m.trials
        direction = self.get_study_direction(study_id)
        order = t.c.value.asc() if direction == StudyDirection.MINIMIZE else t.c.value.desc()

        def body(connection: sa.Connection) -> int | None:
            found = connection.execute(
                sa.select(t.c.trial_id)
                .where(t.c.study_id == study_id, t.c.state == _COMPLETE)
                .order_by(order, t.c.number)
                .limit(1)
            ).scalar_one_or_none()
            return None if found is None else int(found)

        trial_id = self._read(body)
        return None if trial_id is None else self.get_trial(trial_id)

    # --- Heartbeats --------------------------------------------------------------------------

    def record_heartbeat(self, trial_ids: Sequence[int]) -> None:
        """Record heartbeats now, and write what the trials have buffered.

        A trial this storage object runs and beat less than half an interval ago is skipped:
        the background thread beats it anyway.
        """
        if self.heartbeat_interval is None or not trial_ids:
            return
        now = time.monotonic()
        with self._lock:
            due = []
            for trial_id in trial_ids:
                live = self._live.get(trial_id)
                if live is None or now - live.last_beat >= self.heartbeat_interval / 2:
                    due.append(trial_id)
            lives = [self._live[i] for i in trial_ids if i in self._live]
        for live in lives:
            if live.dirty_since is not None:
                self._flush(live)
        if due:
            self._beat(due)

    def fail_stale_trials(self, study_id: int, grace_period: float) -> list[int]:
        """Fail the RUNNING trials whose heartbeat is older than ``grace_period`` seconds.

        Trials of this storage object are never failed: their worker is this process, alive.
        The check runs at most once per tenth of the grace period (at most once a second).
        """
        now = time.monotonic()
        with self._lock:
            last = self._stale_checked.get(study_id)
            if last is not None and now - last < min(1.0, grace_period / 10):
                return []
            self._stale_checked[study_id] = now
            own = set(self._live)
        cutoff = self._clock() - grace_period
        t = m.trials

        def find(connection: sa.Connection) -> list[int]:
            statement = sa.select(t.c.trial_id).where(
                t.c.study_id == study_id,
                t.c.state == _RUNNING,
                t.c.heartbeat.is_not(None),
                t.c.heartbeat < cutoff,
            )
            return [int(i) for i in connection.execute(statement).scalars() if int(i) not in own]

        stale = self._read(find)
        if not stale:
            return []
        reason = json.dumps(
            f"its worker stopped sending heartbeats (none for more than {grace_period:g} s): "
            "the process was killed, its machine lost, or it hung"
        )
        now_stamp = datetime.datetime.now()

        def fail(cursor: Cursor) -> list[int]:
            failed = []
            for trial_id in stale:
                # Compare-and-set: the trial is failed only if it is still RUNNING and still
                # silent, so exactly one worker fails it and a late heartbeat saves it.
                changed = cursor.execute(
                    "UPDATE trials SET state = :state, datetime_complete = :datetime_complete "
                    "WHERE trial_id = :trial_id AND state = 0 AND heartbeat < :cutoff",
                    {
                        "state": _FAIL,
                        "datetime_complete": cursor.timestamp(now_stamp),
                        "trial_id": trial_id,
                        "cutoff": cutoff,
                    },
                ).rowcount
                if changed == 1:
                    _raw.write_children(cursor, trial_id, {}, {}, {FAIL_REASON_KEY: reason}, {})
                    failed.append(trial_id)
            return failed

        failed = self._raw.run(fail, write=True)
        for trial_id in failed:
            _logger.warning(
                "Trial id %d failed: its worker sent no heartbeat for %g s.",
                trial_id,
                grace_period,
            )
        return failed

    def _measure_clock_offset(self) -> float:
        """Seconds to add to this machine's clock to read the database server's.

        Heartbeats are compared between workers, which on PostgreSQL may run on machines whose
        clocks disagree; stamping them in the server's time keeps a skewed worker's live trials
        from looking stale. Measured once, at the middle of a round trip (error below half of
        it). SQLite is on this machine: offset 0.
        """
        if not self._postgres:
            return 0.0

        def read(connection: sa.Connection) -> float:
            before = time.time()
            server = connection.execute(
                sa.text("SELECT extract(epoch FROM clock_timestamp())")
            ).scalar_one()
            return float(server) - (before + time.time()) / 2

        return self._read(read)

    def _clock(self) -> float:
        """Now, in the database server's time (see :meth:`_measure_clock_offset`)."""
        return time.time() + self._clock_offset

    def _beat_now(self) -> float | None:
        return None if self.heartbeat_interval is None else self._clock()

    def _beat(self, trial_ids: Sequence[int]) -> None:
        stamp = self._clock()
        ids = ", ".join(str(int(i)) for i in trial_ids)

        def body(cursor: Cursor) -> None:
            cursor.execute(
                f"UPDATE trials SET heartbeat = :heartbeat WHERE trial_id IN ({ids}) "
                "AND state = 0",
                {"heartbeat": stamp},
            )

        self._raw.run(body, write=True, single=True, overlap=True)
        now = time.monotonic()
        with self._lock:
            for trial_id in trial_ids:
                live = self._live.get(trial_id)
                if live is not None:
                    live.last_beat = now

    # --- The background thread: buffered writes and heartbeats -------------------------------

    def _adopt(
        self,
        trial_id: int,
        study_id: int,
        number: int,
        start: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        values: dict[int, float],
    ) -> _Live:
        """Start running a trial in this process: keep its record and beat for it."""
        live = _Live(
            trial_id=trial_id,
            study_id=study_id,
            number=number,
            datetime_start=start,
            params=params,
            distributions=distributions,
            user_attrs=user_attrs,
            system_attrs=system_attrs,
            intermediate_values=values,
            last_beat=time.monotonic(),
        )
        with self._lock:
            self._live[trial_id] = live
            self._last_live = time.monotonic()
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=_background,
                    args=(weakref.ref(self), self._wake, self.heartbeat_interval),
                    name="hypersweep-sql-storage",
                    daemon=True,
                )
                self._thread.start()
        return live

    def _changed(self, live: _Live) -> None:
        live.touch()

    def _background_round(self, next_beat: float) -> tuple[float, float] | None:
        """One round of the background thread: write what waited long enough, beat if due.

        Returns:
            How long to sleep and when the next heartbeat is due, or ``None`` once closed.
        """
        interval = self.heartbeat_interval
        half = FLUSH_DELAY / 2
        with self._lock:
            if self._closed:
                return None
            now = time.monotonic()
            if self._live:
                self._last_live = now
            due = [
                live
                for live in self._live.values()
                if live.dirty_since is not None and now - live.dirty_since >= half
            ]
            beat = [live.trial_id for live in self._live.values()] if now >= next_beat else []
            idle = not self._live and now - self._last_live > _LINGER
        try:
            for live in due:
                self._flush(live)
            if beat:
                self._beat(beat)
        except Exception:  # retried at the next round; finishing a trial writes all it has
            _logger.debug("Background write failed; retrying.", exc_info=True)
        if now >= next_beat and interval is not None:
            next_beat = now + interval
        return (_IDLE_POLL if idle else half), next_beat

    def _flush(self, live: _Live) -> None:
        """Write the buffered changes of a running trial in one transaction."""
        with live.io_lock:
            with self._lock:
                if live.trial_id not in self._live:
                    return
                pending = live.take_pending()
            if not pending:
                return

            def body(cursor: Cursor) -> bool:
                if cursor.execute(_raw.LOCK_RUNNING, {"trial_id": live.trial_id}).rowcount != 1:
                    return False
                _raw.write_children(
                    cursor,
                    live.trial_id,
                    pending.params,
                    pending.user_attrs,
                    pending.system_attrs,
                    pending.values,
                )
                return True

            # Writes of a running trial cannot observe the finishes in flight.
            if self._postgres:
                sql, children = _raw.pg_statement(_raw.PG_WRITE_RUNNING, *pending.columns())
                arguments = {"trial_id": live.trial_id} | children
                rows = self._raw.run_wire(sql, arguments, overlap=True)
                written = int(rows[0][0]) == 1
            else:
                written = self._raw.run(body, write=True, overlap=True)
            with self._lock:
                if written:
                    live.clear_pending(pending)
                else:
                    # Another worker finished it (failed it as stale): its record is final.
                    _logger.warning(
                        "Trial %d was finished by another worker while running here; its "
                        "later changes are not kept.",
                        live.number,
                    )
                    self._live.pop(live.trial_id, None)

    # --- Helpers -----------------------------------------------------------------------------

    def _remember(self, study_id: int, record: FrozenTrial) -> None:
        """Keep a finished trial's record for good (call with the lock held)."""
        self._finished[record.trial_id] = (study_id, record)
        self._caches.setdefault(study_id, _StudyCache()).finished_ids.add(record.trial_id)

    def _forget(self, study_id: int, trial_id: int) -> None:
        """Drop a kept record that turned out wrong (call with the lock held)."""
        found = self._finished.pop(trial_id, None)
        cache = self._caches.get(study_id)
        if cache is None:
            return
        cache.finished_ids.discard(trial_id)
        if found is not None and found[1].number < len(cache.prefix):
            del cache.prefix[found[1].number :]

    def _read(self, body: Callable[[sa.Connection], _T]) -> _T:
        self._raw.settle()
        return _engine.run_transaction(self._engine, body)

    def _write(self, body: Callable[[sa.Connection], _T]) -> _T:
        self._raw.settle()
        return _engine.run_transaction(self._writer, body)

    def _study(self, study_id: int) -> tuple[str, StudyDirection]:
        with self._lock:
            info = self._study_info.get(study_id)
        if info is not None:
            return info

        def body(connection: sa.Connection) -> Any:
            statement = sa.select(m.studies.c.study_name, m.studies.c.direction).where(
                m.studies.c.study_id == study_id
            )
            return connection.execute(statement).first()

        row = self._read(body)
        if row is None:
            raise _no_study(study_id)
        info = (str(row[0]), StudyDirection(row[1]))
        with self._lock:
            self._study_info[study_id] = info
        return info

    def _require_study(self, connection: sa.Connection, study_id: int) -> None:
        found = connection.execute(
            sa.select(m.studies.c.study_id).where(m.studies.c.study_id == study_id)
        ).first()
        if found is None:
            raise _no_study(study_id)

    def _check_not_cached_finished(self, trial_id: int) -> None:
        with self._lock:
            cached = self._finished.get(trial_id)
        if cached is not None:
            record = cached[1]
            raise UpdateFinishedTrialError(
                f"trial {record.number} is {record.state.name} and can no longer be changed"
            )

    def _write_through(
        self,
        trial_id: int,
        *,
        user_attrs: dict[str, str] | None = None,
        system_attrs: dict[str, str] | None = None,
        values: dict[int, float] | None = None,
    ) -> None:
        """Write a change to a trial that another worker (or no one) runs, at once."""
        self._check_not_cached_finished(trial_id)

        def body(cursor: Cursor) -> None:
            _lock_unfinished(cursor, trial_id)
            _raw.write_children(
                cursor, trial_id, {}, user_attrs or {}, system_attrs or {}, values or {}
            )

        self._raw.run(body, write=True)

    def _set_study_attr(self, table: sa.Table, study_id: int, key: str, value: Any) -> None:
        text = _to_json(key, value)
        sql = (
            f"INSERT INTO {table.name} (study_id, key, value_json) VALUES (:study_id, :key, "
            ":value_json) ON CONFLICT (study_id, key) DO UPDATE SET value_json = "
            "excluded.value_json"
        )

        def body(cursor: Cursor) -> None:
            _require_study(cursor, study_id)
            cursor.execute(sql, {"study_id": study_id, "key": key, "value_json": text})

        self._raw.run(body, write=True)

    def _get_study_attrs(self, table: sa.Table, study_id: int) -> dict[str, Any]:
        def body(connection: sa.Connection) -> dict[str, Any]:
            rows = connection.execute(
                sa.select(table.c.key, table.c.value_json).where(table.c.study_id == study_id)
            ).all()
            if not rows:
                self._require_study(connection, study_id)
            return {key: json.loads(text) for key, text in rows}

        return self._read(body)

    def _distribution(self, text: str) -> BaseDistribution:
        distribution = self._distributions.get(text)
        if distribution is None:
            distribution = json_to_distribution(text)
            self._distributions[text] = distribution
        return distribution

    def _load(
        self,
        trial_ids: Sequence[int],
        *,
        study_id: int | None = None,
        from_number: int = 0,
        overlap: bool = False,
    ) -> dict[int, tuple[int, FrozenTrial]]:
        """Read whole trial records (see :meth:`_load_with`), outside any transaction."""
        if not trial_ids:
            return {}

        def body(cursor: Cursor) -> dict[int, tuple[int, FrozenTrial]]:
            return self._load_with(cursor, trial_ids, study_id=study_id, from_number=from_number)

        return self._raw.run(body, write=False, single=True, overlap=overlap)

    def _load_with(
        self,
        cursor: Cursor,
        trial_ids: Sequence[int],
        *,
        study_id: int | None = None,
        from_number: int = 0,
    ) -> dict[int, tuple[int, FrozenTrial]]:
        """Read whole trial records: the trial rows first, then their children.

        The order makes the records consistent without a transaction: a finished trial's
        children were all written by the statement that finished it, so a trial read as
        finished is read whole, and a running one is at worst read with a newer child.
        """
        wanted = {int(i) for i in trial_ids}
        if not wanted:
            return {}
        arguments: dict[str, Any] = {}
        if study_id is not None and len(wanted) > _MAX_ID_LIST:
            # Many trials (a first read of a big study): select by study, not by a list of ids.
            where = "study_id = :study_id AND number >= :from_number"
            owners = f"SELECT trial_id FROM trials WHERE {where}"
            arguments = {"study_id": study_id, "from_number": from_number}
        else:
            owners = ", ".join(str(i) for i in sorted(wanted))
            where = f"trial_id IN ({owners})"
        rows = cursor.execute(
            "SELECT trial_id, study_id, number, state, value, value_kind, datetime_start, "
            f"datetime_complete FROM trials WHERE {where}",
            arguments,
        ).all()
        params: dict[int, dict[str, Any]] = {i: {} for i in wanted}
        distributions: dict[int, dict[str, BaseDistribution]] = {i: {} for i in wanted}
        for trial_id, name, internal, text in cursor.execute(
            "SELECT trial_id, name, internal_value, distribution_json FROM trial_params "
            f"WHERE trial_id IN ({owners})",
            arguments,
        ).all():
            if trial_id in wanted:
                distribution = self._distribution(text)
                params[trial_id][name] = distribution.to_external_repr(internal)
                distributions[trial_id][name] = distribution
        user_attrs = _read_attrs(cursor, "trial_user_attrs", owners, arguments, wanted)
        system_attrs = _read_attrs(cursor, "trial_system_attrs", owners, arguments, wanted)
        values: dict[int, dict[int, float]] = {i: {} for i in wanted}
        for trial_id, step, value, kind in cursor.execute(
            "SELECT trial_id, step, value, value_kind FROM trial_intermediate_values "
            f"WHERE trial_id IN ({owners}) ORDER BY step",
            arguments,
        ).all():
            if trial_id in wanted:
                values[trial_id][int(step)] = cast(float, m.decode_float(value, kind))

        records = {}
        for trial_id, owner, number, state, value, kind, start, complete in rows:
            if trial_id not in wanted:
                continue
            records[int(trial_id)] = (
                int(owner),
                FrozenTrial(
                    number=int(number),
                    trial_id=int(trial_id),
                    state=TrialState(state),
                    value=m.decode_float(value, kind),
                    params=params[trial_id],
                    distributions=distributions[trial_id],
                    user_attrs=user_attrs[trial_id],
                    system_attrs=system_attrs[trial_id],
                    intermediate_values=values[trial_id],
                    datetime_start=_datetime(start),
                    datetime_complete=_datetime(complete),
                ),
            )
        return records


def _background(
    storage_ref: weakref.ReferenceType[SQLStorage],
    wake: threading.Condition,
    heartbeat_interval: float | None,
) -> None:
    """The body of a storage's background thread; it ends when the storage closes or is gone.

    It holds the storage only during a round, so that an unused storage can be collected.
    """
    first_beat = heartbeat_interval if heartbeat_interval is not None else math.inf
    next_beat = time.monotonic() + first_beat
    while True:
        storage = storage_ref()
        if storage is None:
            return
        result = storage._background_round(next_beat)
        del storage
        if result is None:
            return
        pause, next_beat = result
        with wake:
            wake.wait(timeout=pause)


def _release(connections: _raw.Connections, engine: sa.Engine) -> None:
    connections.close()
    engine.dispose()


def upgrade_storage(url: str) -> tuple[str | None, str]:
    """Upgrade the schema of the database at ``url`` to the one this hypersweep needs.

    Back the database up first; stop every worker that uses it. A database without tables gets
    the newest schema.

    Args:
        url: The database URL, as for :class:`SQLStorage`.

    Returns:
        The schema revision before (``None`` for a new database) and after.

    Raises:
        StorageError: If the URL is bad, the server unreachable, the file not a hypersweep
            database, or its schema newer than this release knows.
    """
    parsed, _ = _engine.parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        _engine.check_sqlite_file(parsed)
    engine = _engine.create_engine(parsed)
    try:
        return _migrations.upgrade(engine, parsed)
    except exc.DBAPIError as error:
        raise _unreachable(parsed, error) from None
    finally:
        engine.dispose()


def _check_times(
    heartbeat_interval: float | None, grace_period: float | None
) -> tuple[float | None, float | None]:
    for name, value in (
        ("heartbeat_interval", heartbeat_interval),
        ("grace_period", grace_period),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
        ):
            raise ValueError(f"{name} must be None or a number of seconds > 0, got {value!r}")
    if heartbeat_interval is None:
        return None, None if grace_period is None else float(grace_period)
    if grace_period is None:
        grace_period = 6.0 * heartbeat_interval
    if grace_period <= heartbeat_interval:
        raise ValueError(
            f"grace_period must be longer than heartbeat_interval, got grace_period="
            f"{grace_period!r} and heartbeat_interval={heartbeat_interval!r}; a grace period of "
            "several intervals (six by default) keeps live trials from being failed"
        )
    return float(heartbeat_interval), float(grace_period)


def _unreachable(url: sa.URL, error: exc.DBAPIError) -> StorageError:
    reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    if url.get_backend_name() == "sqlite":
        advice = "check the path and that this user may read and write the file and its folder"
    else:
        advice = "check that the server is running and that the URL, user and password are right"
    return StorageError(f"cannot open the database {_engine.describe(url)}: {reason}; {advice}")


def _no_study(study_id: int) -> StudyNotFoundError:
    return StudyNotFoundError(f"no study with id {study_id} in this storage")


def _json(distribution: BaseDistribution) -> str:
    return distribution_to_json(distribution)


def _to_json(key: str, value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"attribute {key!r} must be JSON-serializable to be stored, got {value!r} of type "
            f"{type(value).__name__} ({error}); store a number, string, list or dict instead"
        ) from None


def _round_trip(attrs: Iterable[Any] | Any) -> dict[str, Any]:
    return {key: json.loads(json.dumps(value)) for key, value in dict(attrs).items()}


def _json_rows(attrs: Any) -> dict[str, str]:
    return {key: _to_json(key, value) for key, value in dict(attrs).items()}


def _params_rows(template: FrozenTrial) -> dict[str, tuple[float, str]]:
    rows = {}
    for name, value in template.params.items():
        distribution = template.distributions[name]
        rows[name] = (distribution.to_internal_repr(value), _json(distribution))
    return rows


def _read_attrs(
    cursor: Cursor, table: str, owners: str, arguments: dict[str, Any], wanted: set[int]
) -> dict[int, dict[str, Any]]:
    attrs: dict[int, dict[str, Any]] = {i: {} for i in wanted}
    for trial_id, key, text in cursor.execute(
        f"SELECT trial_id, key, value_json FROM {table} WHERE trial_id IN ({owners})", arguments
    ).all():
        if trial_id in wanted:
            attrs[trial_id][key] = json.loads(text)
    return attrs


def _datetime(value: Any) -> datetime.datetime | None:
    """A datetime column's value: SQLite returns the text SQLAlchemy's ``DateTime`` writes."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def _require_study(cursor: Cursor, study_id: int) -> None:
    if cursor.execute(_raw.STUDY_EXISTS, {"study_id": study_id}).one() is None:
        raise _no_study(study_id)


def _require_trial(cursor: Cursor, trial_id: int) -> None:
    found = cursor.execute(
        "SELECT 1 FROM trials WHERE trial_id = :trial_id", {"trial_id": trial_id}
    ).one()
    if found is None:
        raise TrialNotFoundError(f"no trial with id {trial_id} in this storage")


def _lock_unfinished(cursor: Cursor, trial_id: int) -> None:
    """Lock a trial's row for this transaction; raise unless it is RUNNING or WAITING."""
    locked = cursor.execute(
        "UPDATE trials SET state = state WHERE trial_id = :trial_id AND state IN (0, 4)",
        {"trial_id": trial_id},
    ).rowcount
    if locked == 1:
        return
    cursor.execute(
        "SELECT number, state FROM trials WHERE trial_id = :trial_id", {"trial_id": trial_id}
    )
    rows = cursor.all()
    if not rows:
        raise TrialNotFoundError(f"no trial with id {trial_id} in this storage")
    number, state = rows[0]
    raise UpdateFinishedTrialError(
        f"trial {number} is {TrialState(state).name} and can no longer be changed"
    )
