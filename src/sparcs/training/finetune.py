"""Fine-tuning a pruned network with its pruned eigenvalues held at exactly 0."""

from __future__ import annotations

import torch
from torch import Tensor

from ..spectral.network import SpectralNetwork
from .trainer import History, TrainConfig, fit

__all__ = ["finetune"]


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
    """
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
