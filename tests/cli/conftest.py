"""Fixtures of the CLI tests: studies made by the Python API in real SQLite files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cli_helpers import Invoke
from cli_helpers import make_demo_study
from click.testing import CliRunner
from click.testing import Result
import pytest

from hypersweep.cli import cli


@pytest.fixture
def demo_url(tmp_path: Path) -> str:
    """The URL of an SQLite database holding :func:`make_demo_study`'s studies."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    make_demo_study(url)
    return url


@pytest.fixture
def invoke() -> Invoke:
    """Run the CLI in-process; ``HYPERSWEEP_STORAGE`` is unset unless ``env`` sets it."""

    def run(
        args: Sequence[str], *, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        environment: dict[str, str | None] = {"HYPERSWEEP_STORAGE": None, "COLUMNS": None}
        environment.update(env or {})
        return CliRunner(env=environment).invoke(cli, list(args), input=input)

    return run
