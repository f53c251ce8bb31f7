"""The exceptions hypersweep raises or expects.

This module imports nothing from hypersweep, so every layer may use it.
"""

from __future__ import annotations


class HypersweepError(Exception):
    """The base class of hypersweep's own errors."""


class TrialPruned(HypersweepError):  # noqa: N818  (the name users know from other tuners)
    """Raise from the objective to stop a trial early; the trial is recorded as PRUNED.

    Example:
        >>> import hypersweep
        >>> def objective(trial):
        ...     for step in range(10):
        ...         trial.report(1.0 / (step + 1), step)
        ...         if trial.should_prune():
        ...             raise hypersweep.TrialPruned()
        ...     return 0.0
    """


class StorageError(HypersweepError):
    """A storage could not be opened or used; the message says why and what to do."""


class DuplicatedStudyError(HypersweepError, ValueError):
    """A study with that name exists already (pass ``load_if_exists=True`` to continue it)."""


class StudyNotFoundError(HypersweepError, KeyError):
    """No study of that name or id is in the storage."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(HypersweepError, KeyError):
    """No trial of that id or number is in the storage."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UpdateFinishedTrialError(HypersweepError, RuntimeError):
    """A finished trial was written to; finished trials are immutable."""


class SearchSpaceExhausted(HypersweepError):  # noqa: N818
    """The sampler has no configuration left to try (for example, every grid point has run)."""
