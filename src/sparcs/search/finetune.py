"""The last stage of a search: fine-tune the chosen compact model, then hold it against the
regularized linear floor.

>>> import torch
>>> from sparcs.pruning.compact import to_compact
>>> from sparcs.search.path import initial_network
>>> net = initial_network([2, 4, 1], seed=0, device=torch.device("cpu"))
>>> X = torch.randn(32, 2); y = X.sum(1, keepdim=True)
>>> tuner = Tuner((X, y), (X, y), loss="mse", batch_size=8, lr=1e-2, seed=0)
>>> model = to_compact(net)
>>> before = tuner.value(model); _ = tuner(model, 5)
>>> tuner.value(model) <= before
True
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from ..losses import mean_loss, resolve_loss
from ..pruning.compact import CompactNetwork
from ..training.finetune import finetune_compact
from ..training.trainer import History

__all__ = ["Tuner"]


@dataclass(frozen=True)
class Tuner:
    """Fine-tuning of compact models on a search's training rows, keeping the epoch (the start
    included) that is best on the validation rows, with the search's batch size, learning rate,
    seed and patience."""

    train: tuple[Tensor, Tensor]
    val: tuple[Tensor, Tensor]
    loss: str
    batch_size: int
    lr: float
    seed: int
    n_iter_no_change: int | None = None

    def __call__(self, model: CompactNetwork, epochs: int) -> History:
        """Fine-tune ``model`` in place for up to ``epochs`` epochs."""
        return finetune_compact(
            model, *self.train, validation=self.val, loss=self.loss, epochs=int(epochs),
            batch_size=self.batch_size, lr=self.lr, seed=self.seed,
            n_iter_no_change=self.n_iter_no_change,
        )

    def value(self, model: nn.Module) -> float:
        """``model``'s training loss on the validation rows."""
        model.eval()
        return mean_loss(model, *self.val, resolve_loss(self.loss))
