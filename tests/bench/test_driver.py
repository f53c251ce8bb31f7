from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from _support import require
import hypersweep.bench as bench
from hypersweep.bench import _driver


def _quadratic(trial: bench.TrialLike) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    return (x - 0.5) ** 2


def _flaky(trial: bench.TrialLike) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    if x > 0.5:
        raise RuntimeError("simulated crash of the training script")
    if x < 0.1:
        return float("nan")
    return x


bench.register_problem(
    bench.Problem("test-quadratic", _quadratic, n_trials=6, optimum=0.0, argmin={"x": 0.5}),
    replace=True,
)
bench.register_problem(
    bench.Problem("test-noisy", _quadratic, n_trials=6, optimum=0.0, noise_sd=1.0), replace=True
)
bench.register_problem(bench.Problem("test-flaky", _flaky, n_trials=12, optimum=0.0), replace=True)


def _finished(out: Path) -> list[Path]:
    return sorted((out / "traces").glob("*/*/*.jsonl"))


def test_run_writes_full_traces(tmp_path: Path) -> None:
    summary = bench.run(["hs-random"], problems=["test-quadratic"], seeds=2, out=tmp_path)
    assert len(summary.ran) == 2 and not summary.skipped and not summary.errors
    lines = _driver.read_trace(tmp_path / "traces/test-quadratic/hs-random/seed-1.jsonl")
    header, trials, end = lines[0], lines[1:-1], lines[-1]
    assert header["kind"] == "header" and header["n_trials"] == 6 and header["seed"] == 1
    assert [t["number"] for t in trials] == list(range(6))
    for trial in trials:
        assert trial["state"] == "complete" and trial["value"] == trial["noiseless"]
        assert trial["value"] == pytest.approx((trial["params"]["x"] - 0.5) ** 2)
        assert min(trial["ask_s"], trial["tell_s"], trial["objective_s"]) >= 0.0
    best = min(trials, key=lambda t: t["value"])
    assert end["kind"] == "end" and end["incumbent"] == best["number"]
    references = json.loads((tmp_path / "references.json").read_text())
    # f_ref: median of (x - 0.5)^2 for x uniform on [-2, 2] is about 1.0.
    assert references["test-quadratic"]["f_ref"] == pytest.approx(1.0, abs=0.1)


def test_same_seed_gives_the_same_trace_and_noise_is_common(tmp_path: Path) -> None:
    bench.run(["hs-random"], problems=["test-noisy"], seeds=[4], out=tmp_path / "a")
    bench.run(["hs-random", "hs-qmc"], problems=["test-noisy"], seeds=[4], out=tmp_path / "b")
    first = _driver.read_trace(tmp_path / "a/traces/test-noisy/hs-random/seed-4.jsonl")
    again = _driver.read_trace(tmp_path / "b/traces/test-noisy/hs-random/seed-4.jsonl")
    other = _driver.read_trace(tmp_path / "b/traces/test-noisy/hs-qmc/seed-4.jsonl")
    assert [t.get("params") for t in first[1:-1]] == [t.get("params") for t in again[1:-1]]
    for a, b in zip(first[1:-1], other[1:-1], strict=True):
        # The same noise draw for trial t of seed 4, whatever the optimizer.
        assert a["value"] - a["noiseless"] == pytest.approx(b["value"] - b["noiseless"])
        assert a["value"] - a["noiseless"] == pytest.approx(_driver.noise(4, a["number"]))


def test_resume_skips_finished_cells_and_redoes_the_interrupted_one(tmp_path: Path) -> None:
    bench.run(["hs-random"], problems=["test-quadratic"], seeds=3, out=tmp_path)
    paths = _finished(tmp_path)
    assert len(paths) == 3

    # Simulate an interruption in seed 1: only a partial trace with two trials is left.
    interrupted = tmp_path / "traces/test-quadratic/hs-random/seed-1.jsonl"
    lines = interrupted.read_text().splitlines()
    interrupted.unlink()
    partial = interrupted.with_name(interrupted.name + ".partial")
    partial.write_text("\n".join(lines[:3]) + "\n")
    untouched = {p: os.stat(p).st_mtime_ns for p in paths if p != interrupted}

    cell = bench.Cell("test-quadratic", "hs-random", 1, 6)
    assert not bench.is_finished(tmp_path, cell)
    done: list[tuple[int, bool]] = []
    summary = bench.run(
        ["hs-random"],
        problems=["test-quadratic"],
        seeds=3,
        out=tmp_path,
        on_cell=lambda c, skipped, n, total: done.append((c.seed, skipped)),
    )
    assert [c.seed for c in summary.ran] == [1]
    assert sorted(c.seed for c in summary.skipped) == [0, 2]
    assert sorted(done) == [(0, True), (1, False), (2, True)]
    assert {p: os.stat(p).st_mtime_ns for p in untouched} == untouched
    assert not partial.exists() and bench.is_finished(tmp_path, cell)
    redone = _driver.read_trace(interrupted)
    before = [json.loads(line) for line in lines]
    # The same seed gives the same configurations.
    assert [t.get("params") for t in redone[1:-1]] == [t.get("params") for t in before[1:-1]]


