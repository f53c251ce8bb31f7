"""The Matérn-5/2 kernel with one lengthscale per dimension and a Hamming distance for categories.

Points live in the unit cube of :mod:`hypersweep.samplers._unit`; a categorical dimension holds
the index of its choice. The scaled squared distance between two points is

.. math::

    r^2(x, x') = \\sum_d \\delta_d(x_d, x'_d) / \\ell_d^2,

with :math:`\\delta_d = (x_d - x'_d)^2` for numeric dimensions and
:math:`\\delta_d = 1[x_d \\ne x'_d]` for categorical ones (an ARD Hamming distance, so two
different choices are always equally far apart). The kernel is

.. math::

    k(x, x') = s \\, (1 + \\sqrt{5} r + 5 r^2 / 3) \\exp(-\\sqrt{5} r),

whose derivative with respect to :math:`r^2` has no singularity at :math:`r = 0`:

.. math::

    \\partial k / \\partial (r^2) = -\\tfrac{5}{6} s \\, (1 + \\sqrt{5} r) \\exp(-\\sqrt{5} r).

See: C. E. Rasmussen and C. K. I. Williams, "Gaussian Processes for Machine Learning" (2006),
eq. 4.17, https://gaussianprocess.org/gpml/chapters/RW4.pdf.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_SQRT5 = float(np.sqrt(5.0))


def pairwise_deltas(a: FloatArray, b: FloatArray, is_categorical: BoolArray) -> FloatArray:
    """Per-dimension distances ``delta_d`` between the rows of ``a`` and ``b``.

    Args:
        a: Points, shape ``(n, D)``.
        b: Points, shape ``(m, D)``.
        is_categorical: Which dimensions are categorical, shape ``(D,)``.

    Returns:
        Shape ``(D, n, m)``: squared differences for numeric dimensions, 0/1 mismatches for
        categorical ones.
    """
    diff = a.T[:, :, None] - b.T[:, None, :]
    deltas = diff * diff
    if is_categorical.any():
        deltas[is_categorical] = (diff[is_categorical] != 0.0).astype(np.float64)
    return np.asarray(deltas, dtype=np.float64)


def matern52(r2: FloatArray, scale: float) -> tuple[FloatArray, FloatArray]:
    """The Matérn-5/2 kernel and its derivative with respect to ``r^2``.

    Args:
        r2: Scaled squared distances, any shape.
        scale: The signal variance ``s``.

    Returns:
        ``(k, dk/d(r^2))``, each the shape of ``r2``.
    """
    sqrt5_r = _SQRT5 * np.sqrt(np.maximum(r2, 0.0))
    decay = np.exp(-sqrt5_r)
    decay *= scale
    dk_dr2 = sqrt5_r + 1.0
    k = dk_dr2 + (5.0 / 3.0) * r2
    k *= decay
    dk_dr2 *= decay
    dk_dr2 *= -5.0 / 6.0
    return k, dk_dr2


def matern52_value(r2: FloatArray, scale: float) -> FloatArray:
    """The Matérn-5/2 kernel alone (the fast path of :func:`matern52`); overwrites ``r2``."""
    np.maximum(r2, 0.0, out=r2)
    sqrt5_r = np.sqrt(r2)
    sqrt5_r *= _SQRT5
    k = (5.0 / 3.0) * r2
    k += 1.0
    k += sqrt5_r
    np.negative(sqrt5_r, out=sqrt5_r)
    np.exp(sqrt5_r, out=sqrt5_r)
    k *= sqrt5_r
    k *= scale
    return k


def kernel_from_deltas(
    deltas: FloatArray, lengthscales: FloatArray, scale: float
) -> tuple[FloatArray, FloatArray]:
    """``k`` and ``dk/d(r^2)`` from precomputed distances.

    Args:
        deltas: Shape ``(D, n, m)``, from :func:`pairwise_deltas`.
        lengthscales: Shape ``(D,)``.
        scale: The signal variance ``s``.

    Returns:
        ``(k, dk/d(r^2))``, each of shape ``(n, m)``.
    """
    inverse_sq = 1.0 / (lengthscales * lengthscales)
    r2 = np.tensordot(inverse_sq, deltas, axes=1)
    return matern52(r2, scale)


def scaled_sq_distances(
    x: FloatArray, train: FloatArray, lengthscales: FloatArray, is_categorical: BoolArray
) -> FloatArray:
    """``r^2(x, train)``, shape ``(m, n)``.

    Numeric dimensions use the expansion ``|u - v|^2 = |u|^2 + |v|^2 - 2 u.v`` on scaled
    coordinates, which costs one matrix product instead of a ``(D, m, n)`` tensor.
    """
    if is_categorical.any():
        numeric = ~is_categorical
        xs = x[:, numeric] / lengthscales[numeric]
        ts = train[:, numeric] / lengthscales[numeric]
    else:
        xs, ts = x / lengthscales, train / lengthscales
    r2 = xs @ ts.T
    r2 *= -2.0
    r2 += (xs * xs).sum(axis=1)[:, None]
    r2 += (ts * ts).sum(axis=1)[None, :]
    np.maximum(r2, 0.0, out=r2)
    for d in np.flatnonzero(is_categorical):
        r2 += (x[:, d, None] != train[None, :, d]) / lengthscales[d] ** 2
    return np.asarray(r2, dtype=np.float64)


def cross_kernel(
    x: FloatArray,
    train: FloatArray,
    lengthscales: FloatArray,
    scale: float,
    is_categorical: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """``k(x, train)`` and ``dk/d(r^2)`` for a batch of query points.

    Args:
        x: Query points, shape ``(m, D)``.
        train: Training points, shape ``(n, D)``.
        lengthscales: Shape ``(D,)``.
        scale: The signal variance ``s``.
        is_categorical: Shape ``(D,)``.

    Returns:
        ``(k, dk/d(r^2))``, each of shape ``(m, n)``.
    """
    return matern52(scaled_sq_distances(x, train, lengthscales, is_categorical), scale)
