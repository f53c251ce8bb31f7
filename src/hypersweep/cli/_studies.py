"""``hypersweep studies``: every study in a storage, one row each."""

from __future__ import annotations

import click

from hypersweep.cli._context import get_state
from hypersweep.cli._context import open_storage
from hypersweep.cli._context import redact
from hypersweep.cli._context import storage_option
from hypersweep.cli._output import STATE_ORDER
from hypersweep.cli._output import add_row
from hypersweep.cli._output import format_counts
from hypersweep.cli._output import format_datetime
from hypersweep.cli._output import format_number
from hypersweep.cli._output import make_console
from hypersweep.cli._output import new_table


@click.command("studies")
@storage_option
@click.pass_context
def studies_command(ctx: click.Context) -> None:
    """List the studies in the storage.

    One row per study: its direction, how many trials are in each state, the best value, when
    its first trial started and when a trial last started or finished.
    """
    storage = open_storage(ctx)
    summaries = storage.get_study_summaries()
    console = make_console()

    if not summaries:
        console.print(
            f"No studies in {redact(get_state(ctx).storage_url)}. Create one from Python with "
            "hypersweep.create_study(storage=...), or pass --storage URL to look elsewhere."
        )
        return

    state_columns = [state.name for state in STATE_ORDER]
    table = new_table(
        ["Name", "Direction", *state_columns, "Best value", "Started", "Last activity"],
        right_aligned=range(2, 3 + len(state_columns)),
    )
    for summary in summaries:
        add_row(
            table,
            [
                summary.study_name,
                summary.direction.name.lower(),
                *format_counts(summary.n_trials),
                format_number(summary.best_value),
                format_datetime(summary.datetime_start),
                format_datetime(summary.last_activity),
            ],
        )
    console.print(table)
