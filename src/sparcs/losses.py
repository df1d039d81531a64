"""Task losses by name, and the mean loss of a model over many rows."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from .errors import ConfigError

__all__ = [
    "EVAL_CHUNK", "LOSSES", "LossFn", "mean_loss", "resolve_loss", "row_losses", "weighted_mean",
    "weighted_mean_loss",
]

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


def _row_mse(pred: Tensor, target: Tensor) -> Tensor:
    return (pred - target.reshape(pred.shape).to(pred)).square().mean(-1)


def _row_l1(pred: Tensor, target: Tensor) -> Tensor:
    return (pred - target.reshape(pred.shape).to(pred)).abs().mean(-1)


def _row_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    codes = target.reshape(logits.shape[:-1]).long()
    out = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1),
                          reduction="none")
    return out.reshape(codes.shape)


def _row_binary_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(
        logits, target.reshape(logits.shape).to(logits), reduction="none").mean(-1)


_ROW_LOSSES: dict[str, LossFn] = {
    "mse": _row_mse,
    "l1": _row_l1,
    "cross_entropy": _row_cross_entropy,
    "binary_cross_entropy": _row_binary_cross_entropy,
}


def row_losses(loss: str | LossFn) -> LossFn:
    """The loss of every row, unreduced: ``(prediction (..., n, k), target) -> (..., n)``
    (squared error and L1 averaged over the output columns). Only named losses have one."""
    if isinstance(loss, str) and loss in _ROW_LOSSES:
        return _ROW_LOSSES[loss]
    resolve_loss(loss)  # an unknown name is refused with the usual message
    raise ConfigError(
        f"row weights need a named loss ({', '.join(_ROW_LOSSES)}); a custom loss function "
        "cannot be weighted per row"
    )


def weighted_mean(values: Tensor, weight: Tensor) -> Tensor:
    """``Σ w·v / Σ w`` over the last axis (0 where the weights sum to 0)."""
    weight = weight.to(values)
    return (values * weight).sum(-1) / weight.sum(-1).clamp_min(torch.finfo(values.dtype).tiny)


@torch.no_grad()
def weighted_mean_loss(
    model: Callable[[Tensor], Tensor], X: Tensor, y: Tensor, loss: str, weight: Tensor,
    *, chunk: int = EVAL_CHUNK,
) -> float:
    """``Σ w·loss / Σ w`` over the rows of ``X`` (weights ``(n,)``), in chunks, in float64."""
    rows = row_losses(loss)
    total = weight_sum = 0.0
    for i in range(0, X.shape[0], chunk):
        w = weight[i : i + chunk].double()
        total += float((rows(model(X[i : i + chunk]), y[i : i + chunk]).double() * w).sum())
        weight_sum += float(w.sum())
    return total / weight_sum if weight_sum > 0 else 0.0
