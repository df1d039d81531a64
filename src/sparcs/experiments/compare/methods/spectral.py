"""``sparcs``: the library's own search, as a user gets it (:func:`fit_search`): the penalty and
the model size chosen by cross-validation on the training rows, with the comparison's budget."""

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
    """Search on the split's training and validation rows with the trial's seed; every network
    of the search (each fold's and the final one) counts as a training."""
    search = dataclasses.replace(settings.search, seed=split.seed, device=str(device))
    p = split.problem
    # fit_search cuts its validation part with the same call as Split: the same rows.
    fitted = fit_search(split.X_fit, split.y_fit, task=p.task, n_classes=p.n_classes,
                        settings=search)
    return [Outcome("sparcs", fitted.outputs, compact_size(fitted.compact, len(search.max_hidden)),
                    trainings=len(fitted.members), epochs=fitted.epochs,
                    details={"kind": fitted.kind, "validation_loss": fitted.losses,
                             "choice": fitted.choice})]
