"""The README's quickstart: a real tuning job that the median rule prunes."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

from _support import require
import hypersweep
from hypersweep.trial import TrialState

require("sklearn")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import quickstart  # noqa: E402


def test_median_rule_prunes_the_quickstart_objective() -> None:
    study = hypersweep.create_study(
        sampler=hypersweep.samplers.RandomSampler(seed=0),
        pruner=hypersweep.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2),
    )
    study.enqueue_trial({"lr": 1e-3, "layers": 1, "width": 100, "optimizer": "adam"})
    study.optimize(quickstart.make_objective(), n_trials=10)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.PRUNED) >= 2
    assert study.best_value < 0.1  # the published default alone reaches ~97% accuracy
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert all(len(t.intermediate_values) < quickstart.N_EPOCHS for t in pruned)


def test_quickstart_script_runs_end_to_end(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'quickstart.db'}"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "--n-trials", "3", "--storage", storage],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Best configuration:" in result.stdout
    assert "Traceback" not in result.stderr
    study = hypersweep.load_study(study_name="quickstart-digits-mlp", storage=storage)
    assert len(study.trials) == 3
    assert study.trials[0].params["width"] == 100  # the enqueued default ran first