def test_a_finished_cell_with_another_budget_is_an_error(tmp_path: Path) -> None:
    bench.run(["hs-random"], problems=["test-quadratic"], seeds=1, out=tmp_path)
    with pytest.raises(ValueError, match="was run with n_trials=6, but n_trials=9 was asked"):
        bench.run(["hs-random"], problems=["test-quadratic"], seeds=1, n_trials=9, out=tmp_path)


def test_a_raising_objective_gives_failed_trials(tmp_path: Path) -> None:
    summary = bench.run(["hs-random"], problems=["test-flaky"], seeds=1, out=tmp_path)
    assert not summary.errors
    lines = _driver.read_trace(tmp_path / "traces/test-flaky/hs-random/seed-0.jsonl")
    trials = lines[1:-1]
    failed = [t for t in trials if t["state"] == "fail"]
    assert summary.n_failed_trials == len(failed) == lines[-1]["n_failed"] > 0
    assert any("simulated crash" in t["error"] for t in failed)
    for t in failed:
        assert t["value"] is None and (t["params"]["x"] > 0.5 or t["params"]["x"] < 0.1)
    report = bench.report(tmp_path, plots=False)
    assert "## Failed trials" in report.markdown


def test_optimizer_errors_are_recorded_and_the_cell_redone(tmp_path: Path) -> None:
    summary = bench.run(
        ["hs-random[no_such_option=1]"], problems=["test-quadratic"], seeds=1, out=tmp_path
    )
    assert len(summary.errors) == 1
    assert "do not fit RandomSampler" in summary.errors[0][1]
    assert not _finished(tmp_path)


def test_unknown_optimizer_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'nope'; available: hs-random"):
        bench.plan(["nope"], problems=["S1"])
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        bench.run(["hs-random"], problems=["S1"], jobs=0)
    with pytest.raises(ValueError, match="tier must be one of"):
        bench.plan(["hs-random"], tier="medium")


def test_unavailable_optimizer_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import hypersweep.samplers

    monkeypatch.delattr(hypersweep.samplers, "QMCSampler")
    with pytest.raises(ValueError, match=r"'hs-qmc' is not available: hypersweep.samplers has no"):
        bench.make_optimizer("hs-qmc", seed=0)


def test_optimizer_labels_with_options() -> None:
    from hypersweep.bench._optimizers import parse_optimizer
    from hypersweep.bench._optimizers import split_names

    assert split_names("a,b[x=1,y=true],c") == ["a", "b[x=1,y=true]", "c"]
    assert parse_optimizer("hs-tpe[n=5, flag=false, name=abc, r=0.5]") == (
        "hs-tpe",
        {"n": 5, "flag": False, "name": "abc", "r": 0.5},
    )
    with pytest.raises(ValueError, match="must be key=value, got 'oops'"):
        parse_optimizer("hs-tpe[oops]")


def test_tiers_plan_the_protocol() -> None:
    quick = bench.plan(["hs-random"], tier="quick")
    assert {c.seed for c in quick} == set(range(5))
    assert all(30 <= c.n_trials <= 50 for c in quick)
    full = bench.plan(["hs-random"], tier="full")
    assert {c.seed for c in full} == set(range(20))
    budgets = {c.problem: c.n_trials for c in full}
    assert budgets["S3"] == 150 and budgets["S10"] == 200 and budgets["R1"] == 100


def test_optuna_references_run_through_the_same_driver(tmp_path: Path) -> None:
    require("optuna")
    bench.run(
        ["optuna-random", "optuna-tpe"], problems=["S7", "S8"], seeds=1, n_trials=12, out=tmp_path
    )
    for name in ("S7", "S8"):
        for optimizer in ("optuna-random", "optuna-tpe"):
            lines = _driver.read_trace(tmp_path / f"traces/{name}/{optimizer}/seed-0.jsonl")
            values = [t["value"] for t in lines[1:-1]]
            assert len(values) == 12 and all(math.isfinite(v) for v in values)
            assert lines[0]["versions"]["optuna"] == "5.0.0"


@pytest.mark.slow
def test_process_pool_gives_the_same_traces(tmp_path: Path) -> None:
    bench.run(["hs-random"], problems=["S1"], seeds=2, n_trials=5, out=tmp_path / "one")
    bench.run(["hs-random"], problems=["S1"], seeds=2, n_trials=5, out=tmp_path / "two", jobs=2)
    for seed in (0, 1):
        a = _driver.read_trace(tmp_path / f"one/traces/S1/hs-random/seed-{seed}.jsonl")
        b = _driver.read_trace(tmp_path / f"two/traces/S1/hs-random/seed-{seed}.jsonl")
        assert [t["params"] for t in a[1:-1]] == [t["params"] for t in b[1:-1]]
    assert np.isclose(
        json.loads((tmp_path / "one/references.json").read_text())["S1"]["f_ref"],
        json.loads((tmp_path / "two/references.json").read_text())["S1"]["f_ref"],
    )
