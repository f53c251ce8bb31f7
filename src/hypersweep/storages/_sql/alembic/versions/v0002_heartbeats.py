"""Heartbeats: when the worker of a RUNNING trial last showed it was alive.

A trial whose heartbeat is older than the grace period is failed by the next worker that
looks. Trials written before this revision have no heartbeat and are never failed as stale.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("trials", sa.Column("heartbeat", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("heartbeat")
