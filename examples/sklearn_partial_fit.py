"""Tune scikit-learn's SGDClassifier with successive halving, one ``partial_fit`` per epoch.

Each trial trains on the digits data set (bundled with scikit-learn) one pass at a time with
``partial_fit`` and reports the validation accuracy; ``SuccessiveHalvingPruner`` stops the
trials that are outside the top third of the trials that got as far. The study maximizes
accuracy.

Run it with ``python examples/sklearn_partial_fit.py``.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hypersweep
from hypersweep import pruners

N_EPOCHS = 20


def make_data(seed: int) -> tuple[np.ndarray, ...]:
    """Standardized digits, split into training and validation sets."""
    x, y = load_digits(return_X_y=True)
    x_train, x_valid, y_train, y_valid = train_test_split(
        x, y, test_size=0.3, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), y_train, scaler.transform(x_valid), y_valid


def objective(trial: hypersweep.Trial, data: tuple[np.ndarray, ...]) -> float:
    """Up to ``N_EPOCHS`` passes of ``partial_fit``; the final validation accuracy."""
    x_train, y_train, x_valid, y_valid = data
    model = SGDClassifier(
        loss=trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
        alpha=trial.suggest_float("alpha", 1e-7, 1e-1, log=True),
        learning_rate="constant",
        eta0=trial.suggest_float("eta0", 1e-5, 1.0, log=True),
        random_state=trial.number,
    )
    classes = np.unique(y_train)
    rng = np.random.default_rng(trial.number)

    accuracy = 0.0
    for epoch in range(N_EPOCHS):
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        accuracy = float(model.score(x_valid, y_valid))

        # Report after every pass; stop when the pruner says so.
        trial.report(accuracy, step=epoch)
        if trial.should_prune():
            raise hypersweep.TrialPruned()
    return accuracy


def main(n_trials: int = 60, seed: int = 0) -> hypersweep.Study:
    """Run the study and return it."""
    data = make_data(seed)
    pruner = pruners.SuccessiveHalvingPruner(max_resource=N_EPOCHS - 1)
    study = hypersweep.create_study(
        direction="maximize",
        sampler=hypersweep.samplers.RandomSampler(seed=seed),
        pruner=pruner,
    )
    study.optimize(lambda trial: objective(trial, data), n_trials=n_trials)
    return study


if __name__ == "__main__":
    result = main()
    states = [t.state.name for t in result.trials]
    print(f"complete: {states.count('COMPLETE')}, pruned: {states.count('PRUNED')}")
    print(f"best validation accuracy {result.best_value:.4f} with {result.best_params}")
