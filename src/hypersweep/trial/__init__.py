"""Trials: the live :class:`Trial` an objective receives and the immutable :class:`FrozenTrial`."""

from hypersweep.trial._frozen import FrozenTrial
from hypersweep.trial._frozen import create_trial
from hypersweep.trial._state import StudyDirection
from hypersweep.trial._state import TrialState
from hypersweep.trial._trial import Trial

__all__ = ["FrozenTrial", "StudyDirection", "Trial", "TrialState", "create_trial"]
