"""The first schema: studies, trials, parameters, attributes and intermediate values.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _attr_table(name: str, owner: str, owner_table: str) -> None:
    op.create_table(
        name,
        sa.Column(
            owner,
            sa.Integer,
            sa.ForeignKey(f"{owner_table}.{owner}", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("study_name", sa.String(512), nullable=False, unique=True),
        sa.Column("direction", sa.Integer, nullable=False),
        sa.Column("next_trial_number", sa.Integer, nullable=False, server_default="0"),
        sqlite_autoincrement=True,
    )
    _attr_table("study_user_attrs", "study_id", "studies")
    _attr_table("study_system_attrs", "study_id", "studies")
    op.create_table(
        "trials",
        sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.study_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("value_kind", sa.Integer, nullable=True),
        sa.Column("datetime_start", sa.DateTime, nullable=True),
        sa.Column("datetime_complete", sa.DateTime, nullable=True),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_trials_study_state", "trials", ["study_id", "state"])
    op.create_table(
        "trial_params",
        sa.Column(
            "trial_id",
            sa.Integer,
            sa.ForeignKey("trials.trial_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(512), primary_key=True),
        sa.Column("internal_value", sa.Float, nullable=False),
        sa.Column("distribution_json", sa.Text, nullable=False),
    )
    _attr_table("trial_user_attrs", "trial_id", "trials")
    _attr_table("trial_system_attrs", "trial_id", "trials")
    op.create_table(
        "trial_intermediate_values",
        sa.Column(
            "trial_id",
            sa.Integer,
            sa.ForeignKey("trials.trial_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("value_kind", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "trial_intermediate_values",
        "trial_system_attrs",
        "trial_user_attrs",
        "trial_params",
        "trials",
        "study_system_attrs",
        "study_user_attrs",
        "studies",
    ):
        op.drop_table(name)
