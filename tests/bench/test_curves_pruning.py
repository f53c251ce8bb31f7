from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from _support import require
import hypersweep.bench as bench
from hypersweep.bench import _curves
from hypersweep.bench import _pruning

require("sklearn")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    bench.make_curves("LC1", n_configs=8, n_epochs=4, directory=directory)
    bench.make_curves("LC2", n_configs=12, n_epochs=5, directory=directory)
    return directory


def test_cache_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HYPERSWEEP_CACHE_DIR", str(tmp_path / "mine"))
    assert bench.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("HYPERSWEEP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert bench.cache_dir() == tmp_path / "xdg" / "hypersweep"


def test_tables_hold_real_training_curves(cache: Path) -> None:
    lc1 = bench.load_curves("LC1", cache)
    assert lc1.errors.shape == (8, 4) and len(lc1.params) == 8
    assert np.all((lc1.errors >= 0.0) & (lc1.errors <= 1.0))
    # Digits has ten classes: some configuration learns far better than chance in 4 epochs.
    assert lc1.optimum < 0.5
    lc2 = bench.load_curves("LC2", cache)
    assert lc2.errors.shape == (12, 5)
    for params in lc2.params:
        assert ("l1_ratio" in params) == (params["penalty"] == "elasticnet")


def test_nearest_rule_matches_categories_first(cache: Path) -> None:
    table = bench.load_curves("LC1", cache)
    for row, params in enumerate(table.params):
        assert table.nearest(params) == row
    params = dict(table.params[0])
    params["learning_rate_init"] = 1e-4 if params["learning_rate_init"] > 1e-2 else 1e-1
    nearest = table.params[table.nearest(params)]
    same_activation = [p for p in table.params if p["activation"] == params["activation"]]
    assert nearest["activation"] == params["activation"] or not same_activation


def test_curve_problem_optimum_is_reached_at_its_argmin(cache: Path) -> None:
    problem = bench.curve_problem("LC2", cache)
    assert bench.check_problem(problem) == bench.load_curves("LC2", cache).optimum


def test_missing_table_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="hypersweep bench make-curves"):
        bench.load_curves("LC1", tmp_path)
    with pytest.raises(ValueError, match="task must be one of"):
        bench.make_curves("LC3", directory=tmp_path)


def test_an_unknown_task_is_named_as_unknown_not_as_unmade(cache: Path) -> None:
    # Not "make it with hypersweep bench make-curves", which would make LC1 and LC2 only.
    with pytest.raises(ValueError, match=r"task must be one of \['LC1', 'LC2'\], got 'LC9'"):
        bench.load_curves("LC9", cache)
    with pytest.raises(ValueError, match="got 'LC9'"):
        bench.run_pruning(["hs-sha"], tasks=["LC9"], directory=cache)
    with pytest.raises(ValueError, match=r"tasks must name at least one of \['LC1', 'LC2'\]"):
        bench.run_pruning(["hs-sha"], tasks=[], directory=cache)


def test_pruner_benchmark_figures(cache: Path, tmp_path: Path) -> None:
    report = bench.run_pruning(
        ["hs-median", "optuna-median"], tasks=["LC1"], seeds=2, budget_trainings=3,
        directory=cache, out=tmp_path,
    )  # fmt: skip
    studies = {(s.pruner, s.seed): s for s in report.studies if s.budget_divisor == 1}
    for seed in (0, 1):
        none = studies[("none", seed)]
        # Without pruning the budget is exactly three full trainings.
        assert none.n_trials == 3 and none.n_pruned == 0 and none.epochs[-1] == 12
        assert math.isnan(none.pruned_better_rate)
        table = bench.load_curves("LC1", cache)
        assert none.regret >= 0.0 and none.regret + table.optimum in table.errors[:, -1]
        for label in ("hs-median", "optuna-median"):
            study = studies[(label, seed)]
            assert study.epochs[-1] == 12 and study.n_trials >= 3
    assert "| LC1 | hs-median |" in report.markdown
    assert (tmp_path / "pruning.jsonl").exists() and (tmp_path / "pruning.md").exists()


