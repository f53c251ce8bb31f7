"""The Gaussian-process sampler."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
import contextlib
import dataclasses
import math
import threading
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import numpy.typing as npt

from hypersweep.distributions import BaseDistribution
from hypersweep.logging import get_logger
from hypersweep.samplers._base import BaseSampler
from hypersweep.samplers._gp._kernel import FloatArray
from hypersweep.samplers._gp._model import GaussianProcess
from hypersweep.samplers._gp._model import default_theta
from hypersweep.samplers._gp._model import fit_theta
from hypersweep.samplers._gp._optimize import maximize_log_ei
from hypersweep.samplers._gp._transform import SpaceEncoding
from hypersweep.samplers._gp._transform import build_targets
from hypersweep.samplers._qmc import QMCSampler
from hypersweep.samplers._unit import sample_uniform
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import TrialState
from hypersweep.trial._frozen import FIXED_PARAMS_KEY

if TYPE_CHECKING:
    from hypersweep.study import Study

_logger = get_logger(__name__)

# Refit the hyperparameters on every trial up to this many observations, then every
# n_observations // _REFIT_DIVISOR trials, keeping the Cholesky factor growing in between.
_REFIT_EVERY_TRIAL_UP_TO = 60
_REFIT_DIVISOR = 20
_FIT_MAX_ITER = 100


@dataclasses.dataclass
class _Observations:
    """The training data of one suggestion, in the order the Cholesky cache expects."""

    x: FloatArray
    targets: FloatArray
    is_completed: npt.NDArray[np.bool_]
    pending_x: FloatArray


class GPSampler(BaseSampler):
    """Bayesian optimization with a Gaussian process and log expected improvement.

    Each suggestion fits a GP to the finished trials and proposes the point that maximizes the
    log expected improvement over the best value seen:

    * **Inputs**: parameters on the unit cube (log scale when declared); integers and steps on
      their grid (the GP only sees grid points; Garrido-Merchán and Hernández-Lobato 2020),
      categories by a Hamming distance.
    * **Kernel**: Matérn-5/2 with one lengthscale per parameter (see ``_kernel.py``).
    * **Outputs**: standardized and power-transformed (Box-Cox or Yeo-Johnson), as in HEBO;
      the prior mean sits at the worst observed value, a pessimistic constant that keeps
      expected improvement from chasing the corners of the box (De Ath et al. 2020; see
      ``_transform.py``).
    * **Hyperparameters**: lengthscales, signal and noise variance by maximum a posteriori with
      the dimension-scaled lengthscale prior of Hvarfner et al. 2024 and a low-noise prior;
      warm-started refits, every trial while data are few and every ``n / 20`` trials later,
      with the Cholesky factor extended by block rows in between.
    * **Acquisition**: log expected improvement (Ament et al. 2023), maximized by multi-start
      L-BFGS-B with exhaustive moves on categorical and small integer parameters.
    * **History**: completed trials are observations; pruned trials and diverged runs (a NaN or
      infinite value) are observations imputed as worse than every completed trial, pruned
      ones ranked by the step they reached and then their last intermediate value; running
      trials get a constant liar (the mean of the observed targets), so parallel workers spread
      out; enqueued trials count like any other.
    * **Search space**: the parameters that every finished trial shares; parameters outside it
      are sampled uniformly at random. The first ``n_startup_trials`` are Sobol points.

    See: J. Snoek, H. Larochelle, R. P. Adams, "Practical Bayesian Optimization of Machine
    Learning Algorithms" (NeurIPS 2012), https://arxiv.org/abs/1206.2944.

    Args:
        seed: Seed of the sampler's ``numpy.random.Generator``; the same seed gives the same
            trials in a sequential study.
        n_startup_trials: Trials sampled from a Sobol sequence before the GP takes over;
            ``None`` uses ``clip(D + 1, 5, 10)`` for ``D`` parameters.
        deterministic_objective: Whether the objective returns the same value for the same
            parameters; the noise variance is then pinned at ``1e-6`` and the incumbent is the
            best observed value (otherwise the best posterior mean at a completed trial).
        warm_start_trials: Finished trials of an earlier study (``study.trials``) whose
            parameters fit this study's search space; they are used as observations from the
            first suggestion on. Values are read in this study's direction.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If ``n_startup_trials`` is negative.

    Example:
        >>> import hypersweep
        >>> sampler = hypersweep.samplers.GPSampler(seed=0)
        >>> study = hypersweep.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=15)
        >>> abs(study.best_params["x"] - 1) < 0.2
        True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int | None = None,
        deterministic_objective: bool = False,
        warm_start_trials: Sequence[FrozenTrial] | None = None,
    ) -> None:
        if n_startup_trials is not None:
            if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int):
                raise TypeError(
                    f"n_startup_trials must be an int or None, got {n_startup_trials!r}"
                )
            if n_startup_trials < 0:
                raise ValueError(
                    f"n_startup_trials must be >= 0, got {n_startup_trials}; use 0 to let the "
                    "GP choose from the first finished trial on"
                )
        if not isinstance(deterministic_objective, bool):
            raise TypeError(
                f"deterministic_objective must be a bool, got {deterministic_objective!r}"
            )
        warm = list(warm_start_trials) if warm_start_trials is not None else []
        for item in warm:
            if not isinstance(item, FrozenTrial):
                raise TypeError(
                    "warm_start_trials must be a sequence of FrozenTrial (for example "
                    f"old_study.trials), got an item {item!r}"
                )
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._startup = QMCSampler(seed=int(self._rng.integers(2**31)))
        self._n_startup_trials = n_startup_trials
        self._deterministic = deterministic_objective
        self._warm_start_trials = [t for t in warm if t.state.is_finished()]
        self._lock = threading.Lock()
        self._space_key: tuple[tuple[str, BaseDistribution], ...] = ()
        self._theta: FloatArray | None = None
        self._n_at_fit = 0
        self._gp: GaussianProcess | None = None
        self._encoded: dict[tuple[str, int], tuple[Mapping[str, Any], FloatArray | None]] = {}

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._startup.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space: dict[str, BaseDistribution] | None = None
        for finished in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED)):
            space = _intersect(space, finished.distributions)
        for failed in study.get_trials(states=(TrialState.FAIL,)):
            if _is_diverged(failed):
                space = _intersect(space, failed.distributions)
        if space is None:
            return {}
        return {name: d for name, d in sorted(space.items()) if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: Mapping[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        fixed = trial.system_attrs.get(FIXED_PARAMS_KEY) or {}
        if all(name in fixed for name in search_space):
            return {}

        with self._lock:
            encoding = SpaceEncoding(dict(search_space))
            space_key = tuple(zip(encoding.names, encoding.distributions, strict=True))
            if space_key != self._space_key:
                self._space_key = space_key
                self._theta, self._gp, self._n_at_fit = None, None, 0
                self._encoded = {}
            data = self._observations(study, trial, encoding)
            n_startup = self._n_startup_trials
            if n_startup is None:
                n_startup = int(np.clip(encoding.n_dims + 1, 5, 10))
            if data.x.shape[0] < max(n_startup, 1):
                return self._startup.sample_relative(study, trial, search_space)
            with _single_threaded_blas():
                point = self._suggest(encoding, data)

        internal = encoding.decode(point)
        return {
            name: search_space[name].to_external_repr(value) for name, value in internal.items()
        }

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return distribution.to_external_repr(sample_uniform(distribution, self._rng))

    def _observations(
        self, study: Study, trial: FrozenTrial, encoding: SpaceEncoding
    ) -> _Observations:
        """Encode usable trials: earlier-study trials first, then this study's in the order
        they finished (so the cached Cholesky factor usually extends), then the pending ones."""
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        finished = [
            t
            for t in study.get_trials(
                states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
            )
            if t.state != TrialState.FAIL or _is_diverged(t)
        ]
        finished.sort(key=_completion_order)
        history = [(("warm", i), t) for i, t in enumerate(self._warm_start_trials)]
        history += [(("study", t.trial_id), t) for t in finished]

        points: list[FloatArray] = []
        kinds: list[int] = []  # 0 completed, 1 pruned, 2 diverged
        completed_values: list[float] = []
        pruned_keys: list[tuple[float, float]] = []
        for key, record in history:
            if record.state == TrialState.FAIL and not _is_diverged(record):
                continue
            # Finished records never change; the params check guards against another study.
            cached = self._encoded.get(key)
            if cached is None or cached[0] != record.params:
                cached = (record.params, _encode_trial(record, encoding))
                self._encoded[key] = cached
            point = cached[1]
            if point is None:
                continue
            if record.state == TrialState.COMPLETE:
                if record.value is None or not math.isfinite(record.value):
                    continue
                completed_values.append(sign * record.value)
                kinds.append(0)
            elif record.state == TrialState.PRUNED:
                pruned_keys.append(_pruned_rank_key(record, sign))
                kinds.append(1)
            else:
                kinds.append(2)
            points.append(point)

        # Targets in the order completed, pruned (best first), diverged; then back in order.
        kind = np.array(kinds, dtype=np.int64)
        pruned_order = np.empty(len(pruned_keys))
        pruned_order[sorted(range(len(pruned_keys)), key=pruned_keys.__getitem__)] = np.arange(
            len(pruned_keys), dtype=np.float64
        )
        stacked = build_targets(np.array(completed_values), pruned_order, int((kind == 2).sum()))
        targets = np.empty(len(kinds))
        for k in range(3):
            start = int((kind < k).sum())
            targets[kind == k] = stacked[start : start + int((kind == k).sum())]

        x = np.array(points).reshape(len(points), encoding.n_dims)
        pending = [
            point
            for t in study.get_trials(states=(TrialState.RUNNING,))
            if t.number != trial.number and (point := _encode_trial(t, encoding)) is not None
        ]
        return _Observations(
            x=x,
            targets=targets,
            is_completed=kind == 0,
            pending_x=np.array(pending).reshape(len(pending), encoding.n_dims),
        )

    def _suggest(self, encoding: SpaceEncoding, data: _Observations) -> FloatArray:
        """Fit (or update) the GP and maximize the acquisition; returns an encoded point."""
        n = data.x.shape[0]

        # Hyperparameters: MAP refit on schedule, warm-started from the previous fit.
        interval = 1 if n <= _REFIT_EVERY_TRIAL_UP_TO else n // _REFIT_DIVISOR
        if self._theta is None or n - self._n_at_fit >= interval or n < self._n_at_fit:
            prior_mode = default_theta(encoding.n_dims, self._deterministic)
            starts = [prior_mode] if self._theta is None else [self._theta, prior_mode]
            self._theta = fit_theta(
                data.x,
                data.targets,
                encoding.is_categorical,
                starts,
                self._deterministic,
                _FIT_MAX_ITER,
            )
            self._n_at_fit = n
            self._gp = None
            _logger.debug("GP hyperparameters refitted on %d points: %s", n, self._theta)

        # Cholesky factor: extend the cached one when the data only grew.
        gp = self._gp
        if gp is None:
            gp = GaussianProcess(self._theta, encoding.is_categorical)
        gp.truncate(gp.prefix_length(data.x))
        gp.add_points(data.x[gp.n_points :])
        self._gp = gp

        # Constant liar: pending points take the mean of the observed targets.
        targets = data.targets
        if data.pending_x.shape[0] > 0:
            gp.add_points(data.pending_x)
            liar = np.full(data.pending_x.shape[0], float(targets.mean()))
            targets = np.concatenate([targets, liar])
        gp.set_targets(targets)

        # Incumbent: best observed value, or best posterior mean at a completed trial.
        completed = data.is_completed if data.is_completed.any() else np.ones(n, dtype=bool)
        if self._deterministic:
            best = float(data.targets[completed].min())
        else:
            best = float(gp.train_mean(targets)[:n][completed].min())
        ranked = data.x[completed][np.argsort(data.targets[completed])]
        observed = np.vstack([data.x, data.pending_x])
        return maximize_log_ei(gp, best, encoding, observed, ranked, self._rng)


_blas_controller: Any = None


def _single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Limit BLAS to one thread while the GP works, if ``threadpoolctl`` is installed.

    The GP's matrices are small (at most a few hundred rows), and L-BFGS-B calls BLAS on
    vectors of a few dozen numbers thousands of times per suggestion: waking a BLAS thread pool
    for each call made suggestions up to ten times slower on a loaded two-core machine.
    """
    global _blas_controller
    try:
        import threadpoolctl  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return contextlib.nullcontext()
    if _blas_controller is None:
        _blas_controller = threadpoolctl.ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")  # type: ignore[no-any-return]


def _completion_order(trial: FrozenTrial) -> tuple[float, int]:
    """Sort key: when the trial finished (as a timestamp, so naive and aware datetimes mix),
    then its number."""
    finished = trial.datetime_complete
    return (finished.timestamp() if finished is not None else -math.inf, trial.number)


def _is_diverged(trial: FrozenTrial) -> bool:
    return (
        trial.state == TrialState.FAIL
        and trial.value is not None
        and not math.isfinite(trial.value)
    )


def _intersect(
    space: dict[str, BaseDistribution] | None, distributions: Mapping[str, BaseDistribution]
) -> dict[str, BaseDistribution]:
    if space is None:
        return dict(distributions)
    return {name: d for name, d in space.items() if distributions.get(name) == d}


def _encode_trial(trial: FrozenTrial, encoding: SpaceEncoding) -> FloatArray | None:
    """The encoded point of a trial, or ``None`` if it lacks a parameter or lies outside."""
    internal = {}
    for name, distribution in zip(encoding.names, encoding.distributions, strict=True):
        if name not in trial.params:
            return None
        try:
            value = distribution.to_internal_repr(trial.params[name])
        except (TypeError, ValueError):
            return None
        if not distribution.contains(value):
            return None
        internal[name] = value
    return encoding.encode(internal)


def _pruned_rank_key(trial: FrozenTrial, sign: float) -> tuple[float, float]:
    """Sort key of a pruned trial, best first: deeper first, then better last value."""
    step = trial.last_step
    if step is None:
        return (math.inf, math.inf)
    last = sign * trial.intermediate_values[step]
    return (-float(step), last if math.isfinite(last) else math.inf)
