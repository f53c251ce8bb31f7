"""The sampler interface that every search algorithm implements."""

from __future__ import annotations

import abc
from collections.abc import Mapping
import dataclasses
from typing import TYPE_CHECKING
from typing import Any

from hypersweep.distributions import BaseDistribution
from hypersweep.trial import FrozenTrial
from hypersweep.trial import TrialState

if TYPE_CHECKING:
    from hypersweep.study import Study


@dataclasses.dataclass(frozen=True)
class Reservation:
    """A configuration a sampler reserved for the next trial, before the trial exists.

    Attributes:
        params: Parameter values the trial will take (as if enqueued).
        system_attrs: System attributes to store on the trial (for example, a grid index).
    """

    params: Mapping[str, Any]
    system_attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class BaseSampler(abc.ABC):
    """Chooses the parameters of each trial.

    A trial's parameters come from three places, in this order:

    1. :meth:`reserve` (before the trial exists): a configuration the sampler owns exclusively,
       for samplers that enumerate a finite set (the grid); most samplers return ``None``.
    2. :meth:`sample_relative` (when the trial starts): joint sampling over the search space of
       :meth:`infer_relative_search_space`, the part of the space known before the trial runs.
       This is where model-based samplers (TPE, Gaussian processes) model parameters jointly.
    3. :meth:`sample_independent` (when the objective suggests a parameter outside that space,
       for example one seen for the first time or a conditional one).

    :meth:`before_trial` and :meth:`after_trial` are called around each trial.

    Samplers read history only through the study's public methods (``study.get_trials``,
    ``study.direction``) and own their random generator: the global ones are never touched.

    History rules every sampler follows: COMPLETE trials are observations; FAIL trials whose
    value is NaN or infinite are diverged runs, worse than every finished trial; other FAIL
    trials carry no information; RUNNING trials are pending (parallel-aware samplers avoid
    them); PRUNED trials stopped early (samplers that can use them rank them by how far they got).
    """

    def reserve(self, study: Study) -> Reservation | None:
        """Reserve a configuration for the next trial, or return ``None`` to sample as usual.

        Raises:
            SearchSpaceExhausted: If the sampler has no configuration left; the optimize loop
                then stops.
        """
        return None

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The search space to sample jointly for ``trial`` (empty for independent samplers)."""
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: Mapping[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Jointly sample the parameters of ``search_space``; return external values."""
        return {}

    @abc.abstractmethod
    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        """Sample one parameter on its own; return its external value."""

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Called when a trial starts, before any sampling."""

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        """Called when a trial finishes, before its final state is stored."""

    def reseed_rng(self) -> None:
        """Draw a fresh seed for the generator (used when a sampler is copied to a new worker).

        The default does nothing; samplers with a generator override it.
        """
