"""A saved search predicts what the search it was saved from predicts."""

from __future__ import annotations

import numpy as np

from sparcs.app.config import SearchConfig
from sparcs.app.folder import run_search
from sparcs.app.saved import SavedSearch


def test_saved_search_predicts_as_the_fitted_one(tmp_path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    np.savez(tmp_path / "reg.npz", X=X, y=X[:, 0] - 2 * X[:, 1])
    np.savez(tmp_path / "clf.npz", X=X, y=(X[:, 0] > X[:, 2]).astype(int))
    for name in ("reg", "clf"):
        config = SearchConfig(data=str(tmp_path / f"{name}.npz"), max_hidden=[8], epochs=3,
                              device="cpu", out=str(tmp_path / name), progress=False)
        fitted = run_search(config, log=lambda *a: None).fitted
        saved = SavedSearch.load(tmp_path / name)
        if fitted.task == "regression":
            np.testing.assert_array_equal(saved.predict(X), fitted.predict(X)[:, 0])
        else:
            np.testing.assert_array_equal(saved.predict(X), fitted.predict(X))
            np.testing.assert_array_equal(saved.predict_proba(X), fitted.predict_proba(X))
