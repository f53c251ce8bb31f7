"""The hot path: a few fixed SQL statements run on driver connections kept per thread.

Creating and finishing a trial happens thousands of times per study, so those statements skip
SQLAlchemy's statement building and pool (which cost more than SQLite itself) and go to the
driver directly. The SQL is the subset SQLite and PostgreSQL share (``RETURNING``,
``ON CONFLICT ... DO UPDATE``), written with ``:name`` parameters and rewritten to psycopg's
``%(name)s`` for PostgreSQL. Everything else in the storage uses SQLAlchemy Core.

Each thread keeps one connection in autocommit mode and opens transactions itself:
``BEGIN IMMEDIATE`` for SQLite writes (take the write lock first, so a transaction that reads
then writes cannot deadlock), plain ``BEGIN`` for PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import datetime
import sqlite3
import threading
import time
from typing import Any
from typing import TypeVar

import sqlalchemy as sa

from hypersweep._exceptions import StorageError
from hypersweep.logging import get_logger
from hypersweep.storages._sql import _models as m
from hypersweep.storages._sql._wire import PARAMETER
from hypersweep.storages._sql._wire import Finisher
from hypersweep.storages._sql._wire import InFlight
from hypersweep.storages._sql._wire import Wire

_logger = get_logger(__name__)

_T = TypeVar("_T")

_MAX_ATTEMPTS = 12
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})

NEXT_NUMBER = (
    "UPDATE studies SET next_trial_number = next_trial_number + 1 "
    "WHERE study_id = :study_id RETURNING next_trial_number"
)
INSERT_TRIAL = (
    "INSERT INTO trials (study_id, number, state, value, value_kind, datetime_start, "
    "datetime_complete, heartbeat) VALUES (:study_id, :number, :state, :value, :value_kind, "
    ":datetime_start, :datetime_complete, :heartbeat) RETURNING trial_id"
)
FINISH_TRIAL = (
    "UPDATE trials SET state = :state, value = :value, value_kind = :value_kind, "
    "datetime_complete = :datetime_complete WHERE trial_id = :trial_id AND state IN (0, 4)"
)
LOCK_RUNNING = "UPDATE trials SET state = state WHERE trial_id = :trial_id AND state = 0"
FIRST_WAITING = (
    "SELECT trial_id FROM trials WHERE study_id = :study_id AND state = 4 ORDER BY number LIMIT 1"
)
STUDY_EXISTS = "SELECT 1 FROM studies WHERE study_id = :study_id"
LIST_TRIALS = (
    "SELECT trial_id, number, state FROM trials WHERE study_id = :study_id "
    "AND number >= :from_number ORDER BY number"
)
SET_STUDY_SYSTEM_ATTR_IF_ABSENT = (
    "INSERT INTO study_system_attrs (study_id, key, value_json) "
    "VALUES (:study_id, :key, :value_json) ON CONFLICT (study_id, key) DO NOTHING"
)
_UPSERT_PARAM = (
    "INSERT INTO trial_params (trial_id, name, internal_value, distribution_json) "
    "VALUES (:trial_id, :name, :internal_value, :distribution_json) "
    "ON CONFLICT (trial_id, name) DO UPDATE SET internal_value = excluded.internal_value, "
    "distribution_json = excluded.distribution_json"
)
_UPSERT_ATTR = (
    "INSERT INTO {table} (trial_id, key, value_json) VALUES (:trial_id, :key, :value_json) "
    "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json"
)
_UPSERT_VALUE = (
    "INSERT INTO trial_intermediate_values (trial_id, step, value, value_kind) "
    "VALUES (:trial_id, :step, :value, :value_kind) "
    "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value, "
    "value_kind = excluded.value_kind"
)
_UPSERT_USER_ATTR = _UPSERT_ATTR.format(table="trial_user_attrs")
_UPSERT_SYSTEM_ATTR = _UPSERT_ATTR.format(table="trial_system_attrs")


class Cursor:
    """A driver cursor that takes ``:name`` SQL on either database."""

    def __init__(self, cursor: Any, postgres: bool, sql_cache: dict[str, str]) -> None:
        self._cursor = cursor
        self._postgres = postgres
        self._sql_cache = sql_cache

    def _sql(self, sql: str) -> str:
        if not self._postgres:
            return sql
        translated = self._sql_cache.get(sql)
        if translated is None:
            translated = PARAMETER.sub(r"%(\1)s", sql)
            self._sql_cache[sql] = translated
        return translated

    @property
    def postgres(self) -> bool:
        return self._postgres

    def execute(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Cursor:
        self._cursor.execute(self._sql(sql), dict(parameters or {}))
        return self

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        self._cursor.executemany(self._sql(sql), rows)

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def one(self) -> Any:
        row = self._cursor.fetchone()
        return None if row is None else row[0]

    def all(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def timestamp(self, value: datetime.datetime | None) -> Any:
        """A datetime as the column stores it (SQLAlchemy's text form on SQLite)."""
        if value is None or self._postgres:
            return value
        return value.isoformat(sep=" ", timespec="microseconds")


class Connections:
    """One driver connection per thread, and transactions on them that retry conflicts.

    On PostgreSQL each thread also keeps a :class:`~.Wire` on that connection for the hot
    statements, and a second connection (a :class:`~.Finisher`) for statements sent
    without waiting (:meth:`send`). Every transaction, unless it says ``overlap=True``, first
    reads the answers of all statements still in flight (:meth:`settle`), so that it observes
    them, as a worker observes its own writes.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._local = threading.local()
        self._all: list[Any] = []
        self._finishers: list[Finisher] = []
        self._lock = threading.Lock()
        self._sql_cache: dict[str, str] = {}

    def _open(self) -> Any:
        connection = self._engine.raw_connection()
        driver: Any = connection.driver_connection
        if self._postgres:
            driver.autocommit = True
        with self._lock:
            self._all.append(connection)
        return connection

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        return connection

    def _thread_wire(self) -> Wire:
        wire: Wire | None = getattr(self._local, "wire", None)
        connection = self._connection()
        if wire is None or wire.connection is not connection:
            wire = Wire(connection)
            self._local.wire = wire
        return wire

    def _finisher(self) -> Finisher:
        finisher: Finisher | None = getattr(self._local, "finisher", None)
        if finisher is None:
            finisher = Finisher(Wire(self._open()))
            with self._lock:
                self._finishers.append(finisher)
            self._local.finisher = finisher
        return finisher

    def _close_connection(self, connection: Any) -> None:
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)
        try:
            connection.invalidate()
        except Exception:  # the connection is broken already
            _logger.debug("Closing a broken connection failed.", exc_info=True)

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        self._local.wire = None
        if connection is not None:
            self._close_connection(connection)

    def _discard_finisher(self, finisher: Finisher) -> None:
        """Forget a finisher whose connection failed (call with its lock held)."""
        with self._lock:
            if finisher in self._finishers:
                self._finishers.remove(finisher)
        if getattr(self._local, "finisher", None) is finisher:
            self._local.finisher = None
        finisher.in_flight = None
        self._close_connection(finisher.wire.connection)

    def run(
        self,
        body: Callable[[Cursor], _T],
        *,
        write: bool,
        single: bool = False,
        overlap: bool = False,
    ) -> _T:
        """Run ``body`` in a transaction; again from the start after a transient conflict.

        ``single`` runs ``body`` without an explicit transaction: for one statement (atomic by
        itself) or reads that need no common snapshot. ``overlap`` skips :meth:`settle`: for
        statements that cannot observe the finishes in flight, or need not.
        """
        if not overlap:
            self.settle()

        def attempt() -> _T:
            connection = self._connection()
            driver: Any = connection.driver_connection
            raw = driver.cursor()
            began = False
            try:
                if not single:
                    raw.execute("BEGIN IMMEDIATE" if write and not self._postgres else "BEGIN")
                    began = True
                result = body(Cursor(raw, self._postgres, self._sql_cache))
                if began:
                    raw.execute("COMMIT")
                return result
            except BaseException:
                if began:
                    try:
                        raw.execute("ROLLBACK")
                    except Exception:
                        self._discard()
                raise
            finally:
                try:
                    raw.close()
                except Exception:  # its connection was discarded above
                    _logger.debug("Closing a cursor failed.", exc_info=True)

        return self._retrying(attempt)

    def run_wire(
        self, sql: str, arguments: Mapping[str, Any], *, overlap: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run one PostgreSQL statement through this thread's :class:`~.Wire`.

        Returns:
            Its rows, each value as text (or ``None``).
        """
        if not overlap:
            self.settle()
        return self._retrying(lambda: self._thread_wire().run(sql, arguments))

    def send(
        self,
        sql: str,
        arguments: Mapping[str, Any],
        settle: Callable[[Sequence[tuple[Any, ...]]], None],
    ) -> None:
        """Send one PostgreSQL statement without waiting for its answer.

        The statement is with the server when this returns. ``settle`` is called with its rows
        once they are read: at this thread's next :meth:`send`, or at the next :meth:`settle`
        of any thread. A statement whose answer is an error (a lost connection, a conflict) is
        run again, waiting, so it must be safe to run twice, as a compare-and-set is.
        """
        finisher = self._finisher()
        with finisher.lock:
            answered = self._answer(finisher)
            try:
                finisher.wire.send(sql, arguments)
            except BaseException as error:
                self._discard_finisher(finisher)
                if not isinstance(error, Exception):
                    raise
                # Not sent, or not whole, so the server did not run it: run it here.
                _logger.debug("Sending a statement failed (%s); running it again.", error)
                answered.append((settle, self.run_wire(sql, arguments, overlap=True)))
            else:
                finisher.in_flight = InFlight(sql, dict(arguments), settle)
        for callback, rows in answered:
            callback(rows)

    def settle(self) -> None:
        """Read the answer of every statement in flight, from any thread, and act on it."""
        if not any(finisher.in_flight is not None for finisher in self._finishers):
            return
        with self._lock:
            finishers = list(self._finishers)
        for finisher in finishers:
            if finisher.in_flight is None:
                continue
            with finisher.lock:
                answered = self._answer(finisher)
            for callback, rows in answered:
                callback(rows)

    def _answer(
        self, finisher: Finisher
    ) -> list[tuple[Callable[[Sequence[tuple[Any, ...]]], None], list[tuple[Any, ...]]]]:
        """The answer of ``finisher``'s statement in flight, if any (call with its lock held).

        Callbacks are returned, not called, so that none runs under the finisher's lock.
        """
        in_flight = finisher.in_flight
        if in_flight is None:
            return []
        finisher.in_flight = None
        try:
            rows = finisher.wire.receive()
        except BaseException as error:
            self._discard_finisher(finisher)
            if not isinstance(error, Exception):
                raise
            # It may or may not have run; as a compare-and-set, a second run is harmless.
            _logger.debug("A statement sent without waiting failed (%s); running it again.", error)
            rows = self.run_wire(in_flight.sql, in_flight.arguments, overlap=True)
        return [(in_flight.settle, rows)]

    def _retrying(self, attempt: Callable[[], _T]) -> _T:
        """``attempt()``, again after a transient conflict or a lost connection."""
        delay = 0.005
        for number in range(1, _MAX_ATTEMPTS + 1):
            try:
                return attempt()
            except BaseException as error:
                if not isinstance(error, Exception):
                    # Interrupted (Ctrl-C) mid-statement: the connection's state is unknown.
                    self._discard()
                    raise
                if not self._transient(error):
                    raise
                if number == _MAX_ATTEMPTS:
                    raise StorageError(
                        f"the database stayed busy through {_MAX_ATTEMPTS} attempts ({error}); "
                        "use PostgreSQL for this many workers, or fewer workers on SQLite"
                    ) from error
                _logger.debug("Transient database conflict (%s); retrying.", error)
                time.sleep(delay)
                delay = min(delay * 2.0, 1.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transient(self, error: Exception) -> bool:
        if isinstance(error, sqlite3.OperationalError):
            message = str(error).lower()
            return "locked" in message or "busy" in message
        if not self._postgres:
            return False
        import psycopg

        if getattr(error, "sqlstate", None) in _TRANSIENT_SQLSTATES:
            return True
        if isinstance(error, psycopg.OperationalError):
            # A lost connection: open a new one and run the transaction again.
            self._discard()
            return True
        return False

    def close(self) -> None:
        """Read what is in flight, then close every connection."""
        try:
            self.settle()
        except Exception:  # the statements were sent; the server runs them all the same
            _logger.debug("Reading the answers in flight failed.", exc_info=True)
        with self._lock:
            connections, self._all = self._all, []
            self._finishers = []
        for connection in connections:
            try:
                if self._postgres:
                    connection.driver_connection.autocommit = False
                connection.close()
            except Exception:  # closing a broken connection
                _logger.debug("Closing a connection failed.", exc_info=True)
        self._local = threading.local()

    def forget_after_fork(self) -> None:
        self._local = threading.local()
        self._all = []
        self._finishers = []
        self._lock = threading.Lock()


def write_children(
    cursor: Cursor,
    trial_id: int,
    params: Mapping[str, tuple[float, str]],
    user_attrs: Mapping[str, str],
    system_attrs: Mapping[str, str],
    values: Mapping[int, float],
) -> None:
    """Insert or overwrite a trial's parameters, attributes and intermediate values."""
    if params:
        cursor.executemany(
            _UPSERT_PARAM,
            [
                {
                    "trial_id": trial_id,
                    "name": name,
                    "internal_value": internal,
                    "distribution_json": text,
                }
                for name, (internal, text) in params.items()
            ],
        )
    for sql, attrs in ((_UPSERT_USER_ATTR, user_attrs), (_UPSERT_SYSTEM_ATTR, system_attrs)):
        if attrs:
            cursor.executemany(
                sql,
                [
                    {"trial_id": trial_id, "key": key, "value_json": text}
                    for key, text in attrs.items()
                ],
            )
    if values:
        rows = []
        for step, value in values.items():
            encoded, kind = m.encode_float(value)
            rows.append({"trial_id": trial_id, "step": step, "value": encoded, "value_kind": kind})
        cursor.executemany(_UPSERT_VALUE, rows)


# --- PostgreSQL: one statement per transaction ------------------------------------------------
#
# Each round trip to the server costs more than the work, so on PostgreSQL creating a trial,
# finishing one and writing a running trial's changes are each one statement: a chain of
# data-modifying common table expressions, which PostgreSQL runs atomically. The children come
# as arrays (``unnest``), so the text of each statement is fixed and the server prepares it once.
# They run through :mod:`._wire`, which sends every parameter as text: each is cast to its type.

_PG_CHILDREN = {
    "params": """
new_params AS (
    INSERT INTO trial_params (trial_id, name, internal_value, distribution_json)
    SELECT owner.trial_id, u.name, u.internal_value, u.distribution_json
    FROM owner, unnest(:param_names::text[], :param_values::float8[],
                       :param_distributions::text[])
        AS u(name, internal_value, distribution_json)
    ON CONFLICT (trial_id, name) DO UPDATE SET internal_value = excluded.internal_value,
        distribution_json = excluded.distribution_json
)""",
    "user_attrs": """
new_user_attrs AS (
    INSERT INTO trial_user_attrs (trial_id, key, value_json)
    SELECT owner.trial_id, u.key, u.value_json
    FROM owner, unnest(:user_keys::text[], :user_values::text[]) AS u(key, value_json)
    ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json
)""",
    "system_attrs": """
new_system_attrs AS (
    INSERT INTO trial_system_attrs (trial_id, key, value_json)
    SELECT owner.trial_id, u.key, u.value_json
    FROM owner, unnest(:system_keys::text[], :system_values::text[]) AS u(key, value_json)
    ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json
)""",
    "values": """
new_values AS (
    INSERT INTO trial_intermediate_values (trial_id, step, value, value_kind)
    SELECT owner.trial_id, u.step, u.value, u.value_kind
    FROM owner, unnest(:steps::int[], :step_values::float8[], :step_kinds::int[])
        AS u(step, value, value_kind)
    ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value,
        value_kind = excluded.value_kind
)""",
}

PG_CREATE_TRIAL = (
    """WITH counter AS (
    UPDATE studies SET next_trial_number = next_trial_number + 1
    WHERE study_id = :study_id::int RETURNING next_trial_number - 1 AS number
),
owner AS (
    INSERT INTO trials (study_id, number, state, value, value_kind, datetime_start,
                        datetime_complete, heartbeat)
    SELECT :study_id::int, counter.number, :state::int, :value::float8, :value_kind::int,
           :datetime_start::timestamp, :datetime_complete::timestamp, :heartbeat::float8
    FROM counter RETURNING trial_id, number
)""",
    "SELECT trial_id, number FROM owner",
)

PG_FINISH_TRIAL = (
    """WITH owner AS (
    UPDATE trials SET state = :state::int, value = :value::float8,
        value_kind = :value_kind::int, datetime_complete = :datetime_complete::timestamp
    WHERE trial_id = :trial_id::int AND state IN (0, 4) RETURNING trial_id
)""",
    "SELECT count(*) FROM owner",
)

PG_WRITE_RUNNING = (
    """WITH owner AS (
    UPDATE trials SET state = state WHERE trial_id = :trial_id::int AND state = 0
    RETURNING trial_id
)""",
    "SELECT count(*) FROM owner",
)


def pg_statement(
    statement: tuple[str, str],
    params: Mapping[str, tuple[float, str]],
    user_attrs: Mapping[str, str],
    system_attrs: Mapping[str, str],
    values: Mapping[int, float],
) -> tuple[str, dict[str, Any]]:
    """One of the ``PG_*`` statements with the children parts that have rows, and arguments.

    Parts without rows are left out (planning them costs more than they do); each of the few
    resulting texts is prepared once by the server.
    """
    parts = {
        "params": bool(params),
        "user_attrs": bool(user_attrs),
        "system_attrs": bool(system_attrs),
        "values": bool(values),
    }
    key = (statement, tuple(parts.values()))
    sql = _PG_STATEMENTS.get(key)
    if sql is None:
        head, tail = statement
        sql = ",".join([head, *(_PG_CHILDREN[name] for name, used in parts.items() if used)])
        sql = f"{sql}\n{tail}"
        _PG_STATEMENTS[key] = sql
    arguments: dict[str, Any] = {}
    if params:
        arguments["param_names"] = list(params)
        arguments["param_values"] = [internal for internal, _ in params.values()]
        arguments["param_distributions"] = [text for _, text in params.values()]
    if user_attrs:
        arguments["user_keys"] = list(user_attrs)
        arguments["user_values"] = list(user_attrs.values())
    if system_attrs:
        arguments["system_keys"] = list(system_attrs)
        arguments["system_values"] = list(system_attrs.values())
    if values:
        encoded = [m.encode_float(value) for value in values.values()]
        arguments["steps"] = list(values)
        arguments["step_values"] = [value for value, _ in encoded]
        arguments["step_kinds"] = [kind for _, kind in encoded]
    return sql, arguments


_PG_STATEMENTS: dict[tuple[tuple[str, str], tuple[bool, ...]], str] = {}
