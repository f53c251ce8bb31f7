from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _support import require
import hypersweep.bench as bench
from hypersweep.bench import _stats


def _line(trial: bench.TrialLike) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


bench.register_problem(bench.Problem("test-unknown-optimum", _line, n_trials=5), replace=True)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    bench.run(["hs-random", "hs-qmc"], problems=["S1", "S6"], seeds=3, n_trials=8, out=out)
    return out


def test_report_table_and_figures(results: Path) -> None:
    require("matplotlib")
    report = bench.report(results, reference="hs-random", n_resamples=200)
    assert report.reference == "hs-random"
    text = report.markdown
    assert "| problem | T | seeds | hs-random | hs-qmc |" in text
    assert "| S1 | 8 | 3 |" in text and "| S6 | 8 | 3 |" in text
    for section in ("## Score", "## Trials to target", "## Overhead", "**score**", "mean rank"):
        assert section in text
    assert (results / "report.md").read_text() == text
    # 3 seeds against 3: the smallest two-sided p is 2 / C(6, 3) = 0.1, times 2 problems.
    assert "the smallest Holm-adjusted p-value a problem can reach is 0.2 >= 0.05" in text
    assert "| integer | S6 |" in text and "| continuous | S1 |" in text

    # The score in the table is the score of the final normalized regrets.
    final = {name: f.normalized["hs-qmc"][:, -1] for name, f in report.figures.items()}
    score, low, high = report.scores["hs-qmc"]
    assert score == pytest.approx(_stats.score(final)) and low <= score <= high
    assert set(report.verdicts["hs-qmc"].values()) <= {"win", "tie", "loss"}
    assert sum(report.ranks.values()) == pytest.approx(3.0)  # two optimizers: ranks 1 and 2

    # Trials to target as a share of T, median over problems (the lower one of two).
    shares = []
    for figure in report.figures.values():
        reference = figure.regret["hs-random"]
        target = float(np.median(reference[:, -1]))
        trials = _stats.trials_to_target(figure.regret["hs-qmc"], target)
        shares.append(float(np.quantile(trials, 0.5, method="lower")) / reference.shape[1])
    expected = min(shares)
    row = next(line for line in text.splitlines() if "median over problems of trials / T" in line)
    cell = row.split("|")[-2].strip()
    assert cell == ("never" if expected == np.inf else f"**{expected:.2f}**")

    png = results / "best_so_far.png"
    assert png in report.paths and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((results / "summary.json").read_text())
    assert summary["scores"]["hs-random"][0] == pytest.approx(report.scores["hs-random"][0])


def test_report_reference_must_be_in_the_results(results: Path) -> None:
    with pytest.raises(ValueError, match="reference must be one of the optimizers in the results"):
        bench.report(results, reference="optuna-gp", plots=False)


def test_report_of_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no finished benchmark cell"):
        bench.report(tmp_path)


def test_unknown_optimum_is_the_best_value_ever_observed(tmp_path: Path) -> None:
    bench.run(["hs-random"], problems=["test-unknown-optimum"], seeds=2, out=tmp_path)
    bench.report(tmp_path, plots=False)
    best_observed = min(
        t["noiseless"]
        for path in (tmp_path / "traces").glob("*/*/*.jsonl")
        for t in bench._driver.read_trace(path)[1:-1]
    )
    best_sampled = json.loads((tmp_path / "references.json").read_text())["test-unknown-optimum"][
        "best"
    ]
    stored = json.loads((tmp_path / "optima.json").read_text())["test-unknown-optimum"]
    assert stored == min(best_observed, best_sampled)
    assert np.isfinite(stored)
