"""Studies: create, load and run tuning jobs."""

from hypersweep.study._study import Study
from hypersweep.study._study import create_study
from hypersweep.study._study import delete_study
from hypersweep.study._study import get_all_study_names
from hypersweep.study._study import get_all_study_summaries
from hypersweep.study._study import load_study
from hypersweep.trial import StudyDirection

__all__ = [
    "Study",
    "StudyDirection",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
