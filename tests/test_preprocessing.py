"""Splits, standardization and seeds (sparcs.preprocessing)."""

from __future__ import annotations

import numpy as np
import pytest

from sparcs.errors import ConfigError
from sparcs.preprocessing import Scaler, seed_from, split_indices


def test_split_is_a_partition_and_stratified():
    codes = np.array([0] * 50 + [1] * 10 + [2] * 2 + [3])
    keep, held = split_indices(len(codes), 0.2, seed=0, stratify=codes)
    assert sorted(np.concatenate([keep, held]).tolist()) == list(range(len(codes)))
    assert np.bincount(codes[held], minlength=4).tolist() == [10, 2, 1, 0]
    assert set(codes[keep]) == {0, 1, 2, 3}  # every class stays in training
    k2, h2 = split_indices(len(codes), 0.2, seed=0, stratify=codes)
    assert np.array_equal(keep, k2) and np.array_equal(held, h2)
    keep, held = split_indices(10, 0.0, seed=0)
    assert len(held) == 0 and sorted(keep.tolist()) == list(range(10))
    keep, held = split_indices(1, 0.5, seed=0)
    assert keep.tolist() == [0] and len(held) == 0
    # only singleton classes: falls back to a plain split rather than an empty one
    keep, held = split_indices(10, 0.2, seed=0, stratify=np.arange(10))
    assert len(held) == 2


def test_scaler_round_trip_and_constant_columns():
    X = np.column_stack([np.arange(10.0), np.full(10, 5.0)])
    scaler = Scaler.fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, 0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, 0].std(), 1)
    np.testing.assert_array_equal(Z[:, 1], 0.0)
    np.testing.assert_allclose(scaler.inverse(Z), X)
    again = Scaler.from_dict(scaler.to_dict())
    np.testing.assert_array_equal(again.transform(X), Z)
    off = Scaler.fit(X, enabled=False)
    np.testing.assert_array_equal(off.transform(X), X)


def test_seed_from_follows_sklearn_conventions():
    assert seed_from(7) == 7
    a = seed_from(np.random.RandomState(0))
    assert a == seed_from(np.random.RandomState(0))
    assert isinstance(seed_from(None), int)
    assert isinstance(seed_from(np.random.default_rng(0)), int)
    with pytest.raises(ConfigError):
        seed_from("seven")
