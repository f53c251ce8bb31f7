"""The pruner report's comparison with no pruning, on hand-made studies with known answers."""

from __future__ import annotations

from hypersweep.bench._pruning import NO_PRUNING
from hypersweep.bench._pruning import PruningStudy
from hypersweep.bench._pruning import pruning_markdown


def _study(pruner: str, seed: int, regret: float) -> PruningStudy:
    return PruningStudy(
        task="LC1",
        pruner=pruner,
        seed=seed,
        regret=regret,
        epochs=[40, 80],
        best_regret=[regret + 0.01, regret],
        n_trials=2,
        n_pruned=0,
        pruned_better_rate=float("nan"),
    )


def test_versus_no_pruning_gives_win_tie_and_the_holm_corrected_p() -> None:
    seeds = range(10)
    studies = [_study(NO_PRUNING, s, 0.010 + 0.001 * s) for s in seeds]
    studies += [_study("better", s, 0.001 + 0.0001 * s) for s in seeds]  # every seed lower
    studies += [_study("same", s, 0.010 + 0.001 * s) for s in seeds]  # identical samples
    markdown = pruning_markdown(studies, budget_trainings=30)

    rows = {line.split(" | ")[1]: line for line in markdown.splitlines() if " | " in line}
    # All 10 x 10 pairs favour "better", so A = 1 and U = 0. scipy's normal approximation with
    # continuity correction: z = (0 - 50 + 0.5) / sqrt(10 * 10 * 21 / 12) = -3.742, two-sided
    # p = 1.83e-4, doubled by Holm for two comparisons. Identical samples give p = 1.
    assert "win (A 1.00, p 0.000365)" in rows["better"]
    assert "tie (A 0.50, p 1)" in rows["same"]
    assert rows[NO_PRUNING].rstrip().endswith("| - |")
