"""Optimizers by name: hypersweep's samplers and the Optuna references behind one interface.

An optimizer is named ``NAME`` or ``NAME[key=value,...]`` (the options are passed to the
sampler's constructor, as ``hs-tpe[n_startup_trials=5,multivariate=true]``). Every optimizer
is driven through the ask-and-tell interface of its library by an :class:`OptimizerAdapter`,
so the driver treats them alike. Names resolve lazily: a sampler that this version of
hypersweep does not have, or a missing Optuna, gives an error that lists what is available.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
import dataclasses
import importlib.util
import inspect
import re
from typing import Any
from typing import Protocol

from hypersweep.bench._optional import import_optional
from hypersweep.bench._space import SearchSpace
from hypersweep.bench._space import to_hypersweep
from hypersweep.bench._space import to_optuna

COMPLETE = "complete"
FAIL = "fail"
PRUNED = "pruned"


class OptimizerAdapter(Protocol):
    """One study of one optimizer, driven by ask and tell."""

    def ask(self, space: SearchSpace | None) -> Any:
        """Start a trial; with a flat ``space`` its parameters are sampled at once."""

    def tell(self, trial: Any, value: float | None, state: str) -> None:
        """Finish ``trial`` as ``complete`` (with its value), ``fail`` or ``pruned``."""


class _AskTellAdapter:
    """A study in memory driven by ``ask`` and ``tell``; hypersweep and Optuna share this API.

    Args:
        study: The library's study.
        convert: Turns the neutral search space into the library's distributions.
        states: The library's ``TrialState`` enum.
    """

    def __init__(
        self, study: Any, convert: Callable[[SearchSpace], dict[str, Any]], states: Any
    ) -> None:
        self.study = study
        self._convert = convert
        self._states = states
        self._distributions: dict[int, dict[str, Any]] = {}

    def ask(self, space: SearchSpace | None) -> Any:
        if space is None or not space.is_flat:
            return self.study.ask()
        key = id(space)
        if key not in self._distributions:
            self._distributions[key] = self._convert(space)
        return self.study.ask(self._distributions[key])

    def tell(self, trial: Any, value: float | None, state: str) -> None:
        if state == COMPLETE:
            self.study.tell(trial, value)
        elif state == PRUNED:
            self.study.tell(trial, state=self._states.PRUNED)
        else:
            self._tell_failed(trial, value)

    def _tell_failed(self, trial: Any, value: float | None) -> None:
        self.study.tell(trial, state=self._states.FAIL)


class HypersweepAdapter(_AskTellAdapter):
    """A hypersweep study in memory (``study_name`` seeds name-hashed choices, as Hyperband's)."""

    def __init__(self, sampler: Any, pruner: Any = None, study_name: str | None = None) -> None:
        import hypersweep

        study = hypersweep.create_study(study_name=study_name, sampler=sampler, pruner=pruner)
        super().__init__(study, to_hypersweep, hypersweep.TrialState)

    def _tell_failed(self, trial: Any, value: float | None) -> None:
        # hypersweep keeps the value of a diverged run (NaN or infinite) on the FAIL trial.
        self.study.tell(trial, value, state=self._states.FAIL)


class OptunaAdapter(_AskTellAdapter):
    """An Optuna study in memory (``study_name`` seeds name-hashed choices, as Hyperband's)."""

    def __init__(self, sampler: Any, pruner: Any = None, study_name: str | None = None) -> None:
        optuna = import_optional("optuna")
        study = optuna.create_study(study_name=study_name, sampler=sampler, pruner=pruner)
        super().__init__(study, to_optuna, optuna.trial.TrialState)


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """A named optimizer: how to build it, and why it is unavailable if it is.

    Attributes:
        name: The name used on the command line (``hs-tpe``, ``optuna-gp``).
        description: One line for ``hypersweep bench list``.
        build: ``build(seed, options)`` returns a fresh adapter.
        missing: Returns why the optimizer cannot be built here, or ``None`` if it can.
    """

    name: str
    description: str
    build: Callable[[int, Mapping[str, Any]], OptimizerAdapter]
    missing: Callable[[], str | None]


def _construct(cls: Any, seed: int, options: Mapping[str, Any]) -> Any:
    kwargs = dict(options)
    if "seed" in inspect.signature(cls).parameters and "seed" not in kwargs:
        kwargs["seed"] = seed
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ValueError(
            f"options {dict(options)!r} do not fit {cls.__name__}: {error}; see "
            f"help({cls.__module__}.{cls.__name__}) for its arguments"
        ) from error


def _hypersweep_missing(class_name: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        from hypersweep import samplers

        if getattr(samplers, class_name, None) is None:
            return f"hypersweep.samplers has no {class_name} in this version"
        return None

    return missing


def _hypersweep_build(class_name: str) -> Callable[[int, Mapping[str, Any]], OptimizerAdapter]:
    def build(seed: int, options: Mapping[str, Any]) -> OptimizerAdapter:
        from hypersweep import samplers

        return HypersweepAdapter(_construct(getattr(samplers, class_name), seed, options))

    return build


def _optuna_missing(class_name: str, needs: tuple[str, ...] = ()) -> Callable[[], str | None]:
    def missing() -> str | None:
        try:
            optuna = import_optional("optuna")
        except ImportError as error:
            return str(error)
        for module in needs:
            # Looked up, not imported: torch takes seconds to import.
            if importlib.util.find_spec(module) is None:
                command = (
                    "pip install 'hypersweep[bench]'"
                    if module == "torch"
                    else f"pip install {module}"
                )
                return f"it needs {module!r}, which is not installed; install it with: {command}"
        if getattr(optuna.samplers, class_name, None) is None:
            return f"optuna.samplers has no {class_name} in Optuna {optuna.__version__}"
        return None

    return missing


def _optuna_build(class_name: str) -> Callable[[int, Mapping[str, Any]], OptimizerAdapter]:
    def build(seed: int, options: Mapping[str, Any]) -> OptimizerAdapter:
        optuna = import_optional("optuna")
        return OptunaAdapter(_construct(getattr(optuna.samplers, class_name), seed, options))

    return build


def _hypersweep_spec(name: str, class_name: str, description: str) -> OptimizerSpec:
    return OptimizerSpec(
        name, description, _hypersweep_build(class_name), _hypersweep_missing(class_name)
    )


def _optuna_spec(
    name: str, class_name: str, description: str, needs: tuple[str, ...] = ()
) -> OptimizerSpec:
    return OptimizerSpec(
        name, description, _optuna_build(class_name), _optuna_missing(class_name, needs)
    )


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in [
        _hypersweep_spec("hs-random", "RandomSampler", "hypersweep RandomSampler"),
        _hypersweep_spec("random", "RandomSampler", "hypersweep RandomSampler (alias)"),
        _hypersweep_spec("hs-qmc", "QMCSampler", "hypersweep QMCSampler (scrambled Sobol)"),
        _hypersweep_spec("hs-tpe", "TPESampler", "hypersweep TPESampler"),
        _hypersweep_spec("hs-gp", "GPSampler", "hypersweep GPSampler"),
        _hypersweep_spec("hs-auto", "AutoSampler", "hypersweep AutoSampler"),
        _optuna_spec("optuna-random", "RandomSampler", "Optuna RandomSampler()"),
        _optuna_spec("optuna-tpe", "TPESampler", "Optuna TPESampler() with default settings"),
        _optuna_spec(
            "optuna-gp", "GPSampler", "Optuna GPSampler() with default settings", ("torch",)
        ),
        _optuna_spec(
            "optuna-cmaes", "CmaEsSampler", "Optuna CmaEsSampler() with default settings",
            ("cmaes",),
        ),
    ]
}  # fmt: skip
"""Every optimizer the benchmark knows by name (``random`` is ``hs-random``)."""

_OPTION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def split_names(text: str) -> list[str]:
    """Split a comma-separated list of names, keeping commas inside ``[...]`` options.

    Example:
        >>> split_names("random,hs-tpe[n_startup_trials=5,multivariate=true],optuna-gp")
        ['random', 'hs-tpe[n_startup_trials=5,multivariate=true]', 'optuna-gp']
    """
    names: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += char
    names.append(current.strip())
    return [name for name in names if name]


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip("'\"")


def parse_optimizer(label: str) -> tuple[str, dict[str, Any]]:
    """Split ``NAME[key=value,...]`` into the name and its options.

    Raises:
        ValueError: If the brackets or an option are malformed.

    Example:
        >>> parse_optimizer("hs-tpe[n_startup_trials=5,multivariate=true]")
        ('hs-tpe', {'n_startup_trials': 5, 'multivariate': True})
    """
    label = label.strip()
    if "[" not in label:
        return label, {}
    if not label.endswith("]") or label.count("[") != 1:
        raise ValueError(
            f"an optimizer must be written NAME or NAME[key=value,...], got {label!r}"
        )
    name, inner = label[:-1].split("[", 1)
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in inner.split(","))):
        match = _OPTION.match(item)
        if match is None:
            raise ValueError(f"optimizer options must be key=value, got {item!r} in {label!r}")
        options[match.group(1)] = _parse_value(match.group(2))
    return name.strip(), options


