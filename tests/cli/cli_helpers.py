"""Helpers of the CLI tests: a study in every state, made by the Python API; error checks."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
import contextlib
import dataclasses
from pathlib import Path
import sqlite3

from click.testing import Result

import hypersweep

#: The trials of the study ``demo`` made by :func:`make_demo_study`, by number.
DEMO_STATES = {
    0: "COMPLETE",
    1: "COMPLETE",
    2: "COMPLETE",
    3: "PRUNED",
    4: "FAIL",
    5: "FAIL",
    6: "COMPLETE",
    7: "RUNNING",
    8: "WAITING",
}


#: A categorical choice that rich would take for markup if the CLI let it.
MARKUP = "[bold]markup[/bold]"


def _objective(trial: hypersweep.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    kind = trial.suggest_categorical("kind", ["plain", MARKUP])
    trial.set_user_attr("note", f"trial {trial.number}")
    trial.report(x * x, 0)
    trial.report(float("nan"), 1)
    if trial.number == 3:
        raise hypersweep.TrialPruned()
    if trial.number == 4:
        raise RuntimeError("out of memory\nwhile allocating")
    if trial.number == 5:
        return float("inf")
    return (x - 1.0) ** 2 + (0.5 if kind == "plain" else 0.0)


def make_demo_study(url: str) -> None:
    """A minimized study ``demo`` with a trial in every state, and an empty study ``other``.

    Trials 0-6 ran through ``optimize`` (trials 0 and 1 were enqueued with either choice of
    ``kind``; trial 4 raised, trial 5 diverged to +inf), trial 7 is
    RUNNING (asked, never told) and trial 8 WAITING (enqueued).
    """
    study = hypersweep.create_study(
        study_name="demo", storage=url, sampler=hypersweep.samplers.RandomSampler(seed=3)
    )
    study.enqueue_trial({"kind": MARKUP})
    study.enqueue_trial({"kind": "plain"})
    study.optimize(_objective, n_trials=7, catch=(RuntimeError,))
    running = study.ask()
    running.suggest_float("x", -5.0, 5.0)
    study.enqueue_trial({"x": 0.5})
    hypersweep.create_study(study_name="other", storage=study.storage, direction="maximize")
    # Closing writes what the storage buffered of the RUNNING trial (its parameter).
    study.storage.close()


@contextlib.contextmanager
def loaded(url: str, study_name: str = "demo") -> Iterator[hypersweep.Study]:
    """The study, through a storage of its own that is closed afterwards."""
    study = hypersweep.load_study(study_name=study_name, storage=url)
    try:
        yield study
    finally:
        study.storage.close()


def make_empty_database(path: Path) -> str:
    """A hypersweep database without studies."""
    url = f"sqlite:///{path}"
    hypersweep.storages.get_storage(url).close()
    return url


def study_names(url: str) -> list[str]:
    """The names of the studies in the storage at ``url``."""
    storage = hypersweep.storages.get_storage(url)
    try:
        return [storage.get_study_name(study_id) for study_id in storage.get_all_study_ids()]
    finally:
        storage.close()


Invoke = Callable[..., Result]


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """Check a failed run: exit code 1, nothing on stdout, one ``Error:`` line on stderr."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def make_old_schema_database(path: Path) -> str:
    """An SQLite database of schema revision 0001 (before heartbeats) holding the demo study.

    Made with the Python API at the newest revision, then taken back by hand: revision 0002
    only added the column ``trials.heartbeat``.
    """
    url = f"sqlite:///{path}"
    make_demo_study(url)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("ALTER TABLE trials DROP COLUMN heartbeat")
        connection.execute("UPDATE hypersweep_version SET version_num = '0001'")
    return url


def make_newer_schema_database(path: Path) -> str:
    """An SQLite database that claims a schema revision newer than this hypersweep knows."""
    url = f"sqlite:///{path}"
    make_demo_study(url)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE hypersweep_version SET version_num = '9999'")
    return url


def make_foreign_database(path: Path) -> str:
    """An SQLite database of some other application."""
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    return f"sqlite:///{path}"


#: A PostgreSQL server that cannot be reached: nothing listens on port 1 of this machine.
UNREACHABLE_URL = "postgresql+psycopg://tuner:s3cret@127.0.0.1:1/studies"


@dataclasses.dataclass(frozen=True)
class ErrorCase:
    """A way to make the CLI fail: its arguments and what its one error line must say."""

    args: list[str]
    fragments: tuple[str, ...]
    absent: tuple[str, ...] = ()


def _demo(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    make_demo_study(url)
    return url


def _missing_close(tmp_path: Path) -> ErrorCase:
    url = _demo(tmp_path)
    return ErrorCase(
        ["--storage", url, "trials", "dem"],
        (f"no study named 'dem' in {url}", "did you mean 'demo'?"),
    )


def _missing_far(tmp_path: Path) -> ErrorCase:
    url = _demo(tmp_path)
    return ErrorCase(
        ["--storage", url, "best", "resnet-sweep"],
        (
            "no study named 'resnet-sweep'",
            f"list the studies with: hypersweep --storage {url} studies",
        ),
    )


def _unsupported(tmp_path: Path) -> ErrorCase:
    return ErrorCase(
        ["--storage", "mysql://tuner@localhost/studies", "studies"],
        ("'mysql'", "is not supported", "sqlite:///"),
    )


def _malformed(tmp_path: Path) -> ErrorCase:
    return ErrorCase(
        ["--storage", "postgresql+psycopg://tuner:s3cret@db:port/studies", "studies"],
        ("is not", "postgresql+psycopg://user:password@host"),
        ("s3cret",),
    )


def _missing_file(tmp_path: Path) -> ErrorCase:
    path = tmp_path / "typo.db"
    return ErrorCase(
        ["--storage", f"sqlite:///{path}", "studies"],
        (f"no database at {str(path)!r}", "--storage URL", "HYPERSWEEP_STORAGE"),
    )


def _unreachable(tmp_path: Path) -> ErrorCase:
    return ErrorCase(
        ["--storage", UNREACHABLE_URL, "studies"],
        ("cannot open the database postgresql+psycopg://tuner:***@127.0.0.1:1/studies:",),
        ("s3cret",),
    )


def _old(tmp_path: Path) -> ErrorCase:
    url = make_old_schema_database(tmp_path / "old.db")
    return ErrorCase(
        ["--storage", url, "trials", "demo"],
        ("revision 0001", f"hypersweep storage upgrade --storage {url}"),
    )


def _newer(tmp_path: Path) -> ErrorCase:
    url = make_newer_schema_database(tmp_path / "new.db")
    return ErrorCase(["--storage", url, "studies"], ("revision 9999", "upgrade hypersweep"))


def _not_sqlite(tmp_path: Path) -> ErrorCase:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    return ErrorCase(["--storage", str(text_file), "studies"], ("is not an SQLite database",))


def _foreign(tmp_path: Path) -> ErrorCase:
    url = make_foreign_database(tmp_path / "shop.db")
    return ErrorCase(
        ["--storage", url, "export", "demo", "--format", "csv"],
        ("is not a hypersweep database",),
    )


#: Every error path the CLI must report in one line; each builds its case in a directory.
ERROR_CASES: dict[str, Callable[[Path], ErrorCase]] = {
    "missing study, close name": _missing_close,
    "missing study, no close name": _missing_far,
    "unsupported database": _unsupported,
    "malformed URL": _malformed,
    "missing SQLite file": _missing_file,
    "unreachable server": _unreachable,
    "old schema": _old,
    "newer schema": _newer,
    "not an SQLite file": _not_sqlite,
    "not a hypersweep database": _foreign,
}
