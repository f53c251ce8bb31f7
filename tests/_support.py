"""What tests need from their surroundings, with one rule: skip on a laptop, fail under CI.

A test that needs a service (the PostgreSQL server) or an optional package (torch, optuna,
scikit-learn, matplotlib, pandas) skips where it is missing, so a developer can run the suite on
any machine. Under CI (the ``CI`` environment variable is set) nothing may be skipped for that
reason: ``.ci/run`` provides all of it, so a missing piece is a broken CI, and the test fails.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import importlib
import os
from types import ModuleType
import urllib.parse
import uuid

import pytest

POSTGRES_ENV = "HYPERSWEEP_TEST_POSTGRES_URL"


def under_ci() -> bool:
    return bool(os.environ.get("CI"))


def postgres_url() -> str:
    """The PostgreSQL test server's URL; skips without one, fails under CI."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if under_ci():
            pytest.fail(
                f"the PostgreSQL test server is missing: {POSTGRES_ENV} is not set, and under CI "
                "the PostgreSQL tests must run (start the server and set it, see .ci/run)"
            )
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests")
    return url


def require(module: str) -> ModuleType:
    """Import an optional package; skips without it, fails under CI."""
    if under_ci():
        try:
            return importlib.import_module(module)
        except ImportError as error:
            pytest.fail(f"{module} must be installed under CI (see .ci/run): {error}")
    return pytest.importorskip(module)


@contextlib.contextmanager
def fresh_postgres_url() -> Iterator[str]:
    """The PostgreSQL test server's URL with a new, empty schema as search path, dropped after.

    Each test gets its own schema, so tests never see each other's tables, nor those of anyone
    else using the same server. Skips without a server, fails under CI (see
    :func:`postgres_url`).
    """
    import sqlalchemy as sa

    url = postgres_url()
    schema = f"hypersweep_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options={urllib.parse.quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
