"""How the ``hypersweep`` command writes: one console, plain text when piped, fixed formats."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import datetime
import math
import numbers
import os
from typing import Any

from rich.console import Console
from rich.console import JustifyMethod
from rich.table import Table
from rich.text import Text

from hypersweep.trial import TrialState

#: The order in which trial states are shown in tables and counted in summaries.
STATE_ORDER = (
    TrialState.COMPLETE,
    TrialState.PRUNED,
    TrialState.FAIL,
    TrialState.RUNNING,
    TrialState.WAITING,
)

# Wide enough that a table written to a pipe or a file is never wrapped or cut.
_PIPE_WIDTH = 100_000

MISSING = "-"


def make_console() -> Console:
    """A console on standard output.

    In a terminal rich sizes it and colors it (``NO_COLOR`` turns colors off). Anywhere else
    (a pipe, a file, a test) it writes plain text at the natural width of each table, so that
    nothing is wrapped or cut, unless ``COLUMNS`` says otherwise. Markup and emoji codes are
    off: study names and parameter values are printed exactly as they are.
    """
    console = Console(highlight=False, markup=False, emoji=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, markup=False, emoji=False, width=_PIPE_WIDTH)
    return console


def new_table(columns: Sequence[str], right_aligned: Sequence[int] = ()) -> Table:
    """A table with these column headers; numbers go in the ``right_aligned`` columns (indices)."""
    table = Table(show_lines=False, header_style="bold")
    for index, column in enumerate(columns):
        justify: JustifyMethod = "right" if index in right_aligned else "left"
        table.add_column(Text(column), justify=justify, overflow="fold")
    return table


def add_row(table: Table, cells: Sequence[str]) -> None:
    """Add a row of plain text (no markup is interpreted in the cells)."""
    table.add_row(*(Text(cell) for cell in cells))


def format_number(value: float | None) -> str:
    """A value with six significant digits; ``-`` when there is none."""
    if value is None:
        return MISSING
    return f"{value:.6g}"


def format_param(value: Any, *, exact: bool = False) -> str:
    """A parameter or attribute value as the objective saw it.

    Floats get six significant digits, or every digit with ``exact`` (to copy them elsewhere).
    """
    if value is None:
        return "None"
    if isinstance(value, float):
        return repr(value) if exact else format_number(value)
    return str(value)


def format_datetime(moment: datetime.datetime | None) -> str:
    """A date and time to the second; ``-`` when there is none."""
    if moment is None:
        return MISSING
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def format_duration(duration: datetime.timedelta | None) -> str:
    """A duration: ``0.25s``, ``4m05s`` or ``2h07m``; ``-`` when there is none."""
    if duration is None:
        return MISSING
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.2f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def format_counts(counts: Mapping[TrialState, int]) -> list[str]:
    """Trial counts in :data:`STATE_ORDER`."""
    return [str(counts.get(state, 0)) for state in STATE_ORDER]


def json_safe(value: Any) -> Any:
    """A copy of ``value`` that :func:`json.dumps` writes as strict JSON.

    NaN and infinite floats become the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
    (``float()`` in Python and ``Number()`` in JavaScript read them back); mappings get string
    keys; tuples become lists; anything else JSON cannot hold becomes its ``str``.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)
