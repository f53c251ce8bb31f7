"""The good/bad split of TPE: ranking observations, gamma, and the weights of l(x).

Observations are ranked in three tiers (smaller is better, values already turned so that the
study minimizes):

1. COMPLETE trials, by value;
2. PRUNED trials, by how far they got (deepest step first), then by their last intermediate
   value;
3. diverged runs (FAIL with a NaN or infinite value), last: worse than every finished trial.

The first ``gamma(n)`` ranked observations form the good set that defines l(x); the rest, with the
parameters of running trials (the constant liar), define g(x).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Rank tiers of observations.
TIER_COMPLETE = 0.0
TIER_PRUNED = 1.0
TIER_DIVERGED = 2.0


def default_gamma(n_observations: int) -> int:
    """The good-set size: ``min(ceil(0.15 n), 25)`` (Watanabe 2023, linear split, beta 0.15)."""
    return min(math.ceil(0.15 * n_observations), 25)


def rank(tier: FloatArray, step: FloatArray, value: FloatArray, number: FloatArray) -> IntArray:
    """Indices of observations from best to worst.

    Args:
        tier: Shape ``(n,)``: the tier of each observation (see the module docstring).
        step: Shape ``(n,)``: the last reported step of a pruned trial (-1 if none), else 0.
        value: Shape ``(n,)``: the value to minimize (the last intermediate value for a pruned
            trial; infinity if there is none).
        number: Shape ``(n,)``: trial numbers, to break ties toward older trials.

    Returns:
        Shape ``(n,)``.
    """
    # np.lexsort sorts by its last key first.
    return np.lexsort((number, value, -step, tier)).astype(np.int64)


def split(order: IntArray, n_good: int) -> tuple[IntArray, IntArray]:
    """The good and bad indices of a ranked set of observations."""
    n_good = max(0, min(n_good, order.shape[0]))
    return order[:n_good], order[n_good:]


def good_weights(
    tier: FloatArray, value: FloatArray, good: IntArray, bad: IntArray, scheme: str
) -> FloatArray:
    """The weights of the good observations in l(x).

    ``"uniform"`` gives every observation weight 1. ``"ei"`` gives ``w_i = y_gamma - y_i``, the
    improvement of observation ``i`` over the best bad value ``y_gamma`` (the weighting of
    Watanabe 2023, https://arxiv.org/abs/2304.11127), so l(x) leans toward the best points; it
    falls back to uniform weights when a good observation has no comparable value (pruned or
    diverged) or all improvements are zero.

    Returns:
        Shape ``(len(good),)``.
    """
    uniform = np.ones(good.shape[0])
    if scheme == "uniform" or good.shape[0] == 0:
        return uniform
    if np.any(tier[good] != TIER_COMPLETE):
        return uniform

    # The threshold y_gamma: the best completed value of the bad set, else the worst good value.
    good_values = value[good]
    bad_complete = bad[tier[bad] == TIER_COMPLETE]
    if bad_complete.shape[0] > 0:
        threshold = float(np.min(value[bad_complete]))
    else:
        threshold = float(np.max(good_values))

    # w_i = y_gamma - y_i, with a small floor so the worst good observation keeps some weight.
    improvement = threshold - good_values
    top = float(np.max(improvement))
    if not top > 0.0:
        return uniform
    return np.maximum(improvement, 1e-3 * top)
