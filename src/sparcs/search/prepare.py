"""The first stage of a search: check the data, split off the validation rows, standardize.

:func:`prepare` is the one place that decides which rows validate and how features and targets
are scaled; ``sparcs compare`` calls it too, so that every method there sees the rows the search
sees.

>>> import numpy as np
>>> X = np.arange(20.0).reshape(10, 2); y = X.sum(1)
>>> data = prepare(X, y, task="regression", validation_fraction=0.2, seed=0)
>>> len(data.train_rows), len(data.val_rows), data.loss
(8, 2, 'mse')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..errors import ConfigError, DataError
from ..preprocessing import Scaler, split_indices

__all__ = ["TASKS", "Prepared", "loss_for", "prepare", "validation_split"]

TASKS = ("regression", "classification")


def loss_for(task: str, n_logits: int) -> str:
    """The training loss: squared error, or cross-entropy on logits (one logit: binary)."""
    if task == "regression":
        return "mse"
    return "binary_cross_entropy" if n_logits == 1 else "cross_entropy"


def validation_split(
    n: int, fraction: float, seed: int, codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows) of ``n`` rows; stratified by class ``codes``."""
    return split_indices(n, fraction, seed, stratify=codes)


@dataclass(frozen=True)
class Prepared:
    """Checked data of one search: standardized features ``X`` (float32, the one copy a search
    keeps), ``targets`` (class codes, or standardized regression targets ``(n, k)``), the
    scalers that undo them, and the split into training and validation rows."""

    task: str
    n_outputs: int  # classes (classification) or target columns (regression)
    X: np.ndarray
    targets: np.ndarray
    x_scaler: Scaler
    y_scaler: Scaler | None
    train_rows: np.ndarray
    val_rows: np.ndarray

    @property
    def n_logits(self) -> int:
        """Network outputs: two classes need one logit (binary cross-entropy), not two."""
        return 1 if self.task == "classification" and self.n_outputs == 2 else self.n_outputs

    @property
    def loss(self) -> str:
        return loss_for(self.task, self.n_logits)

    def tensors(self, rows: np.ndarray | None, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """``(X, y)`` of ``rows`` (None: all, sharing memory with ``X`` where it can) on
        ``device``: class codes as long, targets as ``dtype``."""
        if rows is None:
            xt = torch.as_tensor(self.X, dtype=dtype, device=device)
            targets = self.targets
        else:
            xt = torch.as_tensor(self.X[rows], dtype=dtype, device=device)
            targets = self.targets[rows]
        if self.task == "classification":
            return xt, torch.as_tensor(targets, dtype=torch.long, device=device)
        return xt, torch.as_tensor(targets, dtype=dtype, device=device)


def prepare(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: str,
    n_classes: int | None = None,
    validation_fraction: float,
    seed: int,
    standardize: bool = True,
) -> Prepared:
    """Check ``X`` (finite, ``(n, d)``) and ``y`` (class codes ``0 … n_classes−1``, or finite
    regression targets ``(n,)``/``(n, k)``), hold out ``validation_fraction`` of the rows
    (stratified for classification) and fit the scalers on the training rows only."""
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise DataError(f"X holds {int((~np.isfinite(X)).sum())} NaN or infinite values")
    if y.shape[0] != X.shape[0]:
        raise DataError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    if task == "classification":
        codes = y.astype(np.int64).reshape(-1)
        n_out = int(n_classes if n_classes is not None else codes.max() + 1)
        if n_out < 2:
            raise DataError("classification needs at least 2 classes; y holds only one class")
        train, val = validation_split(len(X), validation_fraction, seed, codes)
        targets, y_scaler = codes, None
    else:
        Y = y.astype(np.float64).reshape(len(y), -1)
        if not np.isfinite(Y).all():
            raise DataError(f"y holds {int((~np.isfinite(Y)).sum())} NaN or infinite values")
        n_out = Y.shape[1]
        train, val = validation_split(len(X), validation_fraction, seed)
        y_scaler = Scaler.fit(Y, enabled=standardize, rows=train)
        targets = y_scaler.transform(Y)
    x_scaler = Scaler.fit(X, enabled=standardize, rows=train)
    # One float32 copy of the features, standardized: what training and the floor read.
    return Prepared(task, n_out, x_scaler.transform_into(X, np.float32), targets, x_scaler,
                    y_scaler, train, val)
