"""``mlp-search``: plain MLPs (no skip connections) searched by Optuna.

Depth 0 … max depth, the widths (log-uniform up to ``max_hidden``) and the learning rate are
searched by Optuna's TPE sampler (seeded by the trial seed) over ``trials`` trainings. It
reports the most accurate trial (``mlp-search``) and the smallest trial whose validation loss is
within the tolerance of it (``mlp-search-small``). The pruned plain MLP, ``mlp-prune``, is in
:mod:`.prune`.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ....errors import ConfigError
from ..fitting import train, validation_loss
from ..nets import DenseNet, compact_size, to_compact
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = ["LR_RANGE", "run_mlp_search"]

LR_RANGE = (1e-4, 1e-2)


def optuna_module() -> Any:
    try:
        import optuna
    except ImportError:
        raise ConfigError("method mlp-search needs Optuna: pip install 'sparcs-nas[optuna]'") \
            from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def run_mlp_search(split: Split, settings: CompareSettings,
                   device: torch.device) -> list[Outcome]:
    optuna = optuna_module()
    budget = settings.search
    d, out = split.problem.X.shape[1], split.n_outputs
    found: dict[int, tuple[DenseNet, float]] = {}
    epochs = 0

    def objective(trial: Any) -> float:
        nonlocal epochs
        depth = trial.suggest_int("depth", 0, len(budget.max_hidden))
        widths = [trial.suggest_int(f"width{k + 1}", 1, budget.max_hidden[k], log=True)
                  for k in range(depth)]
        lr = trial.suggest_float("lr", *LR_RANGE, log=True)
        seed = split.seed * 10_007 + trial.number
        net = DenseNet([d, *widths, out], skips=False, seed=seed).to(device)
        history = train(net, split, budget, device, lr=lr, penalty=0.0, seed=seed)
        epochs += len(history.loss)
        loss = validation_loss(net, split, device)
        loss = loss if math.isfinite(loss) else math.inf  # a diverged trial is never chosen
        found[trial.number] = (net.cpu(), loss)
        return loss

    # TPE samples at random until n_startup_trials finished; Optuna's default of 10 would
    # leave a small budget all random.
    sampler = optuna.samplers.TPESampler(
        seed=split.seed, n_startup_trials=min(10, max(2, settings.trials // 3)))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=settings.trials)
    best = min(found, key=lambda t: (found[t][1], t))
    limit = found[best][1] * (1 + settings.tolerance)
    n_hidden = len(budget.max_hidden)

    def outcome(name: str, number: int) -> Outcome:
        net, loss = found[number]
        compact = to_compact(net)
        return Outcome(name, split.predictor(compact).outputs, compact_size(compact, n_hidden),
                       trainings=settings.trials, epochs=epochs,
                       details={"trial": number, "validation_loss": loss,
                                "params": study.trials[number].params})

    small = min((t for t in found if found[t][1] <= limit),
                key=lambda t: (compact_size(to_compact(found[t][0]), n_hidden).parameters,
                               found[t][1], t))
    return [outcome("mlp-search", best), outcome("mlp-search-small", small)]
