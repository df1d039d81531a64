"""The problems a comparison runs on, and the one split of each that every method shares.

- ``teacher``: targets made by random ReLU teacher networks of known depth (0–3) and width, so
  the right size is known;
- ``sklearn``: scikit-learn's bundled datasets and generated problems (Friedman 1–3,
  ``make_classification`` with several clusters per class);
- a user's CSV/.npz, or each dataset of a manifest (:mod:`.manifest`), read and checked exactly
  as ``sparcs search`` does.

:meth:`Problem.split` holds out the test rows and prepares the rest with the search's own
first stage (:func:`sparcs.search.prepare.prepare`), so the ``sparcs`` method validates on the
very rows the other methods do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ...app.tabular import MIN_ROWS, load_dataset, task_and_targets
from ...errors import ConfigError, DataError
from ...metrics import accuracy, class_probabilities, r2_score
from ...preprocessing import Scaler, split_indices
from ...search.predictor import Predictor
from ...search.prepare import Prepared, prepare
from .manifest import Entry, file_sha256, read_manifest
from .settings import CompareSettings

__all__ = ["Problem", "Split", "load_problems", "manifest_problems", "teacher_problem"]

TEACHER_DEPTHS = (0, 1, 2, 3)
TEACHER_WIDTH = 8
TEACHER_DIM = 10
TEACHER_NOISE = 0.05  # noise std relative to the target's: the best R² is about 0.9975


@dataclass
class Problem:
    """One dataset: features ``X`` (float), targets ``y`` (floats, or class codes 0…k−1)."""

    name: str
    task: str
    X: np.ndarray
    y: np.ndarray
    n_classes: int | None = None
    truth: list[int] | None = None  # a teacher's hidden widths
    source: str = ""
    # What the run folder's config.json keeps of a manifest's dataset (file, hash, reading).
    record: dict[str, Any] | None = None

    @property
    def metric(self) -> str:
        return "r2" if self.task == "regression" else "accuracy"

    def split(self, seed: int, test_fraction: float, validation_fraction: float) -> Split:
        if not np.isfinite(self.X).all():
            raise DataError(f"{self.name}: the features hold "
                            f"{int((~np.isfinite(self.X)).sum())} NaN or infinite values")
        codes = self.y if self.task == "classification" else None
        fit_rows, test_rows = split_indices(len(self.y), test_fraction, seed, stratify=codes)
        if len(test_rows) < 2:
            raise ConfigError(
                f"{self.name}: test_fraction {test_fraction:g} of {len(self.y)} rows leaves "
                f"{len(test_rows)} test row; raise --test-fraction"
            )
        prepared = prepare(self.X[fit_rows], self.y[fit_rows], task=self.task,
                           n_classes=self.n_classes, validation_fraction=validation_fraction,
                           seed=seed)
        return Split(self, seed, fit_rows, test_rows, prepared)


@dataclass
class Split:
    """Test rows, and the other ("fit") rows prepared as the search prepares them: cut into
    train and validation parts, standardized on the train part
    (:func:`sparcs.search.prepare.prepare`)."""

    problem: Problem
    seed: int
    fit_rows: np.ndarray
    test_rows: np.ndarray
    prepared: Prepared

    @property
    def train(self) -> np.ndarray:  # indices into fit_rows
        return self.prepared.train_rows

    @property
    def val(self) -> np.ndarray:
        return self.prepared.val_rows

    @property
    def x_scaler(self) -> Scaler:
        return self.prepared.x_scaler

    @property
    def y_scaler(self) -> Scaler | None:
        return self.prepared.y_scaler

    @property
    def X_fit(self) -> np.ndarray:
        return self.problem.X[self.fit_rows]

    @property
    def y_fit(self) -> np.ndarray:
        return self.problem.y[self.fit_rows]

    @property
    def n_outputs(self) -> int:
        return self.prepared.n_outputs

    @staticmethod
    def Y(y: np.ndarray) -> np.ndarray:
        return y.reshape(len(y), -1).astype(np.float64)

    def raw(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """Unscaled ``(X, y)`` of ``"train"``, ``"val"`` or ``"test"``."""
        if part == "test":
            return self.problem.X[self.test_rows], self.problem.y[self.test_rows]
        rows = self.fit_rows[self.train if part == "train" else self.val]
        return self.problem.X[rows], self.problem.y[rows]

    def tensors(self, part: str, device: torch.device) -> tuple[Tensor, Tensor]:
        """Standardized float32 features and targets (class codes as long) of ``"train"`` or
        ``"val"`` on ``device``."""
        return self.prepared.tensors(self.train if part == "train" else self.val, device)

    def predictor(self, net: torch.nn.Module) -> Predictor:
        """A network trained on :meth:`tensors` behind this split's scalers: its ``outputs``
        map raw features to the target's units (regression) or to logits."""
        return Predictor(net, self.x_scaler, self.y_scaler, self.problem.task)

    def score(self, outputs: np.ndarray, part: str) -> float:
        """R² (regression) or accuracy (classification) on ``part``. Class scores are decoded
        as the estimators decode them: one column is a binary model's logit, several are
        per-class scores (logits or probabilities)."""
        _, y = self.raw(part)
        if self.problem.task == "regression":
            return r2_score(self.Y(y), outputs)
        return accuracy(y, class_probabilities(np.asarray(outputs)).argmax(axis=1))


