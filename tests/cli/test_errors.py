"""Every error path ends in one ``Error:`` line on standard error and exit code 1, never a
traceback; usage errors keep click's exit code 2."""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
import types

from cli_helpers import ERROR_CASES
from cli_helpers import Invoke
from cli_helpers import assert_one_error_line
from cli_helpers import make_empty_database
from cli_helpers import make_old_schema_database
import click
import pytest

import hypersweep
from hypersweep.cli import _context
from hypersweep.cli import _main


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_error_is_one_line_in_process(invoke: Invoke, tmp_path: Path, name: str) -> None:
    case = ERROR_CASES[name](tmp_path)

    result = invoke(case.args)

    line = assert_one_error_line(result, *case.fragments)
    for fragment in case.absent:
        assert fragment not in line


def _hypersweep_script() -> Path:
    # The console script installed next to this interpreter (/work/venv/bin/hypersweep).
    return Path(sys.executable).parent / "hypersweep"


def _run(args: list[str], *, module: bool = False) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "HYPERSWEEP_STORAGE"}
    command = [sys.executable, "-m", "hypersweep"] if module else [str(_hypersweep_script())]
    return subprocess.run(
        command + args, capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.slow
def test_every_error_is_one_line_from_the_installed_command(tmp_path: Path) -> None:
    # All cases run at once: each process spends most of its time importing hypersweep.
    cases = {}
    for index, (name, build) in enumerate(ERROR_CASES.items()):
        directory = tmp_path / str(index)
        directory.mkdir()
        cases[name] = build(directory)
    env = {key: value for key, value in os.environ.items() if key != "HYPERSWEEP_STORAGE"}
    processes = {
        name: subprocess.Popen(
            [str(_hypersweep_script()), *case.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name, case in cases.items()
    }
    usage = subprocess.Popen(
        [str(_hypersweep_script()), "export", "demo", "--format", "xml"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )

    _, usage_stderr = usage.communicate(timeout=120)
    assert usage.returncode == 2
    assert usage_stderr.startswith("Usage: hypersweep export")
    assert "Traceback" not in usage_stderr
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        case = cases[name]
        assert process.returncode == 1, (name, stderr)
        assert stdout == "", name
        assert "Traceback" not in stderr, (name, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1, (name, stderr)
        assert lines[0].startswith("Error: "), name
        for fragment in case.fragments:
            assert fragment in lines[0], (name, fragment, lines[0])
        for fragment in case.absent:
            assert fragment not in stderr, (name, fragment)


def test_python_dash_m_runs_the_same_command(demo_url: str) -> None:
    completed = _run(["--storage", demo_url, "best", "demo", "--json"], module=True)

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["study"] == "demo"


@pytest.mark.parametrize(
    "args",
    [
        ["trials"],
        ["export", "demo"],
        ["export", "demo", "--format", "xml"],
        ["trials", "demo", "--sort", "speed"],
        ["trials", "demo", "--limit", "0"],
        ["trials", "demo", "--state", "DONE"],
        ["studys"],
    ],
)
def test_usage_errors_exit_with_2(invoke: Invoke, demo_url: str, args: list[str]) -> None:
    result = invoke(["--storage", demo_url, *args])

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Usage: hypersweep ")
    assert any(line.startswith("Error: ") for line in result.stderr.splitlines())


def test_missing_study_in_an_empty_storage(invoke: Invoke, tmp_path: Path) -> None:
    url = make_empty_database(tmp_path / "empty.db")

    for command in (
        ["trials", "x"],
        ["best", "x"],
        ["export", "x", "--format", "json"],
        ["delete", "x", "--yes"],
    ):
        result = invoke(["--storage", url, *command])
        assert_one_error_line(result, f"no study named 'x' in {url}; the storage holds no studies")


def test_an_empty_storage_url_is_refused(invoke: Invoke) -> None:
    result = invoke(["--storage", "", "studies"])

    assert_one_error_line(result, "the storage URL is empty; pass --storage URL")


def test_a_directory_is_not_a_storage(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(["--storage", str(tmp_path), "studies"])

    assert_one_error_line(result, "is a directory")


def test_storage_upgrade_reports_old_and_new_revision(invoke: Invoke, tmp_path: Path) -> None:
    url = make_old_schema_database(tmp_path / "old.db")

    first = invoke(["storage", "upgrade", "--storage", url])
    again = invoke(["--storage", url, "storage", "upgrade"])
    after = invoke(["--storage", url, "best", "demo"])

    assert first.exit_code == 0, first.output
    assert first.stdout == f"Upgraded storage {url} from schema revision 0001 to 0002.\n"
    assert again.stdout == f"Storage {url} is already at the latest schema revision 0002.\n"
    assert after.exit_code == 0, after.output


@pytest.mark.parametrize(
    "name",
    [
        "unsupported database",
        "malformed URL",
        "missing SQLite file",
        "unreachable server",
        "newer schema",
        "not an SQLite file",
        "not a hypersweep database",
    ],
)
def test_storage_upgrade_errors_are_one_line(invoke: Invoke, tmp_path: Path, name: str) -> None:
    case = ERROR_CASES[name](tmp_path)
    storage = case.args[case.args.index("--storage") + 1]

    result = invoke(["storage", "upgrade", "--storage", storage])

    assert_one_error_line(result, *case.fragments)


def test_storage_errors_after_opening_are_one_line(
    invoke: Invoke, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(self: object) -> None:
        raise hypersweep.StorageError("the database stayed busy\nthrough 12 attempts")

    monkeypatch.setattr(hypersweep.storages.SQLStorage, "get_study_summaries", busy)

    result = invoke(["--storage", demo_url, "studies"])

    assert_one_error_line(result, "Error: the database stayed busy through 12 attempts")


def test_unexpected_errors_are_one_line_unless_debug(
    invoke: Invoke, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object) -> None:
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(hypersweep.storages.SQLStorage, "get_study_summaries", broken)

    plain = invoke(["--storage", demo_url, "studies"])
    debug = invoke(["--storage", demo_url, "--debug", "studies"])

    assert_one_error_line(plain, "unexpected RuntimeError: disk on fire second line", "--debug")
    assert isinstance(debug.exception, RuntimeError)


def test_bench_without_its_module_says_how_to_install(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, _main.BENCH_MODULE, None)

    result = invoke(["bench", "run", "--problem", "x"])
    help_page = invoke(["bench", "--help"])

    assert_one_error_line(
        result,
        "the benchmark harness is not available: it is not part of this installation",
        "pip install 'hypersweep[bench]'",
    )
    assert_one_error_line(help_page, "pip install 'hypersweep[bench]'")


def test_bench_without_its_optional_dependencies_names_them(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def import_module(name: str) -> types.ModuleType:
        raise ModuleNotFoundError("No module named 'optuna'", name="optuna")

    monkeypatch.setattr(_main, "importlib", types.SimpleNamespace(import_module=import_module))

    result = invoke(["bench", "report"])

    assert_one_error_line(
        result, "it needs 'optuna', which is not installed", "pip install 'hypersweep[bench]'"
    )


def test_bench_is_loaded_only_when_run(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    @click.group("bench")
    def bench() -> None:
        """Benchmarks."""

    @bench.command("run")
    @click.option("--budget", type=int)
    def run(budget: int) -> None:
        calls.append(f"run {budget}")
        click.echo("ran")

    fake = types.ModuleType(_main.BENCH_MODULE)
    fake.bench = bench  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, _main.BENCH_MODULE, fake)

    result = invoke(["bench", "run", "--budget", "3"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "ran\n"
    assert calls == ["run 3"]


@pytest.mark.parametrize(
    ("given", "opened"),
    [
        ("postgresql://db.example/studies", "postgresql://db.example/studies"),
        ("sqlite:///tune.db", "sqlite:///tune.db"),
        ("runs/tune.db", "sqlite:///runs/tune.db"),
    ],
)
def test_paths_become_sqlite_urls(given: str, opened: str) -> None:
    assert _context.url_to_open(given) == opened
