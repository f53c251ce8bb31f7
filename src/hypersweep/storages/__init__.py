"""Storages: where studies and trials are kept (in memory, SQLite, PostgreSQL)."""

from hypersweep.storages._base import BaseStorage
from hypersweep.storages._base import StudySummary
from hypersweep.storages._factory import get_storage
from hypersweep.storages._in_memory import InMemoryStorage
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