def available_optimizers() -> list[str]:
    """The names of the optimizers that can be built here."""
    return [name for name, spec in OPTIMIZERS.items() if spec.missing() is None]


def check_optimizer(label: str) -> None:
    """Raise unless ``label`` names an optimizer that can be built here.

    Raises:
        ValueError: If the name is unknown or unavailable; the message lists what is.
    """
    name, _ = parse_optimizer(label)
    spec = OPTIMIZERS.get(name)
    if spec is None:
        raise ValueError(
            f"unknown optimizer {name!r}; available: {', '.join(available_optimizers())}"
        )
    reason = spec.missing()
    if reason is not None:
        raise ValueError(
            f"optimizer {name!r} is not available: {reason}; available: "
            f"{', '.join(available_optimizers())}"
        )


def make_optimizer(label: str, seed: int) -> OptimizerAdapter:
    """A fresh adapter for the optimizer ``label`` (``NAME`` or ``NAME[key=value,...]``).

    Args:
        label: The optimizer's name with optional options.
        seed: The seed given to the sampler (every optimizer gets the same one per run).

    Raises:
        ValueError: If the name is unknown or unavailable, or the options do not fit.
    """
    check_optimizer(label)
    name, options = parse_optimizer(label)
    return OPTIMIZERS[name].build(seed, options)
