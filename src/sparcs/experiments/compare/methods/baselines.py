"""Reference rows: ``linear`` (ridge or logistic regression, the floor) and ``hgb``
(scikit-learn's histogram gradient boosting with its defaults; no parameter count)."""

from __future__ import annotations

import numpy as np
import torch

from ....baselines import LogisticBaseline, RidgeBaseline
from ....errors import ConfigError
from ..nets import Size
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = ["run_hgb", "run_linear"]


def run_linear(split: Split, settings: CompareSettings, device: torch.device) -> list[Outcome]:
    X, y = split.raw("train")
    p, d, k = split.problem, X.shape[1], split.n_outputs
    if p.task == "regression":
        predict = RidgeBaseline().fit(X, split.Y(y)).predict
    else:
        predict = LogisticBaseline().fit(X, y, k).predict_proba
    # Two classes need one logit (the difference of the two softmax columns), as sparcs has.
    logits = 1 if p.task == "classification" and k == 2 else k
    size = Size(parameters=(d + 1) * logits, flops=2 * d * logits + logits,
                hidden_widths=[0] * len(settings.search.max_hidden), skip_blocks=0)
    return [Outcome("linear", predict, size, trainings=1, epochs=None)]


def run_hgb(split: Split, settings: CompareSettings, device: torch.device) -> list[Outcome]:
    try:
        from sklearn import ensemble
    except ImportError:
        raise ConfigError("method hgb needs scikit-learn: pip install 'sparcs-nas[sklearn]'") \
            from None
    X, y = split.raw("train")
    if split.problem.task == "regression":
        model = ensemble.HistGradientBoostingRegressor(random_state=split.seed)
        model.fit(X, split.Y(y)[:, 0])

        def predict(X: np.ndarray) -> np.ndarray:
            return model.predict(X).reshape(-1, 1)
    else:
        model = ensemble.HistGradientBoostingClassifier(random_state=split.seed).fit(X, y)
        classes = model.classes_

        def predict(X: np.ndarray) -> np.ndarray:
            # Columns per class code, also when the train part lacks a class.
            scores = np.zeros((len(X), split.n_outputs))
            scores[:, classes] = model.predict_proba(X)
            return scores
    return [Outcome("hgb", predict, None, trainings=1, epochs=None,
                    details={"iterations": int(model.n_iter_)})]
