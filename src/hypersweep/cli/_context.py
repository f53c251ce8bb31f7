"""What every command shares: the storage URL, opening the storage, finding a study."""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
import difflib
import os
from typing import Any
from typing import TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from hypersweep._exceptions import StorageError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep.storages import BaseStorage
from hypersweep.storages import get_storage

DEFAULT_STORAGE = "sqlite:///hypersweep.db"
STORAGE_ENVVAR = "HYPERSWEEP_STORAGE"

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclasses.dataclass
class CliState:
    """The root group's settings, shared with every subcommand through ``ctx.obj``.

    Attributes:
        storage_url: The storage URL the commands open.
        debug: Whether unexpected errors show their traceback.
    """

    storage_url: str = DEFAULT_STORAGE
    debug: bool = False


def get_state(ctx: click.Context) -> CliState:
    """The shared settings (defaults when a command is invoked without the root group)."""
    return ctx.ensure_object(CliState)


def _remember_storage(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        get_state(ctx).storage_url = value


def storage_option(command: _F) -> _F:
    """Let a command take ``--storage URL`` after its name too (it wins over the global one)."""
    return click.option(
        "--storage",
        metavar="URL",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember_storage,
        help=(
            "The storage to open (overrides the global --storage): sqlite:///path.db, "
            "postgresql+psycopg://user:password@host/db or a file path."
        ),
    )(command)


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    if "://" not in url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # A URL SQLAlchemy cannot parse is shown only by its scheme: it may hold a password.
        return url.split("://", 1)[0] + "://..."


def _sqlite_path(url: str) -> str | None:
    """The file an SQLite URL or a plain path points to; ``None`` for other databases."""
    if "://" not in url:
        return url
    if not url.startswith("sqlite"):
        return None
    try:
        database = make_url(url).database
    except (ArgumentError, ValueError):
        # Left to get_storage, which reports a bad URL in its own words.
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def url_to_open(url: str) -> str:
    """The URL to hand to the storage for what the user gave as ``--storage``.

    A plain path becomes an SQLite URL; anything else goes to the storage as given (it sets a
    connect timeout for PostgreSQL and reports a bad URL in its own words).
    """
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def refuse_missing_file(url: str) -> None:
    """Refuse an empty URL, and an SQLite URL or path whose file does not exist (opening it
    would create it).

    Raises:
        click.ClickException: If the URL is empty or the file does not exist.
    """
    if not url.strip():
        raise click.ClickException(
            f"the storage URL is empty; pass --storage URL (for example {DEFAULT_STORAGE}) or "
            f"set {STORAGE_ENVVAR}"
        )
    path = _sqlite_path(url)
    if path is not None and not os.path.exists(path):
        raise click.ClickException(
            f"no database at {path!r} (storage {redact(url)}); pass --storage URL or set "
            f"{STORAGE_ENVVAR} to the storage your studies are in"
        )


def open_storage(ctx: click.Context) -> BaseStorage:
    """Open the storage named by ``--storage``, closed again when the command ends.

    Every command works on studies that exist already, so an SQLite file that does not exist is
    refused rather than created empty.

    Raises:
        click.ClickException: With one line saying what is wrong and what to do.
    """
    url = get_state(ctx).storage_url
    refuse_missing_file(url)
    opened = url_to_open(url)
    try:
        storage = get_storage(opened)
    except StorageError as error:
        raise click.ClickException(storage_error_message(error, opened, url)) from None
    except (ValueError, TypeError) as error:
        raise click.ClickException(bad_url_message(url, error)) from None
    ctx.call_on_close(storage.close)
    return storage


def find_study(ctx: click.Context, storage: BaseStorage, study_name: str) -> int:
    """The id of the study of that name.

    Raises:
        click.ClickException: If there is no such study; the message names the closest study
            names, or says how to list them.
    """
    try:
        return storage.get_study_id_from_name(study_name)
    except StudyNotFoundError:
        pass

    names = [storage.get_study_name(study_id) for study_id in storage.get_all_study_ids()]
    url = redact(get_state(ctx).storage_url)
    if not names:
        hint = "the storage holds no studies"
    else:
        close = difflib.get_close_matches(study_name, names, n=3, cutoff=0.6)
        if close:
            hint = "did you mean " + " or ".join(repr(name) for name in close) + "?"
        else:
            hint = f"list the studies with: hypersweep --storage {url} studies"
    raise click.ClickException(f"no study named {study_name!r} in {url}; {hint}")


def storage_error_message(error: StorageError, opened: str, given: str) -> str:
    """The storage's message on one line, naming the URL as the user gave it.

    The message names the URL that was opened; where that differs from the one given only by
    what :func:`url_to_open` added (a connect timeout), the given one is shown instead.
    """
    message = one_line(str(error))
    if opened != given and "://" in given:
        message = message.replace(redact(opened), redact(given))
    return message


def bad_url_message(url: str, error: Exception) -> str:
    """The message for a storage URL that could not even be parsed."""
    return (
        f"the storage URL {redact(url)} is not valid ({one_line(str(error))}); use "
        "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host:5432/database"
    )


def one_line(message: str) -> str:
    """A message folded onto one line (errors from databases may span several)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return " ".join(lines) if lines else "unknown error"
