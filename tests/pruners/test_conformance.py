"""The pruner conformance suite: every public pruner must pass it.

Each case builds a pruner and names its warm-up: the first step at which it may stop a finite
trial that is clearly worse than the history. The suite checks that no decision comes before
the warm-up and one does come at it, that decisions are deterministic for a fixed history, that
decisions use what other workers stored (another ``Study`` object on the same storage, threads,
and two processes on SQLite), that NaN and infinity stop a trial at the next report while the
study goes on, and that pruned trials keep their learning curves.
"""

from __future__ import annotations

from collections.abc import Callable
import concurrent.futures
import dataclasses
import math
import multiprocessing
from pathlib import Path

import numpy as np
from pruner_helpers import add_finished
from pruner_helpers import curve
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners
from hypersweep.pruners._hyperband import assign_bracket
from hypersweep.pruners._hyperband import bracket_weights
from hypersweep.trial import TrialState

N_STEPS = 20


@dataclasses.dataclass(frozen=True)
class Case:
    make: Callable[[], pruners.BasePruner]
    warmup: int
    # Hyperband ranks a trial within its bracket: the suite's probe trial must land in bracket 0.
    needs_bracket_zero: bool = False


CASES: dict[str, Case] = {
    "MedianPruner": Case(lambda: pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3), 3),
    "PercentilePruner": Case(
        lambda: pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=4), 4
    ),
    "SuccessiveHalvingPruner": Case(
        lambda: pruners.SuccessiveHalvingPruner(2, N_STEPS - 1, n_min_trials=3), 2
    ),
    "HyperbandPruner": Case(
        lambda: pruners.HyperbandPruner(2, N_STEPS - 1, n_min_trials=3), 2, True
    ),
    "ThresholdPruner": Case(lambda: pruners.ThresholdPruner(upper=5.0, n_warmup_steps=3), 3),
    "PatientPruner": Case(lambda: pruners.PatientPruner(None, patience=3), 3),
    "PatientPruner(MedianPruner)": Case(
        lambda: pruners.PatientPruner(pruners.MedianPruner(n_startup_trials=3), patience=2), 2
    ),
    "CompositePruner": Case(
        lambda: pruners.CompositePruner(
            [pruners.ThresholdPruner(), pruners.SuccessiveHalvingPruner(3, N_STEPS - 1)]
        ),
        3,
    ),
    "CompositePruner(all)": Case(
        lambda: pruners.CompositePruner(
            [pruners.MedianPruner(n_warmup_steps=5), pruners.ThresholdPruner(upper=5.0)],
            mode="all",
        ),
        5,
    ),
}
# NopPruner never decides anything; the abstract base is not a pruner.
NOT_GENERIC = {"BasePruner", "NopPruner"}


def test_every_public_pruner_is_covered() -> None:
    public = {name for name in pruners.__all__ if name not in NOT_GENERIC}
    covered = {name.split("(")[0] for name in CASES}
    assert public <= covered, f"add a case for {public - covered}"


def _history_study(case: Case, name: str = "conformance") -> hypersweep.Study:
    """A study with 30 good finished trials, the next trial number in bracket 0 if needed."""
    study = hypersweep.create_study(study_name=name, pruner=case.make())
    rng = np.random.default_rng(0)
    for _ in range(30):
        add_finished(study, curve(float(rng.uniform(0.0, 1.0)), N_STEPS))
    if case.needs_bracket_zero:
        weights = bracket_weights(4, 3)
        while assign_bracket(name, len(study.trials), weights) != 0:
            add_finished(study, curve(float(rng.uniform(0.0, 1.0)), N_STEPS))
    return study


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_decision_before_warmup_and_a_decision_at_it(name: str) -> None:
    case = CASES[name]
    study = _history_study(case)
    trial = study.ask()

    # A flat, very bad curve: every pruner here stops it once it may decide.
    answers = report_and_ask(trial, {s: 100.0 for s in range(case.warmup + 1)})

    assert answers[: case.warmup] == [False] * case.warmup
    assert answers[case.warmup] is True


