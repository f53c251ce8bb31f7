"""hypersweep: hyperparameter tuning with define-by-run search spaces.

Example:
    >>> import hypersweep
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     return (x - 2) ** 2
    >>> study = hypersweep.create_study(sampler=hypersweep.samplers.RandomSampler(seed=1))
    >>> study.optimize(objective, n_trials=30)
    >>> study.best_value < 4.0
    True
"""

from hypersweep import distributions
from hypersweep import logging
from hypersweep import pruners
from hypersweep import samplers
from hypersweep import storages
from hypersweep import study
from hypersweep import trial
from hypersweep._exceptions import DuplicatedStudyError
from hypersweep._exceptions import HypersweepError
from hypersweep._exceptions import SearchSpaceExhausted
from hypersweep._exceptions import StorageError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep._exceptions import TrialPruned
from hypersweep.study import Study
from hypersweep.study import create_study
from hypersweep.study import delete_study
from hypersweep.study import get_all_study_names
from hypersweep.study import get_all_study_summaries
from hypersweep.study import load_study
from hypersweep.trial import FrozenTrial
from hypersweep.trial import StudyDirection
from hypersweep.trial import Trial
from hypersweep.trial import TrialState
from hypersweep.trial import create_trial

__version__ = "0.1.0"

__all__ = [
    "DuplicatedStudyError",
    "FrozenTrial",
    "HypersweepError",
    "SearchSpaceExhausted",
    "StorageError",
    "Study",
    "StudyDirection",
    "StudyNotFoundError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "storages",
    "study",
    "trial",
]
