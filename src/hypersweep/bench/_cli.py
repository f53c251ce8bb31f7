"""``hypersweep bench``: run, report, make the learning-curve tables, benchmark pruners, list."""

from __future__ import annotations

import importlib
from pathlib import Path
import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TaskID
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.progress import TimeRemainingColumn

from hypersweep.bench._curves import CURVE_TASKS
from hypersweep.bench._curves import DEFAULT_CONFIGS
from hypersweep.bench._curves import DEFAULT_EPOCHS
from hypersweep.bench._curves import make_curves
from hypersweep.bench._driver import TIERS
from hypersweep.bench._driver import Cell
from hypersweep.bench._driver import run
from hypersweep.bench._optimizers import OPTIMIZERS
from hypersweep.bench._optimizers import split_names
from hypersweep.bench._problem import _REGISTRY
from hypersweep.bench._pruning import PRUNERS
from hypersweep.bench._pruning import RANDOM
from hypersweep.bench._pruning import SAMPLERS
from hypersweep.bench._pruning import run_pruning
from hypersweep.bench._report import report

_DEFAULT_OUT = "bench-results"


def _import_modules(modules: tuple[str, ...]) -> None:
    """Import the user's modules so that the problems they register exist."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise click.ClickException(
                f"--import must name an importable module, got {module!r}: {error}"
            ) from error


_import_option = click.option(
    "--import",
    "modules",
    multiple=True,
    help="A module to import first (it registers your own problems); repeatable.",
)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=Console(stderr=True),
    )


@click.group(name="bench")
def bench() -> None:
    """Benchmark samplers and pruners the same way each time (protocol: BENCHMARK.md)."""


@bench.command(name="run")
@click.option("--tier", type=click.Choice(sorted(TIERS)), default="quick", show_default=True)
@click.option(
    "--optimizers",
    default="random,optuna-tpe,optuna-gp",
    show_default=True,
    help="Comma-separated names, each optionally NAME[key=value,...].",
)
@click.option(
    "--problems", default=None, help="Comma-separated problem ids (default: the tier's)."
)
@click.option("--seeds", type=int, default=None, help="Number of seeds (default: the tier's).")
@click.option("--n-trials", type=int, default=None, help="One budget for every problem.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--out", type=click.Path(file_okay=False), default=_DEFAULT_OUT, show_default=True)
@_import_option
def run_command(
    tier: str,
    optimizers: str,
    problems: str | None,
    seeds: int | None,
    n_trials: int | None,
    jobs: int,
    out: str,
    modules: tuple[str, ...],
) -> None:
    """Run the cells not finished yet in OUT (an interrupted run resumes)."""
    _import_modules(modules)
    labels = split_names(optimizers)
    names = split_names(problems) if problems else None
    start = time.monotonic()
    with _progress() as progress:
        task = progress.add_task("cells", total=None, last="")

        def on_cell(cell: Cell, skipped: bool, done: int, total: int) -> None:
            what = "skipped" if skipped else "done"
            last = f"{cell.problem} {cell.optimizer} seed {cell.seed} {what}"
            progress.update(task, completed=done, total=total, last=last)

        try:
            summary = run(
                labels,
                tier=tier,
                problems=names,
                seeds=seeds,
                n_trials=n_trials,
                jobs=jobs,
                out=out,
                on_cell=on_cell,
            )
        except (ValueError, ImportError) as error:
            raise click.ClickException(str(error)) from error
    click.echo(
        f"{len(summary.ran)} cells run, {len(summary.skipped)} skipped as finished, "
        f"{summary.n_failed_trials} failed trials recorded, {time.monotonic() - start:.0f} s; "
        f"results in {summary.out}"
    )
    for cell, message in summary.errors:
        click.echo(
            f"cell {cell.problem} {cell.optimizer} seed {cell.seed} failed: {message}", err=True
        )
    if summary.errors:
        sys.exit(1)


@bench.command(name="report")
@click.option("--out", type=click.Path(file_okay=False), default=_DEFAULT_OUT, show_default=True)
@click.option("--reference", default=None, help="Optimizer to compare with (default: optuna-tpe).")
@click.option("--no-plots", is_flag=True, help="Skip the PNG plots (no matplotlib needed).")
@_import_option
def report_command(
    out: str, reference: str | None, no_plots: bool, modules: tuple[str, ...]
) -> None:
    """Print the table of the results in OUT; write report.md and the plots there."""
    _import_modules(modules)
    try:
        result = report(out, reference=reference, plots=not no_plots)
    except (ValueError, ImportError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(result.markdown)
    click.echo("Written: " + ", ".join(str(p) for p in result.paths))


@bench.command(name="make-curves")
@click.option("--tasks", default="LC1,LC2", show_default=True)
@click.option("--n-configs", type=int, default=DEFAULT_CONFIGS, show_default=True)
@click.option("--n-epochs", type=int, default=DEFAULT_EPOCHS, show_default=True)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Default: $HYPERSWEEP_CACHE_DIR, else the user cache directory.",
)
def make_curves_command(tasks: str, n_configs: int, n_epochs: int, cache_dir: str | None) -> None:
    """Train the learning-curve tables once and cache them (minutes)."""
    directory = Path(cache_dir) if cache_dir else None
    names = split_names(tasks)
    unknown = [name for name in names if name not in CURVE_TASKS]
    if not names or unknown:
        given = ", ".join(repr(name) for name in unknown) if unknown else "none"
        raise click.ClickException(f"tasks must be among {', '.join(CURVE_TASKS)}, got {given}")
    for task_name in names:
        with _progress() as progress:
            bar = progress.add_task(task_name, total=n_configs, last="")

            def on_config(done: int, total: int, bar: TaskID = bar) -> None:
                progress.update(bar, completed=done)

            path = make_curves(
                task_name,
                n_configs=n_configs,
                n_epochs=n_epochs,
                directory=directory,
                on_config=on_config,
            )
        click.echo(f"{task_name}: {path}")


@bench.command(name="prune")
@click.option(
    "--pruners",
    default="hs-median,hs-sha,hs-hyperband,optuna-median,optuna-sha,optuna-hyperband",
    show_default=True,
    help="Comma-separated names ('none' always runs as the baseline).",
)
@click.option("--tasks", default="LC1,LC2", show_default=True)
@click.option("--seeds", type=int, default=10, show_default=True)
@click.option("--budget", type=int, default=30, show_default=True, help="In full trainings.")
@click.option(
    "--third/--no-third",
    default=True,
    show_default=True,
    help="Also run each pruner with a third of the budget and test whether it matches no "
    "pruning with the whole budget.",
)
@click.option(
    "--sampler",
    type=click.Choice(list(SAMPLERS)),
    default=RANDOM,
    show_default=True,
    help="Who picks the configurations: one random order of the rows for every pruner, or each "
    "pruner's library's TPE (auto: hypersweep's AutoSampler beside Optuna's TPE).",
)
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None)
@click.option("--out", type=click.Path(file_okay=False), default=_DEFAULT_OUT, show_default=True)
def prune_command(
    pruners: str,
    tasks: str,
    seeds: int,
    budget: int,
    third: bool,
    sampler: str,
    cache_dir: str | None,
    out: str,
) -> None:
    """Benchmark pruners on the learning-curve tables and print the tables."""
    try:
        result = run_pruning(
            split_names(pruners),
            tasks=split_names(tasks),
            seeds=seeds,
            budget_trainings=budget,
            directory=Path(cache_dir) if cache_dir else None,
            out=out,
            third_budget=third,
            sampler=sampler,
        )
    except (ValueError, ImportError, FileNotFoundError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(result.markdown)


@bench.command(name="list")
@_import_option
def list_command(modules: tuple[str, ...]) -> None:
    """List the problems and the optimizers and pruners (with availability)."""
    _import_modules(modules)
    click.echo("Problems:")
    for name, problem in _REGISTRY.items():
        optimum = "unknown (best observed)" if problem.optimum is None else f"{problem.optimum:g}"
        click.echo(f"  {name:6} T={problem.n_trials:<4} f*={optimum:24} {problem.description}")
    missing_tables = [t for t in CURVE_TASKS if t not in _REGISTRY]
    if missing_tables:
        click.echo(f"  ({', '.join(missing_tables)}: run `hypersweep bench make-curves` first)")
    click.echo("Optimizers:")
    for name, spec in OPTIMIZERS.items():
        reason = spec.missing()
        state = "" if reason is None else f"  [unavailable: {reason}]"
        click.echo(f"  {name:14} {spec.description}{state}")
    click.echo("Pruners:")
    for name, pruner in PRUNERS.items():
        reason = pruner.missing()
        state = "" if reason is None else f"  [unavailable: {reason}]"
        click.echo(f"  {name:16} {pruner.description}{state}")
    click.echo("Tiers:")
    for tier in TIERS.values():
        click.echo(f"  {tier.name:6} {tier.n_seeds} seeds, problems {', '.join(tier.problems)}")
