"""Parameter distributions: the types a search space is made of.

Every distribution has two representations of a value. The *external* one is what the objective
sees (a ``float``, an ``int``, or one of the categorical choices). The *internal* one is always a
``float``: the value itself for numeric distributions and the index of the choice for categorical
ones. Storages persist the internal representation; samplers work on it.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from collections.abc import Sequence
import decimal
import json
import math
from typing import Any

CategoricalChoice = None | bool | int | float | str
"""A value that :class:`CategoricalDistribution` accepts as a choice."""


class BaseDistribution(abc.ABC):
    """The domain of one parameter."""

    @abc.abstractmethod
    def to_internal_repr(self, value: Any) -> float:
        """Convert an external value (as the objective sees it) to the internal float."""

    @abc.abstractmethod
    def to_external_repr(self, internal: float) -> Any:
        """Convert an internal float back to the value the objective sees."""

    @abc.abstractmethod
    def contains(self, internal: float) -> bool:
        """Whether an internal value lies in the domain."""

    @abc.abstractmethod
    def single(self) -> bool:
        """Whether the domain holds exactly one value."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready description of the distribution."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseDistribution) or type(self) is not type(other):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict()["attributes"].items())
        return f"{type(self).__name__}({args})"


def _check_finite(name: str, what: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"parameter {name!r}: {what} must be a number, got {value!r} "
            f"of type {type(value).__name__}"
        )
    if not math.isfinite(value):
        raise ValueError(f"parameter {name!r}: {what} must be finite, got {value!r}")


def _check_range(name: str, low: float, high: float, log: bool) -> None:
    _check_finite(name, "low", low)
    _check_finite(name, "high", high)
    if low > high:
        raise ValueError(
            f"parameter {name!r}: low must be <= high, got low={low!r} and high={high!r}; "
            "swap the bounds"
        )
    if log and low <= 0:
        raise ValueError(
            f"parameter {name!r}: log scale needs low > 0, got low={low!r}; "
            "use a positive lower bound or log=False"
        )


def _fits(low: float, high: float, step: float) -> bool:
    """Whether ``high - low`` is a whole multiple of ``step``, in exact decimal arithmetic."""
    span = decimal.Decimal(str(high)) - decimal.Decimal(str(low))
    return span % decimal.Decimal(str(step)) == 0


def _largest_fitting_high(low: float, high: float, step: float) -> float:
    """The largest ``low + k * step`` not above ``high``, in exact decimal arithmetic."""
    low_d, step_d = decimal.Decimal(str(low)), decimal.Decimal(str(step))
    k = (decimal.Decimal(str(high)) - low_d) // step_d
    return float(low_d + k * step_d)


class FloatDistribution(BaseDistribution):
    """A real parameter in ``[low, high]``, optionally on a log scale or on a grid of ``step``.

    Args:
        low: The lower bound, included.
        high: The upper bound, included.
        log: Sample on a logarithmic scale; needs ``low > 0`` and no ``step``.
        step: Restrict values to ``low + k * step``; ``high - low`` must be a multiple of it.
        name: The parameter's name, used only in error messages.

    Raises:
        ValueError: If the bounds are not finite, ``low > high``, ``log`` with ``low <= 0``,
            ``log`` together with ``step``, or a ``step`` that is not positive or does not
            divide the range.

    Example:
        >>> from hypersweep.distributions import FloatDistribution
        >>> FloatDistribution(1e-5, 1e-1, log=True).contains(1e-3)
        True
    """

    def __init__(
        self,
        low: float,
        high: float,
        *,
        log: bool = False,
        step: float | None = None,
        name: str = "?",
    ) -> None:
        _check_range(name, low, high, log)
        if log and step is not None:
            raise ValueError(
                f"parameter {name!r}: log scale and step cannot be combined, got log=True and "
                f"step={step!r}; drop one of them"
            )
        if step is not None:
            _check_finite(name, "step", step)
            if step <= 0:
                raise ValueError(f"parameter {name!r}: step must be > 0, got step={step!r}")
            if not _fits(low, high, step):
                raise ValueError(
                    f"parameter {name!r}: high - low must be a multiple of step, got "
                    f"low={low!r}, high={high!r}, step={step!r}; adjust high to "
                    f"{_largest_fitting_high(low, high, step)!r}"
                )
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = None if step is None else float(step)

    def to_internal_repr(self, value: Any) -> float:
        return float(value)

    def to_external_repr(self, internal: float) -> float:
        return float(internal)

    def contains(self, internal: float) -> bool:
        if not self.low <= internal <= self.high:
            return False
        if self.step is None:
            return True
        k = (internal - self.low) / self.step
        return abs(k - round(k)) < 1e-8

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": "FloatDistribution",
            "attributes": {"low": self.low, "high": self.high, "log": self.log, "step": self.step},
        }


