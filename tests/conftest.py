from __future__ import annotations

import logging
import os

from hypothesis import HealthCheck
from hypothesis import settings
import pytest

settings.register_profile(
    "default", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def _quiet_library_logger() -> None:
    # Tests that check log lines raise the level themselves with caplog.
    logging.getLogger("hypersweep").setLevel(logging.WARNING)