def test_every_pruner_also_runs_with_a_third_of_the_budget(cache: Path, tmp_path: Path) -> None:
    report = bench.run_pruning(
        ["hs-sha"], tasks=["LC2"], seeds=2, budget_trainings=6, directory=cache, out=tmp_path
    )
    full = {(s.pruner, s.seed): s for s in report.studies if s.budget_divisor == 1}
    third = {(s.pruner, s.seed): s for s in report.studies if s.budget_divisor == _pruning.THIRD}
    assert set(third) == set(full) == {(p, s) for p in ("none", "hs-sha") for s in (0, 1)}
    for key, study in third.items():
        # Six trainings of five epochs, a third of it: ten epochs, the last trial cut short.
        assert study.epochs[-1] == 10
        # Same seeds, deterministic pruners that do not know the budget: the run at a third
        # repeats the full run's first trials, up to the one the smaller budget cuts short.
        assert study.epochs[:-1] == full[key].epochs[: len(study.epochs) - 1]
        assert study.best_regret[:-1] == full[key].best_regret[: len(study.epochs) - 1]
    assert "## One third of the budget" in report.markdown
    assert "| LC2 | hs-sha |" in report.markdown.split("## One third of the budget")[1]
    records = [json.loads(line) for line in (tmp_path / "pruning.jsonl").read_text().splitlines()]
    assert sorted({r["budget_divisor"] for r in records}) == [1, _pruning.THIRD]

    alone = bench.run_pruning(
        ["hs-sha"], tasks=["LC2"], seeds=1, budget_trainings=6, directory=cache,
        third_budget=False,
    )  # fmt: skip
    assert {s.budget_divisor for s in alone.studies} == {1}
    assert "One third of the budget" not in alone.markdown


def test_epochs_to_reach_and_pruned_better_rate() -> None:
    study = _pruning.PruningStudy(
        task="LC1", pruner="x", seed=0, regret=0.1, epochs=[4, 6, 10],
        best_regret=[math.inf, 0.3, 0.1], n_trials=3, n_pruned=1, pruned_better_rate=0.0,
    )  # fmt: skip
    assert study.epochs_to_reach(0.3) == 6.0
    assert study.epochs_to_reach(0.1) == 10.0
    assert study.epochs_to_reach(0.05) == math.inf


def test_pruners_are_compared_with_no_pruning_and_with_optuna() -> None:
    def study(pruner: str, seed: int, regret: float) -> _pruning.PruningStudy:
        return _pruning.PruningStudy(
            task="LC1", pruner=pruner, seed=seed, regret=regret, epochs=[40],
            best_regret=[regret], n_trials=1, n_pruned=0, pruned_better_rate=math.nan,
        )  # fmt: skip

    regrets = {"none": 3.0, "hs-sha": 1.0, "optuna-sha": 2.0, "hs-median": 2.5}
    studies = [
        study(pruner, seed, regret + 0.01 * seed)
        for pruner, regret in regrets.items()
        for seed in range(12)
    ]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in _pruning.pruning_markdown(studies, 1).splitlines()
        if line.startswith("| LC1 |")
    ]
    table = {cells[1]: cells[-2:] for cells in rows}
    matched = {cells[1]: cells[5] for cells in rows}

    # Every seed of hs-sha beats every seed of no pruning and of Optuna's SHA.
    assert table["hs-sha"][0].startswith("win (A 1.00, p")
    assert table["hs-sha"][1].startswith("win (A 1.00, p")
    # Only pruners with an Optuna counterpart in the run get the second comparison.
    assert table["optuna-sha"][1] == "-"
    assert table["hs-median"][1] == "-"
    assert table["none"] == ["-", "-"]
    # Epochs to match no pruning, with their share of the budget (one training of 40 epochs).
    assert matched["none"] == "40 (100%)" and matched["hs-sha"] == "40 (100%)"


def test_unknown_pruner_lists_the_available_ones(cache: Path) -> None:
    with pytest.raises(ValueError, match="unknown pruner 'nope'; available: none, hs-median"):
        bench.run_pruning(["nope"], tasks=["LC1"], directory=cache)


def test_pruner_options_that_do_not_fit_fail_before_any_study_runs(cache: Path) -> None:
    with pytest.raises(
        ValueError,
        match=r"options \{'bogus': 1\} do not fit SuccessiveHalvingPruner: .*'bogus'; "
        r"see help\(hypersweep.pruners.SuccessiveHalvingPruner\)",
    ):
        bench.run_pruning(["hs-median", "hs-sha[bogus=1]"], tasks=["LC1"], directory=cache)


def test_lookup_distance_counts_categories_and_missing_parameters() -> None:
    rows = (
        {"penalty": "l2", "alpha": 1e-3},
        {"penalty": "elasticnet", "alpha": 1e-3, "l1_ratio": 0.5},
    )
    params = {"penalty": "elasticnet", "alpha": 1e-3, "l1_ratio": 0.5}
    distances = _curves._distances("LC2", rows, params)
    # Row 0: one category differs (10) and l1_ratio is missing (1); row 1 is the same point.
    assert distances[1] == 0.0
    assert distances[0] == pytest.approx(math.sqrt(100.0 + 1.0))


