"""Hyperband: bracket sizes, deterministic assignment, per-bracket rungs, the no-stop bracket."""

from __future__ import annotations

from collections import Counter

from pruner_helpers import add_finished
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners
from hypersweep.pruners._hyperband import BRACKET_KEY
from hypersweep.pruners._hyperband import assign_bracket
from hypersweep.pruners._hyperband import bracket_sizes


@pytest.mark.parametrize(
    ("n_brackets", "eta", "expected"),
    [(1, 3, [1]), (2, 3, [3, 2]), (3, 3, [9, 5, 3]), (4, 3, [27, 12, 6, 4]), (3, 2, [4, 3, 3])],
)
def test_bracket_sizes_follow_hyperband(n_brackets: int, eta: int, expected: list[int]) -> None:
    assert bracket_sizes(n_brackets, eta) == expected


def test_assignment_is_deterministic_and_follows_the_weights() -> None:
    sizes = bracket_sizes(4, 3)
    brackets = [assign_bracket("study", n, sizes) for n in range(20000)]
    assert brackets == [assign_bracket("study", n, sizes) for n in range(20000)]
    counts = Counter(brackets)
    for bracket, size in enumerate(sizes):
        assert counts[bracket] / 20000 == pytest.approx(size / sum(sizes), abs=0.015)
    # Another study shuffles differently.
    assert brackets[:50] != [assign_bracket("other", n, sizes) for n in range(50)]


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
    sizes = bracket_sizes(4, 3)
    while True:
        trial = study.ask()
        if assign_bracket(study.study_name, trial.number, sizes) == bracket:
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


def test_a_trial_is_ranked_only_within_its_bracket() -> None:
    study = hypersweep.create_study(
        study_name="ranks", pruner=pruners.HyperbandPruner(2, 40, n_min_trials=2)
    )
    sizes = bracket_sizes(4, 3)
    # Bracket-0 trials that reached step 2 with excellent values, one bracket-1 trial.
    for _ in range(60):
        number = len(study.trials)
        good = assign_bracket("ranks", number, sizes) == 0
        add_finished(study, {2: 0.1 if good else 50.0, 6: 0.1 if good else 50.0, 40: 0.1})
    trial = _trial_in_bracket(study, 1)
    # At step 6 the bracket-1 population holds only the 50.0s, so 1.0 is the best: continue.
    assert report_and_ask(trial, {2: 1.0, 6: 1.0}) == [False, False]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"reduction_factor must be an integer >= 2, got 1"):
        pruners.HyperbandPruner(reduction_factor=1)
    with pytest.raises(ValueError, match=r"max_resource must be 'auto' or an integer >= 1"):
        pruners.HyperbandPruner(max_resource=-3)


def test_a_first_rung_pools_the_unfiltered_trials_of_higher_brackets() -> None:
    study = hypersweep.create_study(
        study_name="pool", pruner=pruners.HyperbandPruner(2, 40, n_min_trials=2)
    )
    sizes = bracket_sizes(4, 3)
    # Trials of brackets 2 and 3 reached step 6 (bracket 1's first rung) with 0.1; bracket 0
    # trials with 50.0 (they are survivors of rung 2 and do not count).
    for _ in range(60):
        number = len(study.trials)
        high = assign_bracket("pool", number, sizes) >= 2
        add_finished(study, {6: 0.1 if high else 50.0, 40: 0.1})
    trial = _trial_in_bracket(study, 1)
    assert report_and_ask(trial, {6: 1.0}) == [True]
