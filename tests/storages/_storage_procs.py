"""Functions that worker processes run in the storage tests (importable, so picklable)."""

from __future__ import annotations

from hypersweep.storages import SQLStorage
from hypersweep.trial import TrialState


def claim_all(url: str, study_id: int) -> list[int]:
    """Claim WAITING trials until none is left; return the ids this process claimed."""
    storage = SQLStorage(url)
    claimed = []
    try:
        while True:
            trial = storage.claim_waiting_trial(study_id)
            if trial is None:
                return claimed
            claimed.append(trial.trial_id)
            storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 1.0)
    finally:
        storage.close()


def create_trials(url: str, study_id: int, n_trials: int) -> list[int]:
    """Create ``n_trials`` RUNNING trials; return their numbers."""
    storage = SQLStorage(url)
    try:
        numbers = []
        for _ in range(n_trials):
            trial = storage.create_new_trial(study_id)
            numbers.append(trial.number)
            storage.set_trial_state_values(trial.trial_id, TrialState.COMPLETE, 0.0)
        return numbers
    finally:
        storage.close()


def reserve_keys(url: str, study_id: int, n_keys: int, worker: int) -> list[str]:
    """Try to set ``n_keys`` study attributes if absent; return the keys this process set."""
    storage = SQLStorage(url)
    try:
        return [
            f"slot:{k}"
            for k in range(n_keys)
            if storage.set_study_system_attr_if_absent(study_id, f"slot:{k}", worker)
        ]
    finally:
        storage.close()


def finish_race(url: str, trial_id: int, worker: int) -> bool:
    """Try to finish one trial; return whether this process did."""
    storage = SQLStorage(url)
    try:
        return storage.set_trial_state_values(trial_id, TrialState.COMPLETE, float(worker))
    finally:
        storage.close()


def finish_then_die(url: str, study_id: int, n_trials: int) -> None:
    """Finish ``n_trials`` trials as a worker does, then die by SIGKILL at once."""
    import os
    import signal

    storage = SQLStorage(url)
    for number in range(n_trials):
        trial = storage.create_new_trial(study_id)
        storage.finish_own_trial(trial.trial_id, TrialState.COMPLETE, float(number))
    os.kill(os.getpid(), signal.SIGKILL)
