"""The pruner benchmark on the learning-curve tables LC1 and LC2.

Each study gets a fixed budget of epochs, ``budget_trainings`` full trainings (30 by default).
Trial ``n`` of seed ``s`` trains the ``n``-th configuration of a random order of the table's
rows drawn from ``s``, the same order for every pruner (common random numbers), reports its
validation error after each epoch (steps 1..E) and asks the pruner whether to stop. A training
that the budget cuts short is recorded as failed. Figures per study:

* regret of the returned configuration (the best COMPLETE trial) against the table's best
  final error;
* epochs to match: the epochs spent until the returned configuration's regret is no worse
  than what the study without pruning (``none``) returns with its whole budget;
* pruned-better rate: the share of pruned trials whose full curve ends below the returned one.

One third of the budget: every pruner (``none`` included) also runs with a third of the epochs
(rounded down), with the same seeds, and is tested against ``none`` with the whole budget. The
pruner at ``B/3`` matches no pruning at ``B`` on a task when both hold:

1. a one-sided Mann-Whitney U test of "its regret is higher" gives a Holm-corrected p-value of
   at least 0.05 (Holm across every task and pruner of this comparison), and
2. its mean regret is no higher than the mean regret of ``none`` at ``B``.

Condition 1 alone only says that the seeds showed no evidence of a loss; condition 2 asks the
point estimate to agree, so a pruner cannot match by being merely too noisy to reject. ``none``
at ``B/3`` is in the table as a check that the test can tell a third of the budget from all of
it. The runs are deterministic, and no pruner knows the budget, so a study at ``B/3`` repeats
the first ``B/3`` epochs of the study at ``B``; unlike "epochs to match", which compares each
seed with the same seed without pruning and takes the median, this compares the distributions
over seeds.

Samplers (``sampler``, see :data:`SAMPLERS`): with ``random`` (the default) no sampler picks the
configurations; every study walks the same random order of the rows, as described above. With
``tpe`` or ``auto`` the study's sampler suggests each trial's configuration in the task's search
space and the trial trains the nearest tabulated row (the lookup rule of
:mod:`hypersweep.bench._curves`), so the sampler learns from every trial it is told about,
pruned ones included. Each library's pruner runs with its own library's sampler (``none`` and
the ``hs-`` pruners with hypersweep's, the ``optuna-`` pruners with Optuna's, at its default
settings), so "versus Optuna" compares the two libraries whole, sampler and pruner together.
Optuna has no AutoSampler: with ``auto`` its pruners run with its ``TPESampler``.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from hypersweep.bench._curves import CURVE_TASKS
from hypersweep.bench._curves import check_task
from hypersweep.bench._curves import load_curves
from hypersweep.bench._driver import quiet_libraries
from hypersweep.bench._optimizers import COMPLETE
from hypersweep.bench._optimizers import FAIL
from hypersweep.bench._optimizers import PRUNED
from hypersweep.bench._optimizers import HypersweepAdapter
from hypersweep.bench._optimizers import OptimizerAdapter
from hypersweep.bench._optimizers import OptunaAdapter
from hypersweep.bench._optimizers import parse_optimizer
from hypersweep.bench._optional import import_optional
from hypersweep.bench._stats import FloatArray
from hypersweep.bench._stats import holm
from hypersweep.bench._stats import mann_whitney
from hypersweep.bench._stats import verdict

NO_PRUNING = "none"

#: The default sampler choice: no sampler, every study walks one random order of the rows.
RANDOM = "random"

#: The reduced budget of the one-third-budget comparison: the full budget divided by this.
THIRD = 3


@dataclasses.dataclass(frozen=True)
class SamplerChoice:
    """A sampler of the pruner benchmark, one per library, so each pruner gets its own library's.

    Attributes:
        name: The name used on the command line.
        description: How the configurations are chosen, for the report's header.
        hypersweep_class: The class in :mod:`hypersweep.samplers` of ``none`` and the ``hs-``
            pruners.
        optuna_class: The class in ``optuna.samplers`` of the ``optuna-`` pruners.
    """

    name: str
    description: str
    hypersweep_class: str
    optuna_class: str

    def hypersweep(self, seed: int) -> Any:
        """hypersweep's sampler, seeded."""
        from hypersweep import samplers

        return getattr(samplers, self.hypersweep_class)(seed=seed)

    def optuna(self, seed: int) -> Any:
        """Optuna's sampler, seeded, with its default settings."""
        return getattr(import_optional("optuna").samplers, self.optuna_class)(seed=seed)


