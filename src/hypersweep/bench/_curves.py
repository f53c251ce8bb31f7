"""Learning-curve tables LC1 and LC2: trained once, cached, then looked up in microseconds.

``make_curves`` trains every configuration of a table epoch by epoch with ``partial_fit`` and
stores the validation error (1 - accuracy) after each epoch:

* LC1: ``MLPClassifier`` on digits (70% train / 30% validation, stratified, seed 0); learning
  rate, alpha, hidden size, batch size (log scale) and activation.
* LC2: ``SGDClassifier`` on a synthetic 20-feature, two-class set with 15% of the labels
  flipped (3,000 samples, seed 0); alpha and eta0 (log), learning-rate schedule, loss and
  penalty, and the l1 ratio for the elastic net only. Its curves are noisy and not monotone.

The configurations are drawn uniformly from the task's search space (seed 0). Tables live in
the user cache directory (:func:`cache_dir`), never in the repository.

**Lookup rule.** An objective on a table answers a suggested configuration with the curve of
the *nearest* tabulated one: every numeric parameter is mapped to ``[0, 1]`` (log scale for
log parameters), a parameter that only one of the two configurations has counts as a distance
of 1, and each categorical mismatch counts as 10, so categories always match first when a row
with the same categories exists; the distance is Euclidean and ties go to the lowest row.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
import dataclasses
import functools
import hashlib
import json
import os
from pathlib import Path
import time
from typing import Any
import warnings

import numpy as np
import numpy.typing as npt

from hypersweep.bench._optional import import_optional
from hypersweep.bench._problem import Problem
from hypersweep.bench._space import Categorical
from hypersweep.bench._space import Condition
from hypersweep.bench._space import Float
from hypersweep.bench._space import Int
from hypersweep.bench._space import SearchSpace
from hypersweep.bench._space import TrialLike

CACHE_ENV = "HYPERSWEEP_CACHE_DIR"
TABLE_VERSION = 1
CATEGORY_MISMATCH = 10.0
DEFAULT_CONFIGS = 300
DEFAULT_EPOCHS = 40

LC1_SPACE = SearchSpace(
    [
        Float("learning_rate_init", 1e-4, 1e-1, log=True),
        Float("alpha", 1e-6, 1e-1, log=True),
        Int("hidden_size", 16, 256, log=True),
        Int("batch_size", 16, 256, log=True),
        Categorical("activation", ("relu", "tanh", "logistic")),
    ]
)
LC2_SPACE = SearchSpace(
    [
        Float("alpha", 1e-6, 1e-1, log=True),
        Float("eta0", 1e-4, 1.0, log=True),
        Categorical("learning_rate", ("constant", "optimal", "invscaling")),
        Categorical("loss", ("hinge", "log_loss", "modified_huber")),
        Categorical("penalty", ("l2", "l1", "elasticnet")),
        Float("l1_ratio", 0.0, 1.0, condition=Condition("penalty", ("elasticnet",))),
    ]
)
CURVE_TASKS: dict[str, SearchSpace] = {"LC1": LC1_SPACE, "LC2": LC2_SPACE}
"""The learning-curve tasks and their search spaces."""


def cache_dir() -> Path:
    """The user cache directory: ``$HYPERSWEEP_CACHE_DIR``, else ``$XDG_CACHE_HOME/hypersweep``,
    else ``~/.cache/hypersweep``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hypersweep"


def check_task(task: str) -> None:
    """Refuse a task that has no learning-curve table.

    Raises:
        ValueError: If the task is not one of :data:`CURVE_TASKS`.
    """
    if task not in CURVE_TASKS:
        raise ValueError(f"task must be one of {sorted(CURVE_TASKS)}, got {task!r}")


def table_path(task: str, directory: Path | None = None) -> Path:
    """Where the table of ``task`` is cached.

    Raises:
        ValueError: If the task is unknown.
    """
    check_task(task)
    return (directory or cache_dir()) / "curves" / f"{task.lower()}-v{TABLE_VERSION}.npz"


