"""The benchmark harness: compare samplers and pruners the same way each time.

Problems (analytic S1-S10, real model tuning R1-R4, learning curves LC1-LC2, and any a user
registers) run under one driver with the same seeds, the same encoding of the search space and
common random numbers for every optimizer; traces go to JSON lines; the report computes the
figures of the benchmark protocol (score, anytime score, mean rank, trials to target, overhead,
Holm-corrected tests, bootstrap intervals) and draws the best-so-far curves.

The references (Optuna), scikit-learn and matplotlib are optional:
``pip install 'hypersweep[bench]'``.

Example:
    >>> import hypersweep.bench as bench
    >>> @bench.problem("parabola", optimum=0.0, argmin={"x": 0.0}, replace=True)
    ... def parabola(trial):
    ...     return trial.suggest_float("x", -1.0, 1.0) ** 2
    >>> bench.check_problem(bench.get_problem("parabola"))
    0.0
"""

from hypersweep.bench._curves import CURVE_TASKS
from hypersweep.bench._curves import CurveTable
from hypersweep.bench._curves import cache_dir
from hypersweep.bench._curves import curve_problem
from hypersweep.bench._curves import load_curves
from hypersweep.bench._curves import make_curves
from hypersweep.bench._curves import table_path
from hypersweep.bench._driver import TIERS
from hypersweep.bench._driver import Cell
from hypersweep.bench._driver import RunSummary
from hypersweep.bench._driver import Tier
from hypersweep.bench._driver import is_finished
from hypersweep.bench._driver import plan
from hypersweep.bench._driver import run
from hypersweep.bench._optimizers import OPTIMIZERS
from hypersweep.bench._optimizers import OptimizerSpec
from hypersweep.bench._optimizers import available_optimizers
from hypersweep.bench._optimizers import make_optimizer
from hypersweep.bench._problem import FixedTrial
from hypersweep.bench._problem import Problem
from hypersweep.bench._problem import RandomTrial
from hypersweep.bench._problem import SpaceObjective
from hypersweep.bench._problem import check_problem
from hypersweep.bench._problem import get_problem
from hypersweep.bench._problem import list_problems
from hypersweep.bench._problem import problem
from hypersweep.bench._problem import register_problem
from hypersweep.bench._problems import analytic_problems
from hypersweep.bench._pruning import PRUNERS
from hypersweep.bench._pruning import PruningReport
from hypersweep.bench._pruning import run_pruning
from hypersweep.bench._real import real_problems
from hypersweep.bench._report import Report
from hypersweep.bench._report import report
from hypersweep.bench._space import Categorical
from hypersweep.bench._space import Condition
from hypersweep.bench._space import Float
from hypersweep.bench._space import Int
from hypersweep.bench._space import SearchSpace
from hypersweep.bench._space import TrialLike
from hypersweep.bench._space import to_hypersweep
from hypersweep.bench._space import to_optuna

for _builtin in [*analytic_problems(), *real_problems()]:
    register_problem(_builtin, replace=True)
for _task in CURVE_TASKS:
    # LC1 and LC2 exist once their tables are made (``hypersweep bench make-curves``).
    if table_path(_task).exists():
        register_problem(curve_problem(_task), replace=True)
del _builtin, _task

__all__ = [
    "CURVE_TASKS",
    "OPTIMIZERS",
    "PRUNERS",
    "TIERS",
    "Categorical",
    "Cell",
    "Condition",
    "CurveTable",
    "FixedTrial",
    "Float",
    "Int",
    "OptimizerSpec",
    "Problem",
    "PruningReport",
    "RandomTrial",
    "Report",
    "RunSummary",
    "SearchSpace",
    "SpaceObjective",
    "Tier",
    "TrialLike",
    "analytic_problems",
    "available_optimizers",
    "cache_dir",
    "check_problem",
    "curve_problem",
    "get_problem",
    "is_finished",
    "list_problems",
    "load_curves",
    "make_curves",
    "make_optimizer",
    "plan",
    "problem",
    "real_problems",
    "register_problem",
    "report",
    "run",
    "run_pruning",
    "table_path",
    "to_hypersweep",
    "to_optuna",
]
