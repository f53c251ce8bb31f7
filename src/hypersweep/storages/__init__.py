"""Storages: where studies and trials are kept (in memory, SQLite, PostgreSQL)."""

from hypersweep.storages._base import BaseStorage
from hypersweep.storages._base import StudySummary
from hypersweep.storages._factory import get_storage
from hypersweep.storages._in_memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "StudySummary", "get_storage"]
