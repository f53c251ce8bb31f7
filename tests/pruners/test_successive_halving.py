"""Successive halving: rung arithmetic, the promotion rule and its guards."""

from __future__ import annotations

from pruner_helpers import add_finished
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners
from hypersweep.pruners._curves import MAX_RESOURCE_KEY
from hypersweep.pruners._curves import auto_min_resource
from hypersweep.pruners._curves import value_at_milestone
from hypersweep.pruners._successive_halving import rung_milestones
from hypersweep.trial import TrialState


@pytest.mark.parametrize(
    ("min_resource", "eta", "rate", "max_resource", "expected"),
    [
        (1, 3, 0, 27, [1, 3, 9]),
        (1, 3, 0, 28, [1, 3, 9, 27]),
        (2, 3, 0, 40, [2, 6, 18]),
        (2, 3, 1, 40, [6, 18]),
        (2, 3, 2, 40, [18]),
        (2, 3, 3, 40, []),
        (1, 4, 0, 100, [1, 4, 16, 64]),
        (5, 2, 0, 5, []),
    ],
)
def test_rung_milestones(
    min_resource: int, eta: int, rate: int, max_resource: int, expected: list[int]
) -> None:
    assert rung_milestones(min_resource, eta, rate, max_resource) == expected


@pytest.mark.parametrize(
    ("max_resource", "eta", "expected"), [(10, 3, 1), (27, 3, 1), (28, 3, 2), (100, 3, 4)]
)
def test_auto_min_resource_gives_at_most_three_rungs(
    max_resource: int, eta: int, expected: int
) -> None:
    min_resource = auto_min_resource(max_resource, eta)
    assert min_resource == expected
    assert 1 <= len(rung_milestones(min_resource, eta, 0, max_resource)) <= 3


def test_value_at_milestone_is_best_so_far_at_first_step_past_it() -> None:
    losses = {0: 5.0, 2: 3.0, 5: 4.0, 9: 1.0}
    assert value_at_milestone(losses, 0) == 5.0
    assert value_at_milestone(losses, 3) == 3.0  # reached at step 5; best so far is step 2
    assert value_at_milestone(losses, 9) == 1.0
    assert value_at_milestone(losses, 10) is None


def _study_with_rung_values(values: list[float], **kwargs: object) -> hypersweep.Study:
    """Finished trials whose best value at step 3 (and after) is each of ``values``."""
    pruner = pruners.SuccessiveHalvingPruner(3, 30, **kwargs)  # type: ignore[arg-type]
    study = hypersweep.create_study(pruner=pruner)
    for value in values:
        add_finished(study, {0: 10.0, 3: value, 30: value}, TrialState.COMPLETE)
    return study


