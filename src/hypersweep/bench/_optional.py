"""Lazy imports of the benchmark's optional dependencies, with one wording when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

_PACKAGE_OF = {
    "optuna": "optuna",
    "sklearn": "scikit-learn",
    "matplotlib": "matplotlib",
    "matplotlib.pyplot": "matplotlib",
}
_IN_EXTRA = {"optuna", "scikit-learn", "matplotlib", "greenlet", "torch"}


def import_optional(module: str) -> ModuleType:
    """Import ``module``, or raise an ``ImportError`` that says how to install it.

    Raises:
        ImportError: If the module is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = _PACKAGE_OF.get(module, module.split(".")[0])
        command = (
            "pip install 'hypersweep[bench]'" if package in _IN_EXTRA else f"pip install {package}"
        )
        raise ImportError(
            f"the benchmark needs {package!r} for this, but it is not installed; install it "
            f"with: {command}"
        ) from error
