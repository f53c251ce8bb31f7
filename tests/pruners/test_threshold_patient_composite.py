"""The threshold pruner, the patience wrapper and the composite pruner."""

from __future__ import annotations

from pruner_helpers import add_finished
from pruner_helpers import report_and_ask
import pytest

import hypersweep
from hypersweep import pruners


def _ask(pruner: pruners.BasePruner, direction: str = "minimize") -> hypersweep.Trial:
    return hypersweep.create_study(pruner=pruner, direction=direction).ask()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({0: 0.5, 1: 1.5, 2: 2.5}, [False, False, False]),
        ({0: 0.5, 1: 3.5}, [False, True]),
        ({0: 0.5, 1: -0.5}, [False, True]),
    ],
)
def test_threshold_bounds(values: dict[int, float], expected: list[bool]) -> None:
    trial = _ask(pruners.ThresholdPruner(lower=0.0, upper=3.0))
    assert report_and_ask(trial, values) == expected


def test_threshold_warmup_and_interval() -> None:
    trial = _ask(pruners.ThresholdPruner(upper=1.0, n_warmup_steps=2, interval_steps=3))
    answers = report_and_ask(trial, {s: 5.0 for s in range(9)})
    # Checked at steps 2, 5, 8 only.
    assert answers == [False, False, True, False, False, True, False, False, True]


def test_threshold_without_bounds_stops_only_diverged_runs() -> None:
    trial = _ask(pruners.ThresholdPruner())
    assert report_and_ask(trial, {0: 1e300, 1: -1e300, 2: float("inf")}) == [False, False, True]


def test_threshold_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"lower must not exceed upper, got lower=2 and upper=1"):
        pruners.ThresholdPruner(lower=2, upper=1)
    with pytest.raises(ValueError, match=r"upper must be a number or None, got nan"):
        pruners.ThresholdPruner(upper=float("nan"))
    with pytest.raises(ValueError, match=r"n_warmup_steps must be an integer >= 0, got -1"):
        pruners.ThresholdPruner(n_warmup_steps=-1)


def test_patience_alone_stops_a_stalled_trial() -> None:
    trial = _ask(pruners.PatientPruner(None, patience=2))
    # Improves until step 2, then stalls: at step 4 the window (2, 4] has not beaten 1.0.
    answers = report_and_ask(trial, {0: 3.0, 1: 2.0, 2: 1.0, 3: 1.0, 4: 1.5})
    assert answers == [False, False, False, False, True]


def test_patience_min_delta() -> None:
    trial = _ask(pruners.PatientPruner(None, patience=1, min_delta=0.5))
    assert report_and_ask(trial, {0: 3.0, 1: 2.0, 2: 1.9}) == [False, False, True]


def test_patience_maximize() -> None:
    trial = _ask(pruners.PatientPruner(None, patience=1), direction="maximize")
    assert report_and_ask(trial, {0: 1.0, 1: 2.0, 2: 1.5}) == [False, False, True]


def test_patience_tolerates_the_wrapped_verdict_while_improving() -> None:
    study = hypersweep.create_study(
        pruner=pruners.PatientPruner(pruners.ThresholdPruner(upper=0.0), patience=2)
    )
    trial = study.ask()
    # Always above the threshold, but improving until step 3, then stalled.
    values = {0: 5.0, 1: 4.0, 2: 3.0, 3: 2.0, 4: 2.0, 5: 2.0}
    assert report_and_ask(trial, values) == [False, False, False, False, False, True]


def test_patience_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"wrapped_pruner must be a BasePruner or None, got 3"):
        pruners.PatientPruner(3, patience=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"patience must be an integer >= 0, got -1"):
        pruners.PatientPruner(None, patience=-1)
    with pytest.raises(ValueError, match=r"min_delta must be a finite number >= 0, got -0.1"):
        pruners.PatientPruner(None, patience=1, min_delta=-0.1)


def test_composite_any_and_all() -> None:
    low = pruners.ThresholdPruner(upper=1.0)
    high = pruners.ThresholdPruner(upper=2.0)
    assert report_and_ask(_ask(pruners.CompositePruner([low, high])), {0: 1.5}) == [True]
    assert report_and_ask(_ask(pruners.CompositePruner([low, high], "all")), {0: 1.5}) == [False]
    assert report_and_ask(_ask(pruners.CompositePruner([low, high], "all")), {0: 2.5}) == [True]


def test_composite_with_successive_halving_and_threshold() -> None:
    pruner = pruners.CompositePruner(
        [pruners.ThresholdPruner(upper=10.0), pruners.SuccessiveHalvingPruner(3, 30)]
    )
    study = hypersweep.create_study(pruner=pruner)
    for value in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]:
        add_finished(study, {3: value, 30: value})
    assert report_and_ask(study.ask(), {0: 11.0}) == [True]  # the threshold, before any rung
    assert report_and_ask(study.ask(), {0: 9.0, 3: 9.0}) == [False, True]  # halving at rung 3


def test_composite_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"pruners must hold at least one pruner"):
        pruners.CompositePruner([])
    with pytest.raises(TypeError, match=r"pruners must hold BasePruner instances, got 'x'"):
        pruners.CompositePruner(["x"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"mode must be 'any' or 'all', got 'most'"):
        pruners.CompositePruner([pruners.NopPruner()], "most")  # type: ignore[arg-type]
