"""Maximization of the acquisition function over a mixed search space.

1. Candidates: a scrambled Sobol set, plus perturbations of the best observed points (each
   coordinate moved with probability ``min(20 / D, 1)``, as BoTorch's ``sample_around_best``);
   discrete coordinates are snapped to their grid.
2. Starts: the best candidate, Boltzmann (roulette) picks with probability proportional to
   ``exp(log EI - max log EI)``, and the incumbent (the best observed point).
3. Local search, alternated until no start moves (at most ``_MAX_ROUNDS``):

   a. L-BFGS-B on the continuous coordinates and on integer coordinates with many values, in
      coordinates scaled by the lengthscales ``v = x / l`` so the problem is well conditioned:
      first ``_SCREEN_ITERATIONS`` iterations on all starts at once (the summed objective
      separates, so its gradient is each start's own), then to convergence on the
      ``_N_CONVERGED`` best; integer coordinates are then snapped back to their grid;
   b. coordinate moves on discrete coordinates: every value of categorical parameters and of
      integers with at most ``_EXHAUSTIVE_LIMIT`` values, and the ``_NEIGHBOURS`` nearest
      cells on each side for larger integers.

4. The best local optimum that is not an observed point is returned.

This follows the mixed local search of Optuna's GPSampler and BoTorch's multi-start L-BFGS-B;
the code is our own.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import scipy.optimize

from hypersweep.samplers._gp._acquisition import log_ei
from hypersweep.samplers._gp._acquisition import log_ei_with_grad
from hypersweep.samplers._gp._kernel import FloatArray
from hypersweep.samplers._gp._model import GaussianProcess
from hypersweep.samplers._gp._transform import SpaceEncoding

_EXHAUSTIVE_LIMIT = 16
_NEIGHBOURS = 3
_MAX_ROUNDS = 3
_N_ROULETTE = 8
_N_TOP_POINTS = 5
_N_PERTURBATIONS = 20
_DUPLICATE_TOLERANCE = 1e-9
_SCREEN_ITERATIONS = 20
_N_CONVERGED = 3
_MAX_ITERATIONS = 200

IntArray = npt.NDArray[np.int64]
Acquisition = Callable[[FloatArray], FloatArray]


def maximize_log_ei(
    gp: GaussianProcess,
    best: float,
    encoding: SpaceEncoding,
    observed: FloatArray,
    ranked_observed: FloatArray,
    rng: np.random.Generator,
    n_candidates: int = 2048,
) -> FloatArray:
    """The point of highest log expected improvement found by the multi-start search.

    Args:
        gp: The fitted posterior.
        best: The incumbent ``f*`` of expected improvement.
        encoding: The search space encoding.
        observed: Encoded points already evaluated or pending, shape ``(n, D)``.
        ranked_observed: Observed points sorted from best to worst, shape ``(n_c, D)``.
        rng: The sampler's generator.
        n_candidates: The size of the Sobol candidate set (rounded to a power of 2).

    Returns:
        The encoded point, shape ``(D,)``.
    """

    def acquisition(x: FloatArray) -> FloatArray:
        mean, var = gp.predict(x)
        return log_ei(mean, var, best)

    # Step 1: Sobol candidates plus perturbations around the best points.
    n_dims = encoding.n_dims
    from scipy.stats import qmc  # slow to import, so only once a GP is actually used

    sobol = qmc.Sobol(n_dims, scramble=True, seed=rng)
    candidates = encoding.from_unit_cube(sobol.random_base2(int(np.log2(n_candidates))))
    if ranked_observed.shape[0] > 0:
        candidates = np.vstack([candidates, _perturb(ranked_observed, encoding, rng)])
    values = acquisition(candidates)

    # Step 2: the best candidate, roulette picks and the incumbent as starts.
    order = np.argsort(-values)
    chosen = [int(order[0])]
    weights = np.exp(values - values.max())
    weights[chosen] = 0.0
    n_roulette = min(_N_ROULETTE, int(np.count_nonzero(weights)))
    if n_roulette > 0:
        picks = rng.choice(values.size, size=n_roulette, replace=False, p=weights / weights.sum())
        chosen.extend(int(i) for i in picks)
    starts = candidates[chosen]
    if ranked_observed.shape[0] > 0:
        starts = np.vstack([starts, ranked_observed[:1]])

    # Step 3: alternate gradient steps on continuous coordinates and discrete moves.
    points = starts.copy()
    for _ in range(_MAX_ROUNDS if encoding.is_discrete.any() else 1):
        before = points.copy()
        points = _gradient_step(points, gp, best, encoding)
        points = _discrete_moves(points, acquisition, encoding)
        if np.array_equal(before, points):
            break

    # Step 4: the best local optimum that was not evaluated before.
    final_values = acquisition(points)
    for point in points[np.argsort(-final_values)]:
        if not _is_duplicate(point, observed):
            return np.asarray(point, dtype=np.float64)
    for point in candidates[order]:
        if not _is_duplicate(point, observed):
            return np.asarray(point, dtype=np.float64)
    return np.asarray(candidates[order[0]], dtype=np.float64)


def _perturb(
    ranked_observed: FloatArray, encoding: SpaceEncoding, rng: np.random.Generator
) -> FloatArray:
    """Gaussian moves (sd 0.1 and 0.01) around the best points; a moved categorical coordinate
    takes a random choice."""
    top = ranked_observed[:_N_TOP_POINTS]
    n_dims = encoding.n_dims
    base = np.repeat(top, _N_PERTURBATIONS, axis=0)
    probability = min(20.0 / n_dims, 1.0)
    mask = rng.random(base.shape) < probability
    scale = np.where(np.arange(base.shape[0]) % 2 == 0, 0.1, 0.01)[:, None]
    moved = np.clip(base + scale * rng.standard_normal(base.shape), 0.0, 1.0)
    cat = encoding.is_categorical
    if cat.any():
        moved[:, cat] = np.floor(
            rng.random((base.shape[0], int(cat.sum()))) * encoding.n_values[cat]
        )
    perturbed = np.where(mask, moved, base)
    return encoding.snap(perturbed)


def _gradient_step(
    points: FloatArray, gp: GaussianProcess, best: float, encoding: SpaceEncoding
) -> FloatArray:
    """L-BFGS-B on the continuous and large-integer coordinates of every start at once."""
    free = ~encoding.is_discrete | (
        ~encoding.is_categorical & (encoding.n_values > _EXHAUSTIVE_LIMIT)
    )
    if not free.any():
        return points
    lengthscales = gp.lengthscales[free]
    moved = points.copy()

    def run(rows: IntArray, max_iter: int) -> FloatArray:
        """Joint L-BFGS-B on ``rows``; returns their final log EI."""
        n_rows = rows.shape[0]
        base = moved[rows]

        def negative_sum(v_flat: FloatArray) -> tuple[float, FloatArray]:
            x = base.copy()
            x[:, free] = v_flat.reshape(n_rows, -1) * lengthscales
            mean, var, d_mean, d_var = gp.predict_with_grad(x)
            value, grad = log_ei_with_grad(mean, var, d_mean, d_var, best)
            return -float(value.sum()), -(grad[:, free] * lengthscales).ravel()

        upper = np.tile(1.0 / lengthscales, n_rows)
        result = scipy.optimize.minimize(
            negative_sum,
            (base[:, free] / lengthscales).ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(np.zeros_like(upper), upper, strict=True)),
            options={"maxiter": max_iter, "gtol": 1e-2, "ftol": 1e-7},
        )
        v = result.x.reshape(n_rows, -1)
        moved[rows[:, None], np.flatnonzero(free)[None, :]] = np.clip(v * lengthscales, 0, 1)
        mean, var = gp.predict(moved[rows])
        return log_ei(mean, var, best)

    # Phase 1 moves every start a little; phase 2 converges the most promising ones.
    values = run(np.arange(points.shape[0]), _SCREEN_ITERATIONS)
    run(np.argsort(-values)[:_N_CONVERGED], _MAX_ITERATIONS)
    return encoding.snap(moved)


def _discrete_moves(
    points: FloatArray, acquisition: Acquisition, encoding: SpaceEncoding
) -> FloatArray:
    """One sweep of best-value coordinate moves over the discrete dimensions of every start."""
    points = points.copy()
    n_starts = points.shape[0]
    for d in map(int, np.flatnonzero(encoding.is_discrete)):
        n_values = int(encoding.n_values[d])
        if encoding.is_categorical[d] or n_values <= _EXHAUSTIVE_LIMIT:
            options = np.tile(encoding.grid_values(d), (n_starts, 1))
        else:
            cells = np.floor(points[:, d] * n_values)[:, None] + np.arange(
                -_NEIGHBOURS, _NEIGHBOURS + 1
            )
            options = (np.clip(cells, 0, n_values - 1) + 0.5) / n_values
        trial = np.repeat(points, options.shape[1], axis=0)
        trial[:, d] = options.ravel()
        values = acquisition(trial).reshape(n_starts, -1)
        current = acquisition(points)
        best_option = np.argmax(values, axis=1)
        improved = values[np.arange(n_starts), best_option] > current
        points[improved, d] = options[improved, best_option[improved]]
    return points


def _is_duplicate(point: FloatArray, observed: FloatArray) -> bool:
    if observed.shape[0] == 0:
        return False
    return bool((np.abs(observed - point).max(axis=1) <= _DUPLICATE_TOLERANCE).any())
