"""The single-network trainer: it learns, the penalty searches, runs repeat exactly."""

from __future__ import annotations

import pytest
import torch

from sparcs import ConfigError, ShapeError, SpectralNetwork, TrainConfig, fit


def data(kind: str, n: int = 1500, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=gen) * 2 - 1
    y = x @ torch.tensor([[1.0], [-0.5]]) if kind == "linear" else (x**2).sum(1, keepdim=True)
    return x, y + 0.02 * torch.randn(n, 1, generator=gen)


CONFIG = TrainConfig(epochs=25, batch_size=50, lr=3e-3, penalty=1e-3)


def test_penalty_recruits_hidden_layers_only_for_a_nonlinear_target():
    activity = {}
    for kind in ("linear", "nonlinear"):
        x, y = data(kind)
        net = SpectralNetwork([2, 32, 1], bias=True)
        history = fit(net, x, y, config=CONFIG)
        activity[kind] = history.mean_abs_eigenvalues[-1][1]
        # Both fits are good: far below the target variance (a linear fit of x² leaves ~all of it).
        assert history.loss[-1] < 0.1 * float(y.var()), kind
    assert activity["linear"] < 5e-3
    assert activity["nonlinear"] > 0.05
    assert activity["linear"] < 0.05 * activity["nonlinear"]


def test_runs_repeat_exactly_and_record_history():
    x, y = data("nonlinear", n=300)
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        net = SpectralNetwork([2, 8, 1], bias=True)
        config = TrainConfig(epochs=3, batch_size=64, seed=5)
        runs.append((net, fit(net, x, y, config=config, validation=(x[:50], y[:50]))))
    (a, ha), (b, hb) = runs
    assert ha.loss == hb.loss and ha.val_loss == hb.val_loss
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert len(ha.loss) == len(ha.val_loss) == len(ha.mean_abs_eigenvalues) == 3
    assert len(ha.to_dict()["penalty"]) == 3


def test_frozen_eigenvalues_survive_training():
    x, y = data("nonlinear", n=200)
    net = SpectralNetwork([2, 8, 8, 1], freeze_eigenvalues=[0], eigenvalue_init={0: 0.25})
    fit(net, x, y, config=TrainConfig(epochs=2, batch_size=32))
    assert torch.equal(net.eigenvalues[0].detach(), torch.full((2,), 0.25))


@pytest.mark.parametrize(
    "kwargs",
    [{"epochs": -1}, {"batch_size": 0}, {"lr": 0.0}, {"penalty": -1.0}, {"penalty_norm": 3},
     {"n_iter_no_change": 0}, {"epochs": 2.5}, {"epochs": "3"}, {"batch_size": 16.0},
     {"seed": None}, {"lr": "0.1"}, {"penalty": None}],
)
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)


def test_everything_frozen_is_a_clear_error():
    net = SpectralNetwork([2, 1], freeze_eigenvalues=[0, 1], freeze_eigenvectors=[0])
    with pytest.raises(ConfigError, match="no trainable parameter"):
        fit(net, torch.zeros(4, 2), torch.zeros(4, 1), config=TrainConfig(epochs=1))


