"""Hyperband: bracket weights, deterministic assignment, per-bracket rungs, pooled rungs."""

from __future__ import annotations

from collections import Counter
import math

from pruner_helpers import add_finished
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners
from hypersweep.pruners._hyperband import BRACKET_KEY
from hypersweep.pruners._hyperband import assign_bracket
from hypersweep.pruners._hyperband import bracket_weights


@pytest.mark.parametrize(
    ("n_brackets", "eta", "expected"),
    [(1, 3, [1]), (2, 3, [3, 1]), (4, 3, [27, 9, 3, 1]), (3, 2, [4, 2, 1])],
)
def test_bracket_weights_grow_by_eta_per_rung(
    n_brackets: int, eta: int, expected: list[int]
) -> None:
    assert bracket_weights(n_brackets, eta) == expected


def test_assignment_is_deterministic_and_every_stretch_follows_the_weights() -> None:
    weights = bracket_weights(4, 3)
    brackets = [assign_bracket("study", n, weights) for n in range(20000)]
    assert brackets == [assign_bracket("study", n, weights) for n in range(20000)]

    # Low discrepancy: any 40 consecutive trials hold each bracket's share within 2 trials.
    for start in range(0, 20000 - 40, 997):
        counts = Counter(brackets[start : start + 40])
        for bracket, weight in enumerate(weights):
            assert abs(counts[bracket] - 40 * weight / sum(weights)) <= 2

    # Another study starts elsewhere on the sequence.
    assert brackets[:50] != [assign_bracket("other", n, weights) for n in range(50)]


def test_brackets_and_their_milestones() -> None:
    pruner = pruners.HyperbandPruner(2, 40)
    assert [pruner.bracket_milestones(40, b) for b in range(4)] == [[2, 6, 18], [6, 18], [18], []]
    study = hypersweep.create_study(pruner=pruner)
    assert pruner.n_brackets(study) == 4


def test_auto_resources_wait_for_a_completed_trial() -> None:
    pruner = pruners.HyperbandPruner()
    study = hypersweep.create_study(pruner=pruner)
    assert pruner.n_brackets(study) is None
    trial = study.ask()
    assert report_and_ask(trial, {s: 100.0 for s in range(10)}) == [False] * 10
    assert pruner.bracket(study, study.trials[0]) is None
    assert BRACKET_KEY not in study.trials[0].system_attrs


def _trial_in_bracket(study: hypersweep.Study, bracket: int) -> hypersweep.Trial:
    """Ask trials (failing the ones in other brackets) until one lands in ``bracket``."""
    weights = bracket_weights(4, 3)
    while True:
        trial = study.ask()
        if assign_bracket(study.study_name, trial.number, weights) == bracket:
            return trial
        study.tell(trial, state=hypersweep.TrialState.FAIL)


def _study(name: str) -> hypersweep.Study:
    study = hypersweep.create_study(
        study_name=name, pruner=pruners.HyperbandPruner(2, 40, n_min_trials=2)
    )
    for _ in range(40):
        add_finished(study, {s: 1.0 for s in range(41)})
    return study


def test_the_last_bracket_never_stops_a_finite_trial() -> None:
    study = _study("no-stop")
    trial = _trial_in_bracket(study, 3)
    assert not any(report_and_ask(trial, {s: 100.0 for s in range(40)}))
    record = study.trials[-1]
    assert record.system_attrs[BRACKET_KEY] == 3


@pytest.mark.parametrize(("bracket", "first_rung"), [(0, 2), (1, 6), (2, 18)])
def test_each_bracket_first_judges_at_its_own_first_rung(bracket: int, first_rung: int) -> None:
    study = _study(f"bracket-{bracket}")
    trial = _trial_in_bracket(study, bracket)
    answers = report_and_ask(trial, {s: 100.0 for s in range(first_rung + 1)})
    assert answers == [False] * first_rung + [True]
    assert study.trials[-1].system_attrs[BRACKET_KEY] == bracket


def test_a_rung_ranks_a_trial_against_every_bracket() -> None:
    study = hypersweep.create_study(
        study_name="ranks", pruner=pruners.HyperbandPruner(2, 40, n_min_trials=2)
    )
    weights = bracket_weights(4, 3)
    # Bracket-0 survivors reached step 6 with 0.1; the few other trials there have 50.0.
    for _ in range(60):
        number = len(study.trials)
        good = assign_bracket("ranks", number, weights) == 0
        add_finished(study, {2: 0.1 if good else 50.0, 6: 0.1 if good else 50.0, 40: 0.1})
    trial = _trial_in_bracket(study, 1)
    # Among bracket 1 alone, 1.0 would be the best at step 6; among everyone it is not.
    assert report_and_ask(trial, {2: 1.0, 6: 1.0}) == [False, True]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"reduction_factor must be an integer >= 2, got 1"):
        pruners.HyperbandPruner(reduction_factor=1)
    with pytest.raises(ValueError, match=r"max_resource must be 'auto' or an integer >= 1"):
        pruners.HyperbandPruner(max_resource=-3)


def test_a_bracket_judges_nothing_before_its_first_rung() -> None:
    study = hypersweep.create_study(
        study_name="hedge", pruner=pruners.HyperbandPruner(2, 40, n_min_trials=2)
    )
    for _ in range(60):
        add_finished(study, {2: 0.1, 6: 0.1, 18: 0.1, 40: 0.1})
    trial = _trial_in_bracket(study, 2)
    # Far behind everyone at steps 2 and 6, where bracket 0 would have stopped it.
    answers = report_and_ask(trial, {2: 9.0, 6: 9.0, 17: 9.0, 18: 9.0})
    assert answers == [False, False, False, True]


def _crossing_study(pruner: pruners.BasePruner, seed: int) -> float:
    """Final loss of the best completed trial on curves whose early ranking inverts the final.

    A learning rate ``lr`` in ``[10**-2.5, 1]`` gives the curve
    ``floor + (1 - floor) * exp(-3 * lr * t)`` with ``floor = 0.05 + 0.4 * lr``: a large rate
    learns fast and ends high, so the ranking at every rung of bracket 0 is close to the
    reverse of the final one. The study starts 40-epoch trainings until 600 epochs are spent.
    """
    study = hypersweep.create_study(
        study_name=f"crossing-{seed}",
        sampler=hypersweep.samplers.RandomSampler(seed=seed),
        pruner=pruner,
    )
    used = 0
    while used < 600:
        trial = study.ask()
        lr = trial.suggest_float("lr", 10**-2.5, 1.0, log=True)
        floor = 0.05 + 0.4 * lr
        for epoch in range(1, 41):
            loss = floor + (1.0 - floor) * math.exp(-3.0 * lr * epoch)
            trial.report(loss, epoch)
            used += 1
            if epoch < 40 and trial.should_prune():
                study.tell(trial, state=hypersweep.TrialState.PRUNED)
                break
        else:
            study.tell(trial, loss)
    return study.best_value


def test_the_no_stop_bracket_hedges_when_early_values_mislead() -> None:
    # Successive halving keeps the fast starters, which end worst; Hyperband's conservative
    # brackets complete configurations that bracket 0 would have stopped.
    seeds = range(4)
    halving = [_crossing_study(pruners.SuccessiveHalvingPruner(), seed) for seed in seeds]
    hyperband = [_crossing_study(pruners.HyperbandPruner(), seed) for seed in seeds]
    assert sum(hyperband) < sum(halving)
    assert sum(h < s for h, s in zip(hyperband, halving, strict=True)) >= 3
