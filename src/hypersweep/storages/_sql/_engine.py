"""Opening a database: URLs, drivers, SQLite settings and transactions that retry.

SQLite runs in WAL mode (readers never wait for the writer) with ``synchronous=NORMAL`` (a
commit survives the crash of any process; only a power cut may lose the last commits) and a busy
timeout. Write transactions start with ``BEGIN IMMEDIATE``, so a transaction that reads before it
writes takes the write lock first and cannot deadlock against another writer; SQLite then
serializes writers, which makes every conditional update a compare-and-set. PostgreSQL runs at
READ COMMITTED: a conditional ``UPDATE ... WHERE state = ...`` waits for a concurrent writer of
the same row and then re-checks its condition, which makes it a compare-and-set as well.
"""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import random
import sqlite3
import time
from typing import Any
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc
from sqlalchemy import pool

from hypersweep._exceptions import StorageError
from hypersweep.logging import get_logger
from hypersweep.storages._sql._models import VERSION_TABLE

_logger = get_logger(__name__)

_T = TypeVar("_T")

#: Execution option that marks a connection as one that writes (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "hypersweep_write"

#: Query parameters of a storage URL that configure hypersweep, not the database driver.
HEARTBEAT_INTERVAL_PARAM = "heartbeat_interval"
GRACE_PERIOD_PARAM = "grace_period"

_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_MAX_ATTEMPTS = 12
# PostgreSQL error codes of transactions that may succeed if run again.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# Jitter of the waits between attempts, so that workers that collided do not collide again.
_jitter = random.Random()


def parse_url(url: str) -> tuple[sa.URL, dict[str, float]]:
    """Parse a storage URL; split off hypersweep's own query parameters.

    Returns:
        The URL to give SQLAlchemy (``postgresql://`` made ``postgresql+psycopg://``) and the
        hypersweep settings found in the query (``heartbeat_interval``, ``grace_period``).

    Raises:
        StorageError: If the URL is malformed or names a database other than SQLite and
            PostgreSQL.
    """
    if not isinstance(url, str):
        raise StorageError(f"a storage URL must be a string, got {url!r}")
    try:
        parsed = sa.make_url(url)
    except exc.ArgumentError:
        raise StorageError(
            f"{url!r} is not a database URL; use sqlite:///path/to/file.db or "
            "postgresql+psycopg://user:password@host:5432/database"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StorageError(
            f"the database {backend!r} in {describe(parsed)} is not supported; use SQLite "
            "(sqlite:///path.db) or PostgreSQL (postgresql+psycopg://...)"
        )
    if parsed.drivername == "postgresql":
        # psycopg 3 (the ``postgres`` extra), not SQLAlchemy's default of psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    settings: dict[str, float] = {}
    for name in (HEARTBEAT_INTERVAL_PARAM, GRACE_PERIOD_PARAM):
        if name in parsed.query:
            raw = parsed.query[name]
            text = raw if isinstance(raw, str) else raw[-1]
            try:
                settings[name] = float(text)
            except ValueError:
                raise StorageError(
                    f"the URL parameter {name} must be a number of seconds, got {text!r}"
                ) from None
            parsed = parsed.difference_update_query([name])
    return parsed, settings


def describe(url: sa.URL) -> str:
    """The URL as text with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def is_memory_sqlite(url: sa.URL) -> bool:
    """Whether the URL names an SQLite database in memory."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def check_sqlite_file(url: sa.URL) -> None:
    """Refuse a file that exists but is not an SQLite database, before anything opens it.

    Raises:
        StorageError: If the file cannot be read or does not start with SQLite's header.
    """
    path = url.database
    if is_memory_sqlite(url) or path is None or path.startswith("file:"):
        return
    if not os.path.exists(path):
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise StorageError(
                f"cannot create the SQLite database {path!r}: the directory {directory!r} does "
                "not exist; create it or choose another path"
            )
        return
    if os.path.isdir(path):
        raise StorageError(f"{path!r} is a directory, not an SQLite database file")
    try:
        with open(path, "rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise StorageError(f"cannot read the SQLite database {path!r}: {error}") from None
    if header and header != _SQLITE_HEADER:
        raise StorageError(
            f"{path!r} is not an SQLite database (hypersweep left it unchanged); give the path "
            "of a hypersweep database or of a file that does not exist yet"
        )
    if not header:
        return
    # Look inside read-only: the engine's connections switch the file to WAL mode, which
    # rewrites its header, and a file of another program must stay as it was.
    try:
        connection = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in connection.execute(_SQLITE_TABLES)}
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise StorageError(
            f"cannot read the SQLite database {path!r} ({error}); hypersweep left it unchanged"
        ) from None
    if tables and not tables & {VERSION_TABLE}:
        raise StorageError(
            f"{describe(url)} is not a hypersweep database (it has tables "
            f"{', '.join(sorted(tables)[:5])} but no {VERSION_TABLE} table); hypersweep left it "
            "unchanged; give a new file or an empty database"
        )


#: Seconds to wait for a PostgreSQL server to accept a connection, unless the URL says otherwise.
CONNECT_TIMEOUT = 10


def create_engine(url: sa.URL, engine_kwargs: dict[str, Any] | None = None) -> sa.Engine:
    """An engine for ``url`` with hypersweep's connection settings.

    Raises:
        StorageError: If the database driver is not installed.
    """
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # The guarantee SQLite's WAL mode with synchronous=NORMAL gives: a commit survives the
        # crash of any worker; a crash of the server's machine may lose the last fraction of a
        # second of commits, never consistency. It saves a disk flush per commit. Pass
        # engine_kwargs={"connect_args": {}} to keep the server's setting.
        options = url.query.get("options")
        extra = " ".join(options) if isinstance(options, tuple) else (options or "")
        postgres_args: dict[str, Any] = {"options": f"{extra} -c synchronous_commit=off".strip()}
        if "connect_timeout" not in url.query:
            # A server that never answers (a firewall dropping packets) fails fast, not never.
            postgres_args["connect_timeout"] = CONNECT_TIMEOUT
        kwargs["connect_args"] = postgres_args
    if url.get_backend_name() == "sqlite":
        connect_args: dict[str, Any] = {"check_same_thread": False}
        kwargs["connect_args"] = connect_args
        if is_memory_sqlite(url):
            kwargs["poolclass"] = pool.StaticPool
    kwargs.update(engine_kwargs or {})
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as error:
        raise StorageError(
            f"the driver for {describe(url)} is not installed ({error}); install it with "
            "pip install 'hypersweep[postgres]'"
        ) from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine, wal=not is_memory_sqlite(url))
    return engine


