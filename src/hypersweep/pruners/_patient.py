"""A patience wrapper: tolerate a pruner's verdict while the trial still improves."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hypersweep.pruners._base import BasePruner
from hypersweep.pruners._curves import check_int
from hypersweep.pruners._curves import last_value_diverged
from hypersweep.pruners._curves import minimizing
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study


class PatientPruner(BasePruner):
    """Stop a trial after ``patience`` steps without improvement, around any pruner.

    Early stopping with patience: at step ``t`` the trial has stalled if the best value in the
    window of steps ``(t - patience, t]`` is no better than the best value before the window by
    more than ``min_delta``:

    .. math:: \\min_{t - p < s \\le t} \\ell_s \\; > \\; \\min_{s \\le t - p} \\ell_s - \\delta

    (for losses; the mirror image when maximizing). Without a wrapped pruner a stalled trial
    stops. With one, the trial stops only if it has stalled *and* the wrapped pruner says stop,
    so a trial that is behind but still improving gets ``patience`` more steps. Patience is
    counted in steps, so with seconds as the step it is a number of seconds.

    No decision is made until the trial has reported a step at or before ``t - patience`` (the
    warm-up). A NaN or infinite value stops the trial at once.

    Args:
        wrapped_pruner: The pruner whose verdict needs patience, or ``None``.
        patience: ``p``, steps without improvement to tolerate.
        min_delta: ``delta >= 0``, the smallest change that counts as an improvement.

    Raises:
        TypeError: If ``wrapped_pruner`` is not a pruner.
        ValueError: If ``patience`` or ``min_delta`` is out of range.

    Example:
        >>> import hypersweep
        >>> pruner = hypersweep.pruners.PatientPruner(
        ...     hypersweep.pruners.MedianPruner(), patience=3)
        >>> study = hypersweep.create_study(pruner=pruner)
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise TypeError(f"wrapped_pruner must be a BasePruner or None, got {wrapped_pruner!r}")
        self._wrapped = wrapped_pruner
        self._patience = check_int("patience", patience, 0)
        if (
            isinstance(min_delta, bool)
            or not isinstance(min_delta, (int, float))
            or not math.isfinite(min_delta)
            or min_delta < 0
        ):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")
        self._min_delta = float(min_delta)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        if last_value_diverged(trial):
            return True

        # Split the curve at t - p: the window (t - p, t] against everything before it.
        losses = minimizing(trial.intermediate_values, study.direction)
        before = [v for s, v in losses.items() if s <= step - self._patience]
        window = [v for s, v in losses.items() if s > step - self._patience]
        if not before or not window:
            return False

        # Stalled: no value in the window beats the earlier best by more than delta.
        if min(window) < min(before) - self._min_delta:
            return False
        if self._wrapped is None:
            return True
        return self._wrapped.prune(study, trial)
