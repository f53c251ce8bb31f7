from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    import pandas as pd

    from hypersweep.study._study import Study

_DEFAULT_ATTRS = (
    "number",
    "value",
    "state",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
)
_ALLOWED = {*_DEFAULT_ATTRS, "system_attrs", "intermediate_values", "trial_id", "fail_reason"}


def trials_dataframe(study: Study, attrs: Sequence[str] | None = None) -> pd.DataFrame:
    """Implements ``Study.trials_dataframe``."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "trials_dataframe() needs pandas; install it with: pip install 'hypersweep[pandas]'"
        ) from None

    attrs = tuple(attrs) if attrs is not None else _DEFAULT_ATTRS
    unknown = sorted(set(attrs) - _ALLOWED)
    if unknown:
        raise ValueError(f"unknown attrs {unknown}; choose from {sorted(_ALLOWED)}")

    rows: list[dict[str, Any]] = []
    for trial in study.get_trials():
        row: dict[str, Any] = {}
        for attr in attrs:
            if attr == "state":
                row["state"] = trial.state.name
            elif attr in ("params", "user_attrs", "system_attrs"):
                for key, value in getattr(trial, attr).items():
                    row[f"{attr}_{key}"] = value
            elif attr == "intermediate_values":
                row["intermediate_values"] = dict(trial.intermediate_values)
            else:
                row[attr] = getattr(trial, attr)
        rows.append(row)
    frame: pd.DataFrame = pd.DataFrame(rows)
    return frame
