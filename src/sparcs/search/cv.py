"""Cross-validated training and scoring: every (penalty, seed) on every fold, as one program.

:func:`train_members` trains the members of :mod:`.folds` (each fold, and the final member,
for every pair of a penalty and a seed) as one batched :class:`SpectralEnsemble`: one shared
copy of the rows, with each member's rows as 0/1 weights. A member equals ``fit`` on its rows
with the same weights (:func:`sparcs.training.ensemble.fit_ensemble`).

:func:`score_paths` prunes each fold member to the shared parameter budgets
(:func:`sparcs.pruning.budget.prune_to_budgets`), choosing each pruned structure on the
member's own validation rows and fine-tuning it on its training rows, and scores every budget's
model on the member's held-out fold only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..errors import DataError
from ..losses import mean_loss, resolve_loss
from ..progress import progress as progress_bar
from ..pruning.budget import prune_to_budgets
from ..pruning.compact import CompactNetwork, to_compact
from ..pruning.size import mlp_parameters
from ..spectral.ensemble import SpectralEnsemble
from ..spectral.network import SpectralNetwork
from ..training.config import TrainConfig
from ..training.ensemble import fit_ensemble
from ..training.finetune import finetune_compact
from ..training.trainer import History
from .folds import Folds
from .prepare import Prepared
from .settings import SearchSettings

__all__ = ["MIN_STEPS", "Member", "Rows", "budget_grid", "score_paths", "train_members"]

# Small data gets smaller batches, so that an epoch has at least this many optimizer steps and
# early stopping can act once the hidden layers are recruited.
MIN_STEPS = 8
SMALLEST_BATCH = 16


@dataclass
class Member:
    """One trained network: its penalty c, the seed of its start, its fold (None: the final
    member, trained on all training rows), the network and its training records."""

    penalty: float
    seed: int
    fold: int | None
    network: SpectralNetwork
    history: History


@dataclass
class Rows:
    """The search's rows on the training device, shared by every member: all training rows
    ``X``/``y`` (targets as the loss takes them), the validation rows ``X_val``/``y_val``, and the
    folds."""

    X: Tensor
    y: Tensor
    X_val: Tensor
    y_val: Tensor
    folds: Folds
    loss: str

    @classmethod
    def of(cls, data: Prepared, folds: Folds, device: torch.device,
           dtype: torch.dtype = torch.float32) -> Rows:
        X, y = data.tensors(None, device, dtype)
        if data.loss == "binary_cross_entropy":
            y = y.reshape(-1, 1).to(X.dtype)
        val = torch.as_tensor(np.flatnonzero(folds.val), device=device)
        return cls(X, y, X.index_select(0, val), y.index_select(0, val), folds, data.loss)

    def weights(self, fold: int | None) -> tuple[Tensor, Tensor]:
        """Member ``fold``'s training weights over ``X`` and validation weights over ``X_val``."""
        device = self.X.device
        train = torch.as_tensor(self.folds.train(fold), device=device)
        val = torch.as_tensor(self.folds.validation(fold)[self.folds.val], device=device)
        return train, val

    def scored(self, fold: int | None) -> tuple[Tensor, Tensor]:
        """The rows that score member ``fold`` (a copy of its held-out part)."""
        rows = torch.as_tensor(np.flatnonzero(self.folds.scored(fold)), device=self.X.device)
        return self.X.index_select(0, rows), self.y.index_select(0, rows)

    def validation(self, fold: int | None) -> tuple[Tensor, Tensor]:
        """Member ``fold``'s validation rows (a copy); without a validation part, its training
        rows (pruning and fine-tuning are then judged on what they fit)."""
        if not len(self.X_val):
            rows = torch.as_tensor(np.flatnonzero(self.folds.train(fold)), device=self.X.device)
            return self.X.index_select(0, rows), self.y.index_select(0, rows)
        keep = torch.as_tensor(self.folds.validation(fold)[self.folds.val], device=self.X.device)
        return self.X_val[keep], self.y_val[keep]


