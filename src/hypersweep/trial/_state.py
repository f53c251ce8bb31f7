from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """The life cycle of a trial.

    ``WAITING`` (enqueued, not started) -> ``RUNNING`` -> one of ``COMPLETE``, ``PRUNED``,
    ``FAIL``. The last three are final: a finished trial never changes again.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        """Whether the state is final (COMPLETE, PRUNED or FAIL)."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class StudyDirection(enum.IntEnum):
    """Whether the objective is minimized or maximized."""

    MINIMIZE = 1
    MAXIMIZE = 2

    @classmethod
    def parse(cls, direction: str | StudyDirection) -> StudyDirection:
        """Read ``"minimize"``/``"maximize"`` (any case) or a member.

        Raises:
            ValueError: For any other value.
        """
        if isinstance(direction, StudyDirection):
            return direction
        if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
            return cls[direction.upper()]
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
