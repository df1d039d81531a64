"""Predicting with a fitted model: raw features in, targets (or class probabilities) out.

A search trains on standardized features (and, for regression, standardized targets). A
:class:`Predictor` holds the model with the scalers it was trained behind and the task, and
undoes both. It is the one way to predict for a search's result
(:class:`~sparcs.search.engine.SearchResult`), a saved search (``sparcs predict``) and the
networks of ``sparcs compare``.

>>> import numpy as np, torch
>>> from sparcs.preprocessing import Scaler
>>> scaler = Scaler(mean=np.zeros(2), scale=np.ones(2))
>>> predictor = Predictor(torch.nn.Linear(2, 1), scaler, None, "regression")
>>> predictor.predict(np.ones((3, 2))).shape
(3, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ..metrics import class_probabilities
from ..preprocessing import Scaler

__all__ = ["CHUNK_ROWS", "Predictor", "run_model"]

# Rows per forward pass when predicting, so that large inputs need bounded memory.
CHUNK_ROWS = 65536


def _param_of(net: nn.Module) -> Tensor | None:
    for tensor in (*net.parameters(), *net.buffers()):
        if tensor.is_floating_point():
            return tensor
    return None


@torch.no_grad()
def run_model(net: nn.Module, X: np.ndarray) -> np.ndarray:
    """Outputs of ``net`` on the rows of ``X`` (float64 numpy), in chunks, without gradients."""
    ref = _param_of(net)
    dtype = ref.dtype if ref is not None else torch.float32
    device = ref.device if ref is not None else torch.device("cpu")
    net.eval()
    outs = []
    for i in range(0, max(len(X), 1), CHUNK_ROWS):
        chunk = torch.as_tensor(X[i : i + CHUNK_ROWS], dtype=dtype, device=device)
        outs.append(net(chunk).detach().to("cpu", torch.float64).numpy())
    return np.concatenate(outs, axis=0)


@dataclass(frozen=True)
class Predictor:
    """A model trained on ``x_scaler``-standardized features; for regression its outputs are
    ``y_scaler``-standardized targets (None: unscaled), for classification logits (one logit
    for a binary model)."""

    model: nn.Module
    x_scaler: Scaler
    y_scaler: Scaler | None
    task: str

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """Targets (regression, original units) or logits (classification) for the rows of
        ``X``, ``(n, outputs)``."""
        Z = run_model(self.model, self.x_scaler.transform(np.asarray(X, dtype=np.float64)))
        if self.task == "regression" and self.y_scaler is not None:
            Z = self.y_scaler.inverse(Z)
        return Z

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Regression: ``(n, outputs)`` values. Classification: class codes ``(n,)``."""
        Z = self.outputs(X)
        return Z if self.task == "regression" else class_probabilities(Z).argmax(axis=1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, rows summing to 1 (two columns for a one-logit binary model)."""
        return class_probabilities(self.outputs(X))