def _overfitting_run(config: TrainConfig):
    """A wide net on 40 noisy rows: the validation loss falls, then rises (overfitting)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(240, 2, generator=gen, dtype=torch.float64) * 2 - 1
    y = x[:, :1] - x[:, 1:] + 0.5 * torch.randn(240, 1, generator=gen, dtype=torch.float64)
    torch.manual_seed(0)
    net = SpectralNetwork([2, 32, 1], bias=True, dtype=torch.float64)
    states = []
    record = lambda epoch, history: states.append(  # noqa: E731
        {k: v.clone() for k, v in net.state_dict().items()}
    )
    history = fit(net, x[:40], y[:40], config=config, validation=(x[40:], y[40:]),
                  callback=record)
    return net, history, states


def test_restore_best_keeps_the_epoch_with_the_lowest_validation_loss():
    config = TrainConfig(epochs=40, batch_size=8, lr=1e-2, penalty=0.0, restore_best=True)
    net, history, states = _overfitting_run(config)
    assert len(history.loss) == 40  # no patience: every epoch runs
    best = min(range(40), key=history.val_loss.__getitem__)
    assert history.val_loss[-1] > 1.05 * history.val_loss[best]  # it did overfit
    assert history.best_epoch == best + 1
    for name, value in net.state_dict().items():
        assert torch.equal(value, states[best][name]), name


def test_patience_stops_early_and_default_runs_every_epoch():
    config = TrainConfig(epochs=40, batch_size=8, lr=1e-2, penalty=0.0)
    _, plain, _ = _overfitting_run(config)
    assert len(plain.loss) == 40 and plain.best_epoch is None
    config = TrainConfig(epochs=40, batch_size=8, lr=1e-2, penalty=0.0, restore_best=True,
                         n_iter_no_change=5)
    net, history, states = _overfitting_run(config)
    assert history.val_loss == plain.val_loss[: len(history.val_loss)]  # same run, cut short
    assert len(history.loss) == history.best_epoch + 5 < 40
    assert min(history.val_loss[history.best_epoch:]) >= history.val_loss[history.best_epoch - 1]
    for name, value in net.state_dict().items():
        assert torch.equal(value, states[history.best_epoch - 1][name]), name


def test_early_stopping_needs_validation():
    x, y = data("linear", n=20)
    for config in (TrainConfig(epochs=1, restore_best=True), TrainConfig(epochs=1,
                                                                         n_iter_no_change=3)):
        with pytest.raises(ConfigError, match="validation"):
            fit(SpectralNetwork([2, 1]), x, y, config=config)


def _resume_case(config: TrainConfig, stop_after: int, every: int):
    """An uninterrupted float64 run and one stopped by Ctrl-C after ``stop_after`` epochs, then
    resumed from its checkpoint into a freshly built network."""
    gen = torch.Generator().manual_seed(0)  # the data and network of _overfitting_run
    x = torch.rand(240, 2, generator=gen, dtype=torch.float64) * 2 - 1
    y = x[:, :1] - x[:, 1:] + 0.5 * torch.randn(240, 1, generator=gen, dtype=torch.float64)
    train, val = (x[:40], y[:40]), (x[40:], y[40:])

    def build() -> SpectralNetwork:
        torch.manual_seed(0)
        return SpectralNetwork([2, 32, 1], bias=True, dtype=torch.float64)

    reference = build()
    expected = fit(reference, *train, config=config, validation=val)

    saved: list[dict] = []

    def interrupt(epoch: int, _history) -> None:
        if epoch + 1 == stop_after:  # Ctrl-C while epoch stop_after is being reported
            raise KeyboardInterrupt

    cut = build()
    with pytest.raises(KeyboardInterrupt):
        fit(cut, *train, config=config, validation=val, callback=interrupt,
            checkpoint=saved.append, checkpoint_every=every)
    state = torch.load(_roundtrip(saved[-1]), weights_only=False)  # as a file would hold it
    resumed_net = build()
    resumed = fit(resumed_net, *train, config=config, validation=val, resume=state,
                  checkpoint=saved.append, checkpoint_every=every)
    return state, expected, resumed, reference, resumed_net


def _roundtrip(state: dict):
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("stop_after", "every"),
    # every=1 or (4, 2): the reported epoch was checkpointed before the callback ran;
    # (3, 4): Ctrl-C in the callback saves the unsaved one.
    [(3, 1), (3, 4), (4, 2)],
)
def test_resumed_run_equals_an_uninterrupted_one(stop_after: int, every: int):
    config = TrainConfig(epochs=8, batch_size=8, lr=1e-2, penalty=1e-3, seed=4)
    state, expected, resumed, reference, net = _resume_case(config, stop_after, every)
    assert state["epoch"] == stop_after
    assert len(state["history"]["loss"]) == stop_after
    assert resumed.to_dict() == expected.to_dict()
    for name, value in net.state_dict().items():
        assert torch.equal(value, reference.state_dict()[name]), name


def test_resume_keeps_early_stopping_state():
    config = TrainConfig(epochs=40, batch_size=8, lr=1e-2, penalty=0.0, restore_best=True,
                         n_iter_no_change=5)
    _, plain, _ = _overfitting_run(config)
    stop_after = plain.best_epoch + 2  # inside the patience window: stalled > 0 is saved
    state, expected, resumed, reference, net = _resume_case(config, stop_after, 3)
    assert state["early_stopping"]["stalled"] > 0
    assert len(expected.loss) < 40  # it did stop early
    assert resumed.to_dict() == expected.to_dict()
    assert resumed.best_epoch == expected.best_epoch is not None
    for name, value in net.state_dict().items():
        assert torch.equal(value, reference.state_dict()[name]), name


def test_resume_without_early_stopping_state_is_a_clear_error():
    x, y = data("linear", n=40)
    net = SpectralNetwork([2, 4, 1], bias=True)
    saved: list[dict] = []
    fit(net, x, y, config=TrainConfig(epochs=1, batch_size=8), checkpoint=saved.append)
    config = TrainConfig(epochs=2, batch_size=8, restore_best=True)
    with pytest.raises(ConfigError, match="early stopping"):
        fit(net, x, y, config=config, validation=(x, y), resume=saved[-1])
    with pytest.raises(ConfigError, match="checkpoint_every"):
        fit(net, x, y, config=config, validation=(x, y), checkpoint_every=0)


def test_regression_targets_must_match_the_outputs():
    # torch's mse_loss broadcasts a (n,) target against (n, 1) predictions into an (n, n)
    # comparison; fit must either read (n,) as a column or refuse a wrong shape.
    X = torch.rand(32, 2, dtype=torch.float64)
    y = X.sum(1)
    config = TrainConfig(epochs=2, batch_size=8, penalty=0.0)
    torch.manual_seed(1)
    flat = SpectralNetwork([2, 4, 1], dtype=torch.float64)
    torch.manual_seed(1)
    column = SpectralNetwork([2, 4, 1], dtype=torch.float64)
    history_flat = fit(flat, X, y, config=config, validation=(X, y))
    history_column = fit(column, X, y[:, None], config=config, validation=(X, y[:, None]))
    assert history_flat.loss == history_column.loss
    assert history_flat.val_loss == history_column.val_loss
    with pytest.raises(ShapeError, match=r"shape \(n, 1\)"):
        fit(flat, X, torch.rand(32, 3, dtype=torch.float64), config=config)
    with pytest.raises(ShapeError, match="validation y"):
        fit(flat, X, y, config=config, validation=(X, torch.rand(32, 2, dtype=torch.float64)))


def test_out_of_range_class_labels_are_a_clear_error():
    from sparcs import DataError

    net = SpectralNetwork([2, 4, 3])
    with pytest.raises(DataError, match=r"labels must be integers in \[0, 3\)"):
        fit(
            net, torch.zeros(8, 2), torch.arange(8),
            config=TrainConfig(epochs=1), loss="cross_entropy",
        )


class _Ridge(torch.nn.Module):
    """A Penalized model that is not spectral: a linear map with an L2 penalty on its weight."""

    out_features = 1

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x)

    def architecture_penalty(self, p=2, layers=None):
        return self.linear.weight.square().sum()


def test_fit_trains_any_penalized_model_and_records_activity_only_when_it_has_one():
    from sparcs.training import LayerActivity, Penalized

    spectral = SpectralNetwork([2, 3, 1])
    assert isinstance(spectral, Penalized) and isinstance(spectral, LayerActivity)
    assert isinstance(_Ridge(), Penalized) and not isinstance(_Ridge(), LayerActivity)
    x, y = data("linear", n=200)
    shrunk = {}
    for c in (0.0, 1.0):
        torch.manual_seed(0)
        model = _Ridge()
        history = fit(model, x, y, config=TrainConfig(epochs=5, batch_size=20, lr=3e-2,
                                                      penalty=c))
        assert history.mean_abs_eigenvalues == [] and len(history.penalty) == 5
        weight = model.linear.weight.detach()
        assert history.penalty[-1] == pytest.approx(float(weight.square().sum()), rel=0.2)
        shrunk[c] = float(weight.norm())
    assert shrunk[1.0] < 0.8 * shrunk[0.0]  # the penalty went into the objective
    with pytest.raises(ConfigError, match="Penalized"):
        fit(torch.nn.Linear(2, 1), x, y, config=TrainConfig(epochs=1))
