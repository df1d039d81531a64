"""The search's quality features: one logit for two classes, fine-tuning that never hurts,
early stopping that waits for the hidden layers, the metric tolerance, and a learning test with
a known narrow teacher."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sparcs import SpectralNetwork, TrainConfig
from sparcs.preprocessing import split_indices
from sparcs.pruning import to_compact
from sparcs.search.engine import fit_search
from sparcs.search.settings import SearchSettings
from sparcs.training.finetune import finetune, finetune_compact
from sparcs.training.trainer import fit

TINY = {"max_hidden": (8,), "epochs": 30, "device": "cpu", "batch_size": 64}


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)


def test_binary_classification_uses_one_logit_and_two_probability_columns():
    sklearn = pytest.importorskip("sklearn")
    del sklearn
    from sparcs import SparcsClassifier

    X, codes = _blobs()
    labels = np.array(["no", "yes"])[codes]
    model = SparcsClassifier(**{k: v for k, v in TINY.items() if k != "device"},
                             random_state=0).fit(X, labels)
    assert model.network_.out_features == 1 and model.compact_.out_features == 1
    assert list(model.classes_) == ["no", "yes"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    assert model.score(X, labels) > 0.9
    # three classes keep one logit per class
    three = fit_search(X, codes + (X[:, 2] > 1), task="classification", n_classes=3,
                       settings=SearchSettings(**TINY))
    assert three.network.out_features == 3


def _regression(n=240, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=gen, dtype=torch.float64)
    y = (X[:, :1] - X[:, 1:2].abs()) + 0.1 * torch.randn(n, 1, generator=gen, dtype=torch.float64)
    return X[:160], y[:160], (X[160:], y[160:])


def test_finetuning_never_returns_a_worse_validation_loss():
    X, y, val = _regression()
    torch.manual_seed(0)
    net = SpectralNetwork([4, 16, 1], bias=True, dtype=torch.float64)
    fit(net, X, y, config=TrainConfig(epochs=20, batch_size=32, lr=1e-2))
    compact = to_compact(net)
    with torch.no_grad():
        before = float(torch.nn.functional.mse_loss(compact(val[0]), val[1]))
    # a learning rate far too large: every epoch makes it worse, so the start is kept
    history = finetune_compact(compact, X, y, validation=val, loss="mse", epochs=5, lr=50.0)
    with torch.no_grad():
        after = float(torch.nn.functional.mse_loss(compact(val[0]), val[1]))
    assert after <= before and history.best_epoch == 0
    with torch.no_grad():
        start = float(torch.nn.functional.mse_loss(net(val[0]), val[1]))
    tuned, spectral_history = finetune(net, X, y, loss="mse", validation=val,
                                       config=TrainConfig(epochs=5, batch_size=32, lr=50.0))
    with torch.no_grad():
        end = float(torch.nn.functional.mse_loss(tuned(val[0]), val[1]))
    assert end <= start
    assert len(spectral_history.val_loss) == 5


def test_patience_waits_for_the_recruiting_phase():
    X, y, val = _regression()
    for min_epochs in (0, 12):
        torch.manual_seed(0)
        net = SpectralNetwork([4, 16, 1], bias=True, dtype=torch.float64)
        history = fit(net, X, y, validation=val, config=TrainConfig(
            epochs=40, batch_size=32, lr=0.5, restore_best=True, n_iter_no_change=1,
            min_epochs=min_epochs))
        # lr 0.5 makes the loss jump about: patience 1 ends the run at once unless it waits
        assert len(history.loss) >= min_epochs + 1
        assert history.best_epoch >= min_epochs
    with pytest.raises(Exception, match="min_epochs"):
        TrainConfig(min_epochs=-1)


def test_metric_tolerance_limits_the_validation_r2_drop():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3))
    y = np.maximum(X[:, 0], 0) + X[:, 1] + 0.1 * rng.normal(size=400)
    settings = SearchSettings(**TINY, tolerance_kind="metric", prune_tolerance=0.02)
    fitted = fit_search(X, y, task="regression", settings=settings)
    _, val_idx = split_indices(len(X), settings.validation_fraction, settings.seed)
    y_val = fitted.y_scaler.transform(y[val_idx, None])
    losses = fitted.losses
    # R² = 1 − MSE / Var(y_val): a drop of 0.02 is an MSE increase of 0.02 · Var(y_val)
    assert losses["limit"] - losses["base"] == pytest.approx(0.02 * y_val.var(), rel=1e-4)
    assert losses["structured"] <= losses["limit"] * (1 + 1e-6)
    with pytest.raises(Exception, match="tolerance_kind"):
        SearchSettings(tolerance_kind="percent")


def test_a_narrow_teacher_is_found_narrow():
    """A one-hidden-layer teacher of width 8: the search from 64 nodes keeps at most 4x that
    width (with the 'within 0.01 R² of the best' tolerance) and R² >= 0.95 on new data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1600, 6))
    W, b = rng.normal(size=(6, 8)) / np.sqrt(6), 0.5 * rng.normal(size=8)
    H = np.maximum(X @ W + b, 0)
    y = ((H - H.mean(0)) / H.std(0)) @ rng.normal(size=8)
    y = (y - y.mean()) / y.std() + 0.02 * rng.normal(size=1600)
    fitted = fit_search(X[:1200], y[:1200], task="regression", settings=SearchSettings(
        max_hidden=(64,), epochs=40, device="cpu", tolerance_kind="metric",
        prune_tolerance=0.01))
    pred = fitted.predict(X[1200:])[:, 0]
    r2 = 1 - np.mean((pred - y[1200:]) ** 2) / np.var(y[1200:])
    width = fitted.architecture.hidden_widths[0]
    assert 1 <= width <= 32, width
    assert r2 >= 0.95, r2
