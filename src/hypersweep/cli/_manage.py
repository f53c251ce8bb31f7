"""``hypersweep delete`` and ``hypersweep storage upgrade``: commands that change a storage."""

from __future__ import annotations

import click

from hypersweep._exceptions import StorageError
from hypersweep.cli._context import bad_url_message
from hypersweep.cli._context import find_study
from hypersweep.cli._context import get_state
from hypersweep.cli._context import open_storage
from hypersweep.cli._context import redact
from hypersweep.cli._context import refuse_missing_file
from hypersweep.cli._context import storage_error_message
from hypersweep.cli._context import storage_option
from hypersweep.cli._context import url_to_open
from hypersweep.trial import TrialState


@click.command("delete")
@click.argument("study_name", metavar="STUDY")
@click.option("--yes", "-y", is_flag=True, help="Delete without asking first.")
@storage_option
@click.pass_context
def delete_command(ctx: click.Context, study_name: str, yes: bool) -> None:
    """Delete STUDY and all its trials, for good.

    Asks for confirmation first unless --yes is given; answering no leaves the study as it is.
    """
    storage = open_storage(ctx)
    study_id = find_study(ctx, storage, study_name)
    n_trials = storage.get_n_trials(study_id)
    n_running = storage.get_n_trials(study_id, states=(TrialState.RUNNING,))

    if not yes:
        running = f" ({n_running} still RUNNING: stop their workers first)" if n_running else ""
        click.confirm(
            f"Delete study {study_name!r} and its {n_trials} trials{running} from "
            f"{redact(get_state(ctx).storage_url)}? This cannot be undone.",
            default=False,
            abort=True,
            err=True,
        )

    storage.delete_study(study_id)
    click.echo(f"Deleted study {study_name!r} and its {n_trials} trials.")


@click.group("storage")
def storage_group() -> None:
    """Manage the storage itself (its database schema)."""


@storage_group.command("upgrade")
@storage_option
@click.pass_context
def upgrade_command(ctx: click.Context) -> None:
    """Upgrade the storage's database schema to this version of hypersweep.

    Back up the database first. Run it once, with no tuning job running, when hypersweep says
    the storage was made by an older version. Running it again changes nothing.
    """
    from hypersweep.storages import upgrade_storage

    url = get_state(ctx).storage_url
    refuse_missing_file(url)
    opened = url_to_open(url)
    try:
        old, new = upgrade_storage(opened)
    except StorageError as error:
        raise click.ClickException(storage_error_message(error, opened, url)) from None
    except (ValueError, TypeError) as error:
        raise click.ClickException(bad_url_message(url, error)) from None

    shown = redact(url)
    if old == new:
        click.echo(f"Storage {shown} is already at the latest schema revision {new}.")
    elif old is None:
        click.echo(f"Created the hypersweep schema in {shown} at revision {new}.")
    else:
        click.echo(f"Upgraded storage {shown} from schema revision {old} to {new}.")
