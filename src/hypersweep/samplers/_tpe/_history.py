"""The TPE sampler's cache of encoded observations and its search-space decomposition.

Finished trials never change, so each is read once: :meth:`History.sync` looks only at trials
created since the last call and at those that were still unfinished then, and appends one row per
new observation to growable numpy columns. A study of ``n`` trials therefore costs ``O(new
trials)`` Python work per call, and the models read whole columns at numpy speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from hypersweep.distributions import BaseDistribution
from hypersweep.distributions import CategoricalDistribution
from hypersweep.samplers._tpe._split import TIER_COMPLETE
from hypersweep.samplers._tpe._split import TIER_DIVERGED
from hypersweep.samplers._tpe._split import TIER_PRUNED
from hypersweep.trial import FrozenTrial
from hypersweep.trial import TrialState

FloatArray = npt.NDArray[np.float64]


class _Column:
    """A float array that grows by appending (capacity doubles)."""

    def __init__(self, length: int = 0, fill: float = math.nan) -> None:
        self._data = np.full(max(16, 2 * length), fill)
        self._length = length

    def append(self, value: float) -> None:
        if self._length == self._data.shape[0]:
            grown = np.full(2 * self._length, math.nan)
            grown[: self._length] = self._data
            self._data = grown
        self._data[self._length] = value
        self._length += 1

    def values(self) -> FloatArray:
        return self._data[: self._length]


def convert(value: Any, source: BaseDistribution, target: BaseDistribution) -> float:
    """The internal value in ``target`` of an external ``value`` of ``source``, or NaN.

    An observation made under another distribution of the same kind still counts when its value
    lies inside ``target`` (a widened range, an earlier study); otherwise it is absent.
    """
    if source == target:
        return target.to_internal_repr(value)
    if type(source) is not type(target):
        return math.nan
    if isinstance(target, CategoricalDistribution):
        index = target.index(value)
        return math.nan if index is None else float(index)
    internal = target.to_internal_repr(value)
    return internal if target.contains(internal) else math.nan


def classify(trial: FrozenTrial, sign: float) -> tuple[float, float, float] | None:
    """``(tier, step, value)`` of a finished trial, or ``None`` if it carries no information.

    ``sign`` is +1 for a minimized study and -1 for a maximized one, so smaller is better.
    """
    if trial.state == TrialState.COMPLETE and trial.value is not None:
        return TIER_COMPLETE, 0.0, sign * trial.value
    if trial.state == TrialState.PRUNED:
        last_step = trial.last_step
        if last_step is None:
            return TIER_PRUNED, -1.0, math.inf
        last_value = sign * trial.intermediate_values[last_step]
        if not math.isfinite(last_value):
            last_value = math.inf
        return TIER_PRUNED, float(last_step), last_value
    if (
        trial.state == TrialState.FAIL
        and trial.value is not None
        and not math.isfinite(trial.value)
    ):
        return TIER_DIVERGED, 0.0, math.inf
    return None


class History:
    """Observations of one study (and of warm-start trials), encoded as numpy columns.

    Rows hold: the trial number, the rank tier, the last step (pruned trials), the value to
    minimize, and per parameter the internal value under any distribution asked for (NaN where a
    trial lacks the parameter or its value lies outside that distribution).

    Args:
        sign: +1 for a minimized study, -1 for a maximized one.
    """

    def __init__(self, sign: float) -> None:
        self.sign = sign
        self._number = _Column()
        self._tier = _Column()
        self._step = _Column()
        self._value = _Column()
        self._rows: list[tuple[Mapping[str, Any], Mapping[str, BaseDistribution]]] = []
        # Per parameter name: (distribution, column) pairs, looked up by identity first
        # (distributions hash through JSON, too slow for every call).
        self._views: dict[str, list[tuple[BaseDistribution, _Column]]] = {}
        self._latest: dict[str, tuple[float, BaseDistribution]] = {}
        self._groups: list[frozenset[str]] = []
        self._seen_name_sets: set[frozenset[str]] = set()
        self._intersection: set[str] | None = None
        self._scanned = 0
        self._unfinished: list[int] = []

    def __len__(self) -> int:
        return len(self._rows)

    # --- Reading trials ------------------------------------------------------------------------

    def add(self, trial: FrozenTrial, number: float) -> bool:
        """Add a finished trial as an observation; return whether it carries information."""
        classified = classify(trial, self.sign)
        if classified is None:
            return False
        tier, step, value = classified
        self._number.append(number)
        self._tier.append(tier)
        self._step.append(step)
        self._value.append(value)
        self._rows.append((trial.params, trial.distributions))
        for name, distribution in trial.distributions.items():
            latest = self._latest.get(name)
            if latest is None or latest[0] <= number:
                self._latest[name] = (number, distribution)
        for name, views in self._views.items():
            source = trial.distributions.get(name)
            for target, column in views:
                if source is None:
                    column.append(math.nan)
                else:
                    column.append(convert(trial.params[name], source, target))
        self._decompose(frozenset(trial.distributions))
        return True

    @property
    def n_scanned(self) -> int:
        """How many of the study's trials :meth:`sync` has read."""
        return self._scanned

    def sync(self, trials: list[FrozenTrial]) -> list[FrozenTrial]:
        """Add trials that finished since the last call; return the unfinished ones.

        ``trials`` is the study's full list in order of number, so a trial keeps its position
        from one call to the next and new trials come after :attr:`n_scanned`. Only trials
        created since the last call and those unfinished at the last call are read.
        """
        still_unfinished = []
        for number in [*self._unfinished, *range(self._scanned, len(trials))]:
            trial = trials[number]
            if trial.state.is_finished():
                self.add(trial, float(trial.number))
            else:
                still_unfinished.append(number)
        self._scanned = len(trials)
        self._unfinished = still_unfinished
        return [trials[number] for number in still_unfinished]

    # --- Columns -------------------------------------------------------------------------------

    @property
    def number(self) -> FloatArray:
        """Shape ``(n,)``: trial numbers (negative for warm-start trials)."""
        return self._number.values()

    @property
    def tier(self) -> FloatArray:
        """Shape ``(n,)``: rank tiers."""
        return self._tier.values()

    @property
    def step(self) -> FloatArray:
        """Shape ``(n,)``: last steps of pruned trials."""
        return self._step.values()

    @property
    def value(self) -> FloatArray:
        """Shape ``(n,)``: values to minimize."""
        return self._value.values()

    def column(self, name: str, distribution: BaseDistribution) -> FloatArray:
        """Shape ``(n,)``: internal values of ``name`` under ``distribution``, NaN if absent."""
        views = self._views.setdefault(name, [])
        for target, column in views:
            if target is distribution:
                return column.values()
        for target, column in views:
            if target == distribution:
                return column.values()

        # A distribution seen for the first time: convert every row once.
        column = _Column()
        for params, distributions in self._rows:
            source = distributions.get(name)
            if source is None:
                column.append(math.nan)
            else:
                column.append(convert(params[name], source, distribution))
        views.append((distribution, column))
        return column.values()

    # --- Search space --------------------------------------------------------------------------

    def latest_distribution(self, name: str) -> BaseDistribution | None:
        """The distribution of ``name`` in the newest observation that has it."""
        latest = self._latest.get(name)
        return None if latest is None else latest[1]

    def groups(self) -> list[list[str]]:
        """Groups of parameters that always appear together, each sorted, in a stable order.

        This is the finest partition of the parameter names such that every observation's
        parameters are a union of groups: conditional branches each form their own groups.
        """
        return sorted(sorted(group) for group in self._groups)

    def intersection(self) -> list[str]:
        """The parameters that every observation has, sorted."""
        return sorted(self._intersection or ())

    def _decompose(self, names: frozenset[str]) -> None:
        # Refine the partition so that ``names`` is a union of groups.
        if self._intersection is None:
            self._intersection = set(names)
        else:
            self._intersection &= names
        if names in self._seen_name_sets:
            return
        self._seen_name_sets.add(names)
        refined: list[frozenset[str]] = []
        covered: set[str] = set()
        for group in self._groups:
            covered |= group
            for part in (group & names, group - names):
                if part:
                    refined.append(part)
        fresh = names - covered
        if fresh:
            refined.append(frozenset(fresh))
        self._groups = refined


def encode_rows(
    trials: Iterable[FrozenTrial], names: list[str], distributions: list[BaseDistribution]
) -> FloatArray:
    """Shape ``(n, d)``: internal values of the given trials (running ones), NaN if absent."""
    rows = []
    for trial in trials:
        row = []
        for name, distribution in zip(names, distributions, strict=True):
            source = trial.distributions.get(name)
            row.append(
                math.nan if source is None else convert(trial.params[name], source, distribution)
            )
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
