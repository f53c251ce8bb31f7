"""The tables of a hypersweep database, as SQLAlchemy Core tables.

These tables describe the newest schema. The migration scripts under ``alembic/versions`` build
it step by step and never import this module, so an old migration keeps meaning what it meant
when it was written.

Layout: one row per study and per trial; parameters, attributes and intermediate values in
tables of their own, keyed by their owner. A study row carries the counter from which trial
numbers are drawn, so two workers never give two trials the same number.

Floats: SQLite keeps NaN as NULL, so every stored objective or intermediate value is split into
a float column and a ``*_kind`` column (:func:`encode_float`, :func:`decode_float`).
"""

from __future__ import annotations

import math

import sqlalchemy as sa

#: The table in which Alembic records the schema revision of a hypersweep database.
VERSION_TABLE = "hypersweep_version"

metadata = sa.MetaData()


def _owner(table: str, key: str) -> sa.Column[int]:
    """The primary-key column that ties a row to its study or trial, deleted along with it."""
    return sa.Column(
        key,
        sa.Integer,
        sa.ForeignKey(f"{table}.{key}", ondelete="CASCADE"),
        primary_key=True,
    )


def _attrs(name: str, table: str, key: str) -> sa.Table:
    """A table of JSON attributes of a study or trial: one row per (owner, key)."""
    return sa.Table(
        name,
        metadata,
        _owner(table, key),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
    )


studies = sa.Table(
    "studies",
    metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_name", sa.String(512), nullable=False, unique=True),
    sa.Column("direction", sa.Integer, nullable=False),
    sa.Column("next_trial_number", sa.Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
)

study_user_attrs = _attrs("study_user_attrs", "studies", "study_id")

study_system_attrs = _attrs("study_system_attrs", "studies", "study_id")

trials = sa.Table(
    "trials",
    metadata,
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
    sa.Column("heartbeat", sa.Float, nullable=True),
    sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    sa.Index("ix_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

trial_params = sa.Table(
    "trial_params",
    metadata,
    _owner("trials", "trial_id"),
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Column("internal_value", sa.Float, nullable=False),
    sa.Column("distribution_json", sa.Text, nullable=False),
)

trial_user_attrs = _attrs("trial_user_attrs", "trials", "trial_id")

trial_system_attrs = _attrs("trial_system_attrs", "trials", "trial_id")

trial_intermediate_values = sa.Table(
    "trial_intermediate_values",
    metadata,
    _owner("trials", "trial_id"),
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("value_kind", sa.Integer, nullable=False),
)

#: The names of hypersweep's tables, to recognize a database as ours (or as someone else's).
TABLE_NAMES = frozenset(metadata.tables)

# Kinds of stored floats: a finite number in the float column, or one of the values that not
# every database keeps (SQLite turns NaN into NULL).
_FINITE = 0
_POSITIVE_INFINITY = 1
_NEGATIVE_INFINITY = 2
_NAN = 3


def encode_float(value: float | None) -> tuple[float | None, int | None]:
    """Split a float into the ``(value, value_kind)`` columns; ``None`` stays ``(None, None)``."""
    if value is None:
        return None, None
    if math.isnan(value):
        return None, _NAN
    if math.isinf(value):
        return None, _POSITIVE_INFINITY if value > 0 else _NEGATIVE_INFINITY
    return float(value), _FINITE


def decode_float(value: float | None, kind: int | None) -> float | None:
    """The inverse of :func:`encode_float`."""
    if kind is None:
        return None
    if kind == _NAN:
        return math.nan
    if kind == _POSITIVE_INFINITY:
        return math.inf
    if kind == _NEGATIVE_INFINITY:
        return -math.inf
    return None if value is None else float(value)
