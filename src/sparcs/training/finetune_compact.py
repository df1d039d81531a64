"""Fine-tuning a compact model after pruning, never ending worse on validation than it began."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from ..losses import LossFn, resolve_loss
from .trainer import History, epoch_batches

__all__ = ["finetune_compact"]

_CHUNK = 8192


@torch.no_grad()
def _loss(model: nn.Module, X: Tensor, y: Tensor, loss_fn: LossFn) -> float:
    model.eval()
    total = 0.0
    for i in range(0, X.shape[0], _CHUNK):
        total += float(loss_fn(model(X[i : i + _CHUNK]), y[i : i + _CHUNK])) * len(
            X[i : i + _CHUNK]
        )
    return total / max(X.shape[0], 1)


def finetune_compact(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    *,
    validation: tuple[Tensor, Tensor],
    loss: str | LossFn,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    n_iter_no_change: int | None = None,
) -> History:
    """Train every weight of ``model`` (a pruned compact network: the removed nodes and blocks
    do not exist, so they stay removed) with Adam, in place.

    The parameters with the lowest ``validation`` loss are kept, the starting ones included, so
    the result is never worse on validation than the input. ``n_iter_no_change`` stops early.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ConfigError(f"epochs must be an integer >= 0, got {epochs!r}")
    loss_fn = resolve_loss(loss)
    history = History(best_epoch=0)
    params = [p for p in model.parameters() if p.requires_grad]
    best = _loss(model, *validation, loss_fn)
    if not params or not epochs or not math.isfinite(best):
        return history
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.Adam(params, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    stalled = 0
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for idx in epoch_batches(X.shape[0], batch_size, generator):
            idx = idx.to(X.device)
            task = loss_fn(model(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            task.backward()
            optimizer.step()
            total += float(task.detach()) * len(idx)
            seen += len(idx)
        history.loss.append(total / max(seen, 1))
        history.val_loss.append(_loss(model, *validation, loss_fn))
        if history.val_loss[-1] < best:
            best, stalled, history.best_epoch = history.val_loss[-1], 0, epoch + 1
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stalled += 1
            if n_iter_no_change is not None and stalled >= n_iter_no_change:
                break
    model.load_state_dict(best_state)
    model.eval()
    return history
