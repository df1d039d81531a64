"""Which rows each member of a cross-validated search trains on, early-stops on and is scored on.

Every training row gets a fold ``0 … K−1``; a tenth of the rows (``validation_fraction``) also
form the validation part, which early stopping and fine-tuning watch. Fold member ``k`` then

- trains on the rows outside fold ``k`` and outside the validation part,
- early-stops on the validation rows outside fold ``k``,
- is scored on the rows of fold ``k`` only, which played no part in training or choosing it.

The final member (``k = None``) trains on every row outside the validation part and early-stops
on the validation part, exactly as a search without folds does. With ``K = 1`` there is no fold
member: the final member's validation rows also score the candidates (one split, for data so
large that one validation part measures well).

All members share one copy of the data: their rows are 0/1 weights over it.

>>> import numpy as np
>>> folds = make_folds(20, 4, val_rows=np.array([3, 11]), seed=0)
>>> int(folds.train(0).sum() + folds.validation(0).sum() + folds.scored(0).sum())
20
>>> bool((folds.train(None) | folds.val).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

__all__ = ["Folds", "make_folds"]


@dataclass(frozen=True)
class Folds:
    """The fold of every row (``fold``, ``(n,)``) and the validation part (``val``, a mask)."""

    fold: np.ndarray
    val: np.ndarray
    k: int

    @property
    def members(self) -> list[int | None]:
        """The fold members ``0 … K−1`` (none when K = 1), then the final member (None)."""
        return [*range(self.k if self.k > 1 else 0), None]

    def train(self, k: int | None) -> np.ndarray:
        """Member ``k``'s training rows (a mask)."""
        return ~self.val if k is None else (self.fold != k) & ~self.val

    def validation(self, k: int | None) -> np.ndarray:
        """Member ``k``'s early-stopping rows (a mask)."""
        return self.val if k is None else (self.fold != k) & self.val

    def scored(self, k: int | None) -> np.ndarray:
        """The rows that score member ``k``'s candidates: its fold, or with K = 1 the
        validation part (without one, the training rows themselves)."""
        if k is None:
            return self.val if self.val.any() else ~self.val
        return self.fold == k


def make_folds(n: int, k: int, *, val_rows: np.ndarray, seed: int,
               codes: np.ndarray | None = None) -> Folds:
    """``k`` folds of ``n`` rows beside the validation part ``val_rows``, stratified by class
    ``codes`` and by validation part: within each class the folds' sizes differ by at most a
    row of each part, so every fold member keeps validation rows where there are two."""
    if k < 1 or (k > 1 and n < 2 * k):
        raise ConfigError(f"{k} folds need at least {2 * k} training rows, got {n}")
    val = np.zeros(n, dtype=bool)
    val[val_rows] = True
    fold = np.zeros(n, dtype=np.int64)
    if k > 1:
        rng = np.random.default_rng([seed, k])
        labels = np.zeros(n, dtype=np.int64) if codes is None else np.asarray(codes)
        # Validation rows are dealt out on their own (class after class, one fold after the
        # next), so that every fold member keeps some wherever there are two.
        for part in (~val, val):
            offset = 0
            for c in np.unique(labels):
                rows = rng.permutation(np.flatnonzero((labels == c) & part))
                fold[rows] = (np.arange(len(rows)) + offset) % k
                offset += len(rows)
    return Folds(fold, val, k)
