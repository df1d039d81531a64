"""SparcsRegressor / SparcsClassifier follow scikit-learn's estimator contract."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparcs import SparcsClassifier, SparcsRegressor

# The small settings: scikit-learn's checks (check_regressors_train and
# check_classifiers_train among them) must pass after only 3 epochs.
SMALL = {"max_hidden": (8,), "epochs": 3, "random_state": 0}


@parametrize_with_checks([SparcsRegressor(**SMALL), SparcsClassifier(**SMALL)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = X[:, 0] - 2 * X[:, 1] + np.maximum(X[:, 2], 0) * 3 + 0.05 * rng.normal(size=240)
    return X, 10 * y + 100  # targets far from 0/1 exercise the target scaling


@pytest.fixture(scope="module")
def label_data():
    rng = np.random.default_rng(1)
    codes = np.arange(240) % 3
    centers = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    X = centers[codes] + rng.normal(size=(240, 3))
    return X, np.array(["low", "mid", "high"], dtype=object)[codes]


def test_init_only_stores_params_and_get_set_params():
    model = SparcsRegressor(max_hidden=(5, 5), penalty=1e-3, epochs=3)
    params = model.get_params()
    assert params["max_hidden"] == (5, 5) and params["penalty"] == 1e-3
    assert params["cv_folds"] == 5 and params["one_se"] == 0.0 and params["prune"] is True
    assert params["device"] == "auto"
    assert not [k for k in vars(model) if k.endswith("_")]
    assert model.set_params(epochs=7, lr=0.01) is model
    assert model.epochs == 7 and model.lr == 0.01
    assert SparcsClassifier().get_params()["max_hidden"] == (128, 128)


def test_not_fitted_error():
    for model in (SparcsRegressor(), SparcsClassifier()):
        with pytest.raises(NotFittedError):
            model.predict(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        SparcsClassifier().predict_proba(np.zeros((2, 3)))


def test_regressor_learns_and_exposes_fitted_attributes(regression_data):
    X, y = regression_data
    model = SparcsRegressor(max_hidden=(32, 32), epochs=60, random_state=0).fit(X, y)
    assert model.n_features_in_ == 4
    assert model.score(X, y) > 0.9
    assert len(model.history_.loss) <= 60 and model.history_.loss[-1] < model.history_.loss[0]
    arch = model.architecture_
    assert len(arch.hidden_widths) == 2 and all(0 <= w <= 32 for w in arch.hidden_widths)
    assert sum(arch.hidden_widths) > 0  # the ReLU term needs a hidden layer
    assert model.kind_ == "network" and model.choice_["chosen"]["kind"] == "network"
    assert {"kind", "penalty", "budget", "mean", "se", "losses"} <= set(model.cv_results_[0])
    assert len(model.members_) == 6  # five folds and the final network
    assert isinstance(model.network_, torch.nn.Module) and model.network_.sizes[1:-1] == [32, 32]
    # predict uses the compact model: same numbers by hand, in original units
    fit = model._fit
    Z = fit.x_scaler.transform(X[:5])
    with torch.no_grad():
        out = model.compact_(torch.as_tensor(Z, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(model.predict(X[:5]), fit.y_scaler.inverse(out)[:, 0], rtol=1e-6)


def test_no_pruning_keeps_the_full_network(regression_data):
    X, y = regression_data
    model = SparcsRegressor(max_hidden=(16,), epochs=10, prune=False, random_state=0)
    model.fit(X, y)
    assert model.cv_results_ == [] and model.compact_.widths[1:-1] == [16]
    full = model._fit.predict(X, model="full")[:, 0]
    np.testing.assert_allclose(model.predict(X), full, rtol=1e-4, atol=1e-4)


def test_multi_output_regression(regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -y])
    model = SparcsRegressor(max_hidden=(16,), epochs=80, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (240, 2)
    assert model.score(X, Y) > 0.8


def test_classifier_string_labels_and_probabilities(label_data):
    X, y = label_data
    model = SparcsClassifier(max_hidden=(16,), epochs=40, batch_size=32, random_state=0)
    model.fit(X, y)
    assert list(model.classes_) == ["high", "low", "mid"]
    pred = model.predict(X)
    assert set(pred) <= set(model.classes_) and model.score(X, y) > 0.85
    proba = model.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], pred)
    assert model.network_.sizes[-1] == 3


def test_binary_classification_and_one_class_error(label_data):
    X, y = label_data
    yb = (y == "low").astype(int)
    model = SparcsClassifier(max_hidden=(8,), epochs=30, batch_size=32, random_state=0)
    model.fit(X, yb)
    assert model.classes_.tolist() == [0, 1] and model.predict_proba(X).shape == (240, 2)
    assert model.score(X, yb) > 0.85
    with pytest.raises(ValueError, match="only one class"):
        SparcsClassifier(epochs=1).fit(X, np.zeros(len(X)))


def test_same_random_state_same_model_and_pickle(regression_data):
    X, y = regression_data
    a = SparcsRegressor(max_hidden=(8,), epochs=5, random_state=3).fit(X, y)
    b = SparcsRegressor(max_hidden=(8,), epochs=5, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict(X), a.predict(X))
    assert restored.architecture_.hidden_widths == a.architecture_.hidden_widths


def test_clone_pipeline_grid_search_and_cross_val(label_data):
    X, y = label_data
    base = SparcsClassifier(max_hidden=(8,), epochs=30, batch_size=16, random_state=0)
    fresh = clone(base.fit(X, y))
    assert not hasattr(fresh, "classes_") and fresh.get_params() == base.get_params()
    pipe = make_pipeline(StandardScaler(), clone(base))
    assert pipe.fit(X, y).score(X, y) > 0.85
    # lr 1e-6 leaves the model untrained (near chance): the grid must see and reject it. (The
    # regularized linear floor, fitted apart from the network, would rescue it: off here.)
    grid = GridSearchCV(clone(base).set_params(linear_floor=False), {"lr": [1e-6, 1e-2]},
                        cv=2).fit(X, y)
    untrained, trained = grid.cv_results_["mean_test_score"]
    assert grid.best_params_ == {"lr": 1e-2} and grid.best_estimator_.get_params()["lr"] == 1e-2
    assert untrained < 0.5 < 0.85 < trained
    reg = SparcsRegressor(max_hidden=(8,), epochs=40, batch_size=16, random_state=0)
    scores = cross_val_score(reg, X, X[:, 0], cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_hidden": (0,)}, "max_hidden"),
        ({"max_hidden": "wide"}, "max_hidden"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"one_se": -1}, "one_se"),
        ({"cv_folds": 0}, "cv_folds"),
        ({"epochs": -1}, "epochs"),
        ({"lr": 0}, "lr"),
        ({"penalty_norm": 3}, "penalty_norm"),
        ({"device": "tpu"}, "device"),
        ({"random_state": "x"}, "random_state"),
    ],
)
def test_bad_parameters_fail_at_fit_with_value_error(regression_data, params, message):
    X, y = regression_data
    with pytest.raises(ValueError, match=message):
        SparcsRegressor(**params).fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_on_cuda_predicts_on_cpu(regression_data):
    X, y = regression_data
    model = SparcsRegressor(max_hidden=(16,), epochs=5, device="cuda", random_state=0).fit(X, y)
    assert model.predict(X).shape == (240,)
    assert next(model.compact_.parameters()).device.type == "cpu"


def test_import_sparcs_without_sklearn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import sparcs\n"
        "net = sparcs.SpectralNetwork([2, 3, 1])\n"
        "from sparcs.app.config import SearchConfig\n"
        "try:\n"
        "    sparcs.SparcsRegressor\n"
        "except ImportError as err:\n"
        "    print('ImportError:', err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install sparcs-nas[sklearn]" in out.stdout
