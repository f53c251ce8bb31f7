"""``hypersweep trials`` and ``hypersweep best``: a study's trials, and its best one."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
import json
import math
from typing import Any

import click

from hypersweep.cli._context import find_study
from hypersweep.cli._context import open_storage
from hypersweep.cli._context import storage_option
from hypersweep.cli._output import STATE_ORDER
from hypersweep.cli._output import add_row
from hypersweep.cli._output import format_duration
from hypersweep.cli._output import format_number
from hypersweep.cli._output import format_param
from hypersweep.cli._output import json_safe
from hypersweep.cli._output import make_console
from hypersweep.cli._output import new_table
from hypersweep.trial import FrozenTrial
from hypersweep.trial import TrialState

_STATE_NAMES = [state.name for state in STATE_ORDER]


def _value_key(trial: FrozenTrial) -> float | None:
    # NaN (a diverged run) has no place in an order, so it sorts with the missing values.
    if trial.value is None or math.isnan(trial.value):
        return None
    return trial.value


def _duration_key(trial: FrozenTrial) -> float | None:
    return None if trial.duration is None else trial.duration.total_seconds()


def _state_key(trial: FrozenTrial) -> float | None:
    return float(STATE_ORDER.index(trial.state))


_SORT_KEYS: dict[str, Callable[[FrozenTrial], float | None]] = {
    "number": lambda trial: float(trial.number),
    "value": _value_key,
    "duration": _duration_key,
    "state": _state_key,
}


def sort_trials(trials: Sequence[FrozenTrial], by: str, descending: bool) -> list[FrozenTrial]:
    """Trials ordered by ``by`` (ties by number); trials without that quantity come last."""
    key = _SORT_KEYS[by]
    present = [trial for trial in trials if key(trial) is not None]
    missing = [trial for trial in trials if key(trial) is None]
    present.sort(key=lambda trial: (key(trial), trial.number), reverse=descending)
    return present + sorted(missing, key=lambda trial: trial.number)


def _param_names(trials: Sequence[FrozenTrial]) -> list[str]:
    """Every parameter name the trials used, sorted (storages keep no order of parameters)."""
    return sorted({name for trial in trials for name in trial.params})


@click.command("trials")
@click.argument("study_name", metavar="STUDY")
@click.option(
    "--sort",
    "sort_by",
    type=click.Choice(sorted(_SORT_KEYS)),
    default="number",
    show_default=True,
    help="Order the rows by this column; trials without it (no value, not finished) go last.",
)
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option(
    "--state",
    "states",
    type=click.Choice(_STATE_NAMES, case_sensitive=False),
    multiple=True,
    help="Show only trials in this state; repeat for several states.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Show at most this many rows (after sorting).",
)
@storage_option
@click.pass_context
def trials_command(
    ctx: click.Context,
    study_name: str,
    sort_by: str,
    desc: bool,
    states: tuple[str, ...],
    limit: int | None,
) -> None:
    """Show the trials of STUDY as a table.

    One row per trial: number, state, value, duration, one column per parameter, and the
    reason of each failed trial. For example, the ten best trials of a minimized study:

        hypersweep trials my-study --state COMPLETE --sort value --limit 10
    """
    storage = open_storage(ctx)
    study_id = find_study(ctx, storage, study_name)
    wanted = tuple(TrialState[name.upper()] for name in states) if states else None
    trials = sort_trials(storage.get_all_trials(study_id, states=wanted), sort_by, desc)
    if limit is not None:
        trials = trials[:limit]
    console = make_console()

    if not trials:
        which = " in state " + " or ".join(name.upper() for name in states) if states else ""
        console.print(f"Study {study_name!r} has no trials{which}.")
        return

    params = _param_names(trials)
    show_reason = any(trial.fail_reason for trial in trials)
    columns = ["Number", "State", "Value", "Duration", *params]
    if show_reason:
        columns.append("Fail reason")
    table = new_table(columns, right_aligned=[0, 2, 3])
    for trial in trials:
        cells = [
            str(trial.number),
            trial.state.name,
            format_number(trial.value),
            format_duration(trial.duration),
            *(format_param(trial.params[name]) if name in trial.params else "" for name in params),
        ]
        if show_reason:
            # One line per row: the full reason is in `hypersweep export`.
            cells.append(" ".join((trial.fail_reason or "").split()))
        add_row(table, cells)
    console.print(table)


@click.command("best")
@click.argument("study_name", metavar="STUDY")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help=(
        'Print one JSON object instead: {"study", "number", "value", "params", "user_attrs"}, '
        "for scripts."
    ),
)
@storage_option
@click.pass_context
def best_command(ctx: click.Context, study_name: str, as_json: bool) -> None:
    """Show the best trial of STUDY: number, value, parameters.

    The best trial is the COMPLETE trial with the lowest value (highest, if the study
    maximizes); ties go to the earliest trial. Values are shown with every digit.
    """
    storage = open_storage(ctx)
    study_id = find_study(ctx, storage, study_name)
    best = storage.get_best_trial(study_id)

    if best is None:
        n_trials = storage.get_n_trials(study_id)
        raise click.ClickException(
            f"study {study_name!r} has no COMPLETE trial yet ({n_trials} trials in all); see "
            f"them with: hypersweep trials {study_name}"
        )

    if as_json:
        record: dict[str, Any] = {
            "study": study_name,
            "number": best.number,
            "value": best.value,
            "params": dict(best.params),
            "user_attrs": dict(best.user_attrs),
        }
        click.echo(json.dumps(json_safe(record), allow_nan=False))
        return

    console = make_console()
    direction = storage.get_study_direction(study_id).name.lower()
    console.print(
        f"Best trial of study {study_name!r} ({direction}): number {best.number}, "
        f"value {format_param(best.value, exact=True)}"
    )
    if best.params:
        table = new_table(["Parameter", "Value"])
        for name, value in best.params.items():
            add_row(table, [name, format_param(value, exact=True)])
        console.print(table)
