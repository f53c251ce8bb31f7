from __future__ import annotations

import math

import numpy as np
import pytest

from hypersweep.bench import _stats as st


def test_incumbent_is_chosen_on_observed_and_scored_noiseless() -> None:
    observed = [None, 5.0, 6.0, 4.0, 4.5, float("nan"), 3.0]
    noiseless = [None, 5.5, 1.0, 4.2, 0.0, None, 3.3]
    values = st.incumbent_values(observed, noiseless)
    assert math.isnan(values[0])
    # Trial 2 (noiseless 1.0) and trial 4 (noiseless 0.0) never were the observed best.
    np.testing.assert_allclose(values[1:], [5.5, 5.5, 4.2, 4.2, 4.2, 3.3])


def test_simple_and_normalized_regret() -> None:
    values = np.array([np.nan, 12.0, 6.0, 2.0, 1.0])
    np.testing.assert_allclose(st.simple_regret(values, 2.0), [np.inf, 10.0, 4.0, 0.0, -1.0])
    # f* = 2, f_ref = 10: n = clip((f - 2) / 8, 0, 1); no incumbent counts as 1.
    np.testing.assert_allclose(st.normalized_regret(values, 2.0, 10.0), [1.0, 1.0, 0.5, 0.0, 0.0])
    with pytest.raises(ValueError, match="f_ref must be greater than f\\*"):
        st.normalized_regret(values, 2.0, 2.0)


def test_score_and_anytime_score() -> None:
    final = {"A": np.array([0.0, 0.2]), "B": np.array([0.4, 0.6])}
    # mean over problems of mean over seeds: (0.1 + 0.5) / 2 = 0.3
    assert st.score(final) == pytest.approx(70.0)
    curves = {"A": np.array([[1.0, 0.0], [1.0, 0.0]]), "B": np.array([[1.0, 1.0], [0.5, 0.5]])}
    # A: mean 0.5; B: mean 0.75 -> 100 (1 - 0.625)
    assert st.anytime_score(curves) == pytest.approx(37.5)
    with pytest.raises(ValueError, match="at least one problem"):
        st.score({})


def test_mean_ranks_with_ties() -> None:
    final = {
        "P1": {"a": np.array([0.0, 1.0]), "b": np.array([1.0, 1.0]), "c": np.array([2.0, 0.5])},
        "P2": {"a": np.array([3.0, 3.0]), "b": np.array([1.0, 2.0]), "c": np.array([2.0, 1.0])},
    }
    # P1 seed 0: a1 b2 c3; seed 1: a2.5 b2.5 c1; P2 seed 0: a3 b1 c2; seed 1: a3 b2 c1.
    ranks = st.mean_ranks(final)
    assert ranks == pytest.approx({"a": 9.5 / 4, "b": 7.5 / 4, "c": 7.0 / 4})


def test_trials_to_target() -> None:
    regret = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 4.0, 4.0, 4.0], [0.1, 0.1, 0.1, 0.1]])
    np.testing.assert_array_equal(st.trials_to_target(regret, 1.0), [3.0, np.inf, 1.0])


def test_overhead_median_and_p95() -> None:
    times = [np.full(60, 0.01 * (i + 1)) for i in range(20)] + [np.full(5, 9.0)]
    figures = st.overhead(times, at=(10, 50, 100))
    median, p95, n = figures[10]
    assert n == 20 and median == pytest.approx(0.105) and p95 == pytest.approx(0.1905)
    assert 100 not in figures and figures[50][2] == 20


def test_overhead_sees_a_periodic_cost_at_its_usual_mix() -> None:
    # One cheap trial in ten, exactly at trials 10, 20, ...: trial t alone would show only those.
    times = [np.where(np.arange(1, 101) % 10 == 0, 0.001, 0.05) for _ in range(5)]
    figures = st.overhead(times, at=(10, 100))
    assert figures[10][0] == pytest.approx(0.05) and figures[10][2] == 5
    assert figures[100][0] == pytest.approx(0.05)  # trials 96-100: the window stops at the end


def test_holm_adjustment() -> None:
    adjusted = st.holm([0.01, 0.04, 0.03, 0.5])
    # Sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1 -> 0.04, 0.09, 0.08 -> 0.09, 0.5.
    assert adjusted == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_mann_whitney_effect_and_verdicts() -> None:
    better = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    worse = better + 10.0
    p, effect = st.mann_whitney(better, worse)
    assert effect == 1.0 and p == pytest.approx(2 / 252)
    assert st.verdict(effect, p) == "win"
    assert st.verdict(1.0 - effect, p) == "loss"
    assert st.verdict(effect, 0.2) == "tie"
    assert st.mann_whitney(np.zeros(5), np.zeros(5)) == (1.0, 0.5)


def test_wilcoxon_across_problems() -> None:
    a = [0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1, 0.2]
    b = [x + 0.1 + 0.01 * i for i, x in enumerate(a)]
    assert st.wilcoxon(a, b) == pytest.approx(2 / 256)
    assert st.wilcoxon(a, a) == 1.0


def test_bootstrap_interval_contains_the_score_and_shrinks_to_it() -> None:
    final = {"A": np.array([0.0, 0.2, 0.4, 0.1, 0.3]), "B": np.array([0.5, 0.5, 0.6, 0.4, 0.5])}
    low, high = st.bootstrap_score_interval(final, n_resamples=500)
    assert low < st.score(final) < high
    constant = {"A": np.full(5, 0.25)}
    assert st.bootstrap_score_interval(constant, n_resamples=50) == pytest.approx((75.0, 75.0))


def _trace(values: list[float | None], noiseless: list[float | None] | None = None) -> list[dict]:
    noiseless = values if noiseless is None else noiseless
    lines: list[dict] = [{"kind": "header", "problem": "P", "optimizer": "o", "seed": 3}]
    for i, (v, f) in enumerate(zip(values, noiseless, strict=True)):
        lines.append(
            {
                "kind": "trial",
                "number": i,
                "value": v,
                "noiseless": f,
                "ask_s": 0.5,
                "tell_s": 0.25,
                "objective_s": 1.0,
            }
        )
    lines.append({"kind": "end", "test_value": 0.7, "n_failed": values.count(None)})
    return lines


def test_problem_figures_from_hand_made_traces() -> None:
    a = st.Study.from_trace(_trace([4.0, None, 2.0]))
    b = st.Study.from_trace(_trace([3.0, 3.0, 3.0]))
    b.optimizer, b.seed = "q", 3
    figures = st.problem_figures([a, b], optimum=1.0, reference=5.0)
    np.testing.assert_allclose(figures.regret["o"], [[3.0, 3.0, 1.0]])
    np.testing.assert_allclose(figures.normalized["o"], [[0.75, 0.75, 0.25]])
    np.testing.assert_allclose(figures.normalized["q"], [[0.5, 0.5, 0.5]])
    assert figures.n_failed == {"o": 1, "q": 0}
    assert figures.test_values["o"] == [0.7]
    np.testing.assert_allclose(a.ask_tell_s, [0.75, 0.75, 0.75])
