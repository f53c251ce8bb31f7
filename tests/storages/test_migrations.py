"""Schema revisions: new databases, old ones, newer ones, and files that are not ours."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import sqlite3

from alembic.config import Config
from alembic.script import ScriptDirectory
import pytest
import sqlalchemy as sa

from hypersweep import StorageError
from hypersweep.storages import SQLStorage
from hypersweep.storages import upgrade_storage
from hypersweep.storages._sql import _engine
from hypersweep.storages._sql import _migrations
from hypersweep.trial import StudyDirection


def _migrate_to(url: str, revision: str) -> None:
    parsed, _ = _engine.parse_url(url)
    engine = _engine.create_engine(parsed)
    try:
        _migrations.upgrade(engine, parsed, target=revision)
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    parsed, _ = _engine.parse_url(url)
    engine = _engine.create_engine(parsed)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))
    finally:
        engine.dispose()


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_the_revision_list_matches_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", str(_migrations._SCRIPT_LOCATION))
    script = ScriptDirectory.from_config(config)
    walked = [revision.revision for revision in script.walk_revisions()]
    assert script.get_heads() == [_migrations.HEAD]
    assert tuple(reversed(walked)) == _migrations.REVISIONS


def test_a_new_database_gets_the_newest_schema(sql_url: str) -> None:
    storage = SQLStorage(sql_url)
    storage.create_new_study(StudyDirection.MINIMIZE, "new")
    storage.close()
    assert upgrade_storage(sql_url) == (_migrations.HEAD, _migrations.HEAD)


def test_workers_creating_the_schema_at_once_all_succeed(sql_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        storages = list(pool.map(lambda _: SQLStorage(sql_url), range(4)))
    storages[0].create_new_study(StudyDirection.MINIMIZE, "once")
    assert storages[3].get_study_id_from_name("once") == storages[0].get_all_study_ids()[0]
    for storage in storages:
        storage.close()


def test_an_old_schema_names_the_upgrade_command_and_upgrades(sql_url: str) -> None:
    _migrate_to(sql_url, "0001")
    _execute(sql_url, "INSERT INTO studies (study_name, direction) VALUES ('kept', 1)")

    with pytest.raises(
        StorageError, match="schema revision 0001, older than revision 0002"
    ) as raised:
        SQLStorage(sql_url)
    assert "hypersweep storage upgrade --storage " in str(raised.value)
    assert "\n" not in str(raised.value)

    assert upgrade_storage(sql_url) == ("0001", "0002")
    storage = SQLStorage(sql_url)
    study = storage.get_study_id_from_name("kept")
    trial = storage.create_new_trial(study)
    assert trial.number == 0
    storage.close()
    assert upgrade_storage(sql_url) == ("0002", "0002")


def test_a_newer_schema_is_refused_with_both_revisions(sql_url: str) -> None:
    SQLStorage(sql_url).close()
    _execute(sql_url, "UPDATE hypersweep_version SET version_num = '0099'")

    message = "schema revision 0099, newer than revision 0002, the newest this hypersweep knows"
    with pytest.raises(StorageError, match=message):
        SQLStorage(sql_url)
    with pytest.raises(StorageError, match=message):
        upgrade_storage(sql_url)


def test_an_sqlite_file_of_another_program_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO users (name) VALUES ('ada')")
    connection.commit()
    connection.close()
    before = _files(tmp_path)

    for call in (SQLStorage, upgrade_storage):
        with pytest.raises(
            StorageError, match=r"is not a hypersweep database .*left it unchanged"
        ):
            call(f"sqlite:///{path}")

    assert _files(tmp_path) == before


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 10)
    before = _files(tmp_path)

    for call in (SQLStorage, upgrade_storage):
        with pytest.raises(StorageError, match=r"is not an SQLite database .*left it unchanged"):
            call(f"sqlite:///{path}")

    assert _files(tmp_path) == before


def test_postgres_tables_named_like_ours_without_a_revision_are_refused(sql_url: str) -> None:
    _execute(sql_url, "CREATE TABLE studies (id INTEGER PRIMARY KEY)")
    with pytest.raises(StorageError, match="is not a hypersweep database"):
        SQLStorage(sql_url)


def test_many_workers_opening_new_sqlite_files_at_once_never_see_a_lock(tmp_path: Path) -> None:
    # Switching a new file to WAL needs an exclusive lock that SQLite may refuse at once while
    # another worker creates the schema; opening must wait it out, not fail.
    def open_and_close(url: str) -> None:
        SQLStorage(url).close()

    for round_ in range(20):
        url = f"sqlite:///{tmp_path / f'race-{round_}.db'}"
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(open_and_close, [url] * 8))


def test_the_migrations_build_exactly_the_tables_the_code_uses(tmp_path: Path) -> None:
    # Migration scripts freeze each schema revision, so they repeat the table definitions of
    # _models.py on purpose; this keeps the two from drifting apart.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hypersweep.storages._sql import _models

    url = f"sqlite:///{tmp_path / 'schema.db'}"
    SQLStorage(url).close()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), _models.metadata)
    engine.dispose()
    assert [d for d in differences if _engine.VERSION_TABLE not in str(d)] == []
