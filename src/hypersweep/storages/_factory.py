from __future__ import annotations

import os

from hypersweep.storages._base import BaseStorage
from hypersweep.storages._in_memory import InMemoryStorage


def get_storage(storage: str | os.PathLike[str] | BaseStorage | None) -> BaseStorage:
    """Open a storage from what a user passed as ``storage=``.

    Args:
        storage: ``None`` for a new in-memory storage; a storage object, returned as is; a
            database URL (``sqlite:///path.db``, ``postgresql+psycopg://user:pw@host/db``); or a
            file path, opened as an SQLite database.

    Raises:
        ValueError: If the URL names a database hypersweep does not support.
        StorageError: If the database cannot be opened.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, os.PathLike) or (isinstance(storage, str) and "://" not in storage):
        path = os.fspath(storage)
        if not path:
            raise ValueError("storage must be a database URL or a file path, got ''")
        storage = f"sqlite:///{path}"
    if not isinstance(storage, str):
        raise TypeError(
            "storage must be None, a BaseStorage, a database URL or a file path, got "
            f"{storage!r} of type {type(storage).__name__}"
        )

    from hypersweep.storages._sql import SQLStorage

    return SQLStorage(storage)
