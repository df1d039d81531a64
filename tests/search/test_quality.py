"""The search's quality: one logit for two classes, fine-tuning that never hurts, early stopping
that waits for the hidden layers, a floor that holds (never a constant where the floor is
better; on small non-linear data a network that beats it), and a known narrow teacher."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sparcs import SpectralNetwork, TrainConfig
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


def test_finetuning_keeps_the_best_validation_epoch():
    X, y, val = _regression()
    torch.manual_seed(0)
    net = SpectralNetwork([4, 16, 1], bias=True, dtype=torch.float64)
    fit(net, X, y, config=TrainConfig(epochs=20, batch_size=32, lr=1e-2))

    def val_loss(model):
        with torch.no_grad():
            return float(torch.nn.functional.mse_loss(model(val[0]), val[1]))

    # A sensible learning rate: some epoch improves, and the one kept is the best of all.
    compact = to_compact(net)
    before = val_loss(compact)
    history = finetune_compact(compact, X, y, validation=val, loss="mse", epochs=8, lr=1e-2)
    assert history.best_epoch >= 1 and val_loss(compact) < before
    assert val_loss(compact) == pytest.approx(min(history.val_loss), rel=1e-9)
    # A learning rate far too large: every epoch is worse, so the start itself is kept.
    compact = to_compact(net)
    history = finetune_compact(compact, X, y, validation=val, loss="mse", epochs=5, lr=50.0)
    assert history.best_epoch == 0 and min(history.val_loss) > before
    assert val_loss(compact) == pytest.approx(before, rel=1e-12)
    start = val_loss(net)
    tuned, spectral_history = finetune(net, X, y, loss="mse", validation=val,
                                       config=TrainConfig(epochs=5, batch_size=32, lr=50.0))
    assert val_loss(tuned) <= start and len(spectral_history.val_loss) == 5


def test_patience_waits_for_the_recruiting_phase():
    X, y, val = _regression()
    runs = {}
    for min_epochs in (0, 12):
        torch.manual_seed(0)
        net = SpectralNetwork([4, 16, 1], bias=True, dtype=torch.float64)
        runs[min_epochs] = fit(net, X, y, validation=val, config=TrainConfig(
            epochs=40, batch_size=32, lr=0.5, restore_best=True, n_iter_no_change=1,
            min_epochs=min_epochs))
    # lr 0.5 makes the loss jump about: patience 1 ends the run soon unless it waits
    assert len(runs[0].loss) < 12
    assert len(runs[12].loss) >= 13 and runs[12].best_epoch >= 12
    with pytest.raises(Exception, match="min_epochs"):
        TrainConfig(min_epochs=-1)


def _imbalanced(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """5 % positives, many uninformative one-hot columns, and a linear signal in two."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n, 2))
    onehot = np.eye(12)[rng.integers(0, 12, size=(n, 3))].reshape(n, -1)
    logit = 2.5 * signal[:, 0] - 1.5 * signal[:, 1] - 5.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return np.hstack([signal, onehot]), y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_never_a_constant_where_the_linear_model_is_better(seed):
    """Imbalanced binary data (about 5 % positives) with a linear signal: the accuracy of the
    constant is close to the best, but its log-loss is not, and the search never returns it."""
    X, y = _imbalanced(1200, seed)
    assert 0.03 < y.mean() < 0.08
    fitted = fit_search(X[:900], y[:900], task="classification", n_classes=2,
                        settings=SearchSettings(max_hidden=(16,), epochs=30, device="cpu",
                                                seed=seed))
    cv = {row["kind"]: row["mean"] for row in fitted.cv}
    assert cv["floor"] < cv["constant"]  # the premise: the linear model is better
    assert fitted.kind != "constant" and fitted.compact.num_parameters() > 1
    proba = fitted.predict_proba(X[900:])[:, 1]
    prior = y[:900].mean()
    test_log_loss = -np.mean(np.log(np.where(y[900:] == 1, proba, 1 - proba)))
    constant_log_loss = -np.mean(np.log(np.where(y[900:] == 1, prior, 1 - prior)))
    assert test_log_loss < constant_log_loss


def test_a_hidden_layer_beats_the_floor_on_150_rows():
    """y = |x0| + x1 on 150 rows: the chosen model has a hidden layer and beats the
    cross-validated ridge floor on new data."""
    from sparcs.baselines import ridge_fits
    from sparcs.search.floor import ALPHAS

    rng = np.random.default_rng(0)
    X = rng.normal(size=(650, 3))
    y = np.abs(X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=650)
    train, test = slice(0, 150), slice(150, None)
    fitted = fit_search(X[train], y[train], task="regression",
                        settings=SearchSettings(max_hidden=(32, 32), device="cpu"))
    assert fitted.kind == "network" and any(fitted.architecture.hidden_widths)
    pred = fitted.predict(X[test])[:, 0]
    r2 = 1 - np.mean((pred - y[test]) ** 2) / np.var(y[test])
    floor = next(row for row in fitted.cv if row["kind"] == "floor")
    Xs, Ys = fitted.x_scaler.transform(X), fitted.y_scaler.transform(y[:, None])
    W, b = ridge_fits(Xs[train], Ys[train], np.ones((1, 150)), ALPHAS)
    ridge = [1 - np.mean((fitted.y_scaler.inverse(Xs[test] @ W[0, r] + b[0, r])[:, 0]
                          - y[test]) ** 2) / np.var(y[test]) for r in range(len(ALPHAS))]
    assert floor["mean"] > fitted.choice["chosen"]["mean"]
    assert r2 > max(ridge) + 0.1, (r2, max(ridge))


def test_a_narrow_teacher_is_found_narrow():
    """A one-hidden-layer teacher of width 8: the search from 64 nodes keeps a narrow hidden
    layer and R² >= 0.95 on new data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1600, 6))
    W, b = rng.normal(size=(6, 8)) / np.sqrt(6), 0.5 * rng.normal(size=8)
    H = np.maximum(X @ W + b, 0)
    y = ((H - H.mean(0)) / H.std(0)) @ rng.normal(size=8)
    y = (y - y.mean()) / y.std() + 0.02 * rng.normal(size=1600)
    fitted = fit_search(X[:1200], y[:1200], task="regression", settings=SearchSettings(
        max_hidden=(64,), epochs=40, device="cpu"))
    pred = fitted.predict(X[1200:])[:, 0]
    r2 = 1 - np.mean((pred - y[1200:]) ** 2) / np.var(y[1200:])
    width = fitted.architecture.hidden_widths[0]
    assert 1 <= width <= 32, width
    assert r2 >= 0.95, r2
