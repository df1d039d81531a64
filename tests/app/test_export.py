"""The module ``sparcs export`` writes: the predictor of a saved search as one torch module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import sparcs
from sparcs.app.export import ScaledModel, columns_path
from sparcs.preprocessing import Scaler
from sparcs.search.predictor import Predictor


def _compact(sizes: list[int]) -> torch.nn.Module:
    torch.manual_seed(len(sizes) + sizes[-1])
    net = sparcs.SpectralNetwork(sizes, bias=True)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_()
    return sparcs.to_compact(net)


@pytest.mark.parametrize(
    ("task", "outputs", "y_scaled"),
    [("regression", 1, True), ("regression", 2, False), ("classification", 1, False),
     ("classification", 4, False)],
)
def test_scaled_model_is_the_predictor(task, outputs, y_scaled) -> None:
    rng = np.random.default_rng(0)
    model = _compact([3, 5, outputs])
    x_scaler = Scaler(rng.normal(size=3) * 100, rng.uniform(0.5, 20, size=3))
    y_scaler = Scaler(rng.normal(size=outputs), rng.uniform(1, 3, size=outputs)) if y_scaled \
        else None
    predictor = Predictor(model, x_scaler, y_scaler, task)
    wrapped = ScaledModel(model, x_scaler, y_scaler, task)
    X = x_scaler.inverse(rng.normal(size=(9, 3)))
    with torch.no_grad():
        got = wrapped(torch.from_numpy(X)).numpy()
    assert got.dtype == np.float64
    want = predictor.outputs(X) if task == "regression" else predictor.predict_proba(X)
    assert got.shape == want.shape == (9, 2 if task == "classification" and outputs == 1
                                       else outputs)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("given", "beside"),
    [("model.onnx", "model.columns.json"), ("out/m.ONNX", "out/m.columns.json"),
     ("model", "model.columns.json"), ("a.v2.onnx", "a.v2.columns.json")],
)
def test_the_description_sits_beside_the_file(given, beside) -> None:
    assert columns_path(Path(given)) == Path(beside)