class IntDistribution(BaseDistribution):
    """An integer parameter in ``[low, high]``, optionally on a log scale or a grid of ``step``.

    Args:
        low: The lower bound, included.
        high: The upper bound, included.
        log: Sample on a logarithmic scale; needs ``low >= 1`` and ``step == 1``.
        step: Restrict values to ``low + k * step``; ``high - low`` must be a multiple of it.
        name: The parameter's name, used only in error messages.

    Raises:
        ValueError: On the same conditions as :class:`FloatDistribution`.
        TypeError: If a bound or the step is not an integer.
    """

    def __init__(
        self,
        low: int,
        high: int,
        *,
        log: bool = False,
        step: int = 1,
        name: str = "?",
    ) -> None:
        low = _as_int(name, "low", low)
        high = _as_int(name, "high", high)
        step = _as_int(name, "step", step)
        _check_range(name, low, high, log)
        if log and step != 1:
            raise ValueError(
                f"parameter {name!r}: log scale and step cannot be combined, got log=True and "
                f"step={step!r}; drop one of them"
            )
        if step <= 0:
            raise ValueError(f"parameter {name!r}: step must be > 0, got step={step!r}")
        if (high - low) % step != 0:
            raise ValueError(
                f"parameter {name!r}: high - low must be a multiple of step, got low={low!r}, "
                f"high={high!r}, step={step!r}; adjust high to "
                f"{low + step * ((high - low) // step)}"
            )
        self.low = low
        self.high = high
        self.log = bool(log)
        self.step = step

    def to_internal_repr(self, value: Any) -> float:
        return float(value)

    def to_external_repr(self, internal: float) -> int:
        return round(internal)

    def contains(self, internal: float) -> bool:
        if not self.low <= internal <= self.high:
            return False
        return float(internal).is_integer() and (int(internal) - self.low) % self.step == 0

    def single(self) -> bool:
        return self.high - self.low < self.step

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": "IntDistribution",
            "attributes": {"low": self.low, "high": self.high, "log": self.log, "step": self.step},
        }


def _as_int(name: str, what: str, value: object) -> int:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        _check_finite(name, what, value)  # type: ignore[arg-type]
        raise TypeError(
            f"parameter {name!r}: {what} must be an integer, got {value!r}; "
            "use suggest_float for real values"
        )
    return value


class CategoricalDistribution(BaseDistribution):
    """A parameter that takes one of a list of choices.

    Choices may be ``None``, ``bool``, ``int``, ``float`` or ``str``; the internal representation
    of a choice is its index in the list.

    Args:
        choices: The choices, at least one, each hashable and of a supported type.
        name: The parameter's name, used only in error messages.

    Raises:
        ValueError: If ``choices`` is empty or holds a repeated choice.
        TypeError: If a choice is unhashable or of an unsupported type.
    """

    def __init__(self, choices: Sequence[CategoricalChoice], *, name: str = "?") -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(
                f"parameter {name!r}: choices must be a list or tuple, got {choices!r}"
            )
        if len(choices) == 0:
            raise ValueError(f"parameter {name!r}: choices must not be empty, got {choices!r}")
        for choice in choices:
            if choice is not None and not isinstance(choice, (bool, int, float, str)):
                raise TypeError(
                    f"parameter {name!r}: each choice must be None, bool, int, float or str, "
                    f"got {choice!r} of type {type(choice).__name__}; pass a key (such as a "
                    "string) and map it to the object inside the objective"
                )
        keys = [_choice_key(c) for c in choices]
        if len(set(keys)) != len(keys):
            raise ValueError(f"parameter {name!r}: choices must be distinct, got {choices!r}")
        self.choices: tuple[CategoricalChoice, ...] = tuple(choices)
        self._index = {key: i for i, key in enumerate(keys)}

    def index(self, value: Any) -> int | None:
        """The index of ``value`` among the choices, or ``None`` if it is not one of them."""
        try:
            return self._index.get(_choice_key(value))
        except TypeError:
            return None

    def to_internal_repr(self, value: Any) -> float:
        i = self.index(value)
        if i is None:
            raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}")
        return float(i)

    def to_external_repr(self, internal: float) -> CategoricalChoice:
        return self.choices[int(internal)]

    def contains(self, internal: float) -> bool:
        return float(internal).is_integer() and 0 <= internal < len(self.choices)

    def single(self) -> bool:
        return len(self.choices) == 1

    def to_dict(self) -> dict[str, Any]:
        return {"name": "CategoricalDistribution", "attributes": {"choices": list(self.choices)}}


def _choice_key(value: Any) -> tuple[str, Any]:
    # ``True == 1 == 1.0`` in Python; a choice list [1, True] holds two different choices.
    if isinstance(value, float) and math.isnan(value):
        return ("nan", None)
    return (type(value).__name__ if isinstance(value, bool) or value is None else "n", value)


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialize a distribution to a JSON string (the form the storages keep)."""
    return json.dumps(distribution.to_dict())


def json_to_distribution(text: str) -> BaseDistribution:
    """Parse the output of :func:`distribution_to_json`.

    Raises:
        ValueError: If the text does not describe a known distribution.
    """
    data = json.loads(text)
    kind = data.get("name")
    attributes = data.get("attributes", {})
    if kind == "FloatDistribution":
        return FloatDistribution(**attributes)
    if kind == "IntDistribution":
        return IntDistribution(**attributes)
    if kind == "CategoricalDistribution":
        return CategoricalDistribution(attributes["choices"])
    raise ValueError(f"unknown distribution {kind!r} in {text!r}")


def check_compatible(name: str, old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise if a parameter is suggested again with a different distribution in one trial.

    Raises:
        ValueError: If ``old`` and ``new`` differ; the message shows both.
    """
    if old != new:
        raise ValueError(
            f"parameter {name!r} was already suggested in this trial as {old!r} and cannot be "
            f"suggested again as {new!r}; use the same range or a different name"
        )


SearchSpace = Mapping[str, BaseDistribution]
"""A declarative search space: parameter names mapped to their distributions."""