SAMPLERS: dict[str, SamplerChoice] = {
    choice.name: choice
    for choice in [
        SamplerChoice(
            RANDOM,
            "no sampler: configurations in the same random order of the table's rows for every "
            "pruner",
            "RandomSampler",
            "RandomSampler",
        ),
        SamplerChoice(
            "tpe",
            "TPE: hypersweep's TPESampler(seed) for none and the hs- pruners, Optuna's "
            "TPESampler(seed) with its default settings for the optuna- pruners",
            "TPESampler",
            "TPESampler",
        ),
        SamplerChoice(
            "auto",
            "hypersweep's AutoSampler(seed) for none and the hs- pruners; Optuna has no "
            "AutoSampler, so the optuna- pruners get Optuna's TPESampler(seed) with its "
            "default settings",
            "AutoSampler",
            "TPESampler",
        ),
    ]
}
"""The samplers of the pruner benchmark by name (see the module docstring)."""


@dataclasses.dataclass(frozen=True)
class PrunerSpec:
    """A named pruner: how to build a study with it, and why it is unavailable if it is.

    ``build(seed, options, sampler)`` makes the study, with the pruner's library's sampler of
    the :class:`SamplerChoice` ``sampler``.
    """

    name: str
    description: str
    build: Callable[[int, Mapping[str, Any], SamplerChoice], OptimizerAdapter]
    missing: Callable[[], str | None]


def _construct_pruner(module: Any, class_name: str, options: Mapping[str, Any]) -> Any:
    cls = getattr(module, class_name)
    try:
        return cls(**options)
    except TypeError as error:
        raise ValueError(
            f"options {dict(options)!r} do not fit {cls.__name__}: {error}; see "
            f"help({module.__name__}.{class_name}) for its arguments"
        ) from error


def _hypersweep(class_name: str | None) -> PrunerSpec:
    def missing() -> str | None:
        from hypersweep import pruners

        if class_name is not None and getattr(pruners, class_name, None) is None:
            return f"hypersweep.pruners has no {class_name} in this version"
        return None

    def build(seed: int, options: Mapping[str, Any], sampler: SamplerChoice) -> OptimizerAdapter:
        from hypersweep import pruners

        pruner = _construct_pruner(pruners, class_name or "NopPruner", options)
        return HypersweepAdapter(sampler.hypersweep(seed), pruner, f"seed-{seed}")

    name = {
        None: NO_PRUNING,
        "MedianPruner": "hs-median",
        "SuccessiveHalvingPruner": "hs-sha",
        "HyperbandPruner": "hs-hyperband",
    }[class_name]
    return PrunerSpec(name, f"hypersweep {class_name or 'NopPruner'}", build, missing)


def _optuna(class_name: str) -> PrunerSpec:
    def missing() -> str | None:
        try:
            import_optional("optuna")
        except ImportError as error:
            return str(error)
        return None

    def build(seed: int, options: Mapping[str, Any], sampler: SamplerChoice) -> OptimizerAdapter:
        optuna = import_optional("optuna")
        pruner = _construct_pruner(optuna.pruners, class_name, options)
        return OptunaAdapter(sampler.optuna(seed), pruner, f"seed-{seed}")

    name = {
        "MedianPruner": "optuna-median",
        "SuccessiveHalvingPruner": "optuna-sha",
        "HyperbandPruner": "optuna-hyperband",
    }[class_name]
    return PrunerSpec(name, f"Optuna {class_name}() with default settings", build, missing)


PRUNERS: dict[str, PrunerSpec] = {
    spec.name: spec
    for spec in [
        _hypersweep(None),
        _hypersweep("MedianPruner"),
        _hypersweep("SuccessiveHalvingPruner"),
        _hypersweep("HyperbandPruner"),
        _optuna("MedianPruner"),
        _optuna("SuccessiveHalvingPruner"),
        _optuna("HyperbandPruner"),
    ]
}
"""Every pruner the pruner benchmark knows by name (``none`` never prunes)."""


def _check_pruner(label: str) -> tuple[str, dict[str, Any]]:
    name, options = parse_optimizer(label)
    available = [n for n, s in PRUNERS.items() if s.missing() is None]
    spec = PRUNERS.get(name)
    if spec is None:
        raise ValueError(f"unknown pruner {name!r}; available: {', '.join(available)}")
    reason = spec.missing()
    if reason is not None:
        raise ValueError(
            f"pruner {name!r} is not available: {reason}; available: {', '.join(available)}"
        )
    return name, options


