"""Shared helpers for the pruner tests: learning curves and history building."""

from __future__ import annotations

from collections.abc import Mapping

import hypersweep
from hypersweep.trial import TrialState


def curve(final: float, n_steps: int, start: float = 1.0) -> dict[int, float]:
    """A decreasing learning curve from ``start + final`` at step 0 towards ``final``."""
    return {s: final + start / (s + 1) for s in range(n_steps)}


def add_finished(
    study: hypersweep.Study,
    values: Mapping[int, float],
    state: TrialState = TrialState.COMPLETE,
) -> None:
    """Add a finished trial with these intermediate values (COMPLETE ends with the last one)."""
    last = values[max(values)] if values else None
    study.add_trial(
        hypersweep.create_trial(
            state=state,
            value=last if state == TrialState.COMPLETE else None,
            intermediate_values=values,
        )
    )


def report_and_ask(trial: hypersweep.Trial, values: Mapping[int, float]) -> list[bool]:
    """Report ``values`` in order of step, asking the pruner after each; the answers."""
    answers = []
    for step in sorted(values):
        trial.report(values[step], step)
        answers.append(trial.should_prune())
    return answers
