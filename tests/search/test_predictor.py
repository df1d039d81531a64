"""One way to predict from a fitted model: the scalers undone, classes decoded, in chunks."""

from __future__ import annotations

import numpy as np
import torch

import sparcs.search.predictor as predictor_module
from sparcs.metrics import softmax
from sparcs.preprocessing import Scaler
from sparcs.search.predictor import Predictor


def _data(columns: int = 3) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(50, columns)) * 10 + 5


def test_regression_undoes_both_scalers() -> None:
    X = _data()
    x_scaler = Scaler.fit(X)
    y_scaler = Scaler(mean=np.array([2.0]), scale=np.array([3.0]))
    model = torch.nn.Linear(3, 1).double()
    predictor = Predictor(model, x_scaler, y_scaler, "regression")
    with torch.no_grad():
        expected = model(torch.as_tensor(x_scaler.transform(X))).numpy() * 3.0 + 2.0
    np.testing.assert_allclose(predictor.outputs(X), expected, rtol=1e-12)
    np.testing.assert_array_equal(predictor.predict(X), predictor.outputs(X))


def test_classes_from_one_logit_or_several() -> None:
    X = _data(2)
    scaler = Scaler.fit(X)
    binary = Predictor(torch.nn.Linear(2, 1), scaler, None, "classification")
    logit = binary.outputs(X)[:, 0]
    proba = binary.predict_proba(X)
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(binary.predict(X), (logit > 0).astype(int))
    several = Predictor(torch.nn.Linear(2, 3), scaler, None, "classification")
    logits = several.outputs(X)
    np.testing.assert_array_equal(several.predict_proba(X), softmax(logits))
    np.testing.assert_array_equal(several.predict(X), logits.argmax(axis=1))


def test_chunks_change_nothing(monkeypatch) -> None:
    X = _data()
    predictor = Predictor(torch.nn.Linear(3, 2), Scaler.fit(X), None, "classification")
    whole = predictor.outputs(X)
    monkeypatch.setattr(predictor_module, "CHUNK_ROWS", 7)
    chunked = predictor.outputs(X)
    assert chunked.shape == whole.shape and chunked.dtype == np.float64
    np.testing.assert_allclose(chunked, whole, rtol=1e-6, atol=1e-6)  # float32 rounds per batch