def _check_sampler(sampler: str) -> SamplerChoice:
    choice = SAMPLERS.get(sampler)
    if choice is None:
        raise ValueError(
            f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}; pass "
            f"sampler={RANDOM!r} for the order of the rows without a sampler"
        )
    return choice


@dataclasses.dataclass
class PruningStudy:
    """One pruner study on one table with one seed.

    Attributes:
        regret: Final error of the returned configuration minus the table's best (``inf`` if
            no trial completed).
        epochs: Epochs spent after each trial, shape ``(n_trials,)``.
        best_regret: Regret of the returned configuration after each trial (``inf`` before
            the first completed one), shape ``(n_trials,)``.
        n_trials: Trials started.
        n_pruned: Trials pruned.
        pruned_better_rate: Share of pruned trials whose full curve ends below the returned
            configuration's (NaN if none was pruned).
        budget_divisor: The study's budget is the full budget divided by this (rounded down
            to whole epochs): 1 for the full budget, :data:`THIRD` for the one-third runs.
        sampler: The :data:`SAMPLERS` choice that picked the configurations.
    """

    task: str
    pruner: str
    seed: int
    regret: float
    epochs: list[int]
    best_regret: list[float]
    n_trials: int
    n_pruned: int
    pruned_better_rate: float
    budget_divisor: int = 1
    sampler: str = RANDOM

    def epochs_to_reach(self, target: float) -> float:
        """Epochs spent when the returned configuration's regret first reached ``target``."""
        for epochs, regret in zip(self.epochs, self.best_regret, strict=True):
            if regret <= target:
                return float(epochs)
        return math.inf


def configuration_order(seed: int, n_rows: int) -> Iterator[int]:
    """The rows of a table in the order the studies of ``seed`` train them (``random`` sampler).

    A random permutation of the rows drawn from ``seed``, then another when it runs out, and
    so on: every pruner of a seed walks the same order (common random numbers).
    """
    rng = np.random.default_rng([seed, 104729])
    while True:
        yield from (int(row) for row in rng.permutation(n_rows))


def run_pruning_study(
    task: str,
    label: str,
    seed: int,
    budget_trainings: int = 30,
    directory: Path | None = None,
    *,
    budget_divisor: int = 1,
    sampler: str = RANDOM,
) -> PruningStudy:
    """Run one pruner study (see the module docstring).

    Args:
        task: The table.
        label: The pruner, as ``NAME`` or ``NAME[key=value,...]``.
        seed: The seed of the configuration order and of the sampler.
        budget_trainings: The full budget, in full trainings.
        directory: Where the tables are cached (default: the user cache directory).
        budget_divisor: Spend ``budget_trainings * n_epochs // budget_divisor`` epochs.
        sampler: Who picks the configurations, one of :data:`SAMPLERS`.

    Raises:
        ValueError: If the pruner or the sampler is unknown, or the pruner is unavailable.
    """
    name, options = _check_pruner(label)
    choice = _check_sampler(sampler)
    table = load_curves(task, directory)
    space = CURVE_TASKS[task]
    n_rows, n_epochs = table.errors.shape
    final = table.errors[:, -1]
    budget = budget_trainings * n_epochs // budget_divisor
    order = configuration_order(seed, n_rows)
    adapter = PRUNERS[name].build(seed, options, choice)

    used = 0
    best_row: int | None = None
    pruned_rows: list[int] = []
    epochs_after: list[int] = []
    regret_after: list[float] = []
    while used < budget:
        # The configuration: the next row of the random order, or the row nearest to the
        # sampler's suggestion.
        if choice.name == RANDOM:
            row = next(order)
            trial = adapter.ask(None)
        else:
            trial = adapter.ask(space)
            row = table.nearest(space.suggest(trial))
        state = COMPLETE
        for epoch in range(n_epochs):
            if used >= budget:
                state = FAIL
                break
            trial.report(float(table.errors[row, epoch]), epoch + 1)
            used += 1
            if epoch < n_epochs - 1 and trial.should_prune():
                state = PRUNED
                break
        if state == COMPLETE:
            adapter.tell(trial, float(final[row]), COMPLETE)
            if best_row is None or final[row] < final[best_row]:
                best_row = row
        else:
            adapter.tell(trial, None, state)
            if state == PRUNED:
                pruned_rows.append(row)
        epochs_after.append(used)
        regret_after.append(
            math.inf if best_row is None else float(final[best_row] - table.optimum)
        )

    returned = math.inf if best_row is None else float(final[best_row])
    rate = float(np.mean([final[r] < returned for r in pruned_rows])) if pruned_rows else math.nan
    return PruningStudy(
        task=task,
        pruner=label,
        seed=seed,
        regret=regret_after[-1] if regret_after else math.inf,
        epochs=epochs_after,
        best_regret=regret_after,
        n_trials=len(epochs_after),
        n_pruned=len(pruned_rows),
        pruned_better_rate=rate,
        budget_divisor=budget_divisor,
        sampler=sampler,
    )


