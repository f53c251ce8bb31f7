"""Log expected improvement, computed stably for any ``z``, with its analytic gradient.

For minimization with incumbent ``f*`` and a Gaussian posterior ``N(mu, sigma^2)``:

.. math::

    EI = \\sigma \\, h(z), \\quad z = (f^* - \\mu) / \\sigma,
    \\quad h(z) = \\varphi(z) + z \\Phi(z).

``log h`` is computed in three branches (Ament et al., "Unexpected Improvements to Expected
Improvement for Bayesian Optimization", NeurIPS 2023, eq. 9, https://arxiv.org/abs/2310.20708):

* ``z > -1``: ``log(phi(z) + z Phi(z))`` directly;
* ``-1/sqrt(eps) < z <= -1``: ``log phi(z) + log1mexp(w)`` with
  ``w = log(erfcx(-z / sqrt(2)) |z|) + log(sqrt(pi / 2))``, using
  ``z Phi(z) = phi(z) z sqrt(pi/2) erfcx(-z / sqrt(2))``;
* ``z <= -1/sqrt(eps)``: the asymptote ``log phi(z) - 2 log |z|``.

Gradients use ``dEI/dmu = -Phi(z)`` and ``dEI/dsigma = phi(z)``, so
``d log EI / d mu = -exp(log Phi(z) - log EI)`` and
``d log EI / d sigma = exp(log phi(z) - log EI)``, both finite for very negative ``z``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special

from hypersweep.samplers._gp._kernel import FloatArray

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_OVER_2 = 0.5 * math.log(math.pi / 2)
_ASYMPTOTE = -1.0 / math.sqrt(np.finfo(np.float64).eps)


def _log1mexp(w: FloatArray) -> FloatArray:
    """``log(1 - exp(w))`` for ``w < 0`` (Mächler 2012: two branches split at ``-log 2``)."""
    return np.where(
        w > -math.log(2.0),
        np.log(-np.expm1(np.minimum(w, -1e-300))),
        np.log1p(-np.exp(np.minimum(w, -math.log(2.0)))),
    )


def log_h(z: FloatArray) -> FloatArray:
    """``log(phi(z) + z Phi(z))``, finite and increasing for every finite ``z``."""
    z = np.asarray(z, dtype=np.float64)
    log_phi = -0.5 * z * z - _LOG_SQRT_2PI
    result = np.empty_like(z)

    # Branch 1 (z > -1): direct evaluation.
    upper = z > -1.0
    zu = z[upper]
    result[upper] = np.log(np.exp(log_phi[upper]) + zu * scipy.special.ndtr(zu))

    # Branch 2 (-1/sqrt(eps) < z <= -1): log phi(z) + log1mexp(w).
    middle = ~upper & (z > _ASYMPTOTE)
    zm = z[middle]
    w = np.log(scipy.special.erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _LOG_SQRT_PI_OVER_2
    result[middle] = log_phi[middle] + _log1mexp(w)

    # Branch 3 (z <= -1/sqrt(eps)): the asymptote log phi(z) - 2 log|z|.
    lower = ~upper & ~middle
    result[lower] = log_phi[lower] - 2.0 * np.log(np.abs(z[lower]))
    return result


def log_ei(mean: FloatArray, var: FloatArray, best: float) -> FloatArray:
    """Log expected improvement below ``best`` for posterior means and variances, shape
    ``(m,)``."""
    sigma = np.sqrt(var)
    return log_h((best - mean) / sigma) + np.log(sigma)


def log_ei_with_grad(
    mean: FloatArray,
    var: FloatArray,
    d_mean: FloatArray,
    d_var: FloatArray,
    best: float,
) -> tuple[FloatArray, FloatArray]:
    """Log expected improvement and its gradient with respect to the inputs.

    Args:
        mean: Posterior means, shape ``(m,)``.
        var: Posterior variances, shape ``(m,)``.
        d_mean: Gradients of the means, shape ``(m, D)``.
        d_var: Gradients of the variances, shape ``(m, D)``.
        best: The incumbent ``f*``.

    Returns:
        ``(log EI, d log EI / dx)`` with shapes ``(m,)`` and ``(m, D)``.
    """
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    value_h = log_h(z)
    value = value_h + np.log(sigma)

    # Chain rule: d/dmu = -Phi(z)/EI, d/dsigma = phi(z)/EI, dsigma/dx = dvar/dx / (2 sigma).
    log_phi = -0.5 * z * z - _LOG_SQRT_2PI
    d_log_ei_d_mean = -np.exp(scipy.special.log_ndtr(z) - value)
    d_log_ei_d_sigma = np.exp(log_phi - value)
    grad = d_log_ei_d_mean[:, None] * d_mean + (d_log_ei_d_sigma / (2.0 * sigma))[:, None] * d_var
    return value, grad
