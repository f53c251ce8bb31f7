"""``hypersweep export``: every trial of a study as CSV or JSON."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import csv
import io
import json
import pathlib
from typing import Any

import click

from hypersweep.cli._context import find_study
from hypersweep.cli._context import open_storage
from hypersweep.cli._context import storage_option
from hypersweep.cli._output import json_safe
from hypersweep.trial import FrozenTrial


def trial_record(trial: FrozenTrial) -> dict[str, Any]:
    """One trial as a JSON-ready mapping (non-finite floats as strings, see ``json_safe``)."""
    duration = trial.duration
    record = {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "duration_seconds": None if duration is None else duration.total_seconds(),
        "params": dict(trial.params),
        "user_attrs": dict(trial.user_attrs),
        "intermediate_values": {
            str(step): value for step, value in trial.intermediate_values.items()
        },
        "fail_reason": trial.fail_reason,
    }
    safe: dict[str, Any] = json_safe(record)
    return safe


def to_json(trials: Sequence[FrozenTrial]) -> str:
    """The trials as a JSON list of objects, one per trial (strict JSON: no NaN tokens)."""
    records = [trial_record(trial) for trial in trials]
    return json.dumps(records, indent=2, allow_nan=False) + "\n"


def _csv_cell(value: Any) -> str:
    # The CSV cell of a JSON-ready value (non-finite floats are strings already): empty for
    # None, every digit of a float, JSON for lists and mappings.
    if value is None:
        return ""
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_csv(trials: Sequence[FrozenTrial]) -> str:
    """The trials as CSV: a header, then one row per trial.

    Columns: number, state, value, datetime_start, datetime_complete, duration_seconds, one
    ``params_NAME`` column per parameter and one ``user_attrs_KEY`` column per user attribute
    (each group sorted by name),
    intermediate_values (a JSON object from step to value) and fail_reason. Missing values are
    empty cells; non-finite floats are ``NaN``, ``Infinity`` and ``-Infinity``.
    """
    records = [trial_record(trial) for trial in trials]
    param_names = sorted({name for record in records for name in record["params"]})
    attr_keys = sorted({key for record in records for key in record["user_attrs"]})
    leading = ["number", "state", "value", "datetime_start", "datetime_complete"]
    header = [
        *leading,
        "duration_seconds",
        *(f"params_{name}" for name in param_names),
        *(f"user_attrs_{key}" for key in attr_keys),
        "intermediate_values",
        "fail_reason",
    ]

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        row = [_csv_cell(record[column]) for column in leading]
        row.append(_csv_cell(record["duration_seconds"]))
        row.extend(_csv_cell(record["params"].get(name)) for name in param_names)
        row.extend(_csv_cell(record["user_attrs"].get(key)) for key in attr_keys)
        row.append(_csv_cell(record["intermediate_values"]))
        row.append(_csv_cell(record["fail_reason"]))
        writer.writerow(row)
    return buffer.getvalue()


@click.command("export")
@click.argument("study_name", metavar="STUDY")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["csv", "json"], case_sensitive=False),
    required=True,
    help="csv: one row per trial, one column per parameter and user attribute. json: a list "
    "of objects, one per trial.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=pathlib.Path),
    default=None,
    help="Write to this file (replaced if it exists) instead of standard output.",
)
@storage_option
@click.pass_context
def export_command(
    ctx: click.Context, study_name: str, file_format: str, output: pathlib.Path | None
) -> None:
    """Export every trial of STUDY as CSV or JSON.

    Each trial gives its number, state, value, start and completion times (ISO 8601),
    duration in seconds, parameters, user attributes, intermediate values and the reason it
    failed. NaN and infinite values are written as the strings "NaN", "Infinity" and
    "-Infinity", so that the JSON is strict and every value survives a round trip.
    """
    storage = open_storage(ctx)
    study_id = find_study(ctx, storage, study_name)
    trials = storage.get_all_trials(study_id)
    text = to_csv(trials) if file_format.lower() == "csv" else to_json(trials)

    if output is None:
        click.echo(text, nl=False)
        return

    try:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as error:
        raise click.ClickException(f"cannot write {str(output)!r}: {error.strerror}") from None
    click.echo(f"Wrote {len(trials)} trials of study {study_name!r} to {output}.", err=True)