@dataclasses.dataclass
class PruningReport:
    """The studies of a pruner benchmark and its Markdown table."""

    studies: list[PruningStudy]
    markdown: str


def run_pruning(
    pruners: Sequence[str],
    *,
    tasks: Sequence[str] = ("LC1", "LC2"),
    seeds: int = 10,
    budget_trainings: int = 30,
    directory: Path | None = None,
    out: str | os.PathLike[str] | None = None,
    third_budget: bool = True,
    sampler: str = RANDOM,
) -> PruningReport:
    """Run every pruner on every table and seed, plus ``none`` as the baseline; report.

    Args:
        pruners: Pruner labels (see :data:`PRUNERS`), with options as ``NAME[key=value]``.
        tasks: The tables.
        seeds: Seeds ``0 .. seeds - 1``.
        budget_trainings: The epoch budget, in full trainings.
        directory: Where the tables are cached (default: the user cache directory).
        out: If given, ``pruning.jsonl`` and ``pruning.md`` are written there.
        third_budget: Also run every pruner with a third of the budget and test whether it
            matches no pruning with the whole budget (see the module docstring).
        sampler: Who picks the configurations, one of :data:`SAMPLERS`; each pruner gets its
            own library's sampler.

    Raises:
        ValueError: If a task, a pruner or the sampler is unknown, no task is given, a pruner
            is unavailable or its options do not fit it, or a count is below 1.
        FileNotFoundError: If a table was never made.
    """
    if seeds < 1 or budget_trainings < 1:
        raise ValueError(
            f"seeds and budget_trainings must be >= 1, got seeds={seeds}, "
            f"budget_trainings={budget_trainings}"
        )
    if not tasks:
        raise ValueError(f"tasks must name at least one of {sorted(CURVE_TASKS)}, got none")
    for task in tasks:
        check_task(task)
    _check_sampler(sampler)
    labels = list(dict.fromkeys([NO_PRUNING, *pruners]))
    for label in labels:
        name, options = _check_pruner(label)
        with quiet_libraries():
            PRUNERS[name].build(0, options, SAMPLERS[RANDOM])  # bad options fail before any run
    divisors = [1, THIRD] if third_budget else [1]
    studies = []
    with quiet_libraries():
        for task in tasks:
            for divisor in divisors:
                for label in labels:
                    for seed in range(seeds):
                        studies.append(
                            run_pruning_study(
                                task,
                                label,
                                seed,
                                budget_trainings,
                                directory,
                                budget_divisor=divisor,
                                sampler=sampler,
                            )
                        )
    tables = [load_curves(task, directory).describe() for task in tasks]
    markdown = pruning_markdown(studies, budget_trainings, tables)
    if out is not None:
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(out_dir / "pruning.jsonl", "w", encoding="utf-8") as file:
            for study in studies:
                record = dataclasses.asdict(study)
                record["best_regret"] = [
                    r if math.isfinite(r) else None for r in study.best_regret
                ]
                record["regret"] = study.regret if math.isfinite(study.regret) else None
                rate = study.pruned_better_rate
                record["pruned_better_rate"] = rate if math.isfinite(rate) else None
                file.write(json.dumps(record) + "\n")
        (out_dir / "pruning.md").write_text(markdown, encoding="utf-8")
    return PruningReport(studies, markdown)


