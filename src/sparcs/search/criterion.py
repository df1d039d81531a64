"""What pruning and selection judge a model by: one :class:`Criterion`.

A criterion holds the validation rows, the measure on them (the training loss, or the error
rate), and how far a model may fall behind the best one: its :meth:`Criterion.limit`. Pruning
works with that absolute limit; ``sparcs.prune(net, X, y, tolerance=…)`` is the convenience
that turns a relative tolerance into one.

>>> import torch
>>> X = torch.zeros(4, 2); y = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
>>> judge = Criterion.build("regression", 1, (X, y), tolerance=0.01, kind="metric")
>>> round(judge.limit(0.5), 4)  # an R² drop of 0.01 is an MSE rise of 0.01 · Var(y)
0.5125
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..losses import mean_loss, resolve_loss
from .predictor import CHUNK_ROWS
from .prepare import loss_for

__all__ = ["Criterion", "error_rate"]


def error_rate(pred: Tensor, target: Tensor) -> Tensor:
    """1 − accuracy for logits against one-hot (or, with one logit, 0/1) float targets."""
    if pred.shape[1] == 1:
        return ((pred > 0) != (target > 0.5)).to(pred.dtype).mean()
    return (pred.argmax(1) != target.argmax(1)).to(pred.dtype).mean()


@dataclass(frozen=True)
class Criterion:
    """A validation value (lower is better) and the limit a candidate must stay within.

    ``measure`` is a loss name or a function of (outputs, target); ``X``/``target`` are the
    validation rows with the target in the measure's form. ``kind="loss"`` allows a relative
    rise of ``tolerance`` over the best value; ``"metric"`` an absolute drop of the R²
    (regression: an MSE rise of tolerance · Var(y)) or of the accuracy (an error-rate rise).
    """

    measure: str | Callable[[Tensor, Tensor], Tensor]
    X: Tensor
    target: Tensor
    tolerance: float
    kind: str
    scale: float = 1.0  # what one unit of tolerance is in the measure's units (metric kind)

    @classmethod
    def build(cls, task: str, n_logits: int, val: tuple[Tensor, Tensor], *, tolerance: float,
              kind: str) -> Criterion:
        """The criterion of a search on validation rows ``val`` (targets as the training loss
        takes them: codes, 0/1 floats for one logit, or standardized values)."""
        X, y = val
        if kind == "metric" and task == "classification":
            codes = y.reshape(-1).long()
            target = (codes.reshape(-1, 1).to(X.dtype) if n_logits == 1
                      else torch.nn.functional.one_hot(codes, n_logits).to(X.dtype))
            return cls(error_rate, X, target, float(tolerance), kind)
        loss = loss_for(task, n_logits)
        target = y.reshape(-1, 1).to(X.dtype) if loss == "binary_cross_entropy" else y
        scale = 1.0
        if kind == "metric":
            scale = float(y.reshape(len(y), -1).var(0, unbiased=False).mean())
        return cls(loss, X, target, float(tolerance), kind, scale)

    def limit(self, best: float) -> float:
        """The largest value a candidate may have, given the best value ``best``."""
        if self.kind == "loss":
            return best + self.tolerance * abs(best)
        return best + self.tolerance * self.scale

    def value(self, model: nn.Module) -> float:
        """``model``'s value on the validation rows."""
        model.eval()
        if isinstance(self.measure, str):
            return mean_loss(model, self.X, self.target, resolve_loss(self.measure))
        with torch.no_grad():
            out = torch.cat([model(self.X[i : i + CHUNK_ROWS])
                             for i in range(0, self.X.shape[0], CHUNK_ROWS)])
        return float(self.measure(out, self.target))
