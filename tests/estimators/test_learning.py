"""Learning on datasets that ship with scikit-learn: SPARCS against MLPRegressor/MLPClassifier
trained comparably (same hidden sizes, epochs, batch size and learning rate, standardized data)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sparcs import SparcsClassifier, SparcsRegressor

HIDDEN, EPOCHS, BATCH = (64, 64), 100, 64


def _mlp(cls, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            StandardScaler(),
            cls(hidden_layer_sizes=HIDDEN, max_iter=EPOCHS, batch_size=BATCH,
                learning_rate_init=1e-3, random_state=0, **kw),
        )


def _split(X, y, stratify=False):
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y if stratify else None)


def test_diabetes_regression_matches_mlp_and_ridge():
    Xtr, Xte, ytr, yte = _split(*load_diabetes(return_X_y=True))
    sparcs = SparcsRegressor(HIDDEN, epochs=EPOCHS, batch_size=BATCH, random_state=0)
    r2 = sparcs.fit(Xtr, ytr).score(Xte, yte)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = TransformedTargetRegressor(_mlp(MLPRegressor), transformer=StandardScaler())
        mlp_r2 = mlp.fit(Xtr, ytr).score(Xte, yte)
        ridge_r2 = make_pipeline(StandardScaler(), Ridge()).fit(Xtr, ytr).score(Xte, yte)
    assert r2 >= mlp_r2 - 0.03, (r2, mlp_r2)
    assert r2 >= ridge_r2 - 0.08, (r2, ridge_r2)
    assert r2 > 0.3
    # The search should not need the full maximal network on this nearly linear target.
    assert sparcs.architecture_.compact_parameters < sparcs.network_.num_parameters() / 2


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
def test_classification_matches_mlp(loader):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = _split(X, y, stratify=True)
    sparcs = SparcsClassifier(HIDDEN, epochs=EPOCHS, batch_size=BATCH, random_state=0)
    acc = sparcs.fit(Xtr, ytr).score(Xte, yte)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp_acc = _mlp(MLPClassifier).fit(Xtr, ytr).score(Xte, yte)
    assert acc >= mlp_acc - 0.03, (acc, mlp_acc)
    assert acc >= 0.93
    proba = sparcs.predict_proba(Xte)
    assert proba.shape == (len(Xte), len(np.unique(y)))
