"""The percentile and median rules: the cutoff itself, its direction and its guards."""

from __future__ import annotations

from pruner_helpers import add_finished
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners
from hypersweep.trial import TrialState


def _study(
    pruner: pruners.BasePruner, finals: list[float], direction: str = "minimize"
) -> hypersweep.Study:
    """A study whose finished trials report ``final`` at every step 0..5."""
    study = hypersweep.create_study(pruner=pruner, direction=direction)
    for final in finals:
        add_finished(study, {step: final for step in range(6)})
    return study


@pytest.mark.parametrize(("value", "pruned"), [(1.7, False), (1.75, False), (1.8, True)])
def test_the_cutoff_is_the_percentile_of_earlier_values_at_the_step(
    value: float, pruned: bool
) -> None:
    # The 25th percentile of 1, 2, 3, 4 (linear interpolation) is 1.75.
    study = _study(pruners.PercentilePruner(25.0, n_startup_trials=4), [1.0, 2.0, 3.0, 4.0])
    assert report_and_ask(study.ask(), {3: value}) == [pruned]


def test_a_trial_is_judged_by_its_best_value_so_far() -> None:
    study = _study(pruners.PercentilePruner(25.0, n_startup_trials=4), [1.0, 2.0, 3.0, 4.0])
    # 1.5 at step 0 stays its best: a worse step 3 alone does not stop it.
    assert report_and_ask(study.ask(), {0: 1.5, 3: 5.0}) == [False, False]


@pytest.mark.parametrize(("value", "pruned"), [(3.3, False), (3.2, True)])
def test_maximize_takes_the_mirrored_percentile(value: float, pruned: bool) -> None:
    # Keeping the top quarter when maximizing: the cutoff is the 75th percentile, 3.25.
    pruner = pruners.PercentilePruner(25.0, n_startup_trials=4)
    study = _study(pruner, [1.0, 2.0, 3.0, 4.0], direction="maximize")
    assert report_and_ask(study.ask(), {3: value}) == [pruned]


def test_median_pruner_is_the_fiftieth_percentile() -> None:
    study = _study(pruners.MedianPruner(n_startup_trials=4), [1.0, 2.0, 3.0, 4.0])
    # The median of 1, 2, 3, 4 is 2.5: equal to it goes on, worse stops.
    assert report_and_ask(study.ask(), {3: 2.5}) == [False]
    assert report_and_ask(study.ask(), {3: 2.6}) == [True]


def test_warm_up_and_interval_choose_the_steps_that_are_checked() -> None:
    pruner = pruners.PercentilePruner(50.0, n_startup_trials=4, n_warmup_steps=1, interval_steps=2)
    study = _study(pruner, [1.0, 2.0, 3.0, 4.0])
    # Far behind at every step: checked only at steps 1, 3 and 5, so it stops at step 1.
    assert report_and_ask(study.ask(), {0: 9.0, 1: 9.0}) == [False, True]
    assert report_and_ask(study.ask(), {0: 9.0, 2: 9.0, 3: 9.0}) == [False, False, True]


def test_no_decision_until_enough_trials_finished_or_reported_at_the_step() -> None:
    worse = {3: 9.0}
    startup = _study(pruners.PercentilePruner(50.0, n_startup_trials=5), [1.0, 2.0, 3.0, 4.0])
    assert report_and_ask(startup.ask(), worse) == [False]

    # Pruned trials count as finished, and as evidence at the steps they reached.
    study = _study(pruners.PercentilePruner(50.0, n_startup_trials=5), [1.0, 2.0, 3.0, 4.0])
    add_finished(study, {0: 1.0, 1: 1.0}, state=TrialState.PRUNED)
    assert report_and_ask(study.ask(), worse) == [True]

    # Only four trials reported at step 3: n_min_trials=5 holds the decision back.
    sparse = _study(
        pruners.PercentilePruner(50.0, n_startup_trials=4, n_min_trials=5), [1.0, 2.0, 3.0, 4.0]
    )
    assert report_and_ask(sparse.ask(), worse) == [False]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"percentile": 101.0}, r"percentile must be in \[0, 100\], got 101.0"),
        ({"percentile": "25"}, r"percentile must be in \[0, 100\], got '25'"),
        ({"percentile": 25.0, "n_startup_trials": -1}, "n_startup_trials must be an integer >= 0"),
        ({"percentile": 25.0, "interval_steps": 0}, "interval_steps must be an integer >= 1"),
        ({"percentile": 25.0, "n_min_trials": True}, "n_min_trials must be an integer >= 1"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pruners.PercentilePruner(**kwargs)  # type: ignore[arg-type]
