"""scikit-learn estimators that search their own architecture: :class:`SparcsRegressor` and
:class:`SparcsClassifier` (optional extra ``sklearn``: ``pip install sparcs-nas[sklearn]``).

Each ``fit`` trains ``SpectralNetwork([n_features, *max_hidden, n_outputs], bias=True)`` from the
perceptron start with the eigenvalue penalty, on every fold of a cross-validation at once; the
size of the pruned model (or the regularized linear floor) is chosen on the folds' held-out
rows, and ``predict`` uses that compact model.

>>> from sklearn.datasets import load_diabetes
>>> X, y = load_diabetes(return_X_y=True)
>>> model = SparcsRegressor(max_hidden=(32,), epochs=20, random_state=0).fit(X, y)
>>> model.architecture_.hidden_widths  # doctest: +SKIP
[7]
>>> model.predict(X[:3]).shape
(3,)
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "SparcsRegressor and SparcsClassifier need scikit-learn: "
        "pip install sparcs-nas[sklearn]"
    ) from err

from ..preprocessing import seed_from
from ..search.engine import SearchResult, fit_search
from ..search.settings import SearchSettings

__all__ = ["SparcsClassifier", "SparcsRegressor"]


class _SparcsEstimator(BaseEstimator):
    """Parameters and fitted attributes shared by the regressor and the classifier.

    Parameters: the fields of :class:`~sparcs.search.settings.SearchSettings` (listed below from
    that one definition), except that ``random_state`` (None, an int or a numpy RNG) gives the
    seed and ``verbose`` shows a progress bar while training.

    Fitted attributes:
        network_: the final trained :class:`~sparcs.SpectralNetwork` (before pruning).
        compact_: the chosen :class:`~sparcs.CompactNetwork` that ``predict`` uses: a pruned
            network, or the linear floor or the constant in the same form.
        kind_: which of those it is: ``"network"``, ``"floor"`` or ``"constant"``.
        architecture_: the found :class:`~sparcs.Architecture` (``hidden_widths``, skips, ...).
        cv_results_: the cross-validation table, one record per candidate (``kind``,
            ``penalty``, ``budget``, ``parameters``, ``mean`` and ``se`` of the held-out loss,
            ``losses`` per fold).
        choice_: the rule's outcome (``chosen``, ``best``, ``threshold``, ``floor_bound``).
        members_: one record per trained network (penalty, seed, fold, epochs).
        history_: :class:`~sparcs.History` of the final network (``history_.loss``;
            ``history_.best_epoch``: the epoch kept by early stopping).
        finetune_history_: the fine-tuning's :class:`~sparcs.History`, or None.
        n_features_in_: number of input columns.
    """

    def __init__(
        self,
        max_hidden: tuple[int, ...] = (128, 128),
        *,
        penalty: float = 1e-4,
        penalty_norm: float = 2,
        epochs: int = 200,
        batch_size: int = 256,
        lr: float = 3e-3,
        prune: bool = True,
        cv_folds: int = 5,
        cv_max_rows: int = 20_000,
        one_se: float = 0.0,
        budgets: int = 12,
        validation_fraction: float = 0.1,
        early_stopping: bool = True,
        n_iter_no_change: int | None = 10,
        recruit_steps: int = 300,
        path_penalties: tuple[float, ...] = (),
        path_seeds: int = 1,
        linear_floor: bool = True,
        finetune_epochs: int = 20,
        standardize: bool = True,
        device: str = "auto",
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.max_hidden = max_hidden
        self.penalty = penalty
        self.penalty_norm = penalty_norm
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.prune = prune
        self.cv_folds = cv_folds
        self.cv_max_rows = cv_max_rows
        self.one_se = one_se
        self.budgets = budgets
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.recruit_steps = recruit_steps
        self.path_penalties = path_penalties
        self.path_seeds = path_seeds
        self.linear_floor = linear_floor
        self.finetune_epochs = finetune_epochs
        self.standardize = standardize
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _settings(self) -> SearchSettings:
        return SearchSettings.from_attributes(self, seed=seed_from(self.random_state))

    def _store(self, fitted: SearchResult) -> None:
        self._fit = fitted
        self.network_ = fitted.network
        self.compact_ = fitted.compact
        self.architecture_ = fitted.architecture
        self.kind_ = fitted.kind
        self.cv_results_ = fitted.cv
        self.choice_ = fitted.choice
        self.members_ = fitted.members
        self.history_ = fitted.history
        self.finetune_history_ = fitted.finetune_history

    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "compact_")
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])


def _settings_doc() -> str:
    """One line per search setting, from the help text of its field."""
    lines = ["    Settings:"]
    for f in fields(SearchSettings):
        if f.name != "seed":
            lines.append(f"        {f.name}: {f.metadata['help']}.")
    return "\n".join(lines) + "\n"


_SparcsEstimator.__doc__ = (_SparcsEstimator.__doc__ or "").rstrip() + "\n\n" + _settings_doc()


class SparcsRegressor(RegressorMixin, _SparcsEstimator):
    """Regression with a searched architecture (MSE on standardized targets).

    ``y`` may be 1-D or 2-D (several outputs); ``predict`` returns the same shape.
    See :class:`_SparcsEstimator` for parameters and fitted attributes.
    """

    def fit(self, X: Any, y: Any) -> SparcsRegressor:
        X, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, dtype=[np.float64, np.float32]
        )
        self._y_ndim = np.ndim(y)
        self._store(fit_search(X, y, task="regression", settings=self._settings(),
                               progress=bool(self.verbose)))
        return self

    def predict(self, X: Any) -> np.ndarray:
        X = self._check_X(X)
        pred = self._fit.outputs(X)
        return pred[:, 0] if self._y_ndim == 1 else pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class SparcsClassifier(ClassifierMixin, _SparcsEstimator):
    """Classification with a searched architecture (cross-entropy on logits).

    Binary and multi-class; labels may be of any type (ints, strings, ...), kept in
    ``classes_``. See :class:`_SparcsEstimator` for parameters and fitted attributes.
    """

    def fit(self, X: Any, y: Any) -> SparcsClassifier:
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"SparcsClassifier needs at least 2 classes in y, got only one class "
                f"({self.classes_[0]!r})"
            )
        fitted = fit_search(
            X, codes, task="classification", n_classes=len(self.classes_),
            settings=self._settings(), progress=bool(self.verbose),
        )
        self._store(fitted)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes_))``, rows summing to 1."""
        X = self._check_X(X)
        return self._fit.predict_proba(X)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        return np.log(np.clip(self.predict_proba(X), 1e-300, None))

    def predict(self, X: Any) -> np.ndarray:
        X = self._check_X(X)
        return self.classes_[self._fit.predict(X)]
