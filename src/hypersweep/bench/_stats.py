"""The figures and statistics of the benchmark protocol, computed from traces.

Notation (per problem, optimizer and seed, after ``t`` trials):

* incumbent: the trial with the best *observed* value so far; ``f(incumbent)`` is its
  *noiseless* value (they differ only on noisy problems);
* simple regret ``r(t) = f(incumbent) - f*``;
* normalized regret ``n(t) = clip((f(incumbent) - f*) / (f_ref - f*), 0, 1)`` where ``f_ref``
  is the median of ``f`` over uniformly random configurations; before the first finished
  trial ``n(t) = 1``;
* score ``= 100 (1 - mean over problems of the mean over seeds of n(T))``;
* anytime score: the same with ``n`` averaged over ``t = 1..T``;
* mean rank: ranks of the optimizers on ``r(T)`` within each problem and seed (ties share the
  mean rank), averaged;
* trials to target: the first ``t`` with ``r(t) <= target``, the target being the median final
  regret of the reference optimizer;
* statistics: per problem, a two-sided Mann-Whitney U test over seeds with Holm's correction
  across problems (S. Holm, "A simple sequentially rejective multiple test procedure", 1979,
  https://www.jstor.org/stable/4615733) and the effect size ``A = U / (n_a n_b)`` (the chance
  that a seed of one optimizer beats a seed of the other, ties counting half); across
  problems, a Wilcoxon signed-rank test on per-problem means; a percentile bootstrap interval
  of the score that resamples seeds within each problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]

OVERHEAD_TRIALS = (10, 50, 100, 200, 1000)


def incumbent_values(
    observed: Sequence[float | None], noiseless: Sequence[float | None]
) -> FloatArray:
    """``f(incumbent)`` after each trial: the noiseless value of the best observed trial so far.

    Args:
        observed: Observed values by trial, ``None`` or NaN for failed trials.
        noiseless: Noiseless values by trial, aligned with ``observed``.

    Returns:
        Shape ``(T,)``; NaN until the first finished trial.
    """
    result = np.full(len(observed), np.nan)
    best_observed = math.inf
    current = math.nan
    for t, (seen, true) in enumerate(zip(observed, noiseless, strict=True)):
        if seen is not None and math.isfinite(seen) and seen < best_observed:
            best_observed = seen
            current = math.nan if true is None else float(true)
        result[t] = current
    return result


def simple_regret(values: FloatArray, optimum: float) -> FloatArray:
    """``r(t) = f(incumbent) - f*``; ``+inf`` where there is no incumbent yet."""
    regret = np.asarray(values, dtype=np.float64) - optimum
    return np.where(np.isnan(regret), np.inf, regret)


def normalized_regret(values: FloatArray, optimum: float, reference: float) -> FloatArray:
    """``n(t) = clip((f(incumbent) - f*) / (f_ref - f*), 0, 1)``; 1 where there is no incumbent.

    Raises:
        ValueError: If ``reference <= optimum`` (``f_ref`` must be worse than ``f*``).
    """
    if not reference > optimum:
        raise ValueError(
            f"f_ref must be greater than f* to normalize, got f_ref={reference!r} and "
            f"f*={optimum!r}"
        )
    ratio = (np.asarray(values, dtype=np.float64) - optimum) / (reference - optimum)
    return np.where(np.isnan(ratio), 1.0, np.clip(ratio, 0.0, 1.0))


def score(final: Mapping[str, FloatArray]) -> float:
    """``100 (1 - mean over problems of the mean over seeds of n(T))``.

    Args:
        final: Per problem, the final normalized regrets of the seeds, shape ``(seeds,)``.
    """
    if not final:
        raise ValueError("score() needs at least one problem, got none")
    return 100.0 * (1.0 - float(np.mean([np.mean(v) for v in final.values()])))


def anytime_score(curves: Mapping[str, FloatArray]) -> float:
    """The score with ``n`` averaged over ``t = 1..T`` (area under the best-so-far curve).

    Args:
        curves: Per problem, normalized regret curves, shape ``(seeds, T)``.
    """
    return score({name: np.mean(np.atleast_2d(c), axis=1) for name, c in curves.items()})


def mean_ranks(final_regret: Mapping[str, Mapping[str, FloatArray]]) -> dict[str, float]:
    """Mean rank of each optimizer on ``r(T)`` within each problem and seed (1 is best).

    Args:
        final_regret: ``final_regret[problem][optimizer]`` is the final simple regret by seed,
            shape ``(seeds,)``; every optimizer of a problem must have the same seeds.

    Returns:
        The mean rank by optimizer, over every (problem, seed) pair it appears in.
    """
    totals: dict[str, list[float]] = {}
    for by_optimizer in final_regret.values():
        names = list(by_optimizer)
        table = np.vstack([np.asarray(by_optimizer[n], dtype=np.float64) for n in names])
        # Rank within each seed (column); ties share the mean rank.
        ranks = stats.rankdata(table, axis=0, method="average")
        for i, name in enumerate(names):
            totals.setdefault(name, []).extend(ranks[i].tolist())
    return {name: float(np.mean(values)) for name, values in totals.items()}


def trials_to_target(regret: FloatArray, target: float) -> FloatArray:
    """The first trial ``t`` (from 1) with ``r(t) <= target``, by seed; ``inf`` if never.

    Args:
        regret: Simple regret curves, shape ``(seeds, T)``.
        target: The regret to reach.
    """
    curves = np.atleast_2d(np.asarray(regret, dtype=np.float64))
    reached = curves <= target
    first = np.argmax(reached, axis=1).astype(np.float64) + 1.0
    return np.where(reached.any(axis=1), first, np.inf)


def overhead(
    times: Sequence[FloatArray], at: Sequence[int] = OVERHEAD_TRIALS
) -> dict[int, tuple[float, float, int]]:
    """Median and 95th percentile of the time in ask plus tell around trial ``t`` (from 1).

    Each study contributes its trials ``t - 4 .. t + 5`` (those it has): a sampler that does
    something different on a schedule, such as a model refit every k trials or another
    algorithm one trial in ten, is then seen at its usual mix, whatever the phase of ``t``.

    Args:
        times: One array of ask-plus-tell seconds by trial per study (any lengths).
        at: Trial numbers to report; those no study reached are left out.

    Returns:
        ``{t: (median, p95, n_studies)}``.
    """
    result: dict[int, tuple[float, float, int]] = {}
    for t in at:
        windows = [np.asarray(x[max(t - 5, 0) : t + 5]) for x in times if len(x) >= t]
        if windows:
            sample = np.concatenate(windows)
            result[t] = (
                float(np.median(sample)),
                float(np.percentile(sample, 95)),
                len(windows),
            )
    return result


def mann_whitney(a: FloatArray, b: FloatArray) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test of ``a`` against ``b`` (lower is better).

    Returns:
        ``(p, A)``: the p-value and ``A = P(a < b) + P(a = b) / 2``, the chance that a seed of
        ``a`` beats one of ``b`` (0.5: no difference). Identical samples give ``(1.0, 0.5)``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    less = np.sum(a[:, None] < b[None, :])
    equal = np.sum(a[:, None] == b[None, :])
    effect = float((less + 0.5 * equal) / (a.size * b.size))
    if np.unique(np.concatenate([a, b])).size == 1:
        return 1.0, 0.5
    p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return p, effect


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given).

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1`` (``i`` from 1), and
    the adjusted values are made non-decreasing in that order and capped at 1.
    """
    m = len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(pvalues[index])))
        adjusted[index] = running
    return [float(x) for x in adjusted]


