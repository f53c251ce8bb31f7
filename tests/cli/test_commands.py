"""The commands on a study made by the Python API, read back from a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
import uuid

from cli_helpers import DEMO_STATES
from cli_helpers import MARKUP
from cli_helpers import Invoke
from cli_helpers import assert_one_error_line
from cli_helpers import loaded
from cli_helpers import make_demo_study
from cli_helpers import make_empty_database
from cli_helpers import study_names
import pytest

from _support import postgres_url
import hypersweep
from hypersweep.cli import _main


def _rows(table: str) -> list[list[str]]:
    """The body rows of a rich table printed without color, as lists of stripped cells."""
    rows = []
    for line in table.splitlines():
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def _header(table: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def test_studies_lists_counts_best_value_and_times(invoke: Invoke, demo_url: str) -> None:
    with loaded(demo_url) as study:
        best_value = study.best_value
        first_start = study.trials[0].datetime_start

    result = invoke(["--storage", demo_url, "studies"])

    assert result.exit_code == 0, result.output
    assert _header(result.stdout) == [
        "Name",
        "Direction",
        "COMPLETE",
        "PRUNED",
        "FAIL",
        "RUNNING",
        "WAITING",
        "Best value",
        "Started",
        "Last activity",
    ]
    demo, other = _rows(result.stdout)
    assert demo[:7] == ["demo", "minimize", "4", "1", "2", "1", "1"]
    assert demo[7] == f"{best_value:.6g}"
    assert demo[8].startswith(f"{first_start:%Y-%m-%d %H:%M}")
    assert other == ["other", "maximize", "0", "0", "0", "0", "0", "-", "-", "-"]


def test_studies_on_an_empty_storage_says_so(invoke: Invoke, tmp_path: Path) -> None:
    url = make_empty_database(tmp_path / "empty.db")

    result = invoke(["--storage", url, "studies"])

    assert result.exit_code == 0
    assert result.stdout.startswith(f"No studies in {url}.")


def test_storage_comes_from_the_environment_then_the_default(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_demo_study(f"sqlite:///{tmp_path / 'hypersweep.db'}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    make_demo_study(f"sqlite:///{elsewhere / 'env.db'}")
    with loaded(f"sqlite:///{elsewhere / 'env.db'}") as study:
        hypersweep.create_study(study_name="only-in-env", storage=study.storage)
    monkeypatch.chdir(tmp_path)

    by_default = invoke(["studies"])
    by_env = invoke(["studies"], env={"HYPERSWEEP_STORAGE": str(elsewhere / "env.db")})
    by_option = invoke(
        ["--storage", "sqlite:///hypersweep.db", "studies"],
        env={"HYPERSWEEP_STORAGE": str(elsewhere / "env.db")},
    )

    assert [row[0] for row in _rows(by_default.stdout)] == ["demo", "other"]
    assert [row[0] for row in _rows(by_env.stdout)] == ["demo", "other", "only-in-env"]
    assert [row[0] for row in _rows(by_option.stdout)] == ["demo", "other"]


def test_storage_option_is_accepted_after_the_command_too(invoke: Invoke, demo_url: str) -> None:
    result = invoke(
        ["--storage", "sqlite:///nowhere/x.db", "trials", "demo", "--storage", demo_url]
    )

    assert result.exit_code == 0, result.output
    assert len(_rows(result.stdout)) == len(DEMO_STATES)


def test_trials_shows_every_trial_with_params_and_fail_reasons(
    invoke: Invoke, demo_url: str
) -> None:
    with loaded(demo_url) as study:
        trials = study.trials

    result = invoke(["--storage", demo_url, "trials", "demo"])

    assert result.exit_code == 0, result.output
    assert _header(result.stdout) == [
        "Number",
        "State",
        "Value",
        "Duration",
        "kind",
        "x",
        "Fail reason",
    ]
    rows = _rows(result.stdout)
    assert [row[0] for row in rows] == [str(number) for number in DEMO_STATES]
    assert [row[1] for row in rows] == list(DEMO_STATES.values())
    assert rows[0][2] == f"{trials[0].value:.6g}"
    assert rows[0][5] == f"{trials[0].params['x']:.6g}"
    # Markup in a parameter value is printed as it is, not interpreted.
    assert rows[0][4] == MARKUP
    assert rows[1][4] == "plain"
    assert rows[4][6] == "the objective raised RuntimeError: out of memory while allocating"
    assert rows[5][2] == "inf"
    assert rows[7][3] == "-"  # a RUNNING trial has no duration yet
    assert rows[8][4:6] == ["", ""]  # a WAITING trial has no parameters yet


def test_trials_sort_filter_and_limit(invoke: Invoke, demo_url: str) -> None:
    with loaded(demo_url) as study:
        complete = study.get_trials(states=(hypersweep.TrialState.COMPLETE,))
    by_value = sorted(complete, key=lambda trial: trial.value or 0.0)

    best_two = invoke(
        [
            "--storage",
            demo_url,
            "trials",
            "demo",
            "--state",
            "complete",
            "--sort",
            "value",
            "--limit",
            "2",
        ]
    )
    worst_first = invoke(["--storage", demo_url, "trials", "demo", "--sort", "value", "--desc"])
    failed_or_pruned = invoke(
        ["--storage", demo_url, "trials", "demo", "--state", "FAIL", "--state", "pruned"]
    )
    by_state = invoke(["--storage", demo_url, "trials", "demo", "--sort", "state"])
    by_duration = invoke(["--storage", demo_url, "trials", "demo", "--sort", "duration"])

    assert [row[0] for row in _rows(best_two.stdout)] == [str(t.number) for t in by_value[:2]]
    # +inf (the diverged trial) is the largest value; trials without a value come last.
    worst = [row[0] for row in _rows(worst_first.stdout)]
    assert worst[:5] == ["5"] + [str(t.number) for t in reversed(by_value)]
    assert worst[5:] == ["3", "4", "7", "8"]
    assert [row[0] for row in _rows(failed_or_pruned.stdout)] == ["3", "4", "5"]
    states = [row[1] for row in _rows(by_state.stdout)]
    assert states == ["COMPLETE"] * 4 + ["PRUNED", "FAIL", "FAIL", "RUNNING", "WAITING"]
    assert [row[0] for row in _rows(by_duration.stdout)][-2:] == ["7", "8"]
    assert "Fail reason" not in _header(best_two.stdout)


def test_trials_with_no_match_says_so(invoke: Invoke, demo_url: str) -> None:
    result = invoke(["--storage", demo_url, "trials", "other", "--state", "complete"])

    assert result.exit_code == 0
    assert result.stdout == "Study 'other' has no trials in state COMPLETE.\n"


def test_best_prints_number_value_and_exact_params(invoke: Invoke, demo_url: str) -> None:
    with loaded(demo_url) as study:
        best = study.best_trial

    text = invoke(["--storage", demo_url, "best", "demo"])
    as_json = invoke(["--storage", demo_url, "best", "demo", "--json"])

    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0] == (
        f"Best trial of study 'demo' (minimize): number {best.number}, value {best.value!r}"
    )
    assert ["x", repr(best.params["x"])] in _rows(text.stdout)
    assert json.loads(as_json.stdout) == {
        "study": "demo",
        "number": best.number,
        "value": best.value,
        "params": dict(best.params),
        "user_attrs": {"note": f"trial {best.number}"},
    }


def test_best_of_a_study_without_a_complete_trial_is_an_error(
    invoke: Invoke, demo_url: str
) -> None:
    result = invoke(["--storage", demo_url, "best", "other"])

    assert_one_error_line(result, "study 'other' has no COMPLETE trial yet", "hypersweep trials")


def test_export_json_holds_every_trial_as_strict_json(invoke: Invoke, demo_url: str) -> None:
    with loaded(demo_url) as study:
        trials = study.trials

    result = invoke(["--storage", demo_url, "export", "demo", "--format", "json"])

    assert result.exit_code == 0, result.stderr

    def refuse(token: str) -> float:
        raise AssertionError(f"non-standard JSON token {token}")

    records = json.loads(result.stdout, parse_constant=refuse)
    assert [record["number"] for record in records] == [trial.number for trial in trials]
    first = records[0]
    assert set(first) == {
        "number",
        "state",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration_seconds",
        "params",
        "user_attrs",
        "intermediate_values",
        "fail_reason",
    }
    assert first["value"] == trials[0].value
    assert first["params"] == dict(trials[0].params)
    assert first["user_attrs"] == {"note": "trial 0"}
    assert first["intermediate_values"] == {"0": trials[0].params["x"] ** 2, "1": "NaN"}
    assert first["datetime_start"] == trials[0].datetime_start.isoformat()
    assert first["duration_seconds"] == pytest.approx(trials[0].duration.total_seconds())
    assert (
        records[4]["fail_reason"]
        == "the objective raised RuntimeError: out of memory\nwhile allocating"
    )
    assert records[5]["value"] == "Infinity"
    assert float(records[5]["value"]) == math.inf
    assert records[8]["state"] == "WAITING"
    assert records[8]["datetime_start"] is None


def test_export_csv_has_a_column_per_param_and_user_attr(invoke: Invoke, demo_url: str) -> None:
    with loaded(demo_url) as study:
        trials = study.trials

    result = invoke(["--storage", demo_url, "export", "demo", "--format", "csv"])

    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "number",
        "state",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration_seconds",
        "params_kind",
        "params_x",
        "user_attrs_note",
        "intermediate_values",
        "fail_reason",
    ]
    assert len(rows) == len(trials)
    assert float(rows[0]["value"]) == trials[0].value
    assert float(rows[0]["params_x"]) == trials[0].params["x"]
    assert rows[0]["params_kind"] == trials[0].params["kind"]
    assert json.loads(rows[0]["intermediate_values"])["1"] == "NaN"
    assert rows[3]["value"] == ""
    assert rows[4]["fail_reason"].endswith("out of memory\nwhile allocating")
    assert float(rows[5]["value"]) == math.inf
    assert rows[8]["params_x"] == "" and rows[8]["datetime_start"] == ""


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_to_a_file_writes_what_stdout_would_get(
    invoke: Invoke, demo_url: str, tmp_path: Path, file_format: str
) -> None:
    target = tmp_path / f"trials.{file_format}"

    to_stdout = invoke(["--storage", demo_url, "export", "demo", "--format", file_format])
    to_file = invoke(
        ["--storage", demo_url, "export", "demo", "--format", file_format, "--output", str(target)]
    )

    assert to_file.exit_code == 0, to_file.stderr
    assert to_file.stdout == ""
    assert to_file.stderr == f"Wrote {len(DEMO_STATES)} trials of study 'demo' to {target}.\n"
    assert target.read_text(encoding="utf-8") == to_stdout.stdout


def test_export_to_an_unwritable_place_is_one_error_line(
    invoke: Invoke, demo_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "missing-directory" / "trials.csv"

    result = invoke(
        ["--storage", demo_url, "export", "demo", "--format", "csv", "-o", str(target)]
    )

    assert_one_error_line(result, f"cannot write {str(target)!r}")


def test_delete_asks_and_aborting_keeps_the_study(invoke: Invoke, demo_url: str) -> None:
    result = invoke(["--storage", demo_url, "delete", "demo"], input="n\n")

    assert result.exit_code == 1
    assert (
        f"Delete study 'demo' and its {len(DEMO_STATES)} trials (1 still RUNNING: stop their "
        f"workers first) from {demo_url}? This cannot be undone. [y/N]"
    ) in result.output
    assert "Aborted!" in result.stderr
    assert study_names(demo_url) == ["demo", "other"]


def test_delete_after_yes_at_the_prompt_or_with_the_flag(invoke: Invoke, demo_url: str) -> None:
    confirmed = invoke(["--storage", demo_url, "delete", "demo"], input="y\n")
    flagged = invoke(["--storage", demo_url, "delete", "other", "--yes"])

    assert confirmed.exit_code == 0, confirmed.output
    assert confirmed.stdout.endswith(f"Deleted study 'demo' and its {len(DEMO_STATES)} trials.\n")
    assert flagged.exit_code == 0
    assert flagged.stdout == "Deleted study 'other' and its 0 trials.\n"
    assert study_names(demo_url) == []


def test_version_and_help(invoke: Invoke) -> None:
    version = invoke(["--version"])
    root_help = invoke(["--help"])

    assert version.stdout == f"hypersweep {hypersweep.__version__}\n"
    for command in ("studies", "trials", "best", "export", "delete", "storage", "bench"):
        assert f"  {command} " in root_help.stdout
    assert "HYPERSWEEP_STORAGE" in root_help.stdout
    assert "sqlite:///hypersweep.db" in root_help.stdout
    for command in (
        ["studies"],
        ["trials"],
        ["best"],
        ["export"],
        ["delete"],
        ["storage", "upgrade"],
    ):
        page = invoke([*command, "--help"])
        assert page.exit_code == 0
        assert "Usage: hypersweep " + " ".join(command) in page.stdout


def test_export_keeps_nested_and_non_finite_user_attrs(invoke: Invoke, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'attrs.db'}"
    study = hypersweep.create_study(study_name="attrs", storage=url)
    study.add_trial(
        hypersweep.create_trial(
            state=hypersweep.TrialState.FAIL,
            value=float("-inf"),
            user_attrs={"layers": [64, 32], "scores": {"val": float("nan")}, "ok": False},
            intermediate_values={0: 1.5, 3: float("inf")},
        )
    )
    study.storage.close()

    as_json = invoke(["--storage", url, "export", "attrs", "--format", "json"])
    as_csv = invoke(["--storage", url, "export", "attrs", "--format", "csv"])

    (record,) = json.loads(as_json.stdout)
    assert record["value"] == "-Infinity"
    assert record["user_attrs"] == {"layers": [64, 32], "scores": {"val": "NaN"}, "ok": False}
    assert record["intermediate_values"] == {"0": 1.5, "3": "Infinity"}
    (row,) = csv.DictReader(io.StringIO(as_csv.stdout))
    assert float(row["value"]) == -math.inf
    assert json.loads(row["user_attrs_layers"]) == [64, 32]
    assert json.loads(row["user_attrs_scores"]) == {"val": "NaN"}
    assert row["user_attrs_ok"] == "False"
    assert json.loads(row["intermediate_values"]) == {"0": 1.5, "3": "Infinity"}


def test_help_does_not_import_the_bench_harness(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> None:
        raise AssertionError("the bench module was imported for --help")

    monkeypatch.setattr(_main, "load_bench", refuse)

    result = invoke(["--help"])

    assert result.exit_code == 0, result.output
    assert "  bench " in result.stdout and "'hypersweep[bench]'" in result.stdout


@pytest.mark.postgres
def test_commands_on_a_postgresql_study(invoke: Invoke) -> None:
    url = postgres_url()
    name = f"cli-{uuid.uuid4().hex[:8]}"
    study = hypersweep.create_study(study_name=name, storage=url)
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=3)
    best = study.best_trial
    study.storage.close()

    listing = invoke(["--storage", url, "studies"])
    table = invoke(["--storage", url, "trials", name, "--sort", "value"])
    best_json = invoke(["--storage", url, "best", name, "--json"])
    exported = invoke(["--storage", url, "export", name, "--format", "json"])
    deleted = invoke(["--storage", url, "delete", name, "--yes"])

    assert [name, "minimize", "3"] in [row[:3] for row in _rows(listing.stdout)]
    assert _rows(table.stdout)[0][0] == str(best.number)
    assert json.loads(best_json.stdout)["value"] == best.value
    assert len(json.loads(exported.stdout)) == 3
    assert deleted.exit_code == 0
    assert name not in study_names(url)
