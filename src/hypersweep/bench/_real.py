"""Real model tuning R1-R4 on scikit-learn's bundled data sets (no download).

Each data set is split once into training (80%) and held-out test (20%) parts, stratified for
classification, with seed 0. The objective is the mean of a fixed 5-fold cross-validation on
the training part (shuffled, seed 0); the held-out value of a configuration (its
generalization) fits on the whole training part and scores on the test part. The optimum is
unknown: the report takes ``f*`` as the best value ever observed across all runs. scikit-learn
is imported lazily (``pip install 'hypersweep[bench]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
import functools
from typing import Any
import warnings

import numpy as np

from hypersweep.bench._optional import import_optional
from hypersweep.bench._problem import Problem
from hypersweep.bench._space import Categorical
from hypersweep.bench._space import Condition
from hypersweep.bench._space import Float
from hypersweep.bench._space import Int
from hypersweep.bench._space import SearchSpace
from hypersweep.bench._space import TrialLike

N_FOLDS = 5
SPLIT_SEED = 0
N_REFERENCE_SAMPLES = 64


@functools.cache
def load_split(dataset: str) -> tuple[Any, Any, Any, Any]:
    """``(X_train, X_test, y_train, y_test)`` of a bundled data set (cached per process)."""
    datasets = import_optional("sklearn.datasets")
    model_selection = import_optional("sklearn.model_selection")
    loader = {
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[dataset]
    x, y = loader(return_X_y=True)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    classification = dataset != "diabetes"
    if dataset == "digits":
        x = x / 16.0
    if not classification:
        y = (y - y.mean()) / y.std()
    split = model_selection.train_test_split(
        x, y, test_size=0.2, random_state=SPLIT_SEED, stratify=y if classification else None
    )
    return split[0], split[1], split[2], split[3]


def _pipeline(*steps: Any) -> Any:
    pipeline = import_optional("sklearn.pipeline")
    return pipeline.make_pipeline(*steps)


def _r1_model(params: Mapping[str, Any]) -> Any:
    svm = import_optional("sklearn.svm")
    return svm.SVC(
        C=params["C"], gamma=params["gamma"], tol=params["tol"], probability=True, random_state=0
    )


def _r2_model(params: Mapping[str, Any]) -> Any:
    ensemble = import_optional("sklearn.ensemble")
    return ensemble.HistGradientBoostingClassifier(
        learning_rate=params["learning_rate"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        max_features=params["max_features"],
        random_state=0,
    )


def _r3_model(params: Mapping[str, Any]) -> Any:
    neural_network = import_optional("sklearn.neural_network")
    preprocessing = import_optional("sklearn.preprocessing")
    return _pipeline(
        preprocessing.StandardScaler(),
        neural_network.MLPClassifier(
            hidden_layer_sizes=(params["hidden_size"],),
            alpha=params["alpha"],
            batch_size=params["batch_size"],
            learning_rate_init=params["learning_rate_init"],
            tol=params["tol"],
            beta_1=params["beta_1"],
            beta_2=params["beta_2"],
            epsilon=params["epsilon"],
            validation_fraction=params["validation_fraction"],
            early_stopping=True,
            max_iter=200,
            random_state=0,
        ),
    )


def _r4_model(params: Mapping[str, Any]) -> Any:
    preprocessing = import_optional("sklearn.preprocessing")
    if params["model"] == "svr":
        svm = import_optional("sklearn.svm")
        return _pipeline(
            preprocessing.StandardScaler(),
            svm.SVR(C=params["svr_C"], epsilon=params["svr_epsilon"], gamma=params["svr_gamma"]),
        )
    if params["model"] == "random_forest":
        ensemble = import_optional("sklearn.ensemble")
        return ensemble.RandomForestRegressor(
            n_estimators=params["rf_n_estimators"],
            max_depth=params["rf_max_depth"],
            min_samples_leaf=params["rf_min_samples_leaf"],
            max_features=params["rf_max_features"],
            random_state=0,
            n_jobs=1,
        )
    linear_model = import_optional("sklearn.linear_model")
    return _pipeline(
        preprocessing.StandardScaler(),
        linear_model.ElasticNet(
            alpha=params["enet_alpha"], l1_ratio=params["enet_l1_ratio"], max_iter=5000
        ),
    )


@dataclasses.dataclass(frozen=True)
class _Task:
    dataset: str
    model: str
    metric: str

    def build(self, params: Mapping[str, Any]) -> Any:
        return {"R1": _r1_model, "R2": _r2_model, "R3": _r3_model, "R4": _r4_model}[self.model](
            params
        )

    def loss(self, model: Any, x: Any, y: Any) -> float:
        metrics = import_optional("sklearn.metrics")
        if self.metric == "log_loss":
            return float(metrics.log_loss(y, model.predict_proba(x), labels=np.unique(y)))
        if self.metric == "error":
            return float(1.0 - metrics.accuracy_score(y, model.predict(x)))
        return float(metrics.mean_squared_error(y, model.predict(x)))

    def cross_validate(self, params: Mapping[str, Any]) -> float:
        model_selection = import_optional("sklearn.model_selection")
        x, _, y, _ = load_split(self.dataset)
        if self.metric == "mse":
            folds = model_selection.KFold(N_FOLDS, shuffle=True, random_state=SPLIT_SEED)
        else:
            folds = model_selection.StratifiedKFold(N_FOLDS, shuffle=True, random_state=SPLIT_SEED)
        losses = []
        with warnings.catch_warnings():
            # Convergence and clipping notices of the models are part of what is tuned.
            warnings.simplefilter("ignore")
            for train, valid in folds.split(x, y):
                model = self.build(params).fit(x[train], y[train])
                losses.append(self.loss(model, x[valid], y[valid]))
        return float(np.mean(losses))

    def held_out(self, params: Mapping[str, Any]) -> float:
        x, x_test, y, y_test = load_split(self.dataset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self.build(params).fit(x, y)
            return self.loss(model, x_test, y_test)


@dataclasses.dataclass(frozen=True)
class RealObjective:
    """The cross-validated loss of a model configuration suggested from ``space``."""

    space: SearchSpace
    task: _Task

    def __call__(self, trial: TrialLike) -> float:
        return self.task.cross_validate(self.space.suggest(trial))


@dataclasses.dataclass(frozen=True)
class RealTest:
    """The held-out test loss of a configuration (the generalization of the incumbent)."""

    task: _Task

    def __call__(self, params: Mapping[str, Any]) -> float:
        return self.task.held_out(params)


def _model_when(*models: str) -> Condition:
    return Condition("model", tuple(models))


def _real(name: str, params: list[Any], task: _Task, n_trials: int, description: str) -> Problem:
    space = SearchSpace(params)
    return Problem(
        name=name,
        objective=RealObjective(space, task),
        n_trials=n_trials,
        optimum=None,
        kind="real",
        description=description,
        test_objective=RealTest(task),
        n_reference_samples=N_REFERENCE_SAMPLES,
        space=space,
    )


def real_problems() -> list[Problem]:
    """R1-R4 as the protocol defines them."""
    svr, rf, enet = _model_when("svr"), _model_when("random_forest"), _model_when("elastic_net")
    return [
        _real(
            "R1",
            [
                Float("C", 1e-2, 1e3, log=True),
                Float("gamma", 1e-4, 10.0, log=True),
                Float("tol", 1e-5, 1e-1, log=True),
            ],
            _Task("digits", "R1", "log_loss"), 100, "SVC (RBF) on digits, log-loss",
        ),
        _real(
            "R2",
            [
                Float("learning_rate", 1e-3, 1.0, log=True),
                Int("max_leaf_nodes", 2, 128, log=True),
                Int("min_samples_leaf", 1, 64, log=True),
                Float("l2_regularization", 1e-6, 10.0, log=True),
                Float("max_features", 0.1, 1.0),
            ],
            _Task("breast_cancer", "R2", "log_loss"), 100,
            "HistGradientBoosting on breast_cancer, log-loss",
        ),
        _real(
            "R3",
            [
                Int("hidden_size", 4, 256, log=True),
                Float("alpha", 1e-6, 1e-1, log=True),
                Int("batch_size", 8, 128, log=True),
                Float("learning_rate_init", 1e-4, 1e-1, log=True),
                Float("tol", 1e-5, 1e-2, log=True),
                Float("beta_1", 0.5, 0.99),
                Float("beta_2", 0.9, 0.9999),
                Float("epsilon", 1e-9, 1e-6, log=True),
                Float("validation_fraction", 0.05, 0.3),
            ],
            _Task("wine", "R3", "error"), 100, "MLP (Adam) on wine, 1 - accuracy",
        ),
        _real(
            "R4",
            [
                Categorical("model", ("svr", "random_forest", "elastic_net")),
                Float("svr_C", 1e-2, 1e3, log=True, condition=svr),
                Float("svr_epsilon", 1e-3, 1.0, log=True, condition=svr),
                Float("svr_gamma", 1e-4, 1.0, log=True, condition=svr),
                Int("rf_n_estimators", 10, 200, log=True, condition=rf),
                Int("rf_max_depth", 2, 32, log=True, condition=rf),
                Int("rf_min_samples_leaf", 1, 32, log=True, condition=rf),
                Float("rf_max_features", 0.1, 1.0, condition=rf),
                Float("enet_alpha", 1e-4, 10.0, log=True, condition=enet),
                Float("enet_l1_ratio", 0.0, 1.0, condition=enet),
            ],
            _Task("diabetes", "R4", "mse"), 100,
            "model choice (SVR, random forest, elastic net) on diabetes, MSE (standardized y)",
        ),
    ]  # fmt: skip
