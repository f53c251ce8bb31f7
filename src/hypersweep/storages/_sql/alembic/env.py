"""The Alembic environment of hypersweep's schema migrations.

hypersweep runs its migrations itself (see ``hypersweep.storages._sql._migrations``), on a
connection it opened and put in a transaction, so that a database is created or upgraded by
one worker only. This file only hands that connection to Alembic.
"""

from __future__ import annotations

from alembic import context

from hypersweep.storages._sql._models import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
