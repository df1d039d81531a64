"""Metrics without scikit-learn: R², accuracy, log-loss, and class probabilities from logits
(the softmax, or for one logit the logistic function)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["accuracy", "class_probabilities", "log_loss", "r2_score", "softmax"]


def r2_score(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination in float64, averaged uniformly over output columns.

    Takes numpy arrays or torch tensors (on any device, ``y_pred`` is moved to ``y_true``'s). A
    constant target column scores 1 when predicted exactly and 0 otherwise (scikit-learn's
    convention).

    >>> r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    t = torch.as_tensor(y_true).detach().to(torch.float64)
    p = torch.as_tensor(y_pred).detach().to(device=t.device, dtype=torch.float64)
    t, p = t.reshape(len(t), -1), p.reshape(len(p), -1)
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    varies = ss_tot > 0
    scores = torch.where(
        varies, 1 - ss_res / torch.where(varies, ss_tot, 1.0), (ss_res == 0).to(torch.float64)
    )
    return float(scores.mean())


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of equal labels."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def log_loss(codes: np.ndarray, proba: np.ndarray, eps: float = 1e-15) -> float:
    """Mean negative log-probability of the true class codes ``0 … k−1``."""
    p = np.clip(proba[np.arange(len(codes)), np.asarray(codes, dtype=np.int64)], eps, 1.0)
    return float(-np.log(p).mean())


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits ``(n, k)``: rows summing to 1, without overflow."""
    Z = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(Z)
    return P / P.sum(axis=1, keepdims=True)


def class_probabilities(Z: np.ndarray) -> np.ndarray:
    """Probabilities from logits: the softmax over the columns, or for one logit z (binary
    classification) the two columns (1 − σ(z), σ(z))."""
    if Z.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-np.clip(Z[:, 0], -700, 700)))
        return np.stack([1.0 - p, p], axis=1)
    return softmax(Z)
