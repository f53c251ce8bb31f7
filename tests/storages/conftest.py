"""Storages under test: in memory, SQLite in a temporary file, and PostgreSQL.

The PostgreSQL ones need ``HYPERSWEEP_TEST_POSTGRES_URL`` (for example
``postgresql+psycopg://hypersweep:hypersweep@localhost:5432/hypersweep_test``). Without it they
are skipped, except under CI (``CI`` set), where they fail: CI must test PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
import contextlib
from pathlib import Path

import pytest

from _support import fresh_postgres_url
from hypersweep.storages import BaseStorage
from hypersweep.storages import InMemoryStorage
from hypersweep.storages import SQLStorage

#: Opens a storage on the database under test; every call gives a new storage object on the
#: same database (as another worker would), except in memory, where there is only one.
StorageFactory = Callable[..., BaseStorage]


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'studies.db'}"


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _factory(backend: str, tmp_path: Path) -> Iterator[StorageFactory]:
    if backend == "memory":
        memory = InMemoryStorage()

        def open_memory(**kwargs: object) -> BaseStorage:
            return memory

        yield open_memory
        return
    with _url(backend, tmp_path) as url:
        opened: list[BaseStorage] = []

        def open_sql(**kwargs: object) -> BaseStorage:
            storage = SQLStorage(url, **kwargs)  # type: ignore[arg-type]
            opened.append(storage)
            return storage

        yield open_sql
        for storage in opened:
            storage.close()


@contextlib.contextmanager
def _url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with fresh_postgres_url() as url:
            yield url


@pytest.fixture
def storage_factory(backend: str, tmp_path: Path) -> Iterator[StorageFactory]:
    yield from _factory(backend, tmp_path)


@pytest.fixture
def storage(storage_factory: StorageFactory) -> BaseStorage:
    return storage_factory()


@pytest.fixture
def sql_url(sql_backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (SQLite file or PostgreSQL schema)."""
    with _url(sql_backend, tmp_path) as url:
        yield url


@pytest.fixture
def sql_factory(sql_backend: str, tmp_path: Path) -> Iterator[StorageFactory]:
    yield from _factory(sql_backend, tmp_path)