def wilcoxon(a_means: Sequence[float], b_means: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value on paired per-problem means; 1 if all equal."""
    a = np.asarray(a_means, dtype=np.float64)
    b = np.asarray(b_means, dtype=np.float64)
    if a.size == 0 or np.allclose(a, b, rtol=0.0, atol=1e-12):
        return 1.0
    return float(stats.wilcoxon(a, b, zero_method="zsplit").pvalue)


def bootstrap_score_interval(
    final: Mapping[str, FloatArray], n_resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """A percentile bootstrap interval of :func:`score`, resampling seeds within each problem."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(v, dtype=np.float64) for v in final.values()]
    # Per problem: the mean over a resample of its seeds, for every bootstrap replicate.
    means = np.column_stack(
        [v[rng.integers(0, v.size, size=(n_resamples, v.size))].mean(axis=1) for v in arrays]
    )
    scores = 100.0 * (1.0 - means.mean(axis=1))
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(scores, [tail, 100.0 - tail])
    return float(low), float(high)


def verdict(effect: float, p_adjusted: float, alpha: float = 0.05) -> str:
    """``win``, ``tie`` or ``loss`` against the reference from the effect size and the p-value."""
    if p_adjusted < alpha and effect > 0.5:
        return "win"
    if p_adjusted < alpha and effect < 0.5:
        return "loss"
    return "tie"


# --- From traces to the figures ---------------------------------------------------------------


@dataclasses.dataclass
class Study:
    """One finished cell, as arrays.

    Attributes:
        observed: Observed values by trial, NaN for failed trials; shape ``(T,)``.
        noiseless: Noiseless values by trial, NaN for failed trials; shape ``(T,)``.
        ask_tell_s: Seconds in ask plus tell by trial; shape ``(T,)``.
        objective_s: Seconds in the objective by trial; shape ``(T,)``.
        test_value: The incumbent's held-out value, if the problem has one.
        n_failed: Failed trials.
    """

    problem: str
    optimizer: str
    seed: int
    observed: FloatArray
    noiseless: FloatArray
    ask_tell_s: FloatArray
    objective_s: FloatArray
    test_value: float | None
    n_failed: int

    @classmethod
    def from_trace(cls, lines: Sequence[Mapping[str, Any]]) -> Study:
        """Build from the parsed lines of a finished trace."""
        header = lines[0]
        trials = [line for line in lines if line.get("kind") == "trial"]
        end = lines[-1]

        def column(key: str) -> FloatArray:
            return np.array(
                [np.nan if t.get(key) is None else float(t[key]) for t in trials], dtype=float
            )

        return cls(
            problem=str(header["problem"]),
            optimizer=str(header["optimizer"]),
            seed=int(header["seed"]),
            observed=column("value"),
            noiseless=column("noiseless"),
            ask_tell_s=column("ask_s") + column("tell_s"),
            objective_s=column("objective_s"),
            test_value=None if end.get("test_value") is None else float(end["test_value"]),
            n_failed=int(end.get("n_failed", 0)),
        )

    def incumbent(self) -> FloatArray:
        """``f(incumbent)`` after each trial (see :func:`incumbent_values`)."""
        return incumbent_values(self.observed.tolist(), self.noiseless.tolist())


@dataclasses.dataclass
class ProblemFigures:
    """Per problem and optimizer: curves by seed and the final figures."""

    optimum: float
    reference: float
    seeds: dict[str, list[int]]
    regret: dict[str, FloatArray]
    normalized: dict[str, FloatArray]
    test_values: dict[str, list[float]]
    n_failed: dict[str, int]


def problem_figures(studies: Sequence[Study], optimum: float, reference: float) -> ProblemFigures:
    """Regret curves of every optimizer on one problem, seeds in increasing order.

    Studies of one optimizer may have different budgets only if the caller mixed runs; the
    curves are cut to the shortest.
    """
    by_optimizer: dict[str, list[Study]] = {}
    for study in sorted(studies, key=lambda s: s.seed):
        by_optimizer.setdefault(study.optimizer, []).append(study)
    figures = ProblemFigures(optimum, reference, {}, {}, {}, {}, {})
    for name, group in by_optimizer.items():
        length = min(s.observed.size for s in group)
        values = np.vstack([s.incumbent()[:length] for s in group])
        figures.seeds[name] = [s.seed for s in group]
        figures.regret[name] = simple_regret(values, optimum)
        figures.normalized[name] = normalized_regret(values, optimum, reference)
        figures.test_values[name] = [s.test_value for s in group if s.test_value is not None]
        figures.n_failed[name] = sum(s.n_failed for s in group)
    return figures
