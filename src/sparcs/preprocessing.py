"""Rows and columns before training: seeds, train/validation splits, standardization.

Shared by the search, the linear baselines and the comparison, so that all of them cut and
scale the data the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ConfigError

__all__ = ["Scaler", "seed_from", "split_indices"]


def seed_from(random_state: Any) -> int:
    """An integer seed from scikit-learn's ``random_state`` conventions (None, int, RNG)."""
    if random_state is None:
        return int(np.random.randint(0, 2**31 - 1))
    if isinstance(random_state, int | np.integer):
        return int(random_state) % (2**31 - 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    raise ConfigError(f"random_state must be None, an int or a numpy RNG, got {random_state!r}")


def split_indices(
    n: int, fraction: float, seed: int, *, stratify: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (keep, held_out) row indices with about ``fraction`` of rows held out.

    With ``stratify`` (class codes), every class with at least 2 rows puts at least one in each
    part, so both parts see every such class. At least one row is always kept.
    """
    rng = np.random.default_rng(seed)
    if fraction <= 0 or n < 2:
        return rng.permutation(n), np.empty(0, dtype=np.int64)
    groups = [np.arange(n)] if stratify is None else [
        np.flatnonzero(stratify == c) for c in np.unique(stratify)
    ]
    keep, held = [], []
    for rows in groups:
        rows = rng.permutation(rows)
        k = round(fraction * len(rows))
        k = min(max(k, 1), len(rows) - 1) if len(rows) >= 2 else 0
        held.append(rows[:k])
        keep.append(rows[k:])
    if not sum(len(h) for h in held):  # only singleton classes: stratifying is impossible
        return split_indices(n, fraction, seed)
    return rng.permutation(np.concatenate(keep)), rng.permutation(np.concatenate(held))


# Rows per chunk where whole arrays would otherwise be copied (scalers, transforms).
CHUNK_ROWS = 65536


def _chunks(rows: np.ndarray) -> list[np.ndarray]:
    return [rows[i : i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)]


@dataclass
class Scaler:
    """Per-column standardization (x − mean) / scale; the identity when ``mean``/``scale`` are
    0/1. Constant columns keep scale 1 so they never divide by zero."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, data: np.ndarray, *, enabled: bool = True,
            rows: np.ndarray | None = None) -> Scaler:
        """The scaler of ``data``'s ``rows`` (default: all), computed in float64 over chunks of
        rows, so that no copy of the data is made."""
        if not enabled:
            return cls(np.zeros(data.shape[1]), np.ones(data.shape[1]))
        rows = np.arange(len(data)) if rows is None else np.asarray(rows)
        count = max(len(rows), 1)
        mean = np.zeros(data.shape[1])
        for part in _chunks(rows):
            mean += data[part].sum(axis=0, dtype=np.float64)
        mean /= count
        square = np.zeros(data.shape[1])
        for part in _chunks(rows):
            square += ((data[part] - mean) ** 2).sum(axis=0)
        scale = np.sqrt(square / count)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
        return cls(mean, scale)

    def transform_into(self, data: np.ndarray, dtype: type = np.float32) -> np.ndarray:
        """``transform(data)`` as a new array of ``dtype``, computed in chunks of rows (no
        float64 copy of the whole data)."""
        out = np.empty(data.shape, dtype=dtype)
        for i in range(0, len(data), CHUNK_ROWS):
            out[i : i + CHUNK_ROWS] = (data[i : i + CHUNK_ROWS] - self.mean) / self.scale
        return out

    def transform(self, data: np.ndarray) -> np.ndarray:
        return (data - self.mean) / self.scale

    def inverse(self, data: np.ndarray) -> np.ndarray:
        return data * self.scale + self.mean

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        return cls(np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64))
