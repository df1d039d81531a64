"""Linear baselines, the floor a searched architecture should beat: ridge regression and
L2-regularized multinomial logistic regression. numpy/torch only, no scikit-learn.

>>> import numpy as np
>>> X = np.arange(20.0).reshape(10, 2); y = X @ [1.0, 1.0]
>>> model = RidgeBaseline(alpha=1e-6).fit(X, y)
>>> bool(np.allclose(model.predict(X)[:, 0], y, atol=1e-3))
True
"""

from __future__ import annotations

import numpy as np
import torch

from .metrics import softmax
from .preprocessing import Scaler

__all__ = ["LogisticBaseline", "RidgeBaseline"]


class RidgeBaseline:
    """Ridge regression on standardized features, ``alpha`` as in scikit-learn's ``Ridge``."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray) -> RidgeBaseline:
        self.scaler_ = Scaler.fit(np.asarray(X, dtype=np.float64))
        Z = self.scaler_.transform(X)
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        self.intercept_ = Y.mean(axis=0)
        gram = Z.T @ Z + self.alpha * np.eye(Z.shape[1])
        self.coef_ = np.linalg.solve(gram, Z.T @ (Y - self.intercept_))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        Z = self.scaler_.transform(np.asarray(X, dtype=np.float64))
        return Z @ self.coef_ + self.intercept_


class LogisticBaseline:
    """Multinomial logistic regression with penalty ``‖W‖² / (2C)`` on standardized features
    (scikit-learn's ``LogisticRegression(C=...)`` objective), fitted by L-BFGS in float64."""

    def __init__(self, C: float = 1.0, max_iter: int = 200) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, codes: np.ndarray, n_classes: int) -> LogisticBaseline:
        self.scaler_ = Scaler.fit(np.asarray(X, dtype=np.float64))
        Z = torch.as_tensor(self.scaler_.transform(X), dtype=torch.float64)
        t = torch.as_tensor(np.asarray(codes, dtype=np.int64))
        W = torch.zeros(Z.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([W, b], max_iter=self.max_iter, line_search_fn="strong_wolfe")
        n = Z.shape[0]

        def closure() -> torch.Tensor:
            opt.zero_grad()
            logits = Z @ W + b
            loss = torch.nn.functional.cross_entropy(logits, t, reduction="sum")
            loss = (loss + (W**2).sum() / (2 * self.C)) / n
            loss.backward()
            return loss

        opt.step(closure)
        self.coef_, self.intercept_ = W.detach().numpy(), b.detach().numpy()
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        logits = self.scaler_.transform(np.asarray(X, dtype=np.float64)) @ self.coef_
        return softmax(logits + self.intercept_)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)
