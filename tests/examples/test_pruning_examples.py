"""The pruning examples run, prune, and find a good configuration."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType

import pytest

from _support import require
from hypersweep.trial import TrialState

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_pytorch_example_prunes_laggards_and_diverged_runs() -> None:
    torch = require("torch")
    torch.set_num_threads(1)
    example = _load("pytorch_pruning")

    study = example.main(n_trials=30, seed=0)

    pruned = study.get_trials(states=(TrialState.PRUNED,))
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert pruned and complete
    # Runs whose loss blew up (past 10, or to NaN) were stopped at the epoch it happened.
    blown = [t for t in pruned if not t.intermediate_values[t.last_step] <= 10.0]
    assert blown
    for t in blown:
        assert all(v <= 10.0 for s, v in t.intermediate_values.items() if s < t.last_step)
    assert all(t.last_step == example.N_EPOCHS - 1 for t in complete)
    assert study.best_value < 0.3


@pytest.mark.slow
def test_sklearn_partial_fit_example_prunes_and_finds_an_accurate_model() -> None:
    example = _load("sklearn_partial_fit")

    study = example.main(n_trials=40, seed=0)

    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert pruned
    assert all(t.last_step is not None and t.last_step < example.N_EPOCHS - 1 for t in pruned)
    assert study.best_value > 0.9
