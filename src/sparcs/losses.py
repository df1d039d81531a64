"""Task losses by name, and the mean loss of a model over many rows."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from .errors import ConfigError

__all__ = ["EVAL_CHUNK", "LOSSES", "LossFn", "mean_loss", "resolve_loss"]

LossFn = Callable[[Tensor, Tensor], Tensor]
# Rows per forward pass when evaluating: bounds memory, and fixes the summation order, so the
# same data gives the same loss to the last bit wherever it is evaluated.
EVAL_CHUNK = 8192


def _cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    if target.ndim == 2 and target.shape[1] == 1:
        target = target.squeeze(1)
    if target.is_floating_point() and target.ndim == 1:
        target = target.long()
    return F.cross_entropy(logits, target)


def _binary_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Binary cross-entropy on one logit per row; ``target`` holds 0/1 class codes."""
    return F.binary_cross_entropy_with_logits(logits, target.reshape(logits.shape).to(logits))


LOSSES: dict[str, LossFn] = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "cross_entropy": _cross_entropy,
    "binary_cross_entropy": _binary_cross_entropy,
}


def resolve_loss(loss: str | LossFn) -> LossFn:
    """The loss callable ``(prediction, target) -> scalar`` for a name or a callable."""
    if isinstance(loss, str):
        try:
            return LOSSES[loss]
        except KeyError:
            raise ConfigError(
                f"unknown loss {loss!r}; use one of {', '.join(LOSSES)} or pass a callable"
            ) from None
    if callable(loss):
        return loss
    raise ConfigError(f"loss must be a name or a callable, got {type(loss).__name__}")


@torch.no_grad()
def mean_loss(
    model: Callable[[Tensor], Tensor], X: Tensor, y: Tensor, loss_fn: LossFn,
    *, chunk: int = EVAL_CHUNK,
) -> float:
    """The row-weighted mean of ``loss_fn(model(X), y)`` over ``X`` in chunks of ``chunk`` rows,
    without gradients (``loss_fn`` is a mean over the rows it is given)."""
    total = 0.0
    for i in range(0, X.shape[0], chunk):
        xb = X[i : i + chunk]
        total += float(loss_fn(model(xb), y[i : i + chunk])) * len(xb)
    return total / X.shape[0]