def _configure_sqlite(engine: sa.Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        # The driver's own transaction handling is turned off; "begin" below starts them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database file in WAL mode, waiting out other connections that hold a lock.

    The mode is kept in the file, so it is switched once per database: later connections only
    read it. The switch needs an exclusive lock, and SQLite may refuse it at once ("database is
    locked") without calling the busy handler while another connection writes, for example a
    worker creating the schema; so it is retried here for as long as the busy timeout.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error).lower() or time.monotonic() > deadline:
                raise
            _logger.debug("Switching to WAL mode waits for a lock; retrying.")
            time.sleep(delay)
            delay = min(2 * delay, 0.2)


def is_transient(error: BaseException) -> bool:
    """Whether a database error is a lock or serialization conflict worth retrying."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.OperationalError):
        message = str(error.orig).lower()
        if "locked" in message or "busy" in message:
            return True
    if isinstance(error, exc.DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
    return False


def writer(engine: sa.Engine) -> sa.Engine:
    """A view of ``engine`` whose transactions write (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def run_transaction(engine: sa.Engine, body: Callable[[sa.Connection], _T]) -> _T:
    """Run ``body`` in one transaction, again from the start after a transient conflict.

    ``body`` must have no effect outside the database until it returns, since a retry runs it
    anew. Pass :func:`writer` of the engine for a transaction that writes.

    Raises:
        StorageError: If the conflicts persist through every attempt.
    """
    delay = 0.005
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                return body(connection)
        except exc.DBAPIError as error:
            if not is_transient(error):
                raise
            if attempt == _MAX_ATTEMPTS:
                raise StorageError(
                    f"the database stayed busy through {_MAX_ATTEMPTS} attempts ({error.orig}); "
                    "use PostgreSQL for this many workers or fewer workers on SQLite"
                ) from error
            _logger.debug("Transient database conflict (%s); retrying.", error.orig)
            time.sleep(delay * (1.0 + _jitter.random()))
            delay = min(delay * 2.0, 1.0)
    raise AssertionError("unreachable")  # pragma: no cover
