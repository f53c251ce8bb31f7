"""PostgreSQL's hot statements sent through libpq itself, and a finish that does not wait.

Per trial, a worker creates the trial (it needs the new trial's id and number back) and later
finishes it. On PostgreSQL each statement is a round trip to another process, and with psycopg's
general ``execute`` a third of each trip is spent in Python converting the query and its
parameters. Here the few hot statements go through psycopg's libpq wrapper
(:mod:`psycopg.pq`) directly: each is prepared once per connection, and its parameters are
sent as text in PostgreSQL's input syntax, which the statements' casts read.

Finishing a trial is sent on a connection of its own and not waited for: its bytes are in the
server's hands when :meth:`Finisher.send` returns, and the server writes the trial while this
worker creates and samples the next one. That is as durable as waiting: a worker killed right
after sending does not unsend, and PostgreSQL completes (and, in autocommit, commits) a
statement it has received even if the client is gone. Its answer, the number of trials it
finished, is read before the next statement that could observe the write (see
:meth:`hypersweep.storages._sql._raw.Connections.settle`).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import datetime
import functools
import math
import re
import selectors
import threading
from typing import Any

from hypersweep.logging import get_logger

_logger = get_logger(__name__)

#: poll(2) where there is one: it holds no descriptor of its own, and takes any socket number.
_Selector: type[selectors.BaseSelector] = getattr(
    selectors, "PollSelector", selectors.SelectSelector
)

#: ``:name`` parameters, not the ``::type`` of a cast.
PARAMETER = re.compile(r"(?<!:):([a-z_]+)")


@dataclasses.dataclass(frozen=True)
class Statement:
    """SQL written with ``:name`` parameters, rewritten with libpq's positional ``$n``."""

    sql: bytes
    names: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def statement(sql: str) -> Statement:
    """The positional form of ``sql``; a name used twice is one parameter.

    Example:
        >>> statement("SELECT :a::int + :b::int - :a::int")
        Statement(sql=b'SELECT $1::int + $2::int - $1::int', names=('a', 'b'))
    """
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Statement(PARAMETER.sub(number, sql).encode(), tuple(names))


def encode(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text input syntax; ``None`` is SQL NULL.

    Lists become array literals (``{...}``) with every string element quoted, so any text
    survives. The statements cast each parameter to its column's type.

    Example:
        >>> encode(["a", 'say "hi"', None])
        b'{"a","say \\\\"hi\\\\"",NULL}'
        >>> encode([1.5, float("inf")])
        b'{1.5,Infinity}'
    """
    if value is None:
        return None
    return _text(value).encode()


def _text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is list or kind is tuple:
        return "{" + ",".join([_element(item) for item in value]) + "}"
    if kind is float:
        return _float(value)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"cannot send a {kind.__name__} to PostgreSQL: {value!r}")


def _float(value: float) -> str:
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _element(value: Any) -> str:
    if type(value) is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "NULL"
    return _text(value)


class Wire:
    """One psycopg connection driven through its libpq handle, one statement at a time.

    Args:
        connection: A pooled SQLAlchemy connection whose driver connection is psycopg's, in
            autocommit mode and idle.
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._pgconn: Any = connection.driver_connection.pgconn
        self._prepared: dict[bytes, bytes] = {}
        self._selector = _Selector()
        self._selector.register(self._pgconn.socket, selectors.EVENT_READ)

    def send(self, sql: str, arguments: Mapping[str, Any]) -> None:
        """Send a statement (preparing it on first use) and return once it is on its way."""
        prepared = statement(sql)
        name = self._prepared.get(prepared.sql)
        if name is None:
            name = f"hypersweep_{len(self._prepared)}".encode()
            result = self._pgconn.prepare(name, prepared.sql)
            _check(result)
            self._prepared[prepared.sql] = name
        values = [encode(arguments[key]) for key in prepared.names]
        self._pgconn.send_query_prepared(name, values)
        self._flush()

    def receive(self) -> list[tuple[Any, ...]]:
        """Wait for the answer to the statement sent last; its rows, as text.

        Raises:
            psycopg.Error: The server's error for the statement, or a broken connection.
        """
        pgconn = self._pgconn
        pgconn.consume_input()
        while pgconn.is_busy():
            self._selector.select()
            pgconn.consume_input()
        rows: list[tuple[Any, ...]] = []
        error: Exception | None = None
        while (result := pgconn.get_result()) is not None:
            try:
                _check(result)
            except Exception as failure:  # read the rest of the answer before raising
                error = failure
                continue
            rows.extend(
                tuple(_decode(result.get_value(i, j)) for j in range(result.nfields))
                for i in range(result.ntuples)
            )
        if error is not None:
            raise error
        return rows

    def run(self, sql: str, arguments: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        self.send(sql, arguments)
        return self.receive()

    def _flush(self) -> None:
        # psycopg's connections are non-blocking: a message larger than the socket's buffer
        # goes out in parts, and libpq must read whatever the server sends meanwhile.
        pgconn = self._pgconn
        if pgconn.flush() == 0:
            return
        with _Selector() as ready:
            ready.register(pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
            while True:
                for _, events in ready.select():
                    if events & selectors.EVENT_READ:
                        pgconn.consume_input()
                if pgconn.flush() == 0:
                    return


def _decode(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _check(result: Any) -> None:
    """Raise the psycopg error that a failed libpq result stands for."""
    import psycopg
    from psycopg import pq

    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return
    sqlstate = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
    message = (result.error_message or b"").decode(errors="replace").strip()
    try:
        error_class: type[psycopg.Error] = psycopg.errors.lookup(sqlstate)
    except KeyError:
        error_class = psycopg.DatabaseError
    raise error_class(message or f"PostgreSQL answered with status {result.status!r}")


@dataclasses.dataclass
class InFlight:
    """A statement sent and not yet answered, and what to do with its answer."""

    sql: str
    arguments: dict[str, Any]
    settle: Callable[[Sequence[tuple[Any, ...]]], None]


class Finisher:
    """A connection for statements sent without waiting; at most one in flight.

    ``lock`` is held by whichever thread sends on it or reads its answer.
    """

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.lock = threading.Lock()
        self.in_flight: InFlight | None = None
