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
import re
import sqlite3
import threading
import time
from typing import Any
from typing import TypeVar

import sqlalchemy as sa

from hypersweep._exceptions import StorageError
from hypersweep.logging import get_logger
from hypersweep.storages._sql import _models as m

_logger = get_logger(__name__)

_T = TypeVar("_T")

_MAX_ATTEMPTS = 12
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_PARAMETER = re.compile(r"(?<!:):([a-z_]+)")

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
            translated = _PARAMETER.sub(r"%(\1)s", sql)
            self._sql_cache[sql] = translated
        return translated

    @property
    def postgres(self) -> bool:
        return self._postgres

    def execute(self, sql: str, parameters: Mapping[str, Any] | None = None) -> Cursor:
        self._cursor.execute(self._sql(sql), dict(parameters or {}))
        return self

    def execute_postgres(self, sql: str, parameters: Mapping[str, Any]) -> Cursor:
        """Run PostgreSQL-only SQL, written with psycopg's ``%(name)s`` parameters."""
        self._cursor.execute(sql, dict(parameters))
        return self

    def row(self) -> Any:
        return self._cursor.fetchone()

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
    """One driver connection per thread, and transactions on them that retry conflicts."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._sql_cache: dict[str, str] = {}

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._engine.raw_connection()
            driver: Any = connection.driver_connection
            if self._postgres:
                driver.autocommit = True
            with self._lock:
                self._all.append(connection)
            self._local.connection = connection
        return connection

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)
        try:
            connection.invalidate()
        except Exception:  # the connection is broken already
            _logger.debug("Closing a broken connection failed.", exc_info=True)

    def run(self, body: Callable[[Cursor], _T], *, write: bool, single: bool = False) -> _T:
        """Run ``body`` in a transaction; again from the start after a transient conflict.

        ``single`` runs ``body`` without an explicit transaction: for one statement (atomic by
        itself) or reads that need no common snapshot.
        """
        delay = 0.005
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            connection = self._connection()
            driver: Any = connection.driver_connection
            raw = driver.cursor()
            cursor = Cursor(raw, self._postgres, self._sql_cache)
            began = False
            try:
                if not single:
                    raw.execute("BEGIN IMMEDIATE" if write and not self._postgres else "BEGIN")
                    began = True
                result = body(cursor)
                if began:
                    raw.execute("COMMIT")
                return result
            except BaseException as error:
                if began:
                    try:
                        raw.execute("ROLLBACK")
                    except Exception:
                        self._discard()
                if not isinstance(error, Exception):
                    # Interrupted (Ctrl-C) mid-statement: the connection's state is unknown.
                    self._discard()
                    raise
                if not self._transient(error):
                    raise
                if attempt == _MAX_ATTEMPTS:
                    raise StorageError(
                        f"the database stayed busy through {_MAX_ATTEMPTS} attempts ({error}); "
                        "use PostgreSQL for this many workers, or fewer workers on SQLite"
                    ) from error
                _logger.debug("Transient database conflict (%s); retrying.", error)
                time.sleep(delay)
                delay = min(delay * 2.0, 1.0)
            finally:
                try:
                    raw.close()
                except Exception:  # its connection was discarded above
                    _logger.debug("Closing a cursor failed.", exc_info=True)
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
        with self._lock:
            connections, self._all = self._all, []
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

_PG_CHILDREN = {
    "params": """
new_params AS (
    INSERT INTO trial_params (trial_id, name, internal_value, distribution_json)
    SELECT owner.trial_id, u.name, u.internal_value, u.distribution_json
    FROM owner, unnest(%(param_names)b::text[], %(param_values)b::float8[],
                       %(param_distributions)b::text[])
        AS u(name, internal_value, distribution_json)
    ON CONFLICT (trial_id, name) DO UPDATE SET internal_value = excluded.internal_value,
        distribution_json = excluded.distribution_json
)""",
    "user_attrs": """
new_user_attrs AS (
    INSERT INTO trial_user_attrs (trial_id, key, value_json)
    SELECT owner.trial_id, u.key, u.value_json
    FROM owner, unnest(%(user_keys)b::text[], %(user_values)b::text[]) AS u(key, value_json)
    ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json
)""",
    "system_attrs": """
new_system_attrs AS (
    INSERT INTO trial_system_attrs (trial_id, key, value_json)
    SELECT owner.trial_id, u.key, u.value_json
    FROM owner, unnest(%(system_keys)b::text[], %(system_values)b::text[]) AS u(key, value_json)
    ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json
)""",
    "values": """
new_values AS (
    INSERT INTO trial_intermediate_values (trial_id, step, value, value_kind)
    SELECT owner.trial_id, u.step, u.value, u.value_kind
    FROM owner, unnest(%(steps)b::int[], %(step_values)b::float8[], %(step_kinds)b::int[])
        AS u(step, value, value_kind)
    ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value,
        value_kind = excluded.value_kind
)""",
}

PG_CREATE_TRIAL = (
    """WITH counter AS (
    UPDATE studies SET next_trial_number = next_trial_number + 1
    WHERE study_id = %(study_id)s RETURNING next_trial_number - 1 AS number
),
owner AS (
    INSERT INTO trials (study_id, number, state, value, value_kind, datetime_start,
                        datetime_complete, heartbeat)
    SELECT %(study_id)s, counter.number, %(state)s::int, %(value)s::float8, %(value_kind)s::int,
           %(datetime_start)s::timestamp, %(datetime_complete)s::timestamp, %(heartbeat)s::float8
    FROM counter RETURNING trial_id, number
)""",
    "SELECT trial_id, number FROM owner",
)

PG_FINISH_TRIAL = (
    """WITH owner AS (
    UPDATE trials SET state = %(state)s::int, value = %(value)s::float8,
        value_kind = %(value_kind)s::int, datetime_complete = %(datetime_complete)s::timestamp
    WHERE trial_id = %(trial_id)s AND state IN (0, 4) RETURNING trial_id
)""",
    "SELECT count(*) FROM owner",
)

PG_WRITE_RUNNING = (
    """WITH owner AS (
    UPDATE trials SET state = state WHERE trial_id = %(trial_id)s AND state = 0
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
    encoded = [m.encode_float(value) for value in values.values()]
    arguments = {
        "param_names": list(params),
        "param_values": [internal for internal, _ in params.values()],
        "param_distributions": [text for _, text in params.values()],
        "user_keys": list(user_attrs),
        "user_values": list(user_attrs.values()),
        "system_keys": list(system_attrs),
        "system_values": list(system_attrs.values()),
        "steps": list(values),
        "step_values": [value for value, _ in encoded],
        "step_kinds": [kind for _, kind in encoded],
    }
    return sql, arguments


_PG_STATEMENTS: dict[tuple[tuple[str, str], tuple[bool, ...]], str] = {}
