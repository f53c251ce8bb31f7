from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
import pytest

import hypersweep.bench
from hypersweep.bench._cli import bench


def test_list_names_problems_optimizers_and_pruners() -> None:
    result = CliRunner().invoke(bench, ["list"])
    assert result.exit_code == 0, result.output
    for word in ("S10", "R4", "hs-random", "optuna-gp", "optuna-hyperband", "quick"):
        assert word in result.output


def test_run_then_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "res")
    args = ["run", "--problems", "S1,S4", "--optimizers", "hs-random,hs-qmc", "--seeds", "2"]
    result = runner.invoke(bench, [*args, "--n-trials", "5", "--out", out])
    assert result.exit_code == 0, result.output
    assert "8 cells run, 0 skipped as finished" in result.output
    again = runner.invoke(bench, [*args, "--n-trials", "5", "--out", out])
    assert "0 cells run, 8 skipped as finished" in again.output

    report = runner.invoke(
        bench, ["report", "--out", out, "--reference", "hs-random", "--no-plots"]
    )
    assert report.exit_code == 0, report.output
    assert "| S1 | 5 | 2 |" in report.output


def test_bad_input_is_a_clean_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        bench, ["run", "--problems", "S1", "--optimizers", "nope", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "unknown optimizer 'nope'; available:" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["make-curves", "--tasks", ""], "tasks must be among LC1, LC2, got none"),
        (["make-curves", "--tasks", "LC9"], "tasks must be among LC1, LC2, got 'LC9'"),
        (["prune", "--tasks", ""], "tasks must name at least one of ['LC1', 'LC2'], got none"),
        (["prune", "--tasks", "LC9"], "task must be one of ['LC1', 'LC2'], got 'LC9'"),
        (["prune", "--pruners", "hs-sha[bogus=1]"], "options {'bogus': 1} do not fit"),
    ],
)
def test_curve_commands_name_the_bad_task_or_option(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(bench, [*args, "--cache-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_public_names() -> None:
    assert sorted(hypersweep.bench.__all__) == sorted(
        name for name in hypersweep.bench.__all__ if hasattr(hypersweep.bench, name)
    )
    assert {"Problem", "problem", "register_problem", "run", "report", "OPTIMIZERS"} <= set(
        hypersweep.bench.__all__
    )


def test_docstring_examples_run() -> None:
    import doctest

    from hypersweep.bench import _optimizers
    from hypersweep.bench import _problem
    from hypersweep.bench import _space

    for module in (hypersweep.bench, _problem, _space, _optimizers):
        failures, tested = doctest.testmod(module, raise_on_error=False, verbose=False)
        assert failures == 0 and tested > 0, module.__name__


def test_import_option_registers_user_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_problems.py").write_text(
        "import hypersweep.bench as bench\n\n\n"
        "@bench.problem('cli-user-problem', n_trials=4, replace=True)\n"
        "def f(trial):\n"
        "    return trial.suggest_float('x', -1.0, 1.0) ** 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner()
    out = str(tmp_path / "res")
    args = ["--import", "my_problems", "--problems", "cli-user-problem", "--seeds", "1"]
    result = runner.invoke(bench, ["run", *args, "--optimizers", "hs-random", "--out", out])
    assert result.exit_code == 0, result.output
    assert "1 cells run" in result.output
    missing = runner.invoke(bench, ["list", "--import", "no_such_module_here"])
    assert missing.exit_code == 1 and "--import must name an importable module" in missing.output