@dataclasses.dataclass(frozen=True)
class CurveTable:
    """Validation-error curves of tabulated configurations.

    Attributes:
        task: ``LC1`` or ``LC2``.
        params: One configuration per row.
        errors: Validation error after each epoch, shape ``(n_configs, n_epochs)``.
        seconds: Training seconds per configuration, shape ``(n_configs,)``.
        made_with: Versions of the packages that trained the table (empty for tables made
            before they were recorded). The curves depend on them: the same seeds give other
            curves under another scikit-learn or numpy, so figures from two machines compare
            only when these and :attr:`fingerprint` agree.
    """

    task: str
    params: tuple[dict[str, Any], ...]
    errors: npt.NDArray[np.float64]
    seconds: npt.NDArray[np.float64]
    made_with: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """A short hash of the configurations and their curves, to tell two tables apart."""
        digest = hashlib.blake2b(digest_size=6)
        digest.update(json.dumps(self.params, sort_keys=True).encode())
        digest.update(np.ascontiguousarray(self.errors).tobytes())
        return digest.hexdigest()

    def describe(self) -> str:
        """One line naming the table, its fingerprint and what made it."""
        versions = ", ".join(f"{name} {version}" for name, version in self.made_with.items())
        return (
            f"{self.task}: {self.errors.shape[0]} configurations x {self.n_epochs} epochs, "
            f"fingerprint {self.fingerprint}, made with {versions or 'unrecorded versions'}"
        )

    @property
    def n_epochs(self) -> int:
        """Epochs per curve."""
        return int(self.errors.shape[1])

    @property
    def optimum(self) -> float:
        """The smallest final validation error in the table."""
        return float(np.min(self.errors[:, -1]))

    @property
    def best_row(self) -> int:
        """The row with the smallest final error (the lowest such row)."""
        return int(np.argmin(self.errors[:, -1]))

    def nearest(self, params: Mapping[str, Any]) -> int:
        """The row nearest to ``params`` under the lookup rule of this module."""
        return int(np.argmin(_distances(self.task, self.params, params)))


def _distances(
    task: str, rows: tuple[dict[str, Any], ...], params: Mapping[str, Any]
) -> npt.NDArray[np.float64]:
    space = CURVE_TASKS[task]
    squared = np.zeros(len(rows))
    for param in space.params:
        mine = params.get(param.name)
        theirs = [row.get(param.name) for row in rows]
        if isinstance(param, Categorical):
            squared += np.array([CATEGORY_MISMATCH**2 * (t != mine) for t in theirs])
            continue
        for i, value in enumerate(theirs):
            if (value is None) != (mine is None):
                squared[i] += 1.0
            elif value is not None and mine is not None:
                delta = space.numeric_unit(param, value) - space.numeric_unit(param, mine)
                squared[i] += delta**2
    return np.sqrt(squared)


# --- Training the tables ---------------------------------------------------------------------


@functools.cache
def _data(task: str) -> tuple[Any, Any, Any, Any]:
    datasets = import_optional("sklearn.datasets")
    model_selection = import_optional("sklearn.model_selection")
    if task == "LC1":
        x, y = datasets.load_digits(return_X_y=True)
        x = x / 16.0
    else:
        x, y = datasets.make_classification(
            n_samples=3000, n_features=20, n_informative=8, n_redundant=4, flip_y=0.15,
            class_sep=0.8, random_state=0,
        )  # fmt: skip
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    split = model_selection.train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    return split[0], split[1], split[2], split[3]


def _model(task: str, params: Mapping[str, Any], seed: int) -> Any:
    if task == "LC1":
        neural_network = import_optional("sklearn.neural_network")
        return neural_network.MLPClassifier(
            hidden_layer_sizes=(params["hidden_size"],),
            activation=params["activation"],
            alpha=params["alpha"],
            batch_size=params["batch_size"],
            learning_rate_init=params["learning_rate_init"],
            random_state=seed,
        )
    linear_model = import_optional("sklearn.linear_model")
    return linear_model.SGDClassifier(
        loss=params["loss"],
        penalty=params["penalty"],
        alpha=params["alpha"],
        l1_ratio=params.get("l1_ratio", 0.15),
        learning_rate=params["learning_rate"],
        eta0=params["eta0"],
        random_state=seed,
    )


def train_curve(task: str, params: Mapping[str, Any], n_epochs: int, seed: int) -> list[float]:
    """Train one configuration for ``n_epochs`` epochs; the validation error after each."""
    x, x_valid, y, y_valid = _data(task)
    classes = np.unique(y)
    model = _model(task, params, seed)
    rng = np.random.default_rng(seed)
    errors = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(n_epochs):
            order = rng.permutation(len(y))
            model.partial_fit(x[order], y[order], classes=classes)
            errors.append(float(1.0 - np.mean(model.predict(x_valid) == y_valid)))
    return errors


