"""What tests need from their surroundings, with one rule: skip on a laptop, fail under CI.

A test that needs a service (the PostgreSQL server) or an optional package (torch, optuna,
scikit-learn, matplotlib, pandas) skips where it is missing, so a developer can run the suite on
any machine. Under CI (the ``CI`` environment variable is set) nothing may be skipped for that
reason: ``.ci/run`` provides all of it, so a missing piece is a broken CI, and the test fails.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

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
