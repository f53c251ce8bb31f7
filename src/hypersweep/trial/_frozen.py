from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import datetime
import math
from types import MappingProxyType
from typing import Any

from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import check_compatible
from hypersweep.trial._state import TrialState

_EMPTY: Mapping[str, Any] = MappingProxyType({})

#: System attribute keys that hypersweep itself writes on trials.
FIXED_PARAMS_KEY = "fixed_params"
FAIL_REASON_KEY = "fail_reason"
EXCEPTION_KEY = "exception"
TRACEBACK_KEY = "traceback"
RETRY_OF_KEY = "retry_of"


def _frozen(mapping: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    if mapping is None or len(mapping) == 0:
        return _EMPTY
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType(dict(mapping))


@dataclasses.dataclass(frozen=True, eq=True)
class FrozenTrial:
    """An immutable record of a trial, as a storage returns it.

    Records of finished trials never change, so storages hand out the same object every time and
    samplers may keep them without copying.

    Attributes:
        number: The trial's number within its study, from 0, in order of creation.
        trial_id: The trial's id in the storage, unique across studies.
        state: The :class:`TrialState` at the time the record was read.
        value: The objective value; ``None`` unless the trial is COMPLETE, or FAIL with a value
            that was not finite (a diverged run).
        params: Parameter names mapped to the values the objective saw.
        distributions: Parameter names mapped to their distributions.
        user_attrs: Attributes set by the user with ``Trial.set_user_attr``.
        system_attrs: Attributes set by hypersweep, its samplers and pruners.
        intermediate_values: Steps mapped to values reported with ``Trial.report``.
        datetime_start: When the trial started running (``None`` while WAITING).
        datetime_complete: When the trial finished (``None`` while not finished).
    """

    number: int
    trial_id: int
    state: TrialState
    value: float | None
    params: Mapping[str, Any]
    distributions: Mapping[str, BaseDistribution]
    user_attrs: Mapping[str, Any]
    system_attrs: Mapping[str, Any]
    intermediate_values: Mapping[int, float]
    datetime_start: datetime.datetime | None
    datetime_complete: datetime.datetime | None

    def __post_init__(self) -> None:
        # Copy every mapping into a read-only view, so the record cannot change under a reader.
        setattr_ = object.__setattr__
        setattr_(self, "params", _frozen(self.params))
        setattr_(self, "distributions", _frozen(self.distributions))
        setattr_(self, "user_attrs", _frozen(self.user_attrs))
        setattr_(self, "system_attrs", _frozen(self.system_attrs))
        setattr_(self, "intermediate_values", _frozen(self.intermediate_values))

    __hash__ = None  # type: ignore[assignment]

    @property
    def last_step(self) -> int | None:
        """The largest step reported so far, or ``None`` if nothing was reported."""
        if not self.intermediate_values:
            return None
        return max(self.intermediate_values)

    @property
    def duration(self) -> datetime.timedelta | None:
        """How long the trial ran, or ``None`` if it has not finished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def fail_reason(self) -> str | None:
        """Why a FAIL trial failed (the exception, a bad return value, a lost worker)."""
        reason = self.system_attrs.get(FAIL_REASON_KEY)
        return None if reason is None else str(reason)

    def internal_params(self) -> dict[str, float]:
        """Parameter names mapped to the internal float representation of their values."""
        return {
            name: self.distributions[name].to_internal_repr(value)
            for name, value in self.params.items()
        }

    def replace(self, **changes: Any) -> FrozenTrial:
        """A copy with some fields changed (storages use this to build updated records)."""
        return dataclasses.replace(self, **changes)


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, BaseDistribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
) -> FrozenTrial:
    """Build a trial record to pass to ``Study.add_trial`` (for results obtained elsewhere).

    Args:
        state: The trial's state; COMPLETE needs a finite ``value``.
        value: The objective value.
        params: Parameter names mapped to the values the objective saw.
        distributions: The distribution of every parameter in ``params``.
        user_attrs: User attributes.
        system_attrs: System attributes.
        intermediate_values: Steps mapped to intermediate values.

    Raises:
        ValueError: If a parameter has no distribution or lies outside it, or if the state and
            the value do not fit together.

    Example:
        >>> import hypersweep
        >>> from hypersweep.distributions import FloatDistribution
        >>> study = hypersweep.create_study()
        >>> study.add_trial(hypersweep.create_trial(
        ...     value=0.25, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}))
        >>> study.best_value
        0.25
    """
    params = dict(params or {})
    distributions = dict(distributions or {})
    if set(params) != set(distributions):
        raise ValueError(
            "params and distributions must name the same parameters, got params "
            f"{sorted(params)} and distributions {sorted(distributions)}"
        )
    for name, param_value in params.items():
        distribution = distributions[name]
        try:
            internal = distribution.to_internal_repr(param_value)
        except (ValueError, TypeError) as error:
            raise ValueError(f"parameter {name!r}: {error}") from None
        if not distribution.contains(internal):
            raise ValueError(
                f"parameter {name!r}: value {param_value!r} is outside its distribution "
                f"{distribution!r}"
            )
    if state == TrialState.COMPLETE and (value is None or not math.isfinite(value)):
        raise ValueError(f"a COMPLETE trial needs a finite value, got value={value!r}")
    if state in (TrialState.RUNNING, TrialState.WAITING, TrialState.PRUNED) and value is not None:
        raise ValueError(f"a {state.name} trial takes no value, got value={value!r}")
    now = datetime.datetime.now()
    return FrozenTrial(
        number=-1,
        trial_id=-1,
        state=state,
        value=None if value is None else float(value),
        params=params,
        distributions=distributions,
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
        datetime_start=None if state == TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
    )


def check_params_compatible(
    distributions: Mapping[str, BaseDistribution], name: str, new: BaseDistribution
) -> None:
    """Raise if ``name`` is already in ``distributions`` with a different distribution."""
    old = distributions.get(name)
    if old is not None:
        check_compatible(name, old, new)