def pruning_markdown(
    studies: Sequence[PruningStudy], budget_trainings: int, tables: Sequence[str] = ()
) -> str:
    """The Markdown tables of a pruner benchmark: the full budget, then one third of it.

    ``tables`` describes the learning-curve tables used (:meth:`CurveTable.describe`), so
    that figures from two machines are compared only on the same tables.

    Raises:
        ValueError: If the studies do not all share one sampler.
    """
    samplers = sorted({s.sampler for s in studies})
    if len(samplers) > 1:
        raise ValueError(
            f"the studies of one report must share one sampler, got {', '.join(samplers)}; "
            "report the studies of each sampler apart"
        )
    choice = _check_sampler(samplers[0] if samplers else RANDOM)
    if choice.name == RANDOM:
        picked = f"Sampler: {choice.name} ({choice.description})."
    else:
        picked = (
            f"Sampler: {choice.name} ({choice.description}); each suggestion trains the "
            "nearest row of the table."
        )
    third = [s for s in studies if s.budget_divisor == THIRD]
    studies = [s for s in studies if s.budget_divisor == 1]
    lines = [
        "# Pruner benchmark",
        "",
        picked,
        "",
        *([f"Tables: {'; '.join(tables)}.", ""] if tables else []),
        " ".join(
            [
                f"Budget: {budget_trainings} full trainings of epochs per study, the same",
                "seeds for every pruner. Regret: final validation error of",
                "the returned configuration minus the table's best. Epochs to match: epochs",
                "until the returned regret is no worse than the no-pruning study's final one",
                "(median over seeds, and its share of the budget; 'never' if the median seed",
                "does not get there). No pruning's own row is the yardstick: it reaches its",
                "final result well before its budget ends on most seeds, so compare a pruner's",
                "figure with that row's, not with the whole budget. Versus no pruning:",
                "Mann-Whitney U on the regret over",
                "seeds, Holm-corrected across every task and pruner; A is the chance that a",
                "seed of the pruner ends with a lower regret than one without pruning. Versus",
                "Optuna: the same test of a hypersweep pruner against Optuna's pruner of the",
                "same kind, Holm-corrected across those pairs; A is the chance that",
                "hypersweep's seed ends lower.",
            ]
        ),
        "",
        "| task | pruner | regret mean +- sd | trials | pruned | epochs to match | "
        "pruned better than returned | versus no pruning | versus Optuna |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    baseline = {(s.task, s.seed): s.regret for s in studies if s.pruner == NO_PRUNING}
    budget_epochs = {s.task: s.epochs[-1] for s in studies if s.pruner == NO_PRUNING and s.epochs}
    versus = _versus_no_pruning(studies)
    versus_reference = _versus_reference(studies)
    for task in dict.fromkeys(s.task for s in studies):
        for label in dict.fromkeys(s.pruner for s in studies if s.task == task):
            group = [s for s in studies if s.task == task and s.pruner == label]
            regrets = np.array([s.regret for s in group])
            match = float(
                np.median([s.epochs_to_reach(baseline.get((task, s.seed), 0.0)) for s in group])
            )
            rates = [s.pruned_better_rate for s in group if math.isfinite(s.pruned_better_rate)]
            if not math.isfinite(match):
                match_text = "never"
            elif task in budget_epochs:
                match_text = f"{match:.0f} ({100 * match / budget_epochs[task]:.0f}%)"
            else:
                match_text = f"{match:.0f}"
            lines.append(
                f"| {task} | {label} | {_mean_sd(regrets)} | "
                f"{np.mean([s.n_trials for s in group]):.1f} | "
                f"{np.mean([s.n_pruned for s in group]):.1f} | "
                f"{match_text} | "
                f"{'-' if not rates else f'{100 * np.mean(rates):.1f}%'} | "
                f"{versus.get((task, label), '-')} | "
                f"{versus_reference.get((task, label), '-')} |"
            )
    if third:
        lines += ["", *_third_budget_markdown(third, studies, budget_trainings)]
    return "\n".join(lines) + "\n"


def _third_budget_markdown(
    third: Sequence[PruningStudy], full: Sequence[PruningStudy], budget_trainings: int
) -> list[str]:
    """Each pruner at a third of the budget against no pruning at the whole budget."""
    lines = [
        "## One third of the budget",
        "",
        " ".join(
            [
                f"Every pruner again, with a third of the epochs of {budget_trainings} full",
                "trainings and the same seeds, against no pruning with the whole budget.",
                "p: one-sided Mann-Whitney U of 'the regret at a third is higher',",
                "Holm-corrected across the rows of this table; A is the chance that a seed at a",
                "third ends lower than a seed of no pruning with the whole budget. Matches: p",
                ">= 0.05 and a mean regret no higher than no pruning's with the whole budget",
                "(no evidence of a loss, and a point estimate that agrees).",
            ]
        ),
        "",
        "| task | pruner | regret at 1/3 mean +- sd | median | no pruning at full budget "
        "mean (median) | A | p | matches no pruning at full budget |",
        "|---|---|---|---|---|---|---|---|",
    ]
    # Each (task, pruner) at a third against no pruning at the full budget on that task.
    rows = []
    tests = []
    for task in dict.fromkeys(s.task for s in third):
        reference = np.array([s.regret for s in full if s.task == task and s.pruner == NO_PRUNING])
        if reference.size == 0:
            continue
        for label in dict.fromkeys(s.pruner for s in third if s.task == task):
            regrets = np.array([s.regret for s in third if s.task == task and s.pruner == label])
            rows.append((task, label, regrets, reference))
            tests.append(mann_whitney_worse(regrets, reference))

    # Holm across the table; a match needs no evidence of a loss and a mean no higher.
    adjusted = holm([p for p, _ in tests])
    for (task, label, regrets, reference), (_, effect), p in zip(
        rows, tests, adjusted, strict=True
    ):
        matches = p >= 0.05 and float(np.mean(regrets)) <= float(np.mean(reference))
        lines.append(
            f"| {task} | {label} | {_mean_sd(regrets)} | {np.median(regrets):.4f} | "
            f"{np.mean(reference):.4f} ({np.median(reference):.4f}) | "
            f"{effect:.2f} | {p:.3g} | {'yes' if matches else 'no'} |"
        )
    return lines


def mann_whitney_worse(a: FloatArray, b: FloatArray) -> tuple[float, float]:
    """One-sided Mann-Whitney U test of "``a`` is higher than ``b``" (lower is better).

    Returns:
        ``(p, A)``: the p-value of the alternative that ``a`` tends to exceed ``b``, and
        ``A = P(a < b) + P(a = b) / 2`` as in :func:`hypersweep.bench._stats.mann_whitney`.
        Samples whose values are all equal give ``(1.0, 0.5)``.
    """
    _, effect = mann_whitney(a, b)
    if np.unique(np.concatenate([a, b])).size == 1:
        return 1.0, effect
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue), effect


