"""The batched ensemble: same math as one SpectralNetwork trained with fit()."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from sparcs import SpectralNetwork
from sparcs.errors import ConfigError, DataError, ShapeError
from sparcs.spectral import functional as SF
from sparcs.spectral.ensemble import SpectralEnsemble
from sparcs.training import TrainConfig, fit
from sparcs.training.ensemble import evaluate_ensemble, fit_ensemble

F64 = torch.float64


def _data(m: int, n: int, d: int, out: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.rand(m, n, d, dtype=F64) * 2 - 1
    w = torch.randn(m, d, out, dtype=F64)
    return X, torch.tanh(X @ w) + X.square().mean(-1, keepdim=True)


def _max_diff(a: SpectralNetwork, b: SpectralNetwork) -> float:
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return max(float((p - q).detach().abs().max()) for p, q in pairs)


DEVICES = [
    "cpu",
    pytest.param("cuda", marks=[
        pytest.mark.cuda,
        pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    ]),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sizes", [[2, 7, 1], [3, 6, 5, 2]])
def test_member_matches_single_network_trained_with_fit(sizes: list[int], device: str) -> None:
    # On CUDA both use the same (fused) Adam: one make_optimizer serves fit and fit_ensemble.
    M = 3
    ens = SpectralEnsemble(M, sizes, bias=True, dtype=F64, eigenvalue_init={1: 0.05},
                           device=device)
    starts = [ens.member(m) for m in range(M)]
    X, y = (t.to(device) for t in _data(M, 53, sizes[0], sizes[-1]))  # last batch partial
    penalties = torch.tensor([1e-3, 0.0, 3e-2], dtype=F64, device=device)
    config = TrainConfig(epochs=4, batch_size=10, lr=1e-2, seed=7)
    history = fit_ensemble(ens, X, y, config=config, penalty=penalties)
    assert _max_diff(ens.member(0), starts[0]) > 1e-3  # it really trained
    for m, net in enumerate(starts):
        single = fit(net, X[m], y[m],
                     config=dataclasses.replace(config, penalty=float(penalties[m])))
        assert _max_diff(ens.member(m), net) < 1e-10
        assert torch.allclose(history.losses()[:, m], torch.tensor(single.loss, dtype=F64),
                              rtol=0, atol=1e-10)
        assert torch.allclose(torch.stack(history.penalty)[:, m],
                              torch.tensor(single.penalty, dtype=F64), rtol=0, atol=1e-10)
        as_fit = history.member(m)
        for got, want in zip(as_fit.mean_abs_eigenvalues, single.mean_abs_eigenvalues,
                             strict=True):
            assert got == pytest.approx(want, abs=1e-10)
    assert float((history.losses()[-1] - history.losses()[0]).max()) < 0


def test_shared_data_and_frozen_layers_match_fit() -> None:
    M = 2
    ens = SpectralEnsemble(M, [4, 5, 5, 3], dtype=F64, freeze_eigenvalues=[0])
    starts = [ens.member(m) for m in range(M)]
    X, y = _data(1, 40, 4, 3)
    config = TrainConfig(epochs=3, batch_size=16, lr=5e-3, penalty=1e-2, drop_last=True, seed=1)
    fit_ensemble(ens, X[0], y[0], config=config)
    assert ens.frozen_eigenvalues == [0]
    for m, net in enumerate(starts):
        assert net.frozen_eigenvalues == [0]
        fit(net, X[0], y[0], config=config)
        assert _max_diff(ens.member(m), net) < 1e-10
    assert float(ens.eigenvalues[0].abs().max()) == 0.0


def test_forward_equals_members_and_functional_rule() -> None:
    for sizes in ([3, 1], [3, 5, 2], [4, 6, 5, 3], [2, 3, 4, 3, 3, 1]):
        ens = SpectralEnsemble(4, sizes, activation="tanh", dtype=F64,
                               eigenvalue_init=[torch.randn(4, n, dtype=F64) for n in sizes])
        x = torch.randn(4, 9, sizes[0], dtype=F64)
        out = ens(x)
        assert out.shape == (4, 9, sizes[-1])
        for m in range(4):
            assert torch.allclose(out[m], ens.member(m)(x[m]), rtol=0, atol=1e-12)
        reference = SF.materialized_forward(x, list(ens.eigenvectors), list(ens.eigenvalues),
                                            torch.tanh)
        assert torch.allclose(out, reference, rtol=0, atol=1e-12)
        shared = ens(x[0])  # a (batch, d) input is shared by every member
        assert torch.allclose(shared[2], ens.member(2)(x[0]), rtol=0, atol=1e-12)


def test_initialization_and_from_networks_roundtrip() -> None:
    torch.manual_seed(3)
    ens = SpectralEnsemble(3, [2, 8, 1], bias=True)
    torch.manual_seed(3)
    nets = [SpectralNetwork([2, 8, 1], bias=True) for _ in range(3)]
    for m, net in enumerate(nets):
        assert _max_diff(ens.member(m), net) == 0.0
    back = SpectralEnsemble.from_networks(nets)
    for m, net in enumerate(nets):
        assert _max_diff(back.member(m), net) == 0.0
        assert torch.allclose(back.eigenvalue_penalty(2)[m], net.eigenvalue_penalty(2))
    assert ens.member(1).eigenvalues[-1].tolist() == [1.0]
    with pytest.raises(ConfigError, match="identical architectures"):
        SpectralEnsemble.from_networks([nets[0], SpectralNetwork([2, 9, 1], bias=True)])


@pytest.mark.parametrize(
    ("every", "saved_epochs"),
    # every=1: the interrupted epoch 2 was checkpointed before the callback; every=3: it was
    # not, and Ctrl-C saves it (the same order and Ctrl-C handling as fit).
    [(1, [1, 2]), (3, [2])],
)
def test_checkpoint_resume_is_exact(every: int, saved_epochs: list[int]) -> None:
    X, y = _data(2, 30, 2)
    config = TrainConfig(epochs=5, batch_size=8, lr=1e-2, penalty=1e-3, seed=5)
    torch.manual_seed(1)
    full = SpectralEnsemble(2, [2, 6, 1], dtype=F64)
    cut = SpectralEnsemble.from_networks([full.member(0), full.member(1)])
    reference = fit_ensemble(full, X, y, config=config)
    saved: list[dict] = []

    def stop(epoch: int, _history) -> None:
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_ensemble(cut, X, y, config=config, callback=stop, checkpoint=saved.append,
                     checkpoint_every=every)
    assert [state["epoch"] for state in saved] == saved_epochs
    fresh = SpectralEnsemble(2, [2, 6, 1], dtype=F64)
    resumed = fit_ensemble(fresh, X, y, config=config, resume=saved[-1])
    assert torch.equal(resumed.losses(), reference.losses())
    for p, q in zip(fresh.parameters(), full.parameters(), strict=True):
        assert torch.equal(p, q)


def test_evaluate_and_bad_input() -> None:
    ens = SpectralEnsemble(2, [3, 4, 1], dtype=F64)
    X, y = _data(2, 20, 3)
    losses = evaluate_ensemble(ens, X, y, chunk=7)
    for m in range(2):
        expected = torch.nn.functional.mse_loss(ens.member(m)(X[m]), y[m])
        assert torch.allclose(losses[m], expected.detach(), rtol=1e-12)
    with pytest.raises(ShapeError, match="X must have shape"):
        fit_ensemble(ens, torch.zeros(3, 20, 3, dtype=F64), y)
    with pytest.raises(ShapeError, match="does not match"):
        fit_ensemble(ens, X, y[:, :10])
    with pytest.raises(ConfigError, match="penalty"):
        fit_ensemble(ens, X, y, penalty=torch.ones(5, dtype=F64))
    with pytest.raises(ConfigError, match="validation"):
        fit_ensemble(ens, X, y, config=TrainConfig(restore_best=True))
    with pytest.raises(ConfigError, match="num_models"):
        SpectralEnsemble(0, [3, 1])


def test_cross_entropy_members_match_fit() -> None:
    M = 2
    ens = SpectralEnsemble(M, [3, 6, 4], dtype=F64)
    starts = [ens.member(m) for m in range(M)]
    X = torch.randn(M, 24, 3, dtype=F64)
    labels = (X[..., :1] > 0).to(F64) + (X[..., 1:2] > 0).to(F64)  # (M, n, 1) classes 0..2
    config = TrainConfig(epochs=2, batch_size=8, lr=1e-2, penalty=1e-3, seed=2)
    fit_ensemble(ens, X, labels, config=config, loss="cross_entropy")
    for m, net in enumerate(starts):
        fit(net, X[m], labels[m], config=config, loss="cross_entropy")
        assert _max_diff(ens.member(m), net) < 1e-10


def test_shared_targets_with_per_member_inputs() -> None:
    # A shared (n, 1) or (n,) target next to (M, n, d) inputs means the same target for every
    # member; it used to be read as M = n members (ShapeError) or to broadcast to (M, n, n).
    M, n = 3, 3  # M == n: the case where silent broadcasting would go unnoticed
    ens = SpectralEnsemble(M, [2, 4, 1], dtype=F64)
    X = torch.randn(M, n, 2, dtype=F64)
    y = torch.randn(n, 1, dtype=F64)
    expected = evaluate_ensemble(ens, X, y.expand(M, n, 1))
    assert torch.allclose(evaluate_ensemble(ens, X, y), expected, rtol=1e-12)
    assert torch.allclose(evaluate_ensemble(ens, X, y[:, 0]), expected, rtol=1e-12)


def test_per_member_class_labels_match_fit() -> None:
    M = 2
    ens = SpectralEnsemble(M, [3, 6, 3], dtype=F64)
    starts = [ens.member(m) for m in range(M)]
    X = torch.randn(M, 24, 3, dtype=F64)
    labels = (X[..., 0] > 0).long() + (X[..., 1] > 0).long()  # (M, n) integer classes
    config = TrainConfig(epochs=2, batch_size=8, lr=1e-2, penalty=1e-3, seed=3)
    fit_ensemble(ens, X, labels, config=config, loss="cross_entropy")
    for m, net in enumerate(starts):
        fit(net, X[m], labels[m], config=config, loss="cross_entropy")
        assert _max_diff(ens.member(m), net) < 1e-10


def test_integer_dtype_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="floating-point torch dtype"):
        SpectralEnsemble(2, [2, 3, 1], dtype=torch.int32)


@pytest.mark.parametrize("restore_best", [True, False])
def test_members_early_stop_each_as_its_own_single_run(restore_best: bool) -> None:
    # Very different penalties and starts make the members stop at different epochs; each must
    # still equal fit() with its own penalty and start: same parameters, same records.
    M, sizes = 4, [3, 8, 8, 1]
    torch.manual_seed(3)
    nets = [SpectralNetwork(sizes, bias=True, dtype=F64) for _ in range(M)]
    ens = SpectralEnsemble.from_networks(nets)
    X = torch.rand(90, 3, dtype=F64) * 2 - 1
    y = torch.sin(3 * X[:, :1]) * X[:, 1:2] + 0.3 * torch.randn(90, 1, dtype=F64)
    train, val = (X[:60], y[:60]), (X[60:], y[60:])
    penalties = torch.tensor([0.0, 1e-3, 1e-1, 1.0], dtype=F64)
    config = TrainConfig(epochs=60, batch_size=16, lr=3e-2, seed=5, restore_best=restore_best,
                         n_iter_no_change=3, min_epochs=4)
    history = fit_ensemble(ens, *train, config=config, penalty=penalties, validation=val)
    stops = set()
    for m, net in enumerate(nets):
        single = fit(net, *train, config=dataclasses.replace(config, penalty=float(penalties[m])),
                     validation=val)
        member = history.member(m)
        stops.add(len(single.loss))
        assert len(member.loss) == len(single.loss)
        assert member.best_epoch == single.best_epoch
        assert _max_diff(ens.member(m), net) < 1e-9
        assert member.val_loss == pytest.approx(single.val_loss, rel=1e-9)
    assert len(stops) > 1  # the members really stopped at different epochs
    assert min(stops) < config.epochs


def test_early_stopping_ensemble_resumes_exactly() -> None:
    M, sizes = 3, [2, 6, 1]
    torch.manual_seed(1)
    X, y = torch.rand(70, 2, dtype=F64), torch.rand(70, 1, dtype=F64)
    config = TrainConfig(epochs=30, batch_size=16, lr=2e-2, seed=1, restore_best=True,
                         n_iter_no_change=2)
    penalties = torch.tensor([0.0, 1e-2, 1.0], dtype=F64)
    nets = [SpectralNetwork(sizes, bias=True, dtype=F64) for _ in range(M)]
    whole = SpectralEnsemble.from_networks(nets)
    parts = SpectralEnsemble.from_networks(nets)
    fit_ensemble(whole, X[:50], y[:50], config=config, penalty=penalties,
                 validation=(X[50:], y[50:]))
    saved: list[dict] = []
    first = dataclasses.replace(config, epochs=3)
    fit_ensemble(parts, X[:50], y[:50], config=first, penalty=penalties,
                 validation=(X[50:], y[50:]), checkpoint=saved.append)
    again = SpectralEnsemble.from_networks(nets)
    fit_ensemble(again, X[:50], y[:50], config=config, penalty=penalties,
                 validation=(X[50:], y[50:]), resume=saved[-1])
    for m in range(M):
        assert _max_diff(again.member(m), whole.member(m)) == 0.0


@pytest.mark.parametrize("loss", ["mse", "cross_entropy", "binary_cross_entropy"])
def test_row_weighted_members_equal_weighted_single_fits(loss: str) -> None:
    # Folds of a cross-validation: every member trains on its own rows of one shared X (0/1
    # weights) and early-stops on its own validation rows; each equals fit() with its weights.
    M, n = 4, 120
    out = {"mse": 2, "cross_entropy": 3, "binary_cross_entropy": 1}[loss]
    sizes = [3, 8, 8, out]
    torch.manual_seed(7)
    nets = [SpectralNetwork(sizes, bias=True, dtype=F64) for _ in range(M)]
    ens = SpectralEnsemble.from_networks(nets)
    X = torch.rand(n, 3, dtype=F64) * 2 - 1
    signal = torch.sin(3 * X[:, :1]) * X[:, 1:2] + 0.3 * torch.randn(n, 1, dtype=F64)
    if loss == "mse":
        y = torch.cat([signal, X[:, 2:] ** 2], 1)
    elif loss == "cross_entropy":
        y = torch.bucketize(signal[:, 0], torch.tensor([-0.2, 0.2], dtype=F64))
    else:
        y = (signal > 0).to(F64)
    fold = torch.arange(n) % M
    weight = torch.stack([(fold != m) & (torch.arange(n) % 7 != 0) for m in range(M)]).to(F64)
    val_weight = torch.stack([(fold != m) & (torch.arange(n) % 7 == 0) for m in range(M)])
    config = TrainConfig(epochs=40, batch_size=16, lr=3e-2, seed=2, restore_best=True,
                         n_iter_no_change=3, min_epochs=2)
    history = fit_ensemble(ens, X, y, config=config, loss=loss, validation=(X, y),
                           sample_weight=weight, validation_weight=val_weight)
    stops = set()
    for m, net in enumerate(nets):
        single = fit(net, X, y, config=config, loss=loss, validation=(X, y),
                     sample_weight=weight[m], validation_weight=val_weight[m])
        member = history.member(m)
        stops.add(len(single.loss))
        assert len(member.loss) == len(single.loss)
        assert member.best_epoch == single.best_epoch
        assert member.loss == pytest.approx(single.loss, rel=1e-9)
        assert member.val_loss == pytest.approx(single.val_loss, rel=1e-9)
        assert _max_diff(ens.member(m), net) < 1e-9
    assert len(stops) > 1 or min(stops) < config.epochs  # early stopping acted
    # The weights matter: a member differs from one trained on all rows.
    torch.manual_seed(7)
    plain = SpectralNetwork(sizes, bias=True, dtype=F64)
    fit(plain, X, y, config=config, loss=loss, validation=(X, y))
    assert _max_diff(plain, nets[0]) > 1e-6


def test_row_weights_are_checked() -> None:
    ens = SpectralEnsemble(2, [2, 4, 1], bias=True)
    X, y = torch.rand(10, 2), torch.rand(10, 1)
    with pytest.raises(ShapeError, match="sample_weight"):
        fit_ensemble(ens, X, y, sample_weight=torch.ones(3, 10))
    with pytest.raises(DataError, match="negative"):
        fit_ensemble(ens, X, y, sample_weight=-torch.ones(10))
    with pytest.raises(DataError, match="every row 0"):
        fit(SpectralNetwork([2, 4, 1]), X, y, sample_weight=torch.zeros(10))
    with pytest.raises(ConfigError, match="validation"):
        fit_ensemble(ens, X, y, validation_weight=torch.ones(10))
