"""Metrics without scikit-learn (sparcs.metrics) against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from sparcs.metrics import accuracy, log_loss, r2_score


def test_metrics_match_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    t, p = rng.normal(size=50), rng.normal(size=50)
    assert r2_score(t, p) == pytest.approx(metrics.r2_score(t, p))
    T, P = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    assert r2_score(T, P) == pytest.approx(metrics.r2_score(T, P))
    assert r2_score(np.ones(3), np.ones(3)) == 1.0
    labels = rng.integers(0, 3, size=50)
    proba = rng.dirichlet(np.ones(3), size=50)
    assert log_loss(labels, proba) == pytest.approx(metrics.log_loss(labels, proba))
    assert accuracy(labels, proba.argmax(1)) == metrics.accuracy_score(labels, proba.argmax(1))
