"""The pruner report's comparisons, on hand-made studies with known answers."""

from __future__ import annotations

import dataclasses

from hypersweep.bench._pruning import NO_PRUNING
from hypersweep.bench._pruning import THIRD
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


def _rows(markdown: str, section: str) -> dict[str, list[str]]:
    """The rows of one section of the report, by pruner, as lists of cells."""
    part = markdown.split("## One third of the budget")[1 if section == "third" else 0]
    return {
        cells[1]: cells
        for cells in (
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in part.splitlines()
            if line.startswith("| LC1 |")
        )
    }


def test_third_budget_match_needs_no_evidence_of_a_loss_and_no_higher_mean() -> None:
    seeds = range(10)
    full = [_study(NO_PRUNING, s, 0.010 + 0.001 * s) for s in seeds]
    third = {
        "better": [0.001 + 0.0001 * s for s in seeds],  # every seed lower
        "worse": [0.100 + 0.001 * s for s in seeds],  # every seed higher
        "same": [0.010 + 0.001 * s for s in seeds],  # the same sample
        "noisy": [0.010 + 0.001 * s for s in range(9)] + [1.0],  # one outlier raises the mean
    }
    studies = full + [
        dataclasses.replace(_study(label, s, regret), budget_divisor=THIRD)
        for label, regrets in third.items()
        for s, regret in zip(seeds, regrets, strict=True)
    ]
    markdown = pruning_markdown(studies, budget_trainings=30)

    # The full-budget table holds only the full-budget studies.
    assert set(_rows(markdown, "full")) == {NO_PRUNING}
    rows = _rows(markdown, "third")
    assert set(rows) == set(third)
    # "worse": U = 100 of 100 pairs; one-sided normal approximation with continuity
    # correction, z = (100 - 50 - 0.5) / sqrt(10 * 10 * 21 / 12) = 3.742, p = 9.13e-5,
    # times 4 rows by Holm.
    assert rows["worse"][5:] == ["0.00", "0.000365", "no"]
    assert rows["better"][5:] == ["1.00", "1", "yes"]
    # No evidence of a loss and the same mean: a match.
    assert rows["same"][5] == "0.50" and rows["same"][7] == "yes"
    # No evidence of a loss either, but the mean regret is higher than no pruning's.
    assert float(rows["noisy"][6]) >= 0.05 and rows["noisy"][7] == "no"
    # The reference column is no pruning with the whole budget: mean (median).
    assert rows["better"][4] == "0.0145 (0.0145)"


def test_without_third_budget_studies_the_report_has_one_table() -> None:
    studies = [_study(NO_PRUNING, s, 0.01) for s in range(3)]
    assert "One third of the budget" not in pruning_markdown(studies, budget_trainings=30)
