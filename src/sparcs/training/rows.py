"""A task loss over rows, optionally weighted: one rule for the training batches and the
validation rows of :func:`~sparcs.training.fit` and
:func:`~sparcs.training.finetune.finetune_compact`.

>>> import torch
>>> rows = RowLoss("mse", torch.tensor([1.0, 0.0]), n=2, device="cpu")
>>> float(rows.batch(torch.tensor([[1.0], [5.0]]), torch.zeros(2, 1), torch.arange(2)))
1.0
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..data import check_weight
from ..losses import LossFn, mean_loss, resolve_loss, row_losses, weighted_mean, weighted_mean_loss

__all__ = ["RowLoss"]


class RowLoss:
    """``loss`` over rows with ``weight`` ``(n,)`` (None: unweighted, the plain mean): a batch's
    loss is ``Σ w·loss / Σ w`` over its rows (:meth:`batch`), and :meth:`mean` is the same over
    all rows, in chunks."""

    def __init__(self, loss: str | LossFn, weight: object, *, n: int,
                 device: torch.device | str, name: str = "sample_weight") -> None:
        self.loss = loss
        self.fn = resolve_loss(loss)
        self.weight = check_weight(weight, n, device, name)
        self.rows = row_losses(loss) if self.weight is not None else None

    def batch(self, pred: Tensor, target: Tensor, idx: Tensor) -> Tensor:
        """The loss of the rows ``idx`` (with gradients)."""
        if self.rows is None:
            return self.fn(pred, target)
        assert self.weight is not None
        return weighted_mean(self.rows(pred, target), self.weight[idx])

    def mean(self, model: Callable[[Tensor], Tensor], X: Tensor, y: Tensor) -> float:
        """The loss of ``model`` over all rows of ``(X, y)``, without gradients."""
        if self.weight is None:
            return mean_loss(model, X, y, self.fn)
        assert isinstance(self.loss, str)
        return weighted_mean_loss(model, X, y, self.loss, self.weight)
