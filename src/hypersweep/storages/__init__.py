"""Storages: where studies and trials are kept (in memory, SQLite, PostgreSQL)."""

from typing import TYPE_CHECKING
from typing import Any

from hypersweep.storages._base import BaseStorage
from hypersweep.storages._base import StudySummary
from hypersweep.storages._factory import get_storage
from hypersweep.storages._in_memory import InMemoryStorage

if TYPE_CHECKING:
    from hypersweep.storages._sql import SQLStorage
    from hypersweep.storages._sql import upgrade_storage

__all__ = [
    "BaseStorage",
    "InMemoryStorage",
    "SQLStorage",
    "StudySummary",
    "get_storage",
    "upgrade_storage",
]


def __getattr__(name: str) -> Any:
    # SQLAlchemy takes about 0.2 s to import: only once a database is used.
    if name in ("SQLStorage", "upgrade_storage"):
        from hypersweep.storages import _sql

        return getattr(_sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