@pytest.mark.parametrize(
    ("value", "pruned"),
    # Six others at rung 3 plus the trial: n = 7, keep max(1, 7 // 3) = 2, so the trial
    # continues iff at most one other trial is strictly better.
    # A tie with the second best continues.
    [(0.5, False), (1.0, False), (1.5, False), (2.0, False), (2.5, True), (9.0, True)],
)
def test_promotion_keeps_the_top_one_over_eta(value: float, pruned: bool) -> None:
    study = _study_with_rung_values([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    trial = study.ask()
    trial.report(10.0, 0)
    assert trial.should_prune() is False  # before the first rung
    trial.report(value, 3)
    assert trial.should_prune() is pruned


def test_maximize_mirrors_the_rule() -> None:
    study = hypersweep.create_study(
        direction="maximize", pruner=pruners.SuccessiveHalvingPruner(3, 30)
    )
    for value in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]:
        add_finished(study, {3: value, 30: value})
    good = study.ask()
    assert report_and_ask(good, {3: 5.5}) == [False]
    bad = study.ask()
    assert report_and_ask(bad, {3: 4.5}) == [True]


def test_running_trials_count_in_the_rung() -> None:
    study = _study_with_rung_values([1.0, 2.0, 3.0, 4.0, 5.0])
    # Five finished trials are one short of the default n_min_trials = max(3, 5)... plus one
    # running trial that has reached the rung makes six others.
    running = study.ask()
    report_and_ask(running, {3: 0.1})
    trial = study.ask()
    assert report_and_ask(trial, {3: 2.5}) == [True]


def test_no_pruning_until_the_rung_holds_n_min_trials() -> None:
    study = _study_with_rung_values([1.0, 2.0, 3.0, 4.0])
    trial = study.ask()
    assert report_and_ask(trial, {3: 100.0}) == [False]
    # The promotion is recorded: the same rung never judges the trial again.
    attrs = study.trials[-1].system_attrs
    assert [v for k, v in attrs.items() if k.startswith("successive_halving:passed")] == [3]
    add_finished(study, {3: 0.5, 30: 0.5})
    add_finished(study, {3: 0.5, 30: 0.5})
    trial.report(100.0, 4)
    assert trial.should_prune() is False


@pytest.mark.parametrize(("n_others", "pruned"), [(1, False), (2, True)])
def test_later_rungs_need_fewer_trials_before_pruning(n_others: int, pruned: bool) -> None:
    # n_min_trials = 5: rung 0 needs 5 others, rung 1 ceil(5 / 3) = 2, rung 2 one.
    study = hypersweep.create_study(pruner=pruners.SuccessiveHalvingPruner(1, 30))
    for _ in range(n_others):
        add_finished(study, {1: 0.5, 3: 0.5, 30: 0.5})
    trial = study.ask()
    assert report_and_ask(trial, {3: 9.0}) == [pruned]


def test_never_prunes_at_or_after_the_last_step() -> None:
    study = _study_with_rung_values([1.0] * 8)
    trial = study.ask()
    # Sparse reporting: the first report is the last step, with a terrible value.
    assert report_and_ask(trial, {30: 100.0, 31: 100.0}) == [False, False]


def test_sparse_reporting_is_judged_once_at_the_highest_rung_reached() -> None:
    pruner = pruners.SuccessiveHalvingPruner(1, 30, n_min_trials=2)
    study = hypersweep.create_study(pruner=pruner)
    # Others are good at rung 9 and bad at rungs 1 and 3.
    for _ in range(4):
        add_finished(study, {1: 50.0, 3: 50.0, 9: 0.5, 30: 0.5})
    trial = study.ask()
    # Jumping from step 0 to 10 passes rungs 1, 3 and 9: only rung 9 judges, and 5.0 is bad.
    assert report_and_ask(trial, {0: 5.0, 10: 5.0}) == [False, True]


def test_a_trial_is_judged_again_at_each_later_rung() -> None:
    pruner = pruners.SuccessiveHalvingPruner(1, 30, n_min_trials=2)
    study = hypersweep.create_study(pruner=pruner)
    for _ in range(4):
        add_finished(study, {1: 0.5, 3: 0.5, 9: 0.1, 30: 0.1})
    trial = study.ask()
    # Best at rung 3 (0.4 < 0.5), behind at rung 9 (best so far 0.4 > 0.1).
    assert report_and_ask(trial, {0: 0.4, 3: 0.4, 9: 0.4}) == [False, False, True]


def test_max_resource_auto_is_inferred_once_and_stored() -> None:
    study = hypersweep.create_study(pruner=pruners.SuccessiveHalvingPruner(n_min_trials=1))
    trial = study.ask()
    assert report_and_ask(trial, {0: 100.0, 5: 100.0}) == [False, False]  # nothing completed
    add_finished(study, {s: 1.0 for s in range(28)})
    add_finished(study, {s: 1.0 for s in range(10)})  # a later, shorter run changes nothing
    pruner = study.pruner
    assert isinstance(pruner, pruners.SuccessiveHalvingPruner)
    assert pruner.max_resource(study) == 27
    assert study.system_attrs[MAX_RESOURCE_KEY] == 27
    assert pruner.milestones(study) == [1, 3, 9]


def test_pruned_trial_keeps_its_learning_curve() -> None:
    study = _study_with_rung_values([1.0] * 8)

    def objective(trial: hypersweep.Trial) -> float:
        for step in range(31):
            trial.report(10.0 - step * 0.01, step)
            if trial.should_prune():
                raise hypersweep.TrialPruned()
        return 0.0

    study.optimize(objective, n_trials=1)
    pruned = study.trials[-1]
    assert pruned.state == TrialState.PRUNED
    assert dict(pruned.intermediate_values) == {s: 10.0 - s * 0.01 for s in range(4)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, r"min_resource must be 'auto' or an integer >= 1 .*got 0"),
        ({"max_resource": "all"}, r"max_resource must be 'auto' or an integer >= 1"),
        ({"reduction_factor": 1}, r"reduction_factor must be an integer >= 2, got 1"),
        ({"min_early_stopping_rate": -1}, r"min_early_stopping_rate must be .* >= 0"),
        ({"n_min_trials": 0}, r"n_min_trials must be an integer >= 1, got 0"),
        (
            {"min_resource": 10, "max_resource": 10},
            r"min_resource must be below max_resource, got min_resource=10",
        ),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pruners.SuccessiveHalvingPruner(**kwargs)  # type: ignore[arg-type]


def test_resource_in_seconds_with_reports_at_irregular_times() -> None:
    # Rungs at 10 and 30 seconds of a 90-second run; each trial reports whenever its elapsed
    # whole seconds say, so no two trials report at the same steps.
    pruner = pruners.SuccessiveHalvingPruner(10, 90, n_min_trials=3)
    study = hypersweep.create_study(pruner=pruner)
    for offset in range(4):
        add_finished(study, {3 + offset: 2.0, 11 + offset: 1.0, 31 + offset: 0.5, 90: 0.5})

    # Behind at the first report past 10 s (its best so far 3.0 against 1.0): stopped there,
    # not at 9 s, before the rung.
    assert report_and_ask(study.ask(), {4: 3.0, 9: 3.0, 13: 3.0}) == [False, False, True]
    # Ahead at 12 s and at 33 s: it goes on past both rungs.
    assert report_and_ask(study.ask(), {5: 2.0, 12: 0.2, 33: 0.1, 60: 0.1}) == [False] * 4
