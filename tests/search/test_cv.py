"""Cross-validated training: the folds' rows, and every member of the one batched ensemble
equal to a single fit on its own rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sparcs.errors import ConfigError
from sparcs.search.cv import Rows, budget_grid, initial_network, train_config, train_members
from sparcs.search.folds import make_folds
from sparcs.search.prepare import prepare
from sparcs.search.settings import SearchSettings
from sparcs.training import fit

F64 = torch.float64


def _problem(n: int = 150, seed: int = 0, task: str = "regression"):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    y = np.maximum(X[:, 0] + X[:, 1], 0) - 0.5 * X[:, 2] + 0.05 * rng.normal(size=n)
    if task == "classification":
        y = np.digitize(y, np.quantile(y, [0.3, 0.7]))
    return prepare(X, y, task=task, validation_fraction=0.2, seed=seed)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_folds_partition_the_rows_and_keep_validation_rows_everywhere(task: str) -> None:
    data = _problem(task=task)
    codes = data.targets if task == "classification" else None
    folds = make_folds(len(data.X), 4, val_rows=data.val_rows, seed=3, codes=codes)
    assert folds.members == [0, 1, 2, 3, None]
    counts = np.bincount(folds.fold, minlength=4)
    assert counts.max() - counts.min() <= 2 * (3 if codes is not None else 1)
    for k in range(4):
        parts = [folds.train(k), folds.validation(k), folds.scored(k)]
        assert (sum(p.astype(int) for p in parts) == 1).all()  # a partition of the rows
        assert folds.validation(k).sum() > 0
        if codes is not None:  # every class in every fold
            assert set(codes[folds.scored(k)]) == set(codes)
    assert not (folds.train(None) & folds.val).any() and folds.validation(None).sum() == 30
    with pytest.raises(ConfigError, match="folds"):
        make_folds(5, 4, val_rows=np.array([0]), seed=0)


def test_every_cv_member_is_a_single_fit_on_its_own_rows() -> None:
    # One fit_ensemble call trains penalties × (folds + final); each member equals fit() on
    # the same shared rows with its own 0/1 weights, to 1e-9 in float64.
    data = _problem(100)
    folds = make_folds(len(data.X), 3, val_rows=data.val_rows, seed=0)
    rows = Rows.of(data, folds, torch.device("cpu"), F64)
    settings = SearchSettings(max_hidden=(8, 6), path_penalties=(0.0, 0.3), seed=4,
                              epochs=25, batch_size=32, lr=2e-2, n_iter_no_change=3,
                              recruit_steps=20)
    members = train_members(data, rows, settings, torch.device("cpu"))
    assert [(m.penalty, m.fold) for m in members] == [
        (c, k) for c in (0.0, 0.3) for k in (0, 1, 2, None)]
    assert len({len(m.history.loss) for m in members}) > 1  # they stopped at different epochs
    config = train_config(settings, len(rows.X))
    for member in members:
        net = initial_network([3, 8, 6, 1], member.seed, torch.device("cpu"), F64)
        train, val = rows.weights(member.fold)
        single = fit(net, rows.X, rows.y, config=config.__class__(
            **{**config.to_dict(), "penalty": member.penalty}),
            validation=(rows.X_val, rows.y_val), sample_weight=train, validation_weight=val)
        assert single.best_epoch == member.history.best_epoch
        assert len(single.loss) == len(member.history.loss)
        for p, q in zip(net.parameters(), member.network.parameters(), strict=True):
            assert torch.allclose(p, q, rtol=0, atol=1e-9)


def test_small_data_gets_batches_that_let_early_stopping_act() -> None:
    settings = SearchSettings(batch_size=256, recruit_steps=300, epochs=200)
    config = train_config(settings, 150)
    assert config.batch_size == 18  # at least 8 steps an epoch
    assert config.min_epochs < settings.epochs / 4  # recruiting no longer takes every epoch
    assert train_config(settings, 100_000).batch_size == 256


def test_budget_grid_spans_the_linear_model_to_the_mlp() -> None:
    grid = budget_grid([10, 200, 200, 1], 12)
    assert grid[0] == 10 * 200 + 200 + 200 * 200 + 200 + 200 + 1 and grid[-1] == 11
    assert grid == sorted(grid, reverse=True) and len(grid) == 12
    ratios = np.array(grid[:-1]) / np.array(grid[1:])
    assert ratios.max() / ratios.min() < 1.1  # evenly spaced on a log scale
    assert budget_grid([3, 4, 1], 1) == [21]
