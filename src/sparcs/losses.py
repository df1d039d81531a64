"""Task losses by name."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor
from torch.nn import functional as F

from .errors import ConfigError

__all__ = ["LOSSES", "LossFn", "resolve_loss"]

LossFn = Callable[[Tensor, Tensor], Tensor]


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
