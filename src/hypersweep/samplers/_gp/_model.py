"""Gaussian-process regression: the MAP fit of the hyperparameters and the posterior.

Notation (standardized targets ``y`` of ``n`` points ``X``; ``D`` dimensions):

* ``theta = (log l_1..l_D, log s, log sigma_n^2)``: lengthscales, signal variance, noise variance;
* ``K = k(X, X) + sigma_n^2 I = L L^T`` (Cholesky), ``alpha = K^-1 y``;
* log marginal likelihood (Rasmussen & Williams 2006, eq. 2.30)
  ``log p(y | theta) = -y^T alpha / 2 - sum_i log L_ii - n log(2 pi) / 2``;
* its gradient (eq. 5.9) ``d/d theta_j = tr((alpha alpha^T - K^-1) dK/d theta_j) / 2``.

Priors (MAP, maximized together with the likelihood), following Hvarfner, Hellsten and Nardi,
"Vanilla Bayesian Optimization Performs Great in High Dimensions" (ICML 2024),
https://arxiv.org/abs/2402.02229:

* ``l_d ~ LogNormal(sqrt(2) + log(D) / 2, sqrt(3))``: the lengthscales grow with the dimension, so
  the model does not become ever more local as ``D`` grows; ``l_d >= 0.025``;
* ``sigma_n^2 ~ LogNormal(-4, 1)`` (a low-noise prior), ``sigma_n^2 >= 1e-6``;
* ``log s ~ Normal(0, 1)`` (targets are standardized, so ``s`` stays near 1).

Densities are those of the parameters themselves (not of their logarithms), so the lengthscale
prior's mode is ``exp(mu - sigma^2)`` as in the paper's BoTorch implementation.

The posterior at query points (eq. 2.25-2.26) is ``mu(x) = k(x, X) alpha`` and
``var(x) = s - k(x, X) K^-1 k(X, x)``, with gradients with respect to the numeric coordinates.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.optimize

from hypersweep.samplers._gp._kernel import BoolArray
from hypersweep.samplers._gp._kernel import FloatArray
from hypersweep.samplers._gp._kernel import cross_kernel
from hypersweep.samplers._gp._kernel import kernel_from_deltas
from hypersweep.samplers._gp._kernel import matern52_value
from hypersweep.samplers._gp._kernel import pairwise_deltas
from hypersweep.samplers._gp._kernel import scaled_sq_distances

MIN_LENGTHSCALE = 0.025
MAX_LENGTHSCALE = 1e3
MIN_NOISE = 1e-6
MAX_NOISE = 1.0
MIN_SCALE = 0.05
MAX_SCALE = 20.0
_NOISE_PRIOR_MEAN = -4.0
_NOISE_PRIOR_STD = 1.0
_SCALE_PRIOR_STD = 1.0
_LENGTHSCALE_PRIOR_STD = math.sqrt(3.0)


def lengthscale_prior_mean(n_dims: int) -> float:
    """``mu`` of the lengthscale prior LogNormal(mu, sqrt(3)): ``sqrt(2) + log(D) / 2``."""
    return math.sqrt(2.0) + 0.5 * math.log(max(n_dims, 1))


def default_theta(n_dims: int, deterministic: bool) -> FloatArray:
    """Initial hyperparameters: lengthscales at the prior mode, ``s = 1``, noise at its floor
    when the objective is deterministic and at the prior median otherwise."""
    mode = lengthscale_prior_mean(n_dims) - _LENGTHSCALE_PRIOR_STD**2
    log_lengthscale = float(np.clip(mode, math.log(MIN_LENGTHSCALE), math.log(MAX_LENGTHSCALE)))
    noise = math.log(MIN_NOISE) if deterministic else _NOISE_PRIOR_MEAN
    return np.array([log_lengthscale] * n_dims + [0.0, noise])


def theta_bounds(n_dims: int, deterministic: bool) -> list[tuple[float, float]]:
    """Box bounds of ``theta`` for L-BFGS-B (the noise is pinned for deterministic objectives)."""
    bounds = [(math.log(MIN_LENGTHSCALE), math.log(MAX_LENGTHSCALE))] * n_dims
    bounds.append((math.log(MIN_SCALE), math.log(MAX_SCALE)))
    if deterministic:
        bounds.append((math.log(MIN_NOISE), math.log(MIN_NOISE)))
    else:
        bounds.append((math.log(MIN_NOISE), math.log(MAX_NOISE)))
    return bounds


def neg_log_posterior(
    theta: FloatArray, deltas: FloatArray, y: FloatArray
) -> tuple[float, FloatArray]:
    """Negative log marginal likelihood plus negative log prior, and its gradient.

    Args:
        theta: ``(log l_1..l_D, log s, log sigma_n^2)``, shape ``(D + 2,)``.
        deltas: Per-dimension distances of the training points, shape ``(D, n, n)``.
        y: Standardized targets, shape ``(n,)``.

    Returns:
        ``(value, gradient)``; ``(inf, 0)`` if ``K`` is not positive definite.
    """
    n_dims = deltas.shape[0]
    n = y.shape[0]
    lengthscales = np.exp(theta[:n_dims])
    scale = math.exp(theta[n_dims])
    noise = math.exp(theta[n_dims + 1])

    # Cholesky factor of K = k(X, X) + sigma_n^2 I.
    k_f, dk_dr2 = kernel_from_deltas(deltas, lengthscales, scale)
    K = k_f + noise * np.eye(n)
    try:
        L = scipy.linalg.cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return math.inf, np.zeros_like(theta)
    alpha = scipy.linalg.cho_solve((L, True), y, check_finite=False)

    # Log marginal likelihood (R&W eq. 2.30), negated.
    value = (
        0.5 * float(y @ alpha) + float(np.log(np.diag(L)).sum()) + 0.5 * n * math.log(2 * math.pi)
    )

    # Its gradient (R&W eq. 5.9) with W = K^-1 - alpha alpha^T:
    # dK/dlog l_d = dk/dr^2 * (-2 delta_d / l_d^2), dK/dlog s = k_f, dK/dlog sigma^2 = sigma^2 I.
    K_inv = scipy.linalg.cho_solve((L, True), np.eye(n), check_finite=False)
    W = K_inv - np.outer(alpha, alpha)
    grad = np.empty_like(theta)
    WG = W * dk_dr2
    grad[:n_dims] = -np.tensordot(deltas, WG, axes=([1, 2], [0, 1])) / lengthscales**2
    grad[n_dims] = 0.5 * float((W * k_f).sum())
    grad[n_dims + 1] = 0.5 * noise * float(np.trace(W))

    # Priors: LogNormal on l_d and sigma_n^2 (densities in their own space), Normal on log s.
    log_l = theta[:n_dims]
    mu_l = lengthscale_prior_mean(n_dims)
    value += float((log_l + (log_l - mu_l) ** 2 / (2 * _LENGTHSCALE_PRIOR_STD**2)).sum())
    grad[:n_dims] += 1.0 + (log_l - mu_l) / _LENGTHSCALE_PRIOR_STD**2
    log_noise = theta[n_dims + 1]
    value += log_noise + (log_noise - _NOISE_PRIOR_MEAN) ** 2 / (2 * _NOISE_PRIOR_STD**2)
    grad[n_dims + 1] += 1.0 + (log_noise - _NOISE_PRIOR_MEAN) / _NOISE_PRIOR_STD**2
    value += theta[n_dims] ** 2 / (2 * _SCALE_PRIOR_STD**2)
    grad[n_dims] += theta[n_dims] / _SCALE_PRIOR_STD**2
    return value, grad


def fit_theta(
    x: FloatArray,
    y: FloatArray,
    is_categorical: BoolArray,
    starts: list[FloatArray],
    deterministic: bool,
    max_iter: int,
) -> FloatArray:
    """MAP hyperparameters by L-BFGS-B from each start; the best result wins.

    Args:
        x: Training points, shape ``(n, D)``.
        y: Standardized targets, shape ``(n,)``.
        is_categorical: Shape ``(D,)``.
        starts: Initial ``theta`` vectors (for example the previous fit and the prior mode).
        deterministic: Pin the noise at its floor.
        max_iter: L-BFGS-B iteration limit per start.

    Returns:
        The best ``theta`` found, shape ``(D + 2,)``.
    """
    n_dims = x.shape[1]
    deltas = pairwise_deltas(x, x, is_categorical)
    bounds = theta_bounds(n_dims, deterministic)
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    best_theta = np.clip(starts[0], low, high)
    best_value = math.inf
    for start in starts:
        start = np.clip(start, low, high)
        result = scipy.optimize.minimize(
            neg_log_posterior,
            start,
            args=(deltas, y),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "gtol": 1e-4},
        )
        if np.isfinite(result.fun) and result.fun < best_value:
            best_value = float(result.fun)
            best_theta = np.asarray(result.x, dtype=np.float64)
    return best_theta


class GaussianProcess:
    """A GP posterior for fixed hyperparameters, with a Cholesky factor that grows in place.

    Args:
        theta: ``(log l_1..l_D, log s, log sigma_n^2)``.
        is_categorical: Which dimensions are categorical, shape ``(D,)``.
    """

    def __init__(self, theta: FloatArray, is_categorical: BoolArray) -> None:
        n_dims = is_categorical.shape[0]
        self.theta = theta.copy()
        self.is_categorical = is_categorical
        self.lengthscales = np.exp(theta[:n_dims])
        self.scale = math.exp(theta[n_dims])
        self.noise = math.exp(theta[n_dims + 1])
        self.x = np.empty((0, n_dims))
        self._L = np.empty((0, 0))
        self._alpha = np.empty(0)
        self._K_inv = np.empty((0, 0))

    @property
    def n_points(self) -> int:
        """The number of training points."""
        return int(self.x.shape[0])

    def add_points(self, new_x: FloatArray) -> None:
        """Append training points, extending the Cholesky factor by a block row.

        With ``K_new = [[K, B], [B^T, C]]`` and ``K = L L^T``, the new factor is
        ``[[L, 0], [L21, L22]]`` where ``L21 = (L^-1 B)^T`` and ``L22 L22^T = C - L21 L21^T``;
        this costs ``O(n^2 p)`` for ``p`` new points instead of ``O((n + p)^3)``.
        """
        if new_x.shape[0] == 0:
            return
        c_block, _ = cross_kernel(new_x, new_x, self.lengthscales, self.scale, self.is_categorical)
        c_block += self.noise * np.eye(new_x.shape[0])
        if self.n_points == 0:
            self._L = _robust_cholesky(c_block)
        else:
            b_block, _ = cross_kernel(
                self.x, new_x, self.lengthscales, self.scale, self.is_categorical
            )
            l21 = scipy.linalg.solve_triangular(self._L, b_block, lower=True, check_finite=False).T
            l22 = _robust_cholesky(c_block - l21 @ l21.T)
            n, p = self.n_points, new_x.shape[0]
            grown = np.zeros((n + p, n + p))
            grown[:n, :n] = self._L
            grown[n:, :n] = l21
            grown[n:, n:] = l22
            self._L = grown
        self.x = np.vstack([self.x, new_x])
        self._K_inv = np.empty((0, 0))

    def prefix_length(self, x: FloatArray) -> int:
        """How many leading rows of ``x`` equal this model's training points."""
        n = min(self.n_points, x.shape[0])
        if n == 0:
            return 0
        same = np.all(self.x[:n] == x[:n], axis=1)
        return n if same.all() else int(np.argmin(same))

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` training points (a leading block of a Cholesky factor is the
        factor of the leading block of ``K``)."""
        if n < self.n_points:
            self.x = self.x[:n]
            self._L = self._L[:n, :n]
            self._K_inv = np.empty((0, 0))

    def set_targets(self, y: FloatArray) -> None:
        """Solve ``alpha = K^-1 y`` for the current training points (``O(n^2)``)."""
        self._alpha = scipy.linalg.cho_solve((self._L, True), y, check_finite=False)
        if self._K_inv.shape[0] != self.n_points:
            self._K_inv = scipy.linalg.cho_solve(
                (self._L, True), np.eye(self.n_points), check_finite=False
            )

    def train_mean(self, y: FloatArray) -> FloatArray:
        """Posterior mean at the training points: ``y - sigma_n^2 alpha``."""
        return y - self.noise * self._alpha

    def predict(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior mean and variance of the latent function at ``x`` (shape ``(m, D)``)."""
        r2 = scaled_sq_distances(x, self.x, self.lengthscales, self.is_categorical)
        k_star = matern52_value(r2, self.scale)
        mean = k_star @ self._alpha
        if x.shape[0] <= 16:
            w = k_star @ self._K_inv
            var = np.maximum(self.scale - (k_star * w).sum(axis=1), 1e-12)
            return mean, var

        # For many points, var = s - |L^-1 k|^2 needs half the work of k K^-1 k^T.
        v = scipy.linalg.solve_triangular(self._L, k_star.T, lower=True, check_finite=False)
        var = np.maximum(self.scale - (v * v).sum(axis=0), 1e-12)
        return mean, var

    def predict_with_grad(
        self, x: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Mean, variance and their gradients with respect to the numeric coordinates.

        Returns:
            ``(mean, var, d mean/dx, d var/dx)`` with shapes ``(m,)``, ``(m,)``, ``(m, D)``,
            ``(m, D)``; gradients are 0 in categorical dimensions.
        """
        k_star, dk_dr2 = cross_kernel(
            x, self.x, self.lengthscales, self.scale, self.is_categorical
        )
        mean = k_star @ self._alpha
        w = k_star @ self._K_inv
        raw_var = self.scale - (k_star * w).sum(axis=1)
        var = np.maximum(raw_var, 1e-12)

        # d k(x, x_i) / d x_d = dk/dr^2 * 2 (x_d - x_id) / l_d^2 for numeric d.
        inverse_sq = 2.0 / self.lengthscales**2
        a = dk_dr2 * self._alpha[None, :]
        d_mean = (x * a.sum(axis=1)[:, None] - a @ self.x) * inverse_sq
        b = dk_dr2 * w
        d_var = -2.0 * (x * b.sum(axis=1)[:, None] - b @ self.x) * inverse_sq
        d_var[raw_var <= 1e-12] = 0.0
        d_mean[:, self.is_categorical] = 0.0
        d_var[:, self.is_categorical] = 0.0
        return mean, var, d_mean, d_var


def _robust_cholesky(matrix: FloatArray) -> FloatArray:
    """Cholesky factor, adding diagonal jitter (1e-8 up to 1e-4) if rounding made ``matrix``
    indefinite."""
    jitter = 0.0
    for _ in range(6):
        try:
            factor = scipy.linalg.cholesky(
                matrix + jitter * np.eye(matrix.shape[0]), lower=True, check_finite=False
            )
            return np.asarray(factor, dtype=np.float64)
        except np.linalg.LinAlgError:
            jitter = 1e-8 if jitter == 0.0 else jitter * 10.0
    raise np.linalg.LinAlgError("the kernel matrix is not positive definite even with jitter")
