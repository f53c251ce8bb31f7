"""The root ``hypersweep`` group: global options, the error policy, lazily loaded commands."""

from __future__ import annotations

from collections.abc import Sequence
import errno
import importlib
from typing import ClassVar

import click

from hypersweep._exceptions import HypersweepError
from hypersweep._exceptions import StudyNotFoundError
from hypersweep.cli._context import DEFAULT_STORAGE
from hypersweep.cli._context import STORAGE_ENVVAR
from hypersweep.cli._context import CliState
from hypersweep.cli._context import one_line
from hypersweep.cli._export import export_command
from hypersweep.cli._manage import delete_command
from hypersweep.cli._manage import storage_group
from hypersweep.cli._studies import studies_command
from hypersweep.cli._trials import best_command
from hypersweep.cli._trials import trials_command

BENCH_MODULE = "hypersweep.bench._cli"
BENCH_INSTALL = "pip install 'hypersweep[bench]'"
_BENCH_HELP = f"Run benchmarks and report their results (needs: {BENCH_INSTALL})."


def _bench_unavailable(reason: str) -> click.Command:
    """A stand-in ``bench`` command that explains why the harness cannot run."""
    message = f"the benchmark harness is not available: {reason}; install it with: {BENCH_INSTALL}"

    def fail() -> None:
        raise click.ClickException(message)

    return click.Command(
        "bench",
        callback=fail,
        help=_BENCH_HELP,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


def load_bench() -> click.Command:
    """The ``bench`` group of :mod:`hypersweep.bench`, imported only when it is asked for.

    Its module needs optional dependencies (Optuna, scikit-learn); without them, or without the
    module, a stand-in command says what to install.
    """
    try:
        module = importlib.import_module(BENCH_MODULE)
    except ImportError as error:
        missing = getattr(error, "name", None) or ""
        if missing.startswith("hypersweep.bench") or missing == "hypersweep":
            reason = "it is not part of this installation"
        elif isinstance(error, ModuleNotFoundError) and missing:
            reason = f"it needs {missing!r}, which is not installed"
        else:
            reason = f"importing it failed ({one_line(str(error))})"
        return _bench_unavailable(reason)

    command = getattr(module, "bench", None)
    if not isinstance(command, click.Command):
        found = [
            value
            for value in vars(module).values()
            if isinstance(value, click.Command) and value.name == "bench"
        ]
        if not found:
            return _bench_unavailable(f"{BENCH_MODULE} defines no click command named 'bench'")
        command = found[0]
    return command


class RootGroup(click.Group):
    """The ``hypersweep`` group.

    It turns every error into one ``Error: ...`` line on standard error with exit code 1 (usage
    errors keep click's exit code 2), and imports the ``bench`` command only when it is run.
    """

    lazy_commands: ClassVar[dict[str, str]] = {"bench": _BENCH_HELP}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "bench":
            return load_bench()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listed without importing the lazy commands: `hypersweep --help` stays fast and works
        # when their optional dependencies are missing.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy_commands:
                rows.append((name, self.lazy_commands[name]))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except StudyNotFoundError as error:
            raise click.ClickException(
                f"{one_line(str(error))}; list the studies with: hypersweep studies"
            ) from None
        except HypersweepError as error:
            raise click.ClickException(one_line(str(error))) from None
        except Exception as error:
            if isinstance(error, OSError) and error.errno == errno.EPIPE:
                raise  # A closed pipe (`hypersweep export ... | head`): click exits quietly.
            state = ctx.find_object(CliState)
            if state is not None and state.debug:
                raise
            raise click.ClickException(
                f"unexpected {type(error).__name__}: {one_line(str(error))} (run again with "
                "--debug to see the traceback)"
            ) from None


@click.group(
    "hypersweep",
    cls=RootGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--storage",
    metavar="URL",
    envvar=STORAGE_ENVVAR,
    default=DEFAULT_STORAGE,
    show_default=True,
    show_envvar=True,
    help=(
        "The storage holding the studies: sqlite:///path.db, "
        "postgresql+psycopg://user:password@host/db, or a file path (SQLite)."
    ),
)
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.version_option(
    None,
    "--version",
    "-V",
    package_name="hypersweep",
    prog_name="hypersweep",
    message="%(prog)s %(version)s",
)
@click.pass_context
def cli(ctx: click.Context, storage: str, debug: bool) -> None:
    """Inspect, export and manage hypersweep studies.

    Every command reads the storage given by --storage (or the HYPERSWEEP_STORAGE
    environment variable); commands that name a study take it as their argument:

    \b
        hypersweep studies
        hypersweep --storage sqlite:///tune.db trials my-study --sort value
        hypersweep best my-study --json
        hypersweep export my-study --format csv --output trials.csv
    """
    ctx.obj = CliState(storage_url=storage, debug=debug)


cli.add_command(studies_command)
cli.add_command(trials_command)
cli.add_command(best_command)
cli.add_command(export_command)
cli.add_command(delete_command)
cli.add_command(storage_group)


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``hypersweep`` command (the console script's entry point).

    Args:
        args: The arguments; ``None`` reads them from the command line.
    """
    cli.main(args=None if args is None else list(args), prog_name="hypersweep")