@pytest.mark.parametrize("name", sorted(CASES))
def test_decisions_are_deterministic_for_a_fixed_history(name: str) -> None:
    case = CASES[name]

    def decisions() -> list[list[bool]]:
        study = _history_study(case)
        rng = np.random.default_rng(1)
        answers = []
        for _ in range(8):
            trial = study.ask()
            level = float(rng.uniform(-0.5, 6.0))
            noisy = {
                s: v + float(rng.normal(0.0, 0.1))
                for s, v in curve(level, N_STEPS - 1, start=2.0).items()
            }
            answers.append(report_and_ask(trial, noisy))
            study.tell(trial, state=TrialState.PRUNED)
        return answers

    first = decisions()
    assert decisions() == first
    flat = [answer for answers in first for answer in answers]
    assert any(flat), "the probes must exercise a stop decision"
    assert not all(flat)


@pytest.mark.parametrize("name", sorted(CASES))
def test_decisions_use_values_stored_by_another_worker(name: str) -> None:
    case = CASES[name]
    storage = hypersweep.storages.InMemoryStorage()
    mine = hypersweep.create_study(study_name="shared", storage=storage, pruner=case.make())
    theirs = hypersweep.load_study(study_name="shared", storage=storage, pruner=case.make())
    assert len(mine.trials) == 0

    # Another worker's trials (running ones too) fill the history this worker's pruner reads.
    rng = np.random.default_rng(0)
    for _ in range(30):
        add_finished(theirs, curve(float(rng.uniform(0.0, 1.0)), N_STEPS))
    running = theirs.ask()
    report_and_ask(running, curve(0.5, N_STEPS - 1))
    if case.needs_bracket_zero:
        while assign_bracket("shared", len(theirs.trials), bracket_weights(4, 3)) != 0:
            add_finished(theirs, curve(float(rng.uniform(0.0, 1.0)), N_STEPS))

    trial = mine.ask()
    answers = report_and_ask(trial, {s: 100.0 for s in range(case.warmup + 1)})
    assert answers[-1] is True


def _objective(trial: hypersweep.Trial) -> float:
    """A learning curve whose level is x; the best-looking runs, x < 0.1, diverge at step 4."""
    x = trial.suggest_float("x", 0.0, 1.0)
    value = math.inf
    for step in range(N_STEPS):
        value = x + 1.0 / (step + 1) if x >= 0.1 or step < 4 else math.nan
        trial.report(value, step)
        if trial.should_prune():
            raise hypersweep.TrialPruned()
    return value


def _check_finished_study(study: hypersweep.Study, n_trials: int) -> None:
    trials = study.trials
    assert len(trials) == n_trials
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    assert pruned, "some trials must be pruned"
    assert any(t.state == TrialState.COMPLETE for t in trials)
    for t in pruned:
        # A pruned trial keeps its learning curve, from step 0 to where it stopped. Under threads
        # it may be stopped at its last report: the trials it is ranked against change between
        # two of its reports, so a trial in the top quarter at step 18 can fall out at step 19.
        last = t.last_step
        assert last is not None
        assert sorted(t.intermediate_values) == list(range(last + 1))
    diverged = [t for t in trials if t.params["x"] < 0.1]
    for t in diverged:
        # Diverged at step 4: stopped at that very report (if not stopped before).
        assert t.state == TrialState.PRUNED and t.last_step is not None and t.last_step <= 4
    assert any(math.isnan(t.intermediate_values.get(4, 0.0)) for t in diverged)


@pytest.mark.parametrize("name", sorted(CASES))
def test_threads_nan_stops_at_once_and_pruned_trials_keep_their_curves(name: str) -> None:
    study = hypersweep.create_study(
        sampler=hypersweep.samplers.RandomSampler(seed=3), pruner=CASES[name].make()
    )
    # The best-looking configuration of all diverges, so it cannot be pruned before step 4.
    study.enqueue_trial({"x": 0.0})
    study.optimize(_objective, n_trials=60, n_jobs=4)
    _check_finished_study(study, 60)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_value_stops_at_the_next_report_even_in_warmup(name: str, bad: float) -> None:
    study = hypersweep.create_study(pruner=CASES[name].make())
    trial = study.ask()
    trial.report(1.0, 0)
    assert trial.should_prune() is False
    trial.report(bad, 1)
    assert trial.should_prune() is True


@pytest.mark.slow
@pytest.mark.parametrize("name", ["SuccessiveHalvingPruner", "HyperbandPruner"])
def test_two_processes_on_sqlite(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = hypersweep.create_study(
        study_name="two-processes",
        storage=url,
        sampler=hypersweep.samplers.RandomSampler(seed=5),
        pruner=CASES[name].make(),
    )
    study.enqueue_trial({"x": 0.0})
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        study.optimize(_objective, n_trials=40, executor=executor, n_jobs=2)
    _check_finished_study(study, 40)
