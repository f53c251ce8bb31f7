"""The analytic problems S1-S10 of the benchmark protocol (all minimized, optimum known).

The test functions and their constants follow the Virtual Library of Simulation Experiments
(Surjanovic and Bingham, https://www.sfu.ca/~ssurjano/optimization.html).
"""

from __future__ import annotations

from collections.abc import Mapping
import math
from typing import Any

import numpy as np

from hypersweep.bench._problem import Problem
from hypersweep.bench._problem import SpaceObjective
from hypersweep.bench._space import Categorical
from hypersweep.bench._space import Condition
from hypersweep.bench._space import Float
from hypersweep.bench._space import Int
from hypersweep.bench._space import SearchSpace

# --- The test functions ---------------------------------------------------------------------

BRANIN_OPTIMUM = 0.397887
HARTMANN6_OPTIMUM = -3.32237
HARTMANN3_OPTIMUM = -3.86278
HARTMANN6_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
HARTMANN3_ARGMIN = (0.114614, 0.555649, 0.852547)
STYBLINSKI_TANG_ARGMIN = -2.903534
STYBLINSKI_TANG_MIN_PER_DIM = -39.16616570377142

_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN6_A = np.array(
    [
        [10.0, 3.0, 17.0, 3.5, 1.7, 8.0],
        [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
        [3.0, 3.5, 1.7, 10.0, 17.0, 8.0],
        [17.0, 8.0, 0.05, 10.0, 0.1, 14.0],
    ]
)
_HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_HARTMANN3_A = np.array(
    [[3.0, 10.0, 30.0], [0.1, 10.0, 35.0], [3.0, 10.0, 30.0], [0.1, 10.0, 35.0]]
)
_HARTMANN3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)

S10_ACTIVE = (3, 7, 12, 18, 22, 27)
S7_OFFSETS = {"a": 1.0, "b": 0.0, "c": 2.0, "d": 0.5}


def branin(x1: float, x2: float) -> float:
    """Branin-Hoo on ``[-5, 10] x [0, 15]``; minimum 0.397887 at three points.

    ``f = (x2 - b x1^2 + c x1 - r)^2 + s (1 - t) cos(x1) + s`` with ``b = 5.1 / (4 pi^2)``,
    ``c = 5 / pi``, ``r = 6``, ``s = 10``, ``t = 1 / (8 pi)``.
    """
    b = 5.1 / (4.0 * math.pi**2)
    c = 5.0 / math.pi
    t = 1.0 / (8.0 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6.0) ** 2 + 10.0 * (1.0 - t) * math.cos(x1) + 10.0


def _hartmann(x: np.ndarray[Any, Any], a: np.ndarray[Any, Any], p: np.ndarray[Any, Any]) -> float:
    # f(x) = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)
    inner = np.sum(a * (x[None, :] - p) ** 2, axis=1)
    return float(-np.sum(_HARTMANN_ALPHA * np.exp(-inner)))


def hartmann6(x: Any) -> float:
    """Hartmann's 6-D function on ``[0, 1]^6``; minimum -3.32237."""
    return _hartmann(np.asarray(x, dtype=np.float64), _HARTMANN6_A, _HARTMANN6_P)


def hartmann3(x: Any) -> float:
    """Hartmann's 3-D function on ``[0, 1]^3``; minimum -3.86278."""
    return _hartmann(np.asarray(x, dtype=np.float64), _HARTMANN3_A, _HARTMANN3_P)


def ackley(x: Any) -> float:
    """Ackley's function, ``a = 20``, ``b = 0.2``, ``c = 2 pi``; minimum 0 at the origin."""
    x = np.asarray(x, dtype=np.float64)
    d = x.size
    term1 = -20.0 * math.exp(-0.2 * math.sqrt(float(np.sum(x**2)) / d))
    term2 = -math.exp(float(np.sum(np.cos(2.0 * math.pi * x))) / d)
    return max(term1 + term2 + 20.0 + math.e, 0.0)


