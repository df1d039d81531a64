"""EarlyStopping on its own: patience, min_epochs, restore-best, a batch of members that stop at
different epochs, and a state_dict round trip."""

from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from sparcs.errors import ConfigError, ShapeError
from sparcs.training import TrainConfig
from sparcs.training.stopping import EarlyStopping, early_stopping


class Stack(nn.Module):
    """Parameters with a leading member dimension (or none), set by hand to mark an epoch."""

    def __init__(self, shape: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(*shape, 2), requires_grad=False)
        self.register_buffer("b", torch.zeros(shape))

    def mark(self, epoch: int) -> None:
        with torch.no_grad():
            self.w.fill_(epoch)
            self.b.fill_(-epoch)


def run(stopping: EarlyStopping, model: Stack, start: float | list[float],
        losses: list) -> list[bool]:
    """Feed the start and one loss per epoch (the model marked with the epoch) until it stops;
    return what every update said."""
    model.mark(0)
    stopping.start(model, torch.tensor(start, dtype=torch.float64))
    said = []
    for epoch, loss in enumerate(losses, start=1):
        model.mark(epoch)
        said.append(stopping.update(model, torch.tensor(loss, dtype=torch.float64)))
        if said[-1]:
            break
    return said


def test_patience_counts_epochs_in_a_row_without_a_strict_improvement() -> None:
    stopping = EarlyStopping(patience=3)
    # 2 improves, 2.0 ties (no improvement), 1.5 improves and resets the count.
    said = run(stopping, Stack(), 3.0, [2.0, 2.0, 2.5, 1.5, 1.6, 1.5, 1.7, 0.1])
    assert said == [False] * 6 + [True]
    assert int(stopping.best_epoch) == 4 and float(stopping.best_loss) == 1.5
    assert int(stopping.stalled) == 3 and int(stopping.epochs_run) == 7 and stopping.stopped


@pytest.mark.parametrize("patience", [None, 10**20])
def test_without_patience_it_never_stops_and_nan_never_improves(patience: int | None) -> None:
    stopping = EarlyStopping(patience=patience, restore_best=True)
    said = run(stopping, Stack(), 1.0, [math.nan, 0.5, math.nan, math.inf] * 5)
    assert not any(said) and len(said) == 20
    assert int(stopping.best_epoch) == 2 and int(stopping.stalled) == 18


def test_epochs_up_to_min_epochs_count_as_the_best_so_far() -> None:
    stopping = EarlyStopping(patience=2, min_epochs=3, restore_best=True)
    model = Stack()
    # Epochs 1-3 are worse than the start, and epoch 3 worse than epoch 2, but each still
    # counts as the best so far: epoch 3 sets the bar.
    said = run(stopping, model, 0.1, [5.0, 4.0, 6.0, 5.5, 5.9, 5.8, 0.0])
    assert said == [False] * 5 + [True]
    assert int(stopping.best_epoch) == 4 and float(stopping.best_loss) == 5.5
    stopping.restore(model)
    assert float(model.w[0]) == 4.0 and float(model.b) == -4.0


def test_restore_best_puts_back_the_best_state_the_start_included() -> None:
    stopping = EarlyStopping(patience=2, restore_best=True)
    model = Stack()
    run(stopping, model, 1.0, [1.5, 2.0, 0.5])
    assert stopping.stopped and int(stopping.best_epoch) == 0
    assert float(model.w[0]) == 2.0
    stopping.restore(model)
    assert torch.equal(model.w, torch.zeros(2)) and float(model.b) == 0.0


def test_one_network_without_restore_best_keeps_its_own_state() -> None:
    stopping = EarlyStopping(patience=1)
    model = Stack()
    run(stopping, model, 1.0, [0.5, 0.7])
    stopping.restore(model)
    assert float(model.w[0]) == 2.0  # the state it stopped with
    assert int(stopping.best_epoch) == 1