def _mean_sd(regrets: FloatArray) -> str:
    """``mean +- sd``, or how many seeds returned nothing (no trial completed)."""
    n_empty = int(np.sum(~np.isfinite(regrets)))
    if n_empty:
        return f"inf ({n_empty} of {regrets.size} seeds completed no trial)"
    return f"{np.mean(regrets):.4f} +- {np.std(regrets):.4f}"


def _versus_no_pruning(studies: Sequence[PruningStudy]) -> dict[tuple[str, str], str]:
    """Each (task, pruner) against no pruning on the same task: verdict, effect and Holm p."""
    return _compare(studies, lambda label: None if label == NO_PRUNING else NO_PRUNING)


def _versus_reference(studies: Sequence[PruningStudy]) -> dict[tuple[str, str], str]:
    """Each hypersweep pruner against Optuna's of the same kind (``hs-X`` with ``optuna-X``)."""
    return _compare(
        studies,
        lambda label: "optuna-" + label[3:] if label.startswith("hs-") else None,
    )


def _compare(
    studies: Sequence[PruningStudy], reference_of: Callable[[str], str | None]
) -> dict[tuple[str, str], str]:
    """Mann-Whitney U of each (task, pruner) against ``reference_of(pruner)``, Holm-corrected.

    Pairs whose reference did not run on the task are left out.
    """
    pairs: list[tuple[str, str]] = []
    tests: list[tuple[float, float]] = []
    for task in dict.fromkeys(s.task for s in studies):
        regrets_of: dict[str, list[float]] = {}
        for study in studies:
            if study.task == task:
                regrets_of.setdefault(study.pruner, []).append(study.regret)
        for label, regrets in regrets_of.items():
            reference = reference_of(label)
            if reference is None or reference not in regrets_of:
                continue
            pairs.append((task, label))
            tests.append(mann_whitney(np.array(regrets), np.array(regrets_of[reference])))
    adjusted = holm([p for p, _ in tests])
    return {
        pair: f"{verdict(effect, p)} (A {effect:.2f}, p {p:.3g})"
        for pair, (_, effect), p in zip(pairs, tests, adjusted, strict=True)
    }
