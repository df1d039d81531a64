"""Spectral pruning: the curve and the choice of the smallest network within tolerance."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

import sparcs
from sparcs import ConfigError, DataError, ShapeError, SpectralNetwork, TrainConfig, fit
from sparcs.pruning import architecture_of

from .helpers import random_net


@pytest.fixture(scope="module")
def trained() -> tuple[SpectralNetwork, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(768, 2, generator=gen, dtype=torch.float64) * 2 - 1
    y = (X[:, :1] ** 2 + 0.5 * X[:, 1:]).abs()
    torch.manual_seed(0)
    # λ_0 fixed at 0 (as in docs/math.md §10.2), so first-layer nodes die one by one with their λ_1.
    net = SpectralNetwork([2, 16, 16, 1], bias=True, dtype=torch.float64, freeze_eigenvalues=[0])
    config = TrainConfig(epochs=20, batch_size=64, lr=1e-2, penalty=1e-3)
    fit(net, X[:512], y[:512], config=config)
    return net, X[512:], y[512:]


def _mse(net: SpectralNetwork, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float(F.mse_loss(net(X), y))


def test_prune_respects_the_tolerance(trained) -> None:
    net, Xv, yv = trained
    before = [p.detach().clone() for p in net.parameters()]
    result = sparcs.prune(net, Xv, yv, tolerance=0.05)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    base = _mse(net, Xv, yv)
    assert result.base_loss == pytest.approx(base, rel=1e-12)
    assert _mse(result.network, Xv, yv) == pytest.approx(result.loss, rel=1e-12)
    assert result.loss <= base * 1.05
    # It really pruned something, and nothing in the sweep is smaller within tolerance.
    full = architecture_of(net)
    assert result.threshold > 0
    assert result.architecture.compact_parameters < full.compact_parameters
    feasible = [r for r in result.curve if r["mode"] == "threshold"
                and r["relative_increase"] <= 0.05]
    assert min(r["parameters"] for r in feasible) == result.architecture.compact_parameters
    # The pruned copy has exact zeros and the compact model computes its function.
    zeroed = sum(int((lam == 0).sum()) for lam in result.network.eigenvalues[:-1])
    assert zeroed > sum(int((lam == 0).sum()) for lam in net.eigenvalues[:-1])
    with torch.no_grad():
        diff = (result.compact(Xv) - result.network(Xv)).abs().max()
    assert float(diff) <= 1e-10 * float(yv.abs().max())
    assert result.compact.num_parameters() == result.architecture.compact_parameters


def test_tighter_tolerance_keeps_more(trained) -> None:
    net, Xv, yv = trained
    loose = sparcs.prune(net, Xv, yv, tolerance=0.5, num_thresholds=10)
    tight = sparcs.prune(net, Xv, yv, tolerance=1e-3, num_thresholds=10)
    assert tight.relative_increase <= 1e-3 and loose.relative_increase <= 0.5
    assert tight.architecture.compact_parameters >= loose.architecture.compact_parameters


def test_a_limit_keeps_the_smallest_model_within_the_limit(trained) -> None:
    net, Xv, yv = trained
    base = _mse(net, Xv, yv)
    limit = base * 1.2
    result = sparcs.prune(net, Xv, yv, limit=limit, num_thresholds=10)
    assert result.threshold > 0 and result.limit == limit
    assert result.loss <= limit
    assert _mse(result.network, Xv, yv) == pytest.approx(result.loss, rel=1e-12)
    # No threshold the search evaluated (grid and bisection) is smaller within the limit, and
    # every smaller one is beyond it.
    rows = [r for r in result.curve if r["mode"] == "threshold"]
    smallest = min(r["parameters"] for r in rows if r["val_loss"] <= limit)
    assert result.architecture.compact_parameters == smallest
    assert all(r["val_loss"] > limit for r in rows if r["parameters"] < smallest)
    assert result.tolerance == pytest.approx((limit - base) / base, rel=1e-9)
    # The relative tolerance names the same choice here.
    relative = sparcs.prune(net, Xv, yv, tolerance=0.2, num_thresholds=10)
    assert relative.threshold == result.threshold
    assert relative.limit == pytest.approx(limit, rel=1e-12)


def test_a_limit_below_the_unpruned_loss_keeps_threshold_0(trained) -> None:
    net, Xv, yv = trained
    base = _mse(net, Xv, yv)
    result = sparcs.prune(net, Xv, yv, limit=base * 0.5, num_thresholds=10)
    assert result.threshold == 0.0
    assert result.loss == pytest.approx(base, rel=1e-12)
    assert result.architecture.compact_parameters == architecture_of(net).compact_parameters
    for limit in (float("nan"), float("inf"), "1", True):
        with pytest.raises(ConfigError, match="limit"):
            sparcs.prune(net, Xv, yv, limit=limit)
    with pytest.raises(ConfigError, match="not both"):
        sparcs.prune(net, Xv, yv, limit=base, tolerance=0.05)


def test_pruning_curve_rows(trained) -> None:
    net, Xv, yv = trained
    curve = sparcs.pruning_curve(net, Xv, yv, num_thresholds=8)
    modes = [r["mode"] for r in curve]
    assert set(modes) == {"threshold", "top_k"}
    first = curve[0]
    assert first["mode"] == "threshold" and first["threshold"] == 0.0
    assert first["relative_increase"] == 0.0
    total_nonzero = sum(int((lam != 0).sum()) for lam in net.eigenvalues[:-1])
    for row in curve:
        assert set(row) >= {"mode", "threshold", "k", "active_eigenvalues", "widths",
                            "parameters", "val_loss", "relative_increase"}
        assert len(row["active_eigenvalues"]) == len(row["widths"]) == net.depth
        assert row["active_eigenvalues"][-1] == 1  # the output eigenvalue is never zeroed
        if row["mode"] == "top_k":
            assert row["num_active"] == min(row["k"], total_nonzero)
    last = [r for r in curve if r["mode"] == "threshold"][-1]
    assert last["num_active"] == 0 and last["widths"][1:-1] == [0, 0]


def test_explicit_thresholds_and_top_k(trained) -> None:
    net, Xv, yv = trained
    curve = sparcs.pruning_curve(net, Xv, yv, thresholds=[0.5, 0.0], top_k=[])
    assert [r["threshold"] for r in curve] == [0.0, 0.5]
    curve = sparcs.pruning_curve(net, Xv, yv, thresholds=[], top_k=[3])
    assert len(curve) == 1 and curve[0]["k"] == 3 and curve[0]["num_active"] == 3


def test_classification_loss() -> None:
    net = random_net([4, 5, 3], seed=30)
    X = torch.randn(40, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (40,))
    curve = sparcs.pruning_curve(net, X, y, loss="cross_entropy", num_thresholds=4)
    # Each row's loss is the cross-entropy of the network with that row's eigenvalues zeroed.
    for row in curve:
        lams = [lam.detach().clone() for lam in net.eigenvalues]
        for lam in lams[:-1]:  # the output eigenvalues are never zeroed
            lam[lam.abs() <= row["threshold"]] = 0.0
        want = F.cross_entropy(net(X, eigenvalues=lams), y).item()
        assert row["val_loss"] == pytest.approx(want, rel=1e-12)
    assert curve[0]["threshold"] == 0.0
    assert curve[-1]["val_loss"] != pytest.approx(curve[0]["val_loss"], rel=1e-6)


def test_global_rule_prunes_without_compact_model() -> None:
    net = random_net([2, 4, 1], seed=31)
    net.rule = "global"
    X = torch.randn(30, 2, dtype=torch.float64)
    result = sparcs.prune(net, X, net(X).detach(), tolerance=0.1, num_thresholds=5)
    assert result.compact is None and result.network.rule == "global"
    assert result.relative_increase <= 0.1


def test_bad_input(trained) -> None:
    net, Xv, yv = trained
    for tolerance in (0, -0.1, float("nan"), "5%"):
        with pytest.raises(ConfigError, match="tolerance"):
            sparcs.prune(net, Xv, yv, tolerance=tolerance)
    with pytest.raises(ShapeError, match="same number of rows"):
        sparcs.prune(net, Xv, yv[:-1])
    with pytest.raises(ShapeError, match="shape"):
        sparcs.pruning_curve(net, Xv, torch.cat([yv, yv], 1))
    with pytest.raises(ShapeError, match="columns"):
        sparcs.pruning_curve(net, Xv[:, :1], yv)
    with pytest.raises(DataError, match="empty"):
        sparcs.prune(net, Xv[:0], yv[:0])
    with pytest.raises(ConfigError, match="threshold"):
        sparcs.pruning_curve(net, Xv, yv, thresholds=[-1.0])
    with pytest.raises(ConfigError, match="top_k"):
        sparcs.pruning_curve(net, Xv, yv, top_k=[-2])


def test_non_finite_loss_is_a_clear_error() -> None:
    # Eigenvalues so large that the float32 output overflows to inf: every relative increase
    # would be NaN, so no threshold qualifies.
    net = SpectralNetwork([2, 4, 1], bias=True, activation="identity")
    with torch.no_grad():
        net.eigenvalues[0].fill_(1e30)
        net.eigenvalues[1].fill_(-1e30)
    X = torch.rand(20, 2)
    assert not torch.isfinite(net(X)).all()
    with pytest.raises(ConfigError, match="validation loss is"):
        sparcs.prune(net, X, X.sum(1, keepdim=True))
