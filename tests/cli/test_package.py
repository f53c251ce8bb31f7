"""The package's public face: its export list, and the example in its docstring."""

from __future__ import annotations

import doctest

import hypersweep.cli


def test_all_is_sorted_and_resolves() -> None:
    assert hypersweep.cli.__all__ == sorted(hypersweep.cli.__all__)
    for name in hypersweep.cli.__all__:
        assert hasattr(hypersweep.cli, name)
    assert callable(hypersweep.cli.main)


def test_docstring_example_runs() -> None:
    failures, attempts = doctest.testmod(hypersweep.cli, raise_on_error=False)

    assert attempts > 0
    assert failures == 0
