"""Tune a small PyTorch network with early stopping (Hyperband plus a divergence guard).

A plain PyTorch training loop on a synthetic two-class data set, on the CPU, in seconds. Each
epoch the trial reports its validation loss; ``trial.should_prune()`` asks the pruner whether
to stop. A learning rate that is far too large makes the loss NaN or infinite, and the
``ThresholdPruner`` stops such a run at that very epoch; ``HyperbandPruner`` stops runs that
fall behind the others at the same epoch.

Run it with ``python examples/pytorch_pruning.py``. To budget by time instead of epochs,
report elapsed whole seconds as the step: ``trial.report(loss, step=int(time.monotonic() - t0))``
and give ``max_resource`` in seconds.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import hypersweep
from hypersweep import pruners

N_EPOCHS = 12


def make_data(seed: int) -> tuple[torch.Tensor, ...]:
    """Two interleaved noisy half-moons in 2-D, lifted to 8 features; train and validation."""
    generator = torch.Generator().manual_seed(seed)
    n = 600
    angle = torch.rand(n, generator=generator) * math.pi
    label = torch.randint(0, 2, (n,), generator=generator)
    x = torch.stack([torch.cos(angle) + label, torch.sin(angle) * (1 - 2 * label)], dim=1)
    x = x + 0.2 * torch.randn(n, 2, generator=generator)
    x = torch.cat([x, x**2, x**3, torch.sin(3 * x)], dim=1)
    return x[:400], label[:400].float(), x[400:], label[400:].float()


def objective(trial: hypersweep.Trial, data: tuple[torch.Tensor, ...]) -> float:
    """Train for up to ``N_EPOCHS`` epochs; the final validation loss."""
    x_train, y_train, x_valid, y_valid = data
    lr = trial.suggest_float("lr", 1e-3, 100.0, log=True)
    hidden = trial.suggest_int("hidden", 4, 64, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.95)

    torch.manual_seed(trial.number)
    model = nn.Sequential(nn.Linear(8, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.BCEWithLogitsLoss()

    valid_loss = math.inf
    for epoch in range(N_EPOCHS):
        model.train()
        for batch in torch.split(torch.randperm(len(x_train)), 32):
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]).squeeze(1), y_train[batch])
            loss.backward()
            optimizer.step()

        model.eval()
        with torch.no_grad():
            valid_loss = float(loss_fn(model(x_valid).squeeze(1), y_valid))

        # Report after every epoch; stop when the pruner says so.
        trial.report(valid_loss, step=epoch)
        if trial.should_prune():
            raise hypersweep.TrialPruned()
    return valid_loss


def main(n_trials: int = 40, seed: int = 0) -> hypersweep.Study:
    """Run the study and return it."""
    data = make_data(seed)
    pruner = pruners.CompositePruner(
        [pruners.ThresholdPruner(upper=10.0), pruners.HyperbandPruner(max_resource=N_EPOCHS - 1)]
    )
    study = hypersweep.create_study(
        sampler=hypersweep.samplers.RandomSampler(seed=seed), pruner=pruner
    )
    study.optimize(lambda trial: objective(trial, data), n_trials=n_trials)
    return study


if __name__ == "__main__":
    torch.set_num_threads(1)
    result = main()
    states = [t.state.name for t in result.trials]
    print(f"complete: {states.count('COMPLETE')}, pruned: {states.count('PRUNED')}")
    print(f"best validation loss {result.best_value:.4f} with {result.best_params}")
