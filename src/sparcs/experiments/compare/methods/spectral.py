"""``sparcs``: the library's own search (the estimators' pipeline, :func:`fit_search`)."""

from __future__ import annotations

import dataclasses

import torch

from ....search.engine import fit_search
from ..nets import compact_size
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = ["run_sparcs"]


def run_sparcs(split: Split, settings: CompareSettings, device: torch.device) -> list[Outcome]:
    """Train the spectral network from the perceptron start, prune, fine-tune, compact: the
    comparison's search, shrinking within the same rule as every method (a relative rise of
    validation loss), with the trial's seed."""
    search = dataclasses.replace(
        settings.search, prune_tolerance=settings.tolerance, tolerance_kind="loss",
        seed=split.seed, device=str(device),
    )
    p = split.problem
    # fit_search cuts its validation part with the same call as Split: the same rows.
    fitted = fit_search(split.X_fit, split.y_fit, task=p.task, n_classes=p.n_classes,
                        settings=search)
    tuned = fitted.finetune_history
    # Training, the fine-tunings between structured-pruning rounds and the final fine-tuning.
    epochs = (len(fitted.history.loss) + fitted.pruning_epochs
              + (len(tuned.loss) if tuned is not None else 0))
    return [Outcome("sparcs", fitted.outputs, compact_size(fitted.compact, len(search.max_hidden)),
                    trainings=1, epochs=epochs, details={"validation_loss": fitted.losses})]