def _training_versions() -> dict[str, str]:
    sklearn = import_optional("sklearn")
    return {"scikit-learn": str(sklearn.__version__), "numpy": np.__version__}


def make_curves(
    task: str,
    *,
    n_configs: int = DEFAULT_CONFIGS,
    n_epochs: int = DEFAULT_EPOCHS,
    seed: int = 0,
    directory: Path | None = None,
    on_config: Callable[[int, int], None] | None = None,
) -> Path:
    """Train the table of ``task`` and cache it; return its path.

    Args:
        task: ``LC1`` or ``LC2``.
        n_configs: Configurations, drawn uniformly from the task's space.
        n_epochs: Epochs per configuration.
        seed: Seed of the configurations and of the training.
        directory: Cache directory (default: :func:`cache_dir`).
        on_config: Called as ``on_config(n_done, n_configs)`` after each configuration.

    Raises:
        ValueError: If the task is unknown or a count is below 1.
    """
    check_task(task)
    if n_configs < 1 or n_epochs < 1:
        raise ValueError(
            f"n_configs and n_epochs must be >= 1, got n_configs={n_configs}, n_epochs={n_epochs}"
        )
    rng = np.random.default_rng([seed, TABLE_VERSION])
    configs = [CURVE_TASKS[task].sample(rng) for _ in range(n_configs)]
    errors = np.empty((n_configs, n_epochs))
    seconds = np.empty(n_configs)
    threadpoolctl = import_optional("threadpoolctl")
    # One thread: the small matrix products of these models gain nothing from more.
    with threadpoolctl.threadpool_limits(1):
        for row, params in enumerate(configs):
            start = time.perf_counter()
            errors[row] = train_curve(task, params, n_epochs, seed + row)
            seconds[row] = time.perf_counter() - start
            if on_config is not None:
                on_config(row + 1, n_configs)
    path = table_path(task, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.stem + ".partial.npz")
    np.savez(
        temporary,
        errors=errors,
        seconds=seconds,
        params=np.array(json.dumps(configs)),
        made_with=np.array(json.dumps(_training_versions())),
    )
    os.replace(temporary, path)
    load_curves.cache_clear()
    return path


@functools.cache
def load_curves(task: str, directory: Path | None = None) -> CurveTable:
    """The cached table of ``task``.

    Raises:
        ValueError: If the task is unknown.
        FileNotFoundError: If the table was never made; the message gives the command.
    """
    path = table_path(task, directory)
    if not path.exists():
        raise FileNotFoundError(
            f"the learning-curve table of {task} is not in {path.parent}; make it once with "
            "`hypersweep bench make-curves` (or set HYPERSWEEP_CACHE_DIR to where it is)"
        )
    with np.load(path) as data:
        return CurveTable(
            task=task,
            params=tuple(json.loads(str(data["params"]))),
            errors=np.asarray(data["errors"], dtype=np.float64),
            seconds=np.asarray(data["seconds"], dtype=np.float64),
            made_with=json.loads(str(data["made_with"])) if "made_with" in data else {},
        )


@dataclasses.dataclass(frozen=True)
class CurveObjective:
    """The final validation error of the tabulated configuration nearest to the suggestion."""

    task: str
    directory: Path | None = None

    def __call__(self, trial: TrialLike) -> float:
        table = load_curves(self.task, self.directory)
        row = table.nearest(CURVE_TASKS[self.task].suggest(trial))
        return float(table.errors[row, -1])


def curve_problem(task: str, directory: Path | None = None) -> Problem:
    """The sampler problem of a cached table (the optimum is the table's best final error).

    Raises:
        FileNotFoundError: If the table was never made.
    """
    table = load_curves(task, directory)
    return Problem(
        name=task,
        objective=CurveObjective(task, directory),
        n_trials=100,
        optimum=table.optimum,
        argmin=table.params[table.best_row],
        kind="learning-curve",
        description=f"final validation error, {task} table of {len(table.params)} configs",
        n_reference_samples=2000,
        space=CURVE_TASKS[task],
        tolerance=0.0,
    )
