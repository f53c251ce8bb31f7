"""SQL storage: SQLite and PostgreSQL through SQLAlchemy, with Alembic schema migrations."""

from hypersweep.storages._sql._storage import SQLStorage
from hypersweep.storages._sql._storage import upgrade_storage

__all__ = ["SQLStorage", "upgrade_storage"]
