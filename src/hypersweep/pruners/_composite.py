"""Combine pruners: stop when any (or all) of them would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Literal

from hypersweep.pruners._base import BasePruner
from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study


class CompositePruner(BasePruner):
    """Several pruners as one: stop a trial when any of them, or all of them, would.

    In ``"any"`` mode the pruners are asked in order and the first ``True`` stops the trial;
    the later ones are not asked (so their bookkeeping, such as a successive-halving promotion,
    is not recorded for a trial that stops anyway). In ``"all"`` mode every pruner is asked and
    the trial stops only if all agree.

    A typical pair is a :class:`ThresholdPruner` that kills runs whose loss explodes, and a
    :class:`SuccessiveHalvingPruner` or :class:`HyperbandPruner` for the rest.

    Args:
        pruners: The pruners, at least one.
        mode: ``"any"`` or ``"all"``.

    Raises:
        TypeError: If an element of ``pruners`` is not a pruner.
        ValueError: If ``pruners`` is empty or ``mode`` is unknown.

    Example:
        >>> import hypersweep
        >>> from hypersweep import pruners
        >>> pruner = pruners.CompositePruner(
        ...     [pruners.ThresholdPruner(upper=5.0), pruners.HyperbandPruner(max_resource=30)])
        >>> study = hypersweep.create_study(pruner=pruner)
    """

    def __init__(self, pruners: Sequence[BasePruner], mode: Literal["any", "all"] = "any") -> None:
        pruners = list(pruners)
        if not pruners:
            raise ValueError("pruners must hold at least one pruner, got an empty sequence")
        for pruner in pruners:
            if not isinstance(pruner, BasePruner):
                raise TypeError(f"pruners must hold BasePruner instances, got {pruner!r}")
        if mode not in ("any", "all"):
            raise ValueError(f"mode must be 'any' or 'all', got {mode!r}")
        self._pruners = pruners
        self._mode = mode

    @property
    def pruners(self) -> list[BasePruner]:
        """The combined pruners, in the order they are asked."""
        return list(self._pruners)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if self._mode == "any":
            return any(pruner.prune(study, trial) for pruner in self._pruners)
        return all([pruner.prune(study, trial) for pruner in self._pruners])
