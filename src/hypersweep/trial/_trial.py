from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import datetime
import math
from typing import TYPE_CHECKING
from typing import Any
from typing import overload

from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalChoice
from hypersweep.distributions import CategoricalDistribution
from hypersweep.distributions import FloatDistribution
from hypersweep.distributions import IntDistribution
from hypersweep.distributions import check_compatible
from hypersweep.logging import get_logger
from hypersweep.trial._frozen import FIXED_PARAMS_KEY
from hypersweep.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hypersweep.study import Study

_logger = get_logger(__name__)


class Trial:
    """One evaluation of the objective: it suggests parameters and reports progress.

    A trial is handed to the objective by ``Study.optimize`` or returned by ``Study.ask``. Its
    ``suggest_*`` methods define the search space as the objective runs (define-by-run), so
    parameters may depend on earlier ones (conditional parameters).

    Example:
        >>> import hypersweep
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> study = hypersweep.create_study(sampler=hypersweep.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=20)
        >>> abs(study.best_params["x"] - 2) < 3
        True
    """

    def __init__(self, study: Study, frozen: FrozenTrial) -> None:
        self.study = study
        self._trial_id = frozen.trial_id
        self._number = frozen.number
        self._datetime_start = frozen.datetime_start
        self._params: dict[str, Any] = dict(frozen.params)
        self._distributions: dict[str, BaseDistribution] = dict(frozen.distributions)
        self._user_attrs: dict[str, Any] = dict(frozen.user_attrs)
        self._intermediate_values: dict[int, float] = dict(frozen.intermediate_values)
        fixed = frozen.system_attrs.get(FIXED_PARAMS_KEY)
        self._fixed_params: dict[str, Any] = dict(fixed) if fixed else {}

        # Joint (relative) sampling over the part of the space known before the trial starts.
        sampler = study.sampler
        self._relative_space = sampler.infer_relative_search_space(study, frozen)
        self._relative_params: dict[str, Any] = {}
        if self._relative_space:
            self._relative_params = dict(
                sampler.sample_relative(study, frozen, self._relative_space)
            )

    # --- Suggest -----------------------------------------------------------------------------

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """Suggest a real value in ``[low, high]``.

        Args:
            name: The parameter's name, unique within the trial.
            low: The lower bound, included.
            high: The upper bound, included.
            step: If given, values are ``low + k * step``.
            log: Sample on a logarithmic scale (needs ``low > 0``).

        Returns:
            The value, the same on every call with the same name in this trial.

        Raises:
            ValueError: If the range is invalid (see :class:`FloatDistribution`) or differs from
                an earlier suggestion of the same name in this trial.
        """
        distribution = FloatDistribution(low, high, log=log, step=step, name=name)
        return float(self._suggest(name, distribution))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an integer in ``[low, high]``.

        Args:
            name: The parameter's name, unique within the trial.
            low: The lower bound, included.
            high: The upper bound, included.
            step: Values are ``low + k * step``.
            log: Sample on a logarithmic scale (needs ``low >= 1`` and ``step == 1``).

        Returns:
            The value, the same on every call with the same name in this trial.

        Raises:
            ValueError: If the range is invalid (see :class:`IntDistribution`).
        """
        distribution = IntDistribution(low, high, log=log, step=step, name=name)
        return int(self._suggest(name, distribution))

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[None]) -> None: ...

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[bool]) -> bool: ...

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[int]) -> int: ...

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[float]) -> float: ...

    @overload
    def suggest_categorical(self, name: str, choices: Sequence[str]) -> str: ...

    @overload
    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice: ...

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice:
        """Suggest one of ``choices`` (None, bool, int, float or str values).

        Raises:
            ValueError: If ``choices`` is empty or repeats a choice.
            TypeError: If a choice is of another type.
        """
        return self._suggest(name, CategoricalDistribution(choices, name=name))  # type: ignore[no-any-return]

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name in self._distributions:
            check_compatible(name, self._distributions[name], distribution)
            return self._params[name]

        if name in self._fixed_params:
            internal = self._fixed_internal(name, distribution)
        elif name in self._relative_params and self._relative_space.get(name) == distribution:
            internal = distribution.to_internal_repr(self._relative_params[name])
        elif distribution.single():
            internal = distribution.to_internal_repr(_single_value(distribution))
        else:
            frozen = self.study._storage.get_trial(self._trial_id)
            value = self.study.sampler.sample_independent(self.study, frozen, name, distribution)
            internal = distribution.to_internal_repr(value)

        self.study._storage.set_trial_param(self._trial_id, name, internal, distribution)
        value = distribution.to_external_repr(internal)
        self._params[name] = value
        self._distributions[name] = distribution
        return value

    def _fixed_internal(self, name: str, distribution: BaseDistribution) -> float:
        value = self._fixed_params[name]
        try:
            internal = distribution.to_internal_repr(value)
        except (TypeError, ValueError):
            internal = math.nan
        if not distribution.contains(internal):
            raise ValueError(
                f"parameter {name!r}: the enqueued value {value!r} of trial {self._number} is "
                f"outside the suggested distribution {distribution!r}; enqueue a value inside "
                "the range"
            )
        return internal

    # --- Progress and pruning ----------------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Report an intermediate value (a validation loss, say) at ``step``.

        Pruners decide from these values. Reporting the same step twice keeps the first value
        and logs a warning.

        Raises:
            TypeError: If ``value`` is not a number or ``step`` not an integer.
            ValueError: If ``step`` is negative.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError(
                    f"report() needs a number as value, got {value!r} of type "
                    f"{type(value).__name__}"
                ) from None
        raw_step: object = step
        if isinstance(raw_step, float) and raw_step.is_integer():
            step = int(raw_step)
        elif isinstance(raw_step, bool) or not isinstance(raw_step, int):
            raise TypeError(f"report() needs an integer step, got {raw_step!r}")
        if step < 0:
            raise ValueError(f"report() needs step >= 0, got step={step}")
        if step in self._intermediate_values:
            _logger.warning(
                "Trial %d already reported step %d; the new value %s is ignored.",
                self._number,
                step,
                value,
            )
            return
        self.study._storage.set_trial_intermediate_value(self._trial_id, step, float(value))
        self._intermediate_values[step] = float(value)

    def should_prune(self) -> bool:
        """Whether the pruner judges this trial unpromising; if so, raise ``TrialPruned``."""
        frozen = self.study._storage.get_trial(self._trial_id)
        return bool(self.study.pruner.prune(self.study, frozen))

    # --- Attributes --------------------------------------------------------------------------

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the trial (kept in the storage)."""
        self.study._storage.set_trial_user_attr(self._trial_id, key, value)
        self._user_attrs[key] = value

    @property
    def number(self) -> int:
        """The trial's number within its study, from 0."""
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        """The parameters suggested so far."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distributions of the parameters suggested so far."""
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The user attributes set so far."""
        return dict(self._user_attrs)

    @property
    def intermediate_values(self) -> Mapping[int, float]:
        """The values reported so far, by step."""
        return dict(self._intermediate_values)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""
        return self._datetime_start

    def __repr__(self) -> str:
        return f"Trial(number={self._number}, params={self._params!r})"


def _single_value(distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[0]
    if isinstance(distribution, (FloatDistribution, IntDistribution)):
        return distribution.low
    raise TypeError(f"unknown distribution {distribution!r}")
