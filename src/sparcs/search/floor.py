"""The linear floor and the constant of a search, cross-validated on the search's folds.

The floor is ridge regression or L2 logistic regression on the standardized features, with its
regularization chosen on the same folds, by the same loss, as the networks: squared error, or
log-loss. The constant (the mean target, or the class frequencies) is scored on the folds too.
Both become compact models of the trained network's linear form, so the search can return them
like any pruned network.

>>> import numpy as np, torch
>>> from sparcs.search.folds import make_folds
>>> from sparcs.search.prepare import prepare
>>> rng = np.random.default_rng(0); X = rng.normal(size=(120, 3))
>>> data = prepare(X, X @ [1.0, 2.0, 0.0], task="regression", validation_fraction=0.1, seed=0)
>>> cv = linear_cv(data, make_folds(120, 4, val_rows=data.val_rows, seed=0))
>>> bool(cv.losses.mean(1).min() < 0.01 < cv.constant.mean())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..baselines import logistic_fits, ridge_fits
from ..pruning.compact import CompactNetwork, to_compact
from ..pruning.graph import Graph
from ..spectral.network import SpectralNetwork
from .folds import Folds
from .prepare import Prepared

__all__ = ["ALPHAS", "CS", "LinearCV", "constant_model", "linear_cv", "linear_model"]

# Ridge's α as scikit-learn's RidgeCV is usually given them; logistic regression's C.
ALPHAS = np.logspace(-3, 3, 13)
CS = np.logspace(-2, 2, 5)
# L-BFGS iterations of the logistic fits (float32): enough for a floor, bounded in time.
LOGISTIC_ITERATIONS = 50


@dataclass
class LinearCV:
    """Held-out losses of the linear models: ``losses[r, f]`` of regularization ``grid[r]`` on
    scoring member ``f``, ``constant[f]`` of the constant; every fit on all rows (``coef[r]``
    ``(d, k)``, ``intercept[r]`` ``(k,)``) for the final model; and ``val_loss[r]``, the loss
    on the validation part of the fit on the other rows (what the final network is held
    against)."""

    grid: np.ndarray
    losses: np.ndarray
    constant: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    val_loss: np.ndarray

    @property
    def best(self) -> int:
        """The regularization with the lowest mean held-out loss."""
        return int(np.argmin(self.losses.mean(1)))


def _scorers(folds: Folds) -> list[int | None]:
    return [m for m in folds.members if m is not None] or [None]


def _loss(data: Prepared, logits: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per-fit loss over ``rows``: ``logits`` is ``(R, n_rows, k)``."""
    if data.task == "regression":
        return ((logits - data.targets[rows][None]) ** 2).mean((1, 2))
    codes = data.targets[rows]
    if logits.shape[-1] == 1:
        z = logits[..., 0]
        # −log σ(z) for the positives, −log(1 − σ(z)) for the negatives, without overflow.
        return np.logaddexp(0.0, np.where(codes == 1, -z, z)).mean(1)
    z = logits - logits.max(-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -log_p[:, np.arange(len(codes)), codes].mean(1)


def linear_cv(data: Prepared, folds: Folds) -> LinearCV:
    """Fit the floor at every regularization on every scoring member's training rows (all rows
    outside the ones that score it) and on all rows; score each on its held-out rows."""
    scorers = _scorers(folds)
    every = np.ones(len(data.X), bool)
    # The rows each scoring member's fit learns from: all but the scored ones (with neither
    # folds nor a validation part, all rows: the floor is then judged on what it fit).
    trains = [~folds.scored(m) if (~folds.scored(m)).any() else every for m in scorers]
    outside = ~folds.val if folds.val.any() else every
    weights = np.stack([*trains, outside, every])
    if data.task == "regression":
        grid = ALPHAS
        coef, intercept = ridge_fits(data.X, data.targets, weights, grid)
    else:
        grid = CS
        coef, intercept = logistic_fits(data.X, data.targets, data.n_logits, weights, grid,
                                        max_iter=LOGISTIC_ITERATIONS, dtype=torch.float32)
    losses = np.zeros((len(grid), len(scorers)))
    constant = np.zeros(len(scorers))
    for f, m in enumerate(scorers):
        rows = np.flatnonzero(folds.scored(m))
        train = trains[f]
        logits = np.einsum("nd,rdk->rnk", data.X[rows], coef[f]) + intercept[f][:, None, :]
        losses[:, f] = _loss(data, logits, rows)
        const = _constant(data, train)
        constant[f] = _loss(data, np.broadcast_to(const, (1, len(rows), len(const))), rows)[0]
    val = np.flatnonzero(folds.val) if folds.val.any() else np.arange(len(data.X))
    logits = np.einsum("nd,rdk->rnk", data.X[val], coef[-2]) + intercept[-2][:, None, :]
    return LinearCV(grid, losses, constant, coef[-1], intercept[-1], _loss(data, logits, val))


def _constant(data: Prepared, rows: np.ndarray) -> np.ndarray:
    """The constant logits or targets fitted on ``rows`` (a mask): the mean, or the log class
    frequencies (half a row added to every class, so no class gets probability 0)."""
    if data.task == "regression":
        return data.targets[rows].mean(0)
    counts = np.bincount(data.targets[rows], minlength=data.n_outputs) + 0.5
    p = counts / counts.sum()
    if data.n_logits == 1:
        return np.log(p[1:] / p[:1])
    return np.log(p)


def _linear_export(net: SpectralNetwork) -> CompactNetwork:
    """The linear compact form of ``net`` (every non-output eigenvalue zeroed)."""
    hidden = [lam.detach().abs().max() for lam in net.eigenvalues[:-1] if lam.numel()]
    compact = to_compact(net, float(max(hidden)) if hidden else 0.0)
    assert len(compact.layers) == 1 and compact.layers[0].bias is not None
    return compact


@torch.no_grad()
def linear_model(net: SpectralNetwork, coef: np.ndarray, intercept: np.ndarray
                 ) -> CompactNetwork:
    """The compact model of ``net``'s linear form with weights ``coef`` ``(d, k)`` and
    ``intercept`` ``(k,)`` (on standardized features)."""
    compact = _linear_export(net)
    layer = compact.layers[0]
    columns = compact.config["input_index"]
    layer.weight.copy_(torch.as_tensor(np.ascontiguousarray(coef[columns].T)))
    layer.bias.copy_(torch.as_tensor(intercept))
    return compact


@torch.no_grad()
def constant_model(net: SpectralNetwork, data: Prepared) -> CompactNetwork:
    """The compact model that predicts the constant of all of ``data``'s rows: no input, the
    output bias only."""
    compact = _linear_export(net)
    graph = Graph.of(compact)
    graph.remove_nodes(0, torch.arange(graph.width(0)), torch.zeros(graph.width(0)), False)
    graph.tidy(False)
    const = _constant(data, np.ones(len(data.X), bool))
    graph.layers[-1].bias = torch.as_tensor(const, dtype=graph.layers[-1].bias.dtype)
    return graph.assemble(compact)