def test_prune_command_pairs_every_pruner_with_optuna_by_default(
    cache: Path, tmp_path: Path
) -> None:
    require("optuna")
    from click.testing import CliRunner

    from hypersweep.bench._cli import bench as bench_command

    args = ["prune", "--tasks", "LC1", "--seeds", "2", "--budget", "2"]
    result = CliRunner().invoke(
        bench_command, [*args, "--cache-dir", str(cache), "--out", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    for name in ("hs-median", "hs-sha", "hs-hyperband"):
        assert name in result.output
        assert "optuna-" + name[3:] in result.output
    assert "## One third of the budget" in result.output

    alone = CliRunner().invoke(
        bench_command,
        [*args, "--pruners", "hs-sha", "--no-third", "--cache-dir", str(cache), "--out",
         str(tmp_path)],
    )  # fmt: skip
    assert alone.exit_code == 0, alone.output
    assert "| LC1 | hs-sha |" in alone.output and "One third" not in alone.output


def test_a_sampler_picks_the_configurations_of_every_pruner(cache: Path, tmp_path: Path) -> None:
    report = bench.run_pruning(
        ["hs-sha"], tasks=["LC1"], seeds=2, budget_trainings=4, directory=cache,
        third_budget=False, sampler="tpe",
    )  # fmt: skip
    table = bench.load_curves("LC1", cache)
    assert {s.sampler for s in report.studies} == {"tpe"}
    for study in report.studies:
        # Every trial trains a row of the table, so the regret is one of its final errors.
        assert study.regret + table.optimum in table.errors[:, -1]
        assert study.epochs[-1] == 4 * table.n_epochs
    assert report.markdown.startswith("# Pruner benchmark\n\nSampler: tpe (TPE:")

    again = bench.run_pruning(
        ["hs-sha"], tasks=["LC1"], seeds=2, budget_trainings=4, directory=cache,
        third_budget=False, sampler="tpe",
    )  # fmt: skip
    assert [s.best_regret for s in again.studies] == [s.best_regret for s in report.studies]


def test_unknown_sampler_and_mixed_reports_are_refused(cache: Path) -> None:
    with pytest.raises(ValueError, match="sampler must be one of random, tpe, auto, got 'cma'"):
        bench.run_pruning(["hs-sha"], tasks=["LC1"], seeds=1, directory=cache, sampler="cma")
    study = _pruning.PruningStudy(
        task="LC1", pruner="none", seed=0, regret=0.1, epochs=[4], best_regret=[0.1],
        n_trials=1, n_pruned=0, pruned_better_rate=math.nan,
    )  # fmt: skip
    other = _pruning.PruningStudy(**{**study.__dict__, "sampler": "tpe"})
    with pytest.raises(ValueError, match="must share one sampler, got random, tpe"):
        _pruning.pruning_markdown([study, other], 1)


def test_prune_command_takes_the_sampler(cache: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hypersweep.bench._cli import bench as bench_command

    args = ["prune", "--tasks", "LC1", "--seeds", "1", "--budget", "2", "--pruners", "hs-sha"]
    paths = ["--cache-dir", str(cache), "--out", str(tmp_path)]
    result = CliRunner().invoke(bench_command, [*args, "--sampler", "tpe", "--no-third", *paths])
    assert result.exit_code == 0, result.output
    assert "Sampler: tpe" in result.output

    wrong = CliRunner().invoke(bench_command, [*args, "--sampler", "cma", *paths])
    assert wrong.exit_code == 2 and "'cma' is not one of 'random', 'tpe', 'auto'" in wrong.output


def test_tables_record_what_made_them_and_the_report_names_them(
    cache: Path, tmp_path: Path
) -> None:
    import sklearn

    table = bench.load_curves("LC1", cache)
    assert table.made_with == {"scikit-learn": sklearn.__version__, "numpy": np.__version__}
    assert len(table.fingerprint) == 12
    report = bench.run_pruning(
        ["hs-sha"], tasks=["LC1"], seeds=1, budget_trainings=2, directory=cache,
        third_budget=False,
    )  # fmt: skip
    assert f"Tables: LC1: 8 configurations x 4 epochs, fingerprint {table.fingerprint}" in (
        report.markdown
    )

    # A table saved before versions were recorded still loads, and says so.
    path = _curves.table_path("LC1", tmp_path)
    path.parent.mkdir(parents=True)
    np.savez(path, errors=table.errors, seconds=table.seconds,
             params=np.array(json.dumps(table.params)))  # fmt: skip
    old = bench.load_curves("LC1", tmp_path)
    assert old.made_with == {} and old.fingerprint == table.fingerprint
    assert old.describe().endswith("made with unrecorded versions")
