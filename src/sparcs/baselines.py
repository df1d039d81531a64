"""Linear baselines, the floor a searched architecture should beat: ridge regression and
L2-regularized logistic regression. numpy/torch only, no scikit-learn.

:func:`ridge_fits` and :func:`logistic_fits` fit many at once on one design matrix: every row of
0/1 weights (the training rows of a fold) times every regularization strength, as a
cross-validation over the regularization needs.

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
from .preprocessing import CHUNK_ROWS, Scaler

__all__ = ["LogisticBaseline", "RidgeBaseline", "logistic_fits", "ridge_fits"]


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


def ridge_fits(Z: np.ndarray, Y: np.ndarray, weights: np.ndarray, alphas: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression ``min Σ w_i ‖y_i − b − z_i·W‖² + α‖W‖²`` (scikit-learn's ``Ridge``
    objective, intercept unpenalized) for every row of ``weights`` ``(F, n)`` and every ``α``:
    coefficients ``(F, A, d, k)`` and intercepts ``(F, A, k)``, in float64.

    >>> Z = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 3.0], [3.0, 1.0]])
    >>> W, b = ridge_fits(Z, Z @ [[1.0], [2.0]] + 3, np.ones((1, 4)), np.array([1e-9]))
    >>> np.round(W[0, 0, :, 0], 6).tolist(), np.round(b[0, 0], 6).tolist()
    ([1.0, 2.0], [3.0])
    """
    Y = np.asarray(Y, dtype=np.float64).reshape(len(Z), -1)
    alphas = np.asarray(alphas, dtype=np.float64)
    coefs, intercepts = [], []
    for w in np.asarray(weights, dtype=np.float64):
        # Weighted sums over chunks of rows, in float64: no copy of Z is ever made.
        total, z_sum, y_sum = w.sum(), 0.0, 0.0
        zz, zy = 0.0, 0.0
        for i in range(0, len(Z), CHUNK_ROWS):
            z = np.asarray(Z[i : i + CHUNK_ROWS], dtype=np.float64)
            wz = z * w[i : i + CHUNK_ROWS, None]
            z_sum = z_sum + wz.sum(0)
            y_sum = y_sum + w[i : i + CHUNK_ROWS] @ Y[i : i + CHUNK_ROWS]
            zz = zz + wz.T @ z
            zy = zy + wz.T @ Y[i : i + CHUNK_ROWS]
        z_mean, y_mean = z_sum / total, y_sum / total
        gram = zz - total * np.outer(z_mean, z_mean)
        values, vectors = np.linalg.eigh((gram + gram.T) / 2)
        values = np.clip(values, 0.0, None)
        rhs = vectors.T @ (zy - total * np.outer(z_mean, y_mean))
        W = np.stack([vectors @ (rhs / (values + a)[:, None]) for a in alphas])
        coefs.append(W)
        intercepts.append(y_mean - np.einsum("d,adk->ak", z_mean, W))
    return np.stack(coefs), np.stack(intercepts)


def logistic_fits(Z: np.ndarray, codes: np.ndarray, n_logits: int, weights: np.ndarray,
                  Cs: np.ndarray, *, max_iter: int = 500, dtype: torch.dtype = torch.float64,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """L2 logistic regression ``min Σ w_i loss_i + ‖W‖²/(2C)`` (scikit-learn's
    ``LogisticRegression(C=…)`` objective, intercept unpenalized) on logits ``Z·W + b`` for
    every row of ``weights`` ``(F, n)`` and every ``C``: coefficients ``(F, C, d, k)`` and
    intercepts ``(F, C, k)``. One logit (``n_logits=1``) is binary (sigmoid), several are
    multinomial (softmax). All fits are one L-BFGS problem (their objectives add up and share
    no parameter, so each reaches its own optimum), in ``dtype``; ``max_iter`` bounds the
    L-BFGS iterations.

    >>> Z = np.array([[-2.0], [-1.0], [1.0], [2.0]]); codes = np.array([0, 0, 1, 1])
    >>> W, b = logistic_fits(Z, codes, 1, np.ones((1, 4)), np.array([0.01, 100.0]))
    >>> bool(0 < W[0, 0, 0, 0] < W[0, 1, 0, 0])  # weaker regularization, larger weight
    True
    """
    Zt = torch.as_tensor(np.asarray(Z), dtype=dtype)
    codes_t = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    w = torch.as_tensor(np.asarray(weights), dtype=dtype)  # (F, n)
    C = torch.as_tensor(np.asarray(Cs), dtype=dtype)
    F_, A, (n, d), k = w.shape[0], C.numel(), Zt.shape, int(n_logits)
    W = torch.zeros(F_, A, d, k, dtype=dtype, requires_grad=True)
    b = torch.zeros(F_, A, k, dtype=dtype, requires_grad=True)
    scale = w.sum(1).clamp_min(1.0)[:, None]  # each fit's objective per weighted row
    if k == 1:
        target = codes_t.to(dtype)[None, None, :, None].expand(F_, A, n, 1)
    opt = torch.optim.LBFGS([W, b], max_iter=max_iter, tolerance_grad=1e-9,
                            tolerance_change=1e-12, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        # One matrix product for all fits: (n, d) @ (d, F·A·k).
        flat = (Zt @ W.permute(2, 0, 1, 3).reshape(d, -1)).reshape(n, F_, A, k)
        logits = flat.permute(1, 2, 0, 3) + b[:, :, None, :]
        if k == 1:
            rows = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, reduction="none")[..., 0]
        else:
            rows = torch.nn.functional.cross_entropy(
                logits.reshape(-1, k), codes_t.repeat(F_ * A), reduction="none"
            ).reshape(F_, A, n)
        data = (rows * w[:, None, :]).sum(-1)
        penalty = W.square().sum((-2, -1)) / (2 * C)
        loss = ((data + penalty) / scale).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return W.detach().double().numpy(), b.detach().double().numpy()
