"""Reports a person reads: a Markdown table of the figures and PNG plots of the curves.

:func:`report` reads every finished trace under a results directory, computes the figures of
:mod:`hypersweep.bench._stats` against a chosen reference optimizer, writes ``report.md``,
``best_so_far.png`` (one panel per problem: median normalized regret of the incumbent with an
interquartile band, log scale) and ``summary.json``, and returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import json
import math
import os
from pathlib import Path
import textwrap
from typing import Any

import numpy as np

from hypersweep.bench._driver import TRACES_DIR
from hypersweep.bench._driver import ensure_references
from hypersweep.bench._driver import load_references
from hypersweep.bench._driver import read_trace
from hypersweep.bench._optional import import_optional
from hypersweep.bench._problem import _REGISTRY
from hypersweep.bench._stats import OVERHEAD_TRIALS
from hypersweep.bench._stats import ProblemFigures
from hypersweep.bench._stats import Study
from hypersweep.bench._stats import anytime_score
from hypersweep.bench._stats import bootstrap_score_interval
from hypersweep.bench._stats import holm
from hypersweep.bench._stats import mann_whitney
from hypersweep.bench._stats import mean_ranks
from hypersweep.bench._stats import overhead
from hypersweep.bench._stats import problem_figures
from hypersweep.bench._stats import score
from hypersweep.bench._stats import trials_to_target
from hypersweep.bench._stats import verdict
from hypersweep.bench._stats import wilcoxon
from hypersweep.logging import get_logger

_logger = get_logger(__name__)

OPTIMA_FILE = "optima.json"
PLOT_FLOOR = 1e-4


@dataclasses.dataclass
class Report:
    """A finished report.

    Attributes:
        markdown: The report's text (also written to ``report.md``).
        paths: The files written.
        scores: Per optimizer ``(score, low, high)``: the score and its 95% interval.
        anytime: Per optimizer, the anytime score.
        ranks: Per optimizer, the mean rank.
        verdicts: Per optimizer, per problem, ``win``/``tie``/``loss`` against the reference.
        reference: The reference optimizer.
        figures: Per problem, the curves behind the figures.
    """

    markdown: str
    paths: list[Path]
    scores: dict[str, tuple[float, float, float]]
    anytime: dict[str, float]
    ranks: dict[str, float]
    verdicts: dict[str, dict[str, str]]
    reference: str
    figures: dict[str, ProblemFigures]


def load_studies(out: str | os.PathLike[str]) -> list[Study]:
    """Every finished cell under ``out/traces`` (partial traces are left out)."""
    root = Path(out) / TRACES_DIR
    studies = []
    for path in sorted(root.glob("*/*/seed-*.jsonl")):
        lines = read_trace(path)
        if len(lines) >= 2 and lines[0].get("kind") == "header" and lines[-1].get("kind") == "end":
            studies.append(Study.from_trace(lines))
    return studies


def _optima(out: Path, studies: Sequence[Study], references: dict[str, Any]) -> dict[str, float]:
    """``f*`` per problem: the stated optimum, or the best value ever observed (kept in out)."""
    path = out / OPTIMA_FILE
    stored: dict[str, float] = {}
    if path.exists():
        with open(path, encoding="utf-8") as file:
            stored = json.load(file)
    optima: dict[str, float] = {}
    for name in dict.fromkeys(s.problem for s in studies):
        problem = _REGISTRY.get(name)
        if problem is not None and problem.optimum is not None:
            optima[name] = problem.optimum
            continue
        candidates = [float(np.nanmin(s.noiseless)) for s in studies if s.problem == name]
        candidates = [c for c in candidates if math.isfinite(c)]
        if name in stored:
            candidates.append(stored[name])
        best_sampled = references.get(name, {}).get("best")
        if best_sampled is not None:
            candidates.append(float(best_sampled))
        if candidates:
            optima[name] = stored[name] = min(candidates)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(stored, file, indent=1, sort_keys=True)
    return optima


def _median_trials(trials: np.ndarray[Any, Any]) -> float:
    """The lower median of trials to target (a seed that never gets there counts as inf)."""
    return float(np.quantile(trials, 0.5, method="lower"))


def _smallest_adjusted_p(figures: dict[str, ProblemFigures], reference: str) -> float:
    """The smallest p-value Holm's correction can give with these seeds and problems.

    A two-sided Mann-Whitney U test of ``n_a`` against ``n_b`` seeds cannot go below
    ``2 / C(n_a + n_b, n_a)``; Holm multiplies the smallest p-value by the number of problems.
    """
    smallest = 1.0
    for fig in figures.values():
        n_ref = len(fig.seeds.get(reference, []))
        for seeds in fig.seeds.values():
            if n_ref and seeds:
                smallest = min(smallest, 2.0 / math.comb(n_ref + len(seeds), n_ref))
    return min(1.0, smallest * len(figures))


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def report(
    out: str | os.PathLike[str] = "bench-results",
    *,
    reference: str | None = None,
    plots: bool = True,
    n_resamples: int = 2000,
) -> Report:
    """Compute the figures of every finished cell under ``out`` and write the report.

    Args:
        out: The results directory of :func:`hypersweep.bench.run`.
        reference: The optimizer the others are compared with (default: ``optuna-tpe`` if
            present, else the first optimizer found).
        plots: Also draw ``best_so_far.png`` (needs matplotlib).
        n_resamples: Bootstrap resamples of the score interval.

    Returns:
        The report; ``report.md``, ``summary.json`` and the plot are written in ``out``.

    Raises:
        ValueError: If ``out`` holds no finished cell, or ``reference`` is not among them.
    """
    out_dir = Path(out)
    studies = load_studies(out_dir)
    if not studies:
        raise ValueError(
            f"{out_dir} holds no finished benchmark cell; run `hypersweep bench run --out "
            f"{out_dir}` first"
        )
    optimizers = list(dict.fromkeys(s.optimizer for s in studies))
    if reference is None:
        reference = "optuna-tpe" if "optuna-tpe" in optimizers else optimizers[0]
    if reference not in optimizers:
        raise ValueError(
            f"reference must be one of the optimizers in the results ({', '.join(optimizers)}), "
            f"got {reference!r}"
        )
    # The reference's column comes first, the others in alphabetical order.
    optimizers = [reference, *sorted(o for o in optimizers if o != reference)]

    # f_ref for every problem (computed now if the run did not), then f*.
    # Problems in the order of the registry (S1, S2, ..., S10, R1, ...), unknown ones last.
    order = {name: i for i, name in enumerate(_REGISTRY)}
    problem_names = sorted(
        dict.fromkeys(s.problem for s in studies), key=lambda n: (order.get(n, len(order)), n)
    )
    known = [_REGISTRY[name] for name in problem_names if name in _REGISTRY]
    references = ensure_references(known, out_dir) if known else load_references(out_dir)
    optima = _optima(out_dir, studies, references)

    figures: dict[str, ProblemFigures] = {}
    for name in problem_names:
        f_ref = references.get(name, {}).get("f_ref")
        if f_ref is None or name not in optima or not f_ref > optima[name]:
            _logger.warning("Problem %s has no usable f_ref or f*; it is left out.", name)
            continue
        group = [s for s in studies if s.problem == name]
        figures[name] = problem_figures(group, optima[name], float(f_ref))
    if not figures:
        raise ValueError(f"no problem in {out_dir} has both f* and f_ref to normalize with")

    markdown, scores, anytime, ranks, verdicts = _markdown(
        out_dir, studies, figures, optimizers, reference, n_resamples
    )
    paths = [out_dir / "report.md", out_dir / "summary.json"]
    (out_dir / "report.md").write_text(markdown, encoding="utf-8")
    summary = {
        "reference": reference,
        "scores": scores,
        "anytime": anytime,
        "mean_rank": ranks,
        "verdicts": verdicts,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if plots:
        paths.append(plot_curves(figures, out_dir / "best_so_far.png", optimizers))
    return Report(markdown, paths, scores, anytime, ranks, verdicts, reference, figures)


def _markdown(
    out: Path,
    studies: Sequence[Study],
    figures: dict[str, ProblemFigures],
    optimizers: list[str],
    reference: str,
    n_resamples: int,
) -> tuple[
    str,
    dict[str, tuple[float, float, float]],
    dict[str, float],
    dict[str, float],
    dict[str, dict[str, str]],
]:
    names = list(figures)
    lines = [
        "# Benchmark report",
        "",
        f"Results: `{out}`; {len(studies)} finished studies; reference: **{reference}**.",
        "Score = 100 x (1 - mean normalized final regret); brackets: 95% bootstrap interval "
        "(seeds resampled within problems); win/tie/loss: Mann-Whitney U on the final regret "
        "over seeds against the reference, Holm-corrected across problems, alpha 0.05.",
        "",
    ]

    # Per problem: score with interval and the verdict against the reference.
    verdicts: dict[str, dict[str, str]] = {o: {} for o in optimizers}
    effects: dict[str, dict[str, float]] = {o: {} for o in optimizers}
    for optimizer in optimizers:
        pvalues = []
        shared = [
            n for n in names if optimizer in figures[n].regret and reference in figures[n].regret
        ]
        for name in shared:
            fig = figures[name]
            p, effect = mann_whitney(fig.regret[optimizer][:, -1], fig.regret[reference][:, -1])
            pvalues.append(p)
            effects[optimizer][name] = effect
        for name, p_adjusted in zip(shared, holm(pvalues), strict=True):
            verdicts[optimizer][name] = verdict(effects[optimizer][name], p_adjusted)

    header = ["problem", "T", "seeds", *optimizers]
    rows = []
    for name in names:
        fig = figures[name]
        any_curve = next(iter(fig.normalized.values()))
        row = [name, str(any_curve.shape[1]), str(any_curve.shape[0])]
        for optimizer in optimizers:
            if optimizer not in fig.normalized:
                row.append("-")
                continue
            final = {name: fig.normalized[optimizer][:, -1]}
            low, high = bootstrap_score_interval(final, n_resamples)
            mark = "" if optimizer == reference else f" {verdicts[optimizer].get(name, '')}"
            row.append(f"{_fmt(score(final))} [{_fmt(low)}, {_fmt(high)}]{mark}")
        rows.append(row)

    # Across problems: score, anytime score, mean rank, wins and the Wilcoxon test.
    scores: dict[str, tuple[float, float, float]] = {}
    anytime: dict[str, float] = {}
    for optimizer in optimizers:
        final = {
            n: figures[n].normalized[optimizer][:, -1]
            for n in names
            if optimizer in figures[n].normalized
        }
        curves = {
            n: figures[n].normalized[optimizer]
            for n in names
            if optimizer in figures[n].normalized
        }
        low, high = bootstrap_score_interval(final, n_resamples)
        scores[optimizer] = (score(final), low, high)
        anytime[optimizer] = anytime_score(curves)
    ranks = mean_ranks(
        {
            n: {o: figures[n].regret[o][:, -1] for o in optimizers if o in figures[n].regret}
            for n in names
            if len({len(s) for s in figures[n].seeds.values()}) == 1
        }
    )
    rows.append(
        [
            "**score**",
            "",
            "",
            *[
                f"**{_fmt(scores[o][0])}** [{_fmt(scores[o][1])}, {_fmt(scores[o][2])}]"
                for o in optimizers
            ],
        ]
    )
    rows.append(["anytime score", "", "", *[_fmt(anytime[o]) for o in optimizers]])
    rows.append(["mean rank", "", "", *[_fmt(ranks.get(o, math.nan), 2) for o in optimizers]])
    wtl_row = ["win/tie/loss", "", ""]
    wilcoxon_row = ["Wilcoxon p", "", ""]
    for optimizer in optimizers:
        if optimizer == reference:
            wtl_row.append("(reference)")
            wilcoxon_row.append("")
            continue
        counts = [list(verdicts[optimizer].values()).count(v) for v in ("win", "tie", "loss")]
        wtl_row.append("/".join(map(str, counts)))
        shared = [
            n
            for n in names
            if optimizer in figures[n].normalized and reference in figures[n].normalized
        ]
        p = wilcoxon(
            [float(np.mean(figures[n].normalized[optimizer][:, -1])) for n in shared],
            [float(np.mean(figures[n].normalized[reference][:, -1])) for n in shared],
        )
        wilcoxon_row.append(f"{p:.3g}")
    rows += [wtl_row, wilcoxon_row]
    lines += ["## Score", "", *_table(header, rows), ""]
    smallest = _smallest_adjusted_p(figures, reference)
    if smallest >= 0.05:
        lines += [
            f"With these seeds and {len(names)} problems the smallest Holm-adjusted p-value a "
            f"problem can reach is {smallest:.3g} >= 0.05: no per-problem difference can be "
            "significant, so every verdict is a tie. Use more seeds (the full tier has 20).",
            "",
        ]

    # The score by kind of problem (continuous, integer, noisy, ...).
    kinds: dict[str, list[str]] = {}
    for name in names:
        problem = _REGISTRY.get(name)
        kinds.setdefault("custom" if problem is None else problem.kind, []).append(name)
    if len(kinds) > 1:
        kind_rows = []
        for kind, members in kinds.items():
            row = [kind, ", ".join(members)]
            for optimizer in optimizers:
                final = {
                    n: figures[n].normalized[optimizer][:, -1]
                    for n in members
                    if optimizer in figures[n].normalized
                }
                if not final:
                    row.append("-")
                    continue
                low, high = bootstrap_score_interval(final, n_resamples)
                row.append(f"{_fmt(score(final))} [{_fmt(low)}, {_fmt(high)}]")
            kind_rows.append(row)
        lines += [
            "## Score by kind of problem",
            "",
            *_table(["kind", "problems", *optimizers], kind_rows),
            "",
        ]

    # Trials to target: the reference's median final regret.
    ttt_rows = []
    shares: dict[str, list[float]] = {optimizer: [] for optimizer in optimizers}
    for name in names:
        fig = figures[name]
        if reference not in fig.regret:
            continue
        budget = fig.regret[reference].shape[1]
        target = float(np.median(fig.regret[reference][:, -1]))
        ref_median = _median_trials(trials_to_target(fig.regret[reference], target))
        row = [name, f"{target:.3g}"]
        for optimizer in optimizers:
            if optimizer not in fig.regret:
                row.append("-")
                continue
            median = _median_trials(trials_to_target(fig.regret[optimizer], target))
            shares[optimizer].append(median / budget)
            if not math.isfinite(median):
                row.append("never")
            elif not math.isfinite(ref_median):
                row.append(f"{median:.0f}")
            else:
                row.append(f"{median:.0f} (x{ref_median / median:.2f})")
        ttt_rows.append(row)
    if ttt_rows:
        share_row = ["**median over problems of trials / T**", ""]
        for optimizer in optimizers:
            median_share = (
                _median_trials(np.array(shares[optimizer])) if shares[optimizer] else math.nan
            )
            share_row.append(
                "-"
                if math.isnan(median_share)
                else "never"
                if math.isinf(median_share)
                else f"**{median_share:.2f}**"
            )
        ttt_rows.append(share_row)
    lines += [
        "## Trials to target",
        "",
        "Median over seeds of the first trial whose regret reaches the reference's median final "
        "regret (the target); in brackets the gain = the reference's trials / the optimizer's "
        "(lower median; 'never': the median seed does not reach the target). Last row: that "
        "trial count as a share of the problem's budget T, median over problems.",
        "",
        *_table(["problem", "target regret", *optimizers], ttt_rows),
        "",
    ]

    # Overhead of ask plus tell, apart from the objective's own time.
    overhead_rows = []
    for optimizer in optimizers:
        times = [s.ask_tell_s for s in studies if s.optimizer == optimizer]
        figures_at = overhead(times)
        objective = np.concatenate([s.objective_s for s in studies if s.optimizer == optimizer])
        cells = [
            f"{1e3 * figures_at[t][0]:.1f} / {1e3 * figures_at[t][1]:.1f}"
            if t in figures_at
            else "-"
            for t in OVERHEAD_TRIALS
        ]
        overhead_rows.append([optimizer, *cells, f"{1e3 * float(np.median(objective)):.2f}"])
    lines += [
        "## Overhead",
        "",
        "Time in ask plus tell around trial t (trials t - 4 to t + 5 of every study), "
        "milliseconds, median / 95th percentile; the last column is the objective's own median "
        "time.",
        "",
        *_table(
            ["optimizer", *[f"t={t}" for t in OVERHEAD_TRIALS], "objective (ms)"], overhead_rows
        ),
        "",
    ]

    # Generalization of the real tasks and failed trials.
    test_rows = []
    for name in names:
        fig = figures[name]
        if any(fig.test_values.values()):
            test_rows.append(
                [name]
                + [
                    f"{np.mean(fig.test_values[o]):.4g} +- {np.std(fig.test_values[o]):.2g}"
                    if fig.test_values.get(o)
                    else "-"
                    for o in optimizers
                ]
            )
    if test_rows:
        lines += [
            "## Generalization",
            "",
            "Held-out test value of the incumbent (mean +- sd over seeds; lower is better).",
            "",
            *_table(["problem", *optimizers], test_rows),
            "",
        ]
    failed = [
        [name, o, str(figures[name].n_failed[o])]
        for name in names
        for o in optimizers
        if figures[name].n_failed.get(o)
    ]
    if failed:
        lines += ["## Failed trials", "", *_table(["problem", "optimizer", "failed"], failed), ""]
    return "\n".join(lines), scores, anytime, ranks, verdicts


def plot_curves(figures: dict[str, ProblemFigures], path: Path, optimizers: Sequence[str]) -> Path:
    """Draw one panel per problem: median normalized regret with an interquartile band.

    Raises:
        ImportError: If matplotlib is not installed.
    """
    matplotlib = import_optional("matplotlib")
    matplotlib.use("Agg")
    plt = import_optional("matplotlib.pyplot")
    ticker = import_optional("matplotlib.ticker")

    names = list(figures)
    n_cols = min(4, len(names))
    n_rows = math.ceil(len(names) / n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(4.2 * n_cols, 3.3 * n_rows + 0.8), squeeze=False
    )
    colors = plt.get_cmap("tab10")
    for index, name in enumerate(names):
        ax = axes[index // n_cols][index % n_cols]
        problem = _REGISTRY.get(name)
        title = (
            name
            if problem is None or not problem.description
            else f"{name}: {problem.description}"
        )
        lowest = 1.0
        for k, optimizer in enumerate(optimizers):
            if optimizer not in figures[name].normalized:
                continue
            curves = np.maximum(figures[name].normalized[optimizer], PLOT_FLOOR)
            t = np.arange(1, curves.shape[1] + 1)
            low, median, high = np.percentile(curves, [25, 50, 75], axis=0)
            ax.plot(t, median, color=colors(k % 10), lw=1.8, label=optimizer)
            ax.fill_between(t, low, high, color=colors(k % 10), alpha=0.18, lw=0)
            lowest = min(lowest, float(np.min(low)))

        # Whole decades on a log scale, so that every panel has labelled ticks, with a margin
        # below so that a curve at the floor stays visible.
        ax.set_yscale("log")
        decade = 10.0 ** math.floor(math.log10(max(lowest, PLOT_FLOOR)) + 1e-9)
        ax.set_ylim(decade / 1.6, 1.15)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.set_title(textwrap.fill(title, 46), fontsize=9.5)
        ax.set_xlabel("trial", fontsize=8.5)
        ax.set_ylabel("normalized regret", fontsize=8.5)
        ax.tick_params(labelsize=8)
        ax.grid(True, which="major", alpha=0.3)
    for index in range(len(names), n_rows * n_cols):
        axes[index // n_cols][index % n_cols].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="lower center", ncol=min(len(labels), 6), fontsize=10, frameon=False
    )
    fig.suptitle(
        "Best-so-far normalized regret (median, band: 25-75% over seeds; lower is better; "
        f"floored at {PLOT_FLOOR:g})",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.06 if n_rows > 1 else 0.1, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