def rosenbrock(x: Any) -> float:
    """Rosenbrock's valley ``sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2``; minimum 0 at ones."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def styblinski_tang(x: Any) -> float:
    """Styblinski-Tang ``0.5 sum (x^4 - 16 x^2 + 5 x)``; minimum -39.16617 d at -2.903534."""
    x = np.asarray(x, dtype=np.float64)
    return float(0.5 * np.sum(x**4 - 16.0 * x**2 + 5.0 * x))


def rastrigin(x: Any) -> float:
    """Rastrigin ``10 d + sum (x^2 - 10 cos(2 pi x))``; minimum 0 at the origin."""
    x = np.asarray(x, dtype=np.float64)
    return float(10.0 * x.size + np.sum(x**2 - 10.0 * np.cos(2.0 * math.pi * x)))


# --- The problems' functions of parameter values ----------------------------------------------


def _xs(params: Mapping[str, Any], n: int, prefix: str = "x") -> list[float]:
    return [float(params[f"{prefix}{i}"]) for i in range(n)]


def _s1(params: Mapping[str, Any]) -> float:
    return branin(float(params["x0"]), float(params["x1"]))


def _s2(params: Mapping[str, Any]) -> float:
    return hartmann6(_xs(params, 6))


def _s3(params: Mapping[str, Any]) -> float:
    return ackley(_xs(params, 10))


def _s4(params: Mapping[str, Any]) -> float:
    return rosenbrock(_xs(params, 4))


def _s5(params: Mapping[str, Any]) -> float:
    return styblinski_tang(_xs(params, 8))


def _s6(params: Mapping[str, Any]) -> float:
    return rastrigin(_xs(params, 5))


def _s7(params: Mapping[str, Any]) -> float:
    value = branin(float(params["x0"]), float(params["x1"]))
    value += S7_OFFSETS[str(params["c"])]
    value += (math.log10(float(params["lr"])) + 3.0) ** 2
    return value + 0.1 * (int(params["k"]) - 7) ** 2


def _s8(params: Mapping[str, Any]) -> float:
    if params["branch"] == "branin":
        return branin(float(params["bx0"]), float(params["bx1"]))
    return hartmann3([float(params[f"hx{i}"]) for i in range(3)])


def _s10(params: Mapping[str, Any]) -> float:
    return hartmann6([float(params[f"x{i}"]) for i in S10_ACTIVE])


def _box(n: int, low: float, high: float, prefix: str = "x") -> list[Float]:
    return [Float(f"{prefix}{i}", low, high) for i in range(n)]


def _point(values: Any, prefix: str = "x") -> dict[str, float]:
    return {f"{prefix}{i}": float(v) for i, v in enumerate(values)}


def _branin_space() -> list[Float]:
    return [Float("x0", -5.0, 10.0), Float("x1", 0.0, 15.0)]


def _s10_argmin() -> dict[str, float]:
    point = {f"x{i}": 0.5 for i in range(30)}
    point.update({f"x{i}": v for i, v in zip(S10_ACTIVE, HARTMANN6_ARGMIN, strict=True)})
    return point


def _make(
    name: str,
    params: list[Any],
    function: Any,
    *,
    n_trials: int,
    optimum: float,
    argmin: Mapping[str, Any],
    kind: str,
    description: str,
    noise_sd: float = 0.0,
) -> Problem:
    space = SearchSpace(params)
    return Problem(
        name=name,
        objective=SpaceObjective(space, function),
        n_trials=n_trials,
        optimum=optimum,
        argmin=argmin,
        noise_sd=noise_sd,
        kind=kind,
        description=description,
        space=space,
    )


def analytic_problems() -> list[Problem]:
    """S1-S10 as the protocol defines them."""
    branin_argmin = {"x0": math.pi, "x1": 2.275}
    hartmann_space = _box(6, 0.0, 1.0)
    return [
        _make(
            "S1", _branin_space(), _s1, n_trials=100, optimum=BRANIN_OPTIMUM,
            argmin=branin_argmin, kind="continuous", description="Branin, 2-D",
        ),
        _make(
            "S2", hartmann_space, _s2, n_trials=100, optimum=HARTMANN6_OPTIMUM,
            argmin=_point(HARTMANN6_ARGMIN), kind="continuous", description="Hartmann6, 6-D",
        ),
        _make(
            "S3", _box(10, -32.768, 32.768), _s3, n_trials=150, optimum=0.0,
            argmin=_point([0.0] * 10), kind="multimodal", description="Ackley, 10-D",
        ),
        _make(
            "S4", _box(4, -5.0, 10.0), _s4, n_trials=100, optimum=0.0,
            argmin=_point([1.0] * 4), kind="ill-conditioned", description="Rosenbrock, 4-D",
        ),
        _make(
            "S5", _box(8, -5.0, 5.0), _s5, n_trials=150,
            optimum=8 * STYBLINSKI_TANG_MIN_PER_DIM,
            argmin=_point([STYBLINSKI_TANG_ARGMIN] * 8), kind="continuous",
            description="Styblinski-Tang, 8-D",
        ),
        _make(
            "S6", [Int(f"x{i}", -5, 5) for i in range(5)], _s6, n_trials=100, optimum=0.0,
            argmin={f"x{i}": 0 for i in range(5)}, kind="integer",
            description="Rastrigin, 5-D on integers",
        ),
        _make(
            "S7",
            [
                *_branin_space(),
                Categorical("c", ("a", "b", "c", "d")),
                Float("lr", 1e-6, 1.0, log=True),
                Int("k", 1, 32),
            ],
            _s7, n_trials=100, optimum=BRANIN_OPTIMUM,
            argmin={**branin_argmin, "c": "b", "lr": 1e-3, "k": 7}, kind="mixed",
            description="Branin + categorical offset, log-scale lr, integer k",
        ),
        _make(
            "S8",
            [
                Categorical("branch", ("branin", "hartmann3")),
                Float("bx0", -5.0, 10.0, condition=Condition("branch", ("branin",))),
                Float("bx1", 0.0, 15.0, condition=Condition("branch", ("branin",))),
                *[
                    Float(f"hx{i}", 0.0, 1.0, condition=Condition("branch", ("hartmann3",)))
                    for i in range(3)
                ],
            ],
            _s8, n_trials=100, optimum=HARTMANN3_OPTIMUM,
            argmin={"branch": "hartmann3", **_point(HARTMANN3_ARGMIN, "hx")},
            kind="conditional", description="Branin or Hartmann3 branch, own parameters",
        ),
        _make(
            "S9", _box(6, 0.0, 1.0), _s2, n_trials=100, optimum=HARTMANN6_OPTIMUM,
            argmin=_point(HARTMANN6_ARGMIN), kind="noisy", noise_sd=0.1,
            description="Hartmann6 + Gaussian noise (sd 0.1)",
        ),
        _make(
            "S10", _box(30, 0.0, 1.0), _s10, n_trials=200, optimum=HARTMANN6_OPTIMUM,
            argmin=_s10_argmin(), kind="high-dimensional",
            description="Hartmann6 hidden in 30-D",
        ),
    ]  # fmt: skip