@pytest.mark.parametrize("restore_best", [True, False])
def test_members_stop_on_their_own_and_their_kept_state_is_frozen(restore_best: bool) -> None:
    losses = [  # member 0 stops after epoch 3, member 1 after 5, member 2 never within 6
        [0.5, 0.6, 0.7, 0.1, 0.1, 0.1],
        [0.9, 0.8, 0.7, 0.8, 0.9, 0.0],
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
    ]
    per_epoch = [list(epoch) for epoch in zip(*losses, strict=True)]
    stopping = EarlyStopping(patience=2, restore_best=restore_best, shape=(3,))
    model = Stack((3,))
    said = run(stopping, model, [1.0, 1.0, 1.0], per_epoch)
    assert said == [False] * 6  # member 2 never stopped: the run goes on
    assert stopping.done.tolist() == [True, True, False]
    assert stopping.epochs_run.tolist() == [3, 5, 6]
    assert stopping.best_epoch.tolist() == [1, 3, 6]
    assert stopping.stalled.tolist() == [2, 2, 0]  # a stopped member's count stays put
    # Epochs after a member stopped do not count for it, not even the 0.1 and 0.0 losses.
    assert stopping.best_loss.tolist() == [0.5, 0.7, 0.4]
    stopping.restore(model)
    kept = stopping.best_epoch if restore_best else stopping.epochs_run
    assert model.w[:, 0].tolist() == kept.float().tolist()
    assert model.b.tolist() == (-kept.float()).tolist()
    # The last member stopping ends the run.
    later = torch.tensor([0.0, 0.0, 0.5], dtype=torch.float64)
    assert not stopping.update(model, later)
    assert stopping.update(model, later)
    assert stopping.epochs_run.tolist() == [3, 5, 8]


def test_state_dict_round_trip_continues_exactly() -> None:
    # Member 0 is stalling at the cut after epoch 3 and stops at 4; member 1 improves at 4 and
    # 5 and stops at 8.
    per_epoch = [[0.5, 0.9], [0.6, 0.3], [0.7, 0.35], [0.8, 0.29], [0.4, 0.2], [0.1, 0.25],
                 [0.1, 0.26], [0.1, 0.27]]

    def settings() -> EarlyStopping:
        return EarlyStopping(patience=3, min_epochs=1, restore_best=True, shape=(2,))

    whole, whole_model = settings(), Stack((2,))
    run(whole, whole_model, [1.0, 1.0], per_epoch)

    first, model = settings(), Stack((2,))
    run(first, model, [1.0, 1.0], per_epoch[:3])
    saved = first.state_dict()
    before = {k: v.clone() for k, v in saved["kept"].items()}
    model.mark(4)
    first.update(model, torch.tensor(per_epoch[3], dtype=torch.float64))
    assert all(torch.equal(saved["kept"][k], v) for k, v in before.items())  # a snapshot

    buffer = io.BytesIO()
    torch.save(saved, buffer)
    buffer.seek(0)
    resumed = settings()
    resumed.load_state_dict(torch.load(buffer, weights_only=False))
    assert resumed.epoch == 3
    for epoch, loss in enumerate(per_epoch[3:], start=4):
        model.mark(epoch)
        if resumed.update(model, torch.tensor(loss, dtype=torch.float64)):
            break
    for name in ("best_loss", "best_epoch", "stalled", "epochs_run", "done"):
        assert torch.equal(getattr(resumed, name), getattr(whole, name)), name
    assert resumed.stopped == whole.stopped and resumed.epoch == whole.epoch
    assert whole.epochs_run.tolist() == [4, 8] and whole.best_epoch.tolist() == [1, 5]
    resumed.restore(model)
    whole.restore(whole_model)
    assert model.w[:, 0].tolist() == [1.0, 5.0]
    assert torch.equal(model.w, whole_model.w) and torch.equal(model.b, whole_model.b)
    with pytest.raises(ConfigError, match="settings"):
        EarlyStopping(patience=2, shape=(2,)).load_state_dict(saved)


def test_bad_settings_and_shapes_are_clear_errors() -> None:
    for kwargs in ({"patience": 0}, {"patience": True}, {"min_epochs": -1},
                   {"min_epochs": 1.5}):
        with pytest.raises(ConfigError):
            EarlyStopping(**kwargs)
    stopping = EarlyStopping(patience=1, shape=(2,))
    with pytest.raises(ShapeError, match=r"\(2,\)"):
        stopping.start(Stack((2,)), 1.0)


def test_config_asks_for_early_stopping_only_with_restore_best_or_patience() -> None:
    assert early_stopping(TrainConfig(), validation=False) is None
    made = early_stopping(TrainConfig(n_iter_no_change=4, min_epochs=2), validation=True,
                          shape=(3,))
    assert made is not None
    assert (made.patience, made.min_epochs, made.restore_best, made.shape) == (4, 2, False, (3,))
    with pytest.raises(ConfigError, match="validation"):
        early_stopping(TrainConfig(restore_best=True), validation=False)
