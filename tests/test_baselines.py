"""The linear baselines (sparcs.baselines) against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from sparcs.baselines import LogisticBaseline, RidgeBaseline


def test_ridge_and_logistic_baselines_match_sklearn():
    sk = pytest.importorskip("sklearn.linear_model")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)) * [1, 10, 0.1, 3]
    y = X @ [1.0, 0.1, 5.0, -1.0] + rng.normal(size=120)
    ours = RidgeBaseline().fit(X, y).predict(X)[:, 0]
    ref = make_pipeline(StandardScaler(), sk.Ridge()).fit(X, y).predict(X)
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-8)
    codes = (X[:, 0] + rng.normal(size=120) > 0).astype(int) + (X[:, 3] > 1)
    ours = LogisticBaseline().fit(X, codes, 3).predict_proba(X)
    ref = make_pipeline(StandardScaler(), sk.LogisticRegression()).fit(X, codes)
    np.testing.assert_allclose(ours, ref.predict_proba(X), atol=2e-3)