# ---------------------------------------------------------------------- suites
def teacher_problem(depth: int, samples: int, *, width: int = TEACHER_WIDTH,
                    dim: int = TEACHER_DIM) -> Problem:
    """y = teacher(x) + noise, x ~ N(0, I): a ReLU network with ``depth`` hidden layers of
    ``width`` (He-scaled weights, small biases); depth 0 is a linear target. The teacher and
    the rows depend on (depth, width, dim, samples) only, never on the trial's seed."""
    rng = np.random.default_rng([depth, width, dim, samples])
    X = rng.normal(size=(samples, dim))
    h = X
    for _ in range(depth):
        W = rng.normal(scale=np.sqrt(2 / h.shape[1]), size=(h.shape[1], width))
        h = np.maximum(h @ W + rng.normal(scale=0.1, size=width), 0.0)
    y = h @ rng.normal(scale=np.sqrt(1 / h.shape[1]), size=h.shape[1])
    y = y + TEACHER_NOISE * y.std() * rng.normal(size=samples)
    return Problem(f"teacher-d{depth}", "regression", X, y, truth=[width] * depth,
                   source=f"teacher: {depth} hidden layers of {width}, {dim} inputs")


def _cap(X: np.ndarray, y: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
    if len(y) <= samples:
        return X, y
    rows = np.sort(np.random.default_rng(0).permutation(len(y))[:samples])
    return X[rows], y[rows]


def _sklearn_problems(samples: int) -> list[Problem]:
    try:
        from sklearn import datasets
    except ImportError:
        raise ConfigError("--suite sklearn needs scikit-learn: pip install "
                          "'sparcs-nas[sklearn]'") from None
    problems = []
    bundled = {"diabetes": ("regression", datasets.load_diabetes),
               "breast_cancer": ("classification", datasets.load_breast_cancer),
               "wine": ("classification", datasets.load_wine),
               "digits": ("classification", datasets.load_digits)}
    for name, (task, loader) in bundled.items():
        X, y = loader(return_X_y=True)
        X, y = _cap(X.astype(np.float64), y, samples)
        problems.append(_problem(name, task, X, y, f"sklearn.datasets.load_{name}"))
    for k in (1, 2, 3):
        make = getattr(datasets, f"make_friedman{k}")
        kwargs = {"n_features": 10} if k == 1 else {}
        X, y = make(n_samples=samples, noise=0.1 if k == 3 else 1.0, random_state=0, **kwargs)
        problems.append(_problem(f"friedman{k}", "regression", X, y, f"make_friedman{k}"))
    X, y = datasets.make_classification(
        n_samples=samples, n_features=10, n_informative=6, n_redundant=2,
        n_clusters_per_class=3, random_state=0)
    problems.append(_problem("classification", "classification", X, y,
                             "make_classification, 3 clusters per class"))
    return problems


def _problem(name: str, task: str, X: np.ndarray, y: np.ndarray, source: str) -> Problem:
    if task == "classification":
        y = np.unique(y, return_inverse=True)[1].astype(np.int64)
        return Problem(name, task, X, y, n_classes=int(y.max()) + 1, source=source)
    return Problem(name, task, X, y.astype(np.float64), source=source)


def _table_problem(path: str | Path, name: str, target: str | None, task: str,
                   categorical: str, dropna: bool, source: str) -> Problem:
    """A file, read, encoded and checked as ``sparcs search`` does."""
    data = load_dataset(path, target, categorical=categorical, dropna=dropna, min_rows=MIN_ROWS)
    task, targets, classes = task_and_targets(data, task)
    if data.n_dropped:
        source += f"; {data.n_dropped} rows with missing values dropped"
    return Problem(name, task, data.X.astype(np.float64), targets,
                   n_classes=len(classes) if classes else None, source=source)


def _user_problem(settings: CompareSettings) -> Problem:
    """The user's file."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(settings.data).stem) or "data"
    return _table_problem(settings.data, name, settings.target, settings.task,
                          settings.categorical, settings.dropna, str(settings.data))


def _manifest_problem(manifest: str, entry: Entry) -> Problem:
    """A manifest's dataset; errors name the entry. Its ``record`` holds the file's hash."""
    described = f"{entry.file}, target {entry.target}"
    if entry.source:
        described += f" ({entry.source})"
    try:
        sha256 = file_sha256(entry.path) if entry.path.is_file() else ""
        problem = _table_problem(entry.path, entry.name, entry.target, entry.task,
                                 entry.categorical, entry.dropna, described)
    except DataError as err:
        raise DataError(f"{manifest}: dataset {entry.name!r}: {err}") from None
    problem.record = entry.record(sha256)
    return problem


def manifest_problems(settings: CompareSettings) -> list[Problem]:
    """The datasets of the settings' manifest (those of ``settings.roles``), in its order."""
    entries = read_manifest(settings.manifest, roles=settings.roles, task=settings.task,
                            categorical=settings.categorical, dropna=settings.dropna)
    return [_manifest_problem(settings.manifest, e) for e in entries]


def load_problems(settings: CompareSettings) -> list[Problem]:
    """The problems of the settings' suite or manifest, or the user's file."""
    if settings.data is not None:
        problems = [_user_problem(settings)]
    elif settings.manifest is not None:
        problems = manifest_problems(settings)
    elif settings.suite == "teacher":
        problems = [teacher_problem(d, settings.samples) for d in TEACHER_DEPTHS]
    else:
        problems = _sklearn_problems(settings.samples)
    for p in problems:
        if p.task == "regression" and not np.isfinite(p.y).all():
            raise DataError(f"{p.name}: the target holds NaN or infinite values")
    return problems
