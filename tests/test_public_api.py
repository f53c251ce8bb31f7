"""Each package's ``__all__`` is its public face: every name resolves, and nothing is missing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "hypersweep",
    "hypersweep.distributions",
    "hypersweep.trial",
    "hypersweep.study",
    "hypersweep.samplers",
    "hypersweep.pruners",
    "hypersweep.storages",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_resolve_and_are_sorted(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported), f"keep {name}.__all__ sorted"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr}, which does not exist"


@pytest.mark.parametrize("name", PACKAGES)
def test_public_classes_are_exported(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and isinstance(value, type)
        and getattr(value, "__module__", "").startswith(name)
    }
    assert public <= set(module.__all__), f"{name} does not export {public - set(module.__all__)}"


def test_the_names_users_look_for() -> None:
    import hypersweep

    for name in ("RandomSampler", "GridSampler", "QMCSampler"):
        assert hasattr(hypersweep.samplers, name)
    for name in ("NopPruner", "MedianPruner"):
        assert hasattr(hypersweep.pruners, name)
    for name in ("RUNNING", "WAITING", "COMPLETE", "PRUNED", "FAIL"):
        assert hasattr(hypersweep.TrialState, name)


def test_import_leaves_the_database_and_gaussian_process_stacks_unloaded() -> None:
    # SQLAlchemy and scipy.optimize cost most of the import time; a study in memory with
    # another sampler, and the command line before it opens a database, never need them.
    code = (
        "import sys, hypersweep\n"
        "print(sorted(m for m in ('sqlalchemy', 'scipy.optimize', 'scipy.linalg') "
        "if m in sys.modules))\n"
        "from hypersweep.samplers import GPSampler\n"
        "from hypersweep.storages import SQLStorage, upgrade_storage\n"
        "print(GPSampler.__name__, SQLStorage.__name__, upgrade_storage.__name__)\n"
        "print('sqlalchemy' in sys.modules, 'scipy.optimize' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == [
        "[]",
        "GPSampler SQLStorage upgrade_storage",
        "True True",
    ]
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        importlib.import_module("hypersweep.storages").Nope  # noqa: B018
