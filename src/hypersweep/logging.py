"""The library logger.

hypersweep logs through the ``hypersweep`` logger and its children and installs no handler of its
own, so applications decide what is shown. :func:`set_verbosity` is the one explicit way to attach
a handler for scripts and notebooks.

Levels: INFO for each finished or pruned trial, WARNING for each failed trial, DEBUG for benign
races and retries.
"""

from __future__ import annotations

import logging
import threading

_ROOT_NAME = "hypersweep"
_lock = threading.Lock()
_handler: logging.Handler | None = None

CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG


def get_logger(name: str) -> logging.Logger:
    """The logger of a hypersweep module (``name`` is its ``__name__``)."""
    if name != _ROOT_NAME and not name.startswith(_ROOT_NAME + "."):
        name = f"{_ROOT_NAME}.{name}"
    return logging.getLogger(name)


def set_verbosity(level: int) -> None:
    """Show hypersweep's log lines at ``level`` and above on standard error.

    Installs one stream handler on the ``hypersweep`` logger the first time it is called.

    Example:
        >>> import hypersweep
        >>> hypersweep.logging.set_verbosity(hypersweep.logging.WARNING)
    """
    global _handler
    root = logging.getLogger(_ROOT_NAME)
    with _lock:
        if _handler is None:
            _handler = logging.StreamHandler()
            _handler.setFormatter(logging.Formatter("[%(levelname)s %(asctime)s] %(message)s"))
            root.addHandler(_handler)
            root.propagate = False
    root.setLevel(level)


def get_verbosity() -> int:
    """The effective level of the ``hypersweep`` logger."""
    return logging.getLogger(_ROOT_NAME).getEffectiveLevel()
