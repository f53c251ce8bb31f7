"""Threshold pruning: stop a trial whose intermediate value leaves fixed bounds or diverges."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._curves import check_int
from hypersweep.pruners._curves import last_value_diverged
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study


def _check_bound(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name} must be a number or None, got {value!r}")
    return float(value)


class ThresholdPruner(BasePruner):
    """Stop a trial as soon as its intermediate value leaves ``[lower, upper]`` or diverges.

    At step ``s`` (past the warm-up, on the check interval) the trial stops if its value
    ``v_s`` satisfies ``v_s < lower`` or ``v_s > upper``. A NaN or infinite value stops it at
    the step it is reported, warm-up or not: a diverged run never recovers. With no bounds the
    pruner stops diverged runs only, which makes it a cheap companion of any other pruner in a
    :class:`CompositePruner`.

    Args:
        lower: Stop below this value (``None``: no lower bound).
        upper: Stop above this value (``None``: no upper bound).
        n_warmup_steps: No decision on bounds before this step.
        interval_steps: Check bounds only every ``interval_steps`` steps after the warm-up.

    Raises:
        ValueError: If a bound is not a number, ``lower > upper``, or a count is out of range.

    Example:
        >>> import hypersweep
        >>> pruner = hypersweep.pruners.ThresholdPruner(upper=10.0)
        >>> study = hypersweep.create_study(pruner=pruner)
        >>> trial = study.ask()
        >>> trial.report(float("nan"), step=0)
        >>> trial.should_prune()
        True
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        self._lower = _check_bound("lower", lower)
        self._upper = _check_bound("upper", upper)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise ValueError(
                f"lower must not exceed upper, got lower={lower!r} and upper={upper!r}"
            )
        self._n_warmup_steps = check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = check_int("interval_steps", interval_steps, 1)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        if last_value_diverged(trial):
            return True
        if step < self._n_warmup_steps:
            return False
        if (step - self._n_warmup_steps) % self._interval_steps != 0:
            return False
        value = trial.intermediate_values[step]
        if self._lower is not None and value < self._lower:
            return True
        return self._upper is not None and value > self._upper