def initial_network(sizes: list[int], seed: int, device: torch.device,
                    dtype: torch.dtype = torch.float32) -> SpectralNetwork:
    """The perceptron start of the search, drawn from ``seed`` (the global RNG is left alone)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SpectralNetwork(sizes, bias=True, activation="relu")
    return net.to(device=device, dtype=dtype)


def batch_size(settings: SearchSettings, n: int) -> int:
    """``settings.batch_size``, or smaller for small data: at least :data:`MIN_STEPS` steps an
    epoch (and at least :data:`SMALLEST_BATCH` rows a batch)."""
    return max(1, min(int(settings.batch_size), max(SMALLEST_BATCH, n // MIN_STEPS)))


def train_config(settings: SearchSettings, n: int, *, validation: bool = True) -> TrainConfig:
    """The training settings for ``n`` shared rows: patience and the best-epoch choice only
    judge after ``recruit_steps`` optimizer steps, while the hidden layers switch on (early
    stopping only with ``validation`` rows)."""
    config = settings.train_config(validation=validation)
    size = batch_size(settings, n)
    steps = max(1, math.ceil(n / size))
    return TrainConfig(**{**config.to_dict(), "batch_size": size,
                          "min_epochs": min(config.epochs,
                                            math.ceil(int(settings.recruit_steps) / steps))})


def train_members(data: Prepared, rows: Rows, settings: SearchSettings, device: torch.device,
                  *, progress: bool = False) -> list[Member]:
    """Train every (penalty, seed, fold) member from the perceptron start as one ensemble."""
    sizes = [data.X.shape[1], *settings.max_hidden, data.n_logits]
    layout = [(c, s, k) for c, s in settings.path() for k in rows.folds.members]
    nets = [initial_network(sizes, s, device, rows.X.dtype) for _, s, _ in layout]
    ensemble = SpectralEnsemble.from_networks(nets)
    weights = [rows.weights(k) for _, _, k in layout]
    penalties = torch.tensor([c for c, _, _ in layout], dtype=ensemble.eigenvalues[0].dtype,
                             device=device)
    validated = len(rows.X_val) > 0
    config = train_config(settings, len(rows.X), validation=validated)
    history = fit_ensemble(
        ensemble, rows.X, rows.y, config=config, penalty=penalties, loss=rows.loss,
        validation=(rows.X_val, rows.y_val) if validated else None,
        sample_weight=torch.stack([w for w, _ in weights]),
        validation_weight=torch.stack([v for _, v in weights]) if validated else None,
        progress=progress,
    )
    members = [Member(c, s, k, ensemble.member(m), history.member(m))
               for m, (c, s, k) in enumerate(layout)]
    if not all(math.isfinite(v) for m in members for v in m.history.loss[-1:]):
        raise DataError(
            "training diverged (the loss became NaN or infinite); lower lr or standardize the data"
        )
    return members


def budget_grid(sizes: list[int], count: int) -> list[int]:
    """``count`` parameter budgets, evenly spaced on a log scale, from the linear model's size
    up to the plain MLP of the maximal widths (largest first)."""
    linear = (sizes[0] + 1) * sizes[-1]
    top = max(linear, mlp_parameters(sizes))
    if count < 2 or top == linear:
        return [top]
    grid = {round(linear * (top / linear) ** (j / (count - 1))) for j in range(count)}
    return sorted(grid, reverse=True)


def pruning_path(member: Member, rows: Rows, budgets: list[int], settings: SearchSettings,
                 tune_epochs: int) -> list[CompactNetwork]:
    """``member``'s pruned models at ``budgets``: each structure chosen on its validation rows,
    fine-tuned ``tune_epochs`` on its training rows (the best validation epoch kept)."""
    train, _ = rows.weights(member.fold)
    X_val, y_val = rows.validation(member.fold)
    tune: Callable[[CompactNetwork], History] | None = None
    if tune_epochs:
        def tune(model: CompactNetwork) -> History:
            return finetune_compact(
                model, rows.X, rows.y, validation=(X_val, y_val), loss=rows.loss,
                epochs=tune_epochs, batch_size=batch_size(settings, len(rows.X)),
                lr=float(settings.lr), seed=int(settings.seed), sample_weight=train,
            )
    return prune_to_budgets(to_compact(member.network, 0.0), X_val, y_val, loss=rows.loss,
                            budgets=budgets, tune=tune)


def held_out_loss(model: torch.nn.Module, X: Tensor, y: Tensor, loss: str) -> float:
    model.eval()
    return mean_loss(model, X, y, resolve_loss(loss))


@dataclass
class Scores:
    """Held-out losses of one scoring member: the unpruned network's, and per budget the pruned
    model's loss and size (and, for the final member, the models)."""

    member: Member
    full: float
    losses: list[float]
    parameters: list[int]
    models: list[CompactNetwork]


def score_paths(members: list[Member], rows: Rows, budgets: list[int],
                settings: SearchSettings, tune_epochs: int,
                say: Callable[[str], None], *, progress: bool = False) -> list[Scores]:
    """Prune every scoring member (the fold members, or with one split the final one) to the
    budgets and score each model on the member's held-out rows."""
    scorers = [m for m in members if m.fold is not None] or members
    out = []
    bar = progress_bar(scorers, enable=progress, desc="prune and score", leave=False)
    for i, member in enumerate(bar, start=1):
        say(f"pruning and scoring {i}/{len(scorers)}: fold "
            f"{'-' if member.fold is None else member.fold + 1}, penalty {member.penalty:g}")
        X_h, y_h = rows.scored(member.fold)
        models = pruning_path(member, rows, budgets, settings, tune_epochs)
        out.append(Scores(
            member, held_out_loss(member.network, X_h, y_h, rows.loss),
            [held_out_loss(m, X_h, y_h, rows.loss) for m in models],
            [m.num_parameters() for m in models],
            models if member.fold is None else [],  # only the final member's are used later
        ))
    return out
