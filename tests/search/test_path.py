"""The regularization path: members trained as one ensemble equal single fits, and the search
keeps the smallest pruned member within the tolerance of the best."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sparcs import SparcsRegressor
from sparcs.errors import ConfigError
from sparcs.search.engine import fit_search
from sparcs.search.path import initial_network, train_members
from sparcs.search.settings import SearchSettings
from sparcs.training import fit

F64 = torch.float64


def _problem(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    return X, np.maximum(X[:, 0] + X[:, 1], 0) - 0.5 * X[:, 2] + 0.05 * rng.normal(size=n)


def test_every_path_member_equals_a_single_fit_with_its_penalty_and_seed() -> None:
    sizes = [3, 8, 6, 1]
    X, y = (torch.as_tensor(a, dtype=F64) for a in _problem())
    y = y.reshape(-1, 1)
    train, val = (X[:180], y[:180]), (X[180:], y[180:])
    settings = SearchSettings(max_hidden=(8, 6), path_penalties=(0.0, 1e-3, 0.3), path_seeds=2,
                              seed=4, epochs=40, batch_size=32, lr=1e-2, n_iter_no_change=3)
    config = dataclasses.replace(settings.train_config(), min_epochs=5)
    members = train_members(sizes, train, val, settings, config, loss="mse",
                            device=torch.device("cpu"), progress=False, dtype=F64)
    assert [(m.penalty, m.seed) for m in members] == [
        (c, s) for c in (0.0, 1e-3, 0.3) for s in (4, 5)]
    assert len({len(m.history.loss) for m in members}) > 1  # they stopped at different epochs
    for member in members:
        net = initial_network(sizes, member.seed, torch.device("cpu"), F64)
        single = fit(net, *train, config=dataclasses.replace(config, penalty=member.penalty),
                     validation=val)
        assert single.best_epoch == member.history.best_epoch
        assert len(single.loss) == len(member.history.loss)
        for p, q in zip(net.parameters(), member.network.parameters(), strict=True):
            assert torch.allclose(p, q, rtol=0, atol=1e-9)


def test_search_member_equals_the_search_with_that_penalty() -> None:
    X, y = _problem()
    base = {"max_hidden": (8,), "epochs": 25, "batch_size": 32, "device": "cpu", "seed": 1,
            "prune_tolerance": None}
    fitted = fit_search(X, y, task="regression",
                        settings=SearchSettings(**base, path_penalties=(1e-4, 1e-1)))
    # Without pruning every member ties at full size; the first is kept and must be the plain
    # search with penalty 1e-4.
    single = fit_search(X, y, task="regression", settings=SearchSettings(**base, penalty=1e-4))
    assert fitted.path == []  # nothing was pruned or chosen
    for p, q in zip(fitted.network.parameters(), single.network.parameters(), strict=True):
        assert torch.allclose(p, q, rtol=0, atol=1e-5)


def test_path_keeps_the_smallest_member_within_the_limit() -> None:
    X, y = _problem(400)
    model = SparcsRegressor(max_hidden=(16,), epochs=60, batch_size=32, device="cpu",
                            path_penalties=(1e-4, 1e-2), path_seeds=2, finetune_epochs=5,
                            random_state=0).fit(X, y)
    path = model.path_
    assert len(path) == 4 and sum(r["selected"] for r in path) == 1
    limit = model._fit.losses["limit"]
    eligible = [r for r in path if r["parameters"] is not None]
    assert eligible and all(r["pruned"] <= limit * (1 + 1e-6) for r in eligible)
    kept = next(r for r in path if r["selected"])
    assert kept["parameters"] == min(r["parameters"] for r in eligible)
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize("bad", [{"path_penalties": (-1.0,)}, {"path_penalties": ("a",)},
                                 {"path_penalties": (float("nan"),)}, {"path_seeds": 0},
                                 {"path_seeds": 2.5}, {"path_seeds": True}])
def test_bad_path_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ConfigError, match="path_"):
        SearchSettings(**bad)


def test_one_selection_rule_smallest_within_the_limit():
    from sparcs.search.select import smallest_within as _smallest_within

    class Sized:  # anything with num_parameters(), as CompactNetwork has
        def __init__(self, n: int) -> None:
            self.n = n

        def num_parameters(self) -> int:
            return self.n

    small, mid, big = Sized(3), Sized(5), Sized(9)
    # the small one is outside the limit: the smallest within it wins, not the smallest overall
    assert _smallest_within([(big, 0.1), (small, 0.9), (mid, 0.4)], limit=0.5) == 2
    # a tie in size goes to the lower value, a full tie to the first listed
    assert _smallest_within([(mid, 0.3), (Sized(5), 0.2)], limit=0.5) == 1
    assert _smallest_within([(mid, 0.3), (Sized(5), 0.3)], limit=0.5) == 0
    # none within the limit: the lowest value
    assert _smallest_within([(small, 0.9), (big, 0.7)], limit=0.5) == 1
