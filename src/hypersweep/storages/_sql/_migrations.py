"""Schema revisions: recognizing a hypersweep database, creating one, upgrading an old one.

The migration scripts live in ``alembic/versions`` next to this module and ship with the
package. Opening a database never migrates it silently: a new (empty) database gets the newest
schema; an older schema is refused with the command that upgrades it, so that the user can back
it up first and so that workers of an older release never meet a schema they do not know.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hypersweep._exceptions import StorageError
from hypersweep.storages._sql._engine import describe
from hypersweep.storages._sql._engine import run_transaction
from hypersweep.storages._sql._engine import writer
from hypersweep.storages._sql._models import TABLE_NAMES
from hypersweep.storages._sql._models import VERSION_TABLE

#: Every schema revision, oldest first; the last is the one this release reads and writes.
#: A test checks that it matches the scripts in ``alembic/versions``.
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]

_SCRIPT_LOCATION = Path(__file__).parent / "alembic"
# Any constant: PostgreSQL workers creating the schema at once queue on this advisory lock.
_PG_SCHEMA_LOCK = 0x68737770


def _read_state(connection: sa.Connection) -> tuple[str | None, set[str]]:
    """The database's revision (``None`` if it has none) and the names of its tables."""
    tables = set(sa.inspect(connection).get_table_names())
    if VERSION_TABLE not in tables:
        return None, tables
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return (str(rows[0][0]) if rows else None), tables


def _check_foreign(url: sa.URL, revision: str | None, tables: set[str]) -> None:
    """Refuse a database that holds tables but is not (recognizably) a hypersweep database."""
    if revision is not None:
        return
    sqlite = url.get_backend_name() == "sqlite"
    ours = (tables & TABLE_NAMES) | ({VERSION_TABLE} & tables)
    if ours or (sqlite and tables):
        raise StorageError(
            f"{describe(url)} is not a hypersweep database (it has tables "
            f"{', '.join(sorted(tables)[:5])} but no {VERSION_TABLE} table); hypersweep left it "
            "unchanged; give a new file or an empty database"
        )


def _check_revision(url: sa.URL, revision: str) -> None:
    if revision == HEAD:
        return
    if revision in REVISIONS:
        raise StorageError(
            f"the database {describe(url)} has schema revision {revision}, older than revision "
            f"{HEAD} that this hypersweep needs; back it up, then run: hypersweep storage "
            f"upgrade --storage {describe(url)}"
        )
    raise StorageError(
        f"the database {describe(url)} has schema revision {revision}, newer than revision "
        f"{HEAD}, the newest this hypersweep knows; upgrade hypersweep "
        "(pip install -U hypersweep) on this machine"
    )


def _lock_schema(connection: sa.Connection) -> None:
    """Serialize schema changes between workers (SQLite's ``BEGIN IMMEDIATE`` does it there)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})


def _run_alembic(connection: sa.Connection, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def prepare(engine: sa.Engine, url: sa.URL) -> None:
    """Make sure ``engine``'s database has the current schema, creating it if it is empty.

    Raises:
        StorageError: If the database has an older or newer schema, or tables of something
            else.
    """
    with engine.connect() as connection:
        revision, tables = _read_state(connection)
        connection.rollback()
    _check_foreign(url, revision, tables)
    if revision is not None:
        _check_revision(url, revision)
        return

    def create(connection: sa.Connection) -> None:
        _lock_schema(connection)
        revision, tables = _read_state(connection)
        _check_foreign(url, revision, tables)
        if revision is None:
            _run_alembic(connection, HEAD)
        else:
            _check_revision(url, revision)

    run_transaction(writer(engine), create)


def upgrade(engine: sa.Engine, url: sa.URL, target: str = HEAD) -> tuple[str | None, str]:
    """Bring the database to revision ``target``.

    Returns:
        The revision before (``None`` for a new database) and after.

    Raises:
        StorageError: If the database is not a hypersweep database or is newer than this
            release.
    """

    def run(connection: sa.Connection) -> tuple[str | None, str]:
        _lock_schema(connection)
        revision, tables = _read_state(connection)
        _check_foreign(url, revision, tables)
        if revision is not None and revision not in REVISIONS:
            _check_revision(url, revision)
        if revision is not None and REVISIONS.index(revision) >= REVISIONS.index(target):
            return revision, revision
        _run_alembic(connection, target)
        return revision, target

    return run_transaction(writer(engine), run)
