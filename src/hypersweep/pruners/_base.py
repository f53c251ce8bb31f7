"""The pruner interface: decide from intermediate values whether a trial should stop early."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from hypersweep.trial import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study


class BasePruner(abc.ABC):
    """Decides whether a running trial is unpromising.

    ``Trial.should_prune()`` calls :meth:`prune` with the trial's current record. A pruner reads
    the study's history only through its public methods (``study.get_trials``,
    ``study.direction``), so its decisions use the intermediate values stored by every worker.
    """

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should stop now.

        Args:
            study: The study the trial belongs to.
            trial: The trial's record, with the intermediate values reported so far.

        Returns:
            ``True`` to stop the trial (the objective should raise ``TrialPruned``).
        """


class NopPruner(BasePruner):
    """Never prunes: every trial runs to the end.

    Example:
        >>> import hypersweep
        >>> study = hypersweep.create_study(pruner=hypersweep.pruners.NopPruner())
    """

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
