"""Fine-tuning after pruning: a pruned spectral network with its pruned eigenvalues held at
exactly 0 (:func:`finetune`), or a compact model's weights (:func:`finetune_compact`). Both keep
the parameters that are best on validation, the starting ones included, so they never end worse
there than they began."""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from ..losses import LossFn, mean_loss
from ..spectral.network import SpectralNetwork
from ._loop import EpochHooks, history_hooks, run_epochs
from .config import TrainConfig
from .rows import RowLoss
from .stopping import EarlyStopping
from .trainer import History, fit

__all__ = ["finetune", "finetune_compact"]


def finetune(
    pruned: SpectralNetwork,
    X: Tensor,
    y: Tensor,
    *,
    config: TrainConfig,
    loss: str,
    validation: tuple[Tensor, Tensor] | None = None,
    progress: bool = False,
) -> tuple[SpectralNetwork, History]:
    """Train a pruned network further, in place, with its zero eigenvalues held at exactly 0.

    The zeroed λ get no gradient, so Adam never moves them (its update of a parameter whose
    gradients were all 0 is exactly 0) and the pruned architecture, hence the compact export,
    stays the same while the surviving weights adapt to the removed nodes.

    With ``validation`` the parameters with the lowest validation loss are kept, the starting
    ones included, so fine-tuning never returns a worse validation loss than its input.
    """
    if validation is not None:
        config = replace(config, restore_best=True)
    masks = [lam.detach() != 0 for lam in pruned.eigenvalues]
    # torch.where, not a product: a fully zeroed layer's norm penalty has a NaN gradient at 0.
    handles = [
        lam.register_hook(lambda grad, keep=keep: torch.where(keep, grad, torch.zeros_like(grad)))
        for lam, keep in zip(pruned.eigenvalues, masks, strict=True)
        if lam.requires_grad
    ]
    try:
        history = fit(pruned, X, y, config=config, loss=loss, validation=validation,
                      progress=progress)
    finally:
        for handle in handles:
            handle.remove()
    with torch.no_grad():  # a guarantee, not a correction: the entries are already 0
        for lam, keep in zip(pruned.eigenvalues, masks, strict=True):
            lam.masked_fill_(~keep, 0.0)
    return pruned, history


def _loss(model: nn.Module, X: Tensor, y: Tensor, loss_fn: LossFn) -> float:
    model.eval()
    return mean_loss(model, X, y, loss_fn)


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
    sample_weight: Tensor | None = None,
    validation_weight: Tensor | None = None,
    progress: bool = False,
) -> History:
    """Train every weight of ``model`` (a pruned compact network: the removed nodes and blocks
    do not exist, so they stay removed) with Adam, in place.

    The parameters with the lowest ``validation`` loss are kept, the starting ones included, so
    the result is never worse on validation than the input. ``n_iter_no_change`` stops early.
    ``sample_weight`` and ``validation_weight`` weigh the rows as in :func:`~.trainer.fit`.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ConfigError(f"epochs must be an integer >= 0, got {epochs!r}")
    stopping = EarlyStopping(patience=n_iter_no_change, restore_best=True)
    train_loss = RowLoss(loss, sample_weight, n=X.shape[0], device=X.device)
    val_rows = RowLoss(loss, validation_weight, n=validation[0].shape[0], device=X.device,
                       name="validation_weight")

    def val_loss() -> float:
        model.eval()
        return val_rows.mean(model, *validation)

    history = History(best_epoch=0)
    params = [p for p in model.parameters() if p.requires_grad]
    start = val_loss()
    if not params or not epochs or not math.isfinite(start):
        return history
    stopping.start(model, start)
    # Plain Adam, not make_optimizer's fused one on CUDA: the fine-tuning keeps its results.
    optimizer = torch.optim.Adam(params, lr=lr)
    generator = torch.Generator().manual_seed(seed)
    no_penalty = torch.zeros((), dtype=torch.float64, device=X.device)

    def losses(idx: Tensor) -> tuple[Tensor, Tensor]:
        return train_loss.batch(model(X[idx]), y[idx], idx), no_penalty

    def record(task: Tensor, _penalty: Tensor) -> float:
        history.loss.append(float(task))
        return history.loss[-1]

    validate, judged = history_hooks(history, val_loss, stopping)

    run_epochs(
        model, optimizer, generator, n=X.shape[0], epochs=epochs, batch_size=batch_size,
        penalty=0.0,
        hooks=EpochHooks(losses=losses, record=record, validate=validate, judged=judged),
        device=X.device, stopping=stopping, desc="fine-tune", progress=progress,
    )
    stopping.restore(model)
    model.eval()
    return history
