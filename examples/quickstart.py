"""Tune a neural network on handwritten digits, with early stopping, in about a minute.

A real tuning job: scikit-learn's MLPClassifier on its bundled digits data set (no download),
trained epoch by epoch with ``partial_fit``. hypersweep chooses the learning rate, the network's
depth and width, the optimizer and, for SGD only, the momentum (a conditional parameter); the
median rule stops runs that fall behind. Published defaults are enqueued first. Everything is
kept in an SQLite file, so the study can be inspected afterwards with ``hypersweep studies`` and
continued by running this script again.

Run:
    python examples/quickstart.py [--n-trials 40] [--storage sqlite:///hypersweep.db]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import hypersweep

N_EPOCHS = 20


def make_objective(seed: int = 0):  # type: ignore[no-untyped-def]
    digits = load_digits()
    x_train, x_valid, y_train, y_valid = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=seed, stratify=digits.target
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_valid = scaler.transform(x_train), scaler.transform(x_valid)
    classes = np.unique(digits.target)

    def objective(trial: hypersweep.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 4)
        width = trial.suggest_int("width", 16, 256, log=True)
        optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        momentum = 0.9
        if optimizer == "sgd":
            momentum = trial.suggest_float("momentum", 0.0, 0.99)

        model = MLPClassifier(
            hidden_layer_sizes=(width,) * layers,
            solver=optimizer,
            learning_rate_init=lr,
            momentum=momentum,
            batch_size=64,
            random_state=seed,
        )
        error = 1.0
        for epoch in range(N_EPOCHS):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(x_train, y_train, classes=classes)
            error = 1.0 - model.score(x_valid, y_valid)
            trial.report(error, step=epoch)
            if trial.should_prune():
                raise hypersweep.TrialPruned()
        return error

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description="Tune an MLP on the digits data set.")
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--storage", default="sqlite:///hypersweep.db")
    parser.add_argument("--study-name", default="quickstart-digits-mlp")
    args = parser.parse_args()

    hypersweep.logging.set_verbosity(hypersweep.logging.INFO)
    study = hypersweep.create_study(
        study_name=args.study_name,
        storage=args.storage,
        direction="minimize",
        pruner=hypersweep.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
        load_if_exists=True,
    )
    # scikit-learn's published defaults go first, so the search starts from a known baseline.
    study.enqueue_trial(
        {"lr": 1e-3, "layers": 1, "width": 100, "optimizer": "adam"}, skip_if_exists=True
    )
    study.optimize(make_objective(), n_trials=args.n_trials)

    counts = {state.name: 0 for state in hypersweep.TrialState}
    for trial in study.trials:
        counts[trial.state.name] += 1
    best = study.best_trial
    print()
    print(f"Study {study.study_name!r} in {args.storage}: {len(study.trials)} trials", counts)
    accuracy = 1 - best.value
    print(f"Best validation error: {best.value:.4f} (accuracy {accuracy:.2%})", end=", ")
    print(f"trial {best.number}")
    print("Best configuration:")
    for name, value in best.params.items():
        print(f"  {name:>10} = {value!r}")
    print("Inspect it with: hypersweep studies --storage", args.storage)


if __name__ == "__main__":
    main()
