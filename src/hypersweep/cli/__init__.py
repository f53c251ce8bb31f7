"""The ``hypersweep`` command: list, inspect, export and delete studies from a shell.

Commands: ``studies``, ``trials STUDY``, ``best STUDY``, ``export STUDY``, ``delete STUDY``,
``storage upgrade`` and, with ``hypersweep[bench]`` installed, ``bench``. Run
``hypersweep --help`` or ``hypersweep COMMAND --help`` for their options.

Example:
    >>> from click.testing import CliRunner
    >>> from hypersweep.cli import cli
    >>> result = CliRunner().invoke(cli, ["--version"])
    >>> result.output
    'hypersweep 0.1.0\\n'
"""

from hypersweep.cli._main import cli
from hypersweep.cli._main import main

__all__ = ["cli", "main"]
