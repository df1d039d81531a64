"""Training one network with an architecture penalty: :func:`fit` (for a
:class:`~sparcs.spectral.network.SpectralNetwork`, the eigenvalue penalty of docs/math.md §5)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError, DataError, ShapeError
from ..losses import LossFn
from ._loop import (
    EpochHooks,
    history_hooks,
    load_training_state,
    make_optimizer,
    run_epochs,
    training_state,
)
from .config import TrainConfig
from .penalized import LayerActivity, Penalized
from .rows import RowLoss
from .stopping import early_stopping

__all__ = ["History", "fit"]


@dataclass
class History:
    """Per-epoch records of a run. ``mean_abs_eigenvalues``: the model's ``layer_activity()``
    (a spectral network's mean |λ_k| per layer; empty for a model without one).
    ``best_epoch``: with ``restore_best``, how many epochs the kept parameters had trained (0:
    the starting state was best)."""

    loss: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    mean_abs_eigenvalues: list[list[float]] = field(default_factory=list)
    best_epoch: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self, epochs: int) -> str:
        """In words, with epochs numbered from 1: how many ran of ``epochs``, why training
        stopped, and which epoch's parameters were kept.

        >>> print(History(loss=[3.0, 2.0, 2.5, 2.6], best_epoch=2).describe(10))
        stopped early after epoch 4 of 10: the validation loss had not improved for 2 epochs; \
kept epoch 2 (lowest validation loss)
        """
        ran, best = len(self.loss), self.best_epoch
        if ran >= epochs:
            text = f"trained all {ran} epochs"
        elif best is not None:
            text = (f"stopped early after epoch {ran} of {epochs}: the validation loss had not "
                    f"improved for {ran - best} epochs")
        else:
            text = f"stopped early after epoch {ran} of {epochs}"
        if best is None:
            return text
        if best == 0:
            return text + "; kept the untrained start (no epoch lowered the validation loss)"
        return text + f"; kept epoch {best} (lowest validation loss)"


def fit(
    net: Penalized,
    X: Tensor,
    y: Tensor,
    *,
    config: TrainConfig | None = None,
    loss: str | LossFn = "mse",
    validation: tuple[Tensor, Tensor] | None = None,
    sample_weight: Tensor | None = None,
    validation_weight: Tensor | None = None,
    progress: bool = False,
    callback: Callable[[int, History], None] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    checkpoint_every: int = 1,
    resume: Mapping[str, Any] | None = None,
) -> History:
    """Train ``net`` in place with Adam on task loss + c · penalty; return the history.

    ``net`` is a :class:`~sparcs.training.penalized.Penalized` module: the penalty is its
    ``architecture_penalty(config.penalty_norm, config.penalty_layers)`` (a spectral network's
    Σ‖λ_k‖_p), and a model with ``layer_activity()`` has it recorded after every epoch.

    ``X`` and ``y`` are tensors already on the network's device and dtype (see
    :func:`sparcs.data.check_xy`). ``callback(epoch, history)`` runs after every epoch.
    With ``config.restore_best`` or ``config.n_iter_no_change`` the run early-stops on the
    ``validation`` loss (see :class:`TrainConfig` and
    :class:`~sparcs.training.stopping.EarlyStopping`).

    ``sample_weight`` (``(n,)``, >= 0) weighs the rows of ``X``: a batch's loss is
    ``Σ w·loss / Σ w`` over its rows, so 0/1 weights train on a subset of the rows with the batch
    order of all of them (how :func:`~sparcs.training.ensemble.fit_ensemble` trains the folds of
    a cross-validation side by side). ``validation_weight`` weighs the validation rows alike.

    ``checkpoint(state)`` runs every ``checkpoint_every`` epochs, after the last one and when
    early stopping ends the run; on Ctrl-C (``KeyboardInterrupt``) it also receives the state of
    the last finished epoch if that was not saved yet. Passing a saved ``state`` as ``resume``
    (with the same network, data and config) continues exactly where it stopped: the result is
    bit-identical to an uninterrupted run on the same device.
    """
    config = config or TrainConfig()
    if not isinstance(net, Penalized) or not isinstance(net, torch.nn.Module):
        raise ConfigError(
            f"fit trains a torch module with out_features and architecture_penalty(p, layers) "
            f"(sparcs.training.Penalized), got {type(net).__name__}"
        )
    if X.shape[0] != y.shape[0]:
        raise ConfigError(f"X and y have {X.shape[0]} and {y.shape[0]} rows")
    y = _regression_targets(net, y, loss, "y")
    if validation is not None:
        validation = (validation[0], _regression_targets(net, validation[1], loss, "validation y"))
    stopping = early_stopping(config, validation=validation is not None)
    if config.drop_last and X.shape[0] < config.batch_size:
        raise ConfigError(
            f"drop_last with batch_size {config.batch_size} leaves no batch of {X.shape[0]} rows"
        )
    if isinstance(checkpoint_every, bool) or int(checkpoint_every) < 1:
        raise ConfigError(f"checkpoint_every must be a positive integer, got {checkpoint_every}")
    train_loss = RowLoss(loss, sample_weight, n=X.shape[0], device=X.device)
    if validation_weight is not None and validation is None:
        raise ConfigError("validation_weight weighs validation rows; pass validation=(X, y)")
    if validation is not None:
        val_rows = RowLoss(loss, validation_weight, n=validation[0].shape[0], device=X.device,
                           name="validation_weight")

    def val_loss() -> float:
        assert validation is not None
        return val_rows.mean(net, *validation)

    optimizer = make_optimizer(net, config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    history = History()
    start = 0
    if resume is not None:
        start = load_training_state(resume, net, optimizer, generator, stopping=stopping)
        history = History(**copy.deepcopy(dict(resume["history"])))  # leave resume intact
    elif stopping is not None:
        net.eval()
        stopping.start(net, val_loss())
        history.best_epoch = 0
    activity = net.layer_activity if isinstance(net, LayerActivity) else None

    def losses(idx: Tensor) -> tuple[Tensor, Tensor]:
        task = train_loss.batch(net(X[idx]), y[idx], idx)
        return task, net.architecture_penalty(config.penalty_norm, config.penalty_layers)

    def record(task: Tensor, pen: Tensor) -> float:
        history.loss.append(float(task))
        history.penalty.append(float(pen))
        if activity is not None:
            history.mean_abs_eigenvalues.append(activity())
        return history.loss[-1]

    validate, judged = history_hooks(history, val_loss, stopping)

    def state(epoch: int) -> dict[str, Any]:
        return training_state(epoch, net, optimizer, generator, history.to_dict(),
                              stopping=stopping)

    run_epochs(
        net, optimizer, generator, n=X.shape[0], epochs=config.epochs,
        batch_size=config.batch_size, drop_last=config.drop_last, penalty=config.penalty,
        hooks=EpochHooks(losses=losses, record=record, state=state,
                         validate=validate if validation is not None else None, judged=judged),
        device=X.device, stopping=stopping, start=start,
        callback=(lambda epoch: callback(epoch, history)) if callback is not None else None,
        checkpoint=checkpoint, checkpoint_every=int(checkpoint_every), progress=progress,
        desc="train",
    )
    if stopping is not None:
        stopping.restore(net)
        if not stopping.restore_best:
            history.best_epoch = None  # no restore: the net holds the last epoch's parameters
    net.eval()
    return history


def _regression_targets(net: Penalized, y: Tensor, loss: object, name: str) -> Tensor:
    """For "mse"/"l1", y as ``(n, out)``: torch's losses would broadcast an ``(n,)`` or
    wrongly shaped target against the ``(n, out)`` prediction into a meaningless loss.
    For "cross_entropy", class indices must name one of the network's outputs."""
    if not isinstance(y, Tensor):
        return y
    out = net.out_features
    if loss == "cross_entropy" and y.ndim == 1 and y.numel():
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= out:
            raise DataError(
                f"{name}: class labels must be integers in [0, {out}) for a network with {out} "
                f"outputs, got labels from {low} to {high}"
            )
    if loss == "binary_cross_entropy" and y.numel() and (
        out != 1 or y.numel() != y.shape[0] or not bool(((y == 0) | (y == 1)).all())
    ):
        raise DataError(
            f"{name}: binary_cross_entropy needs one output and 0/1 targets, got a network "
            f"with {out} outputs and targets of shape {tuple(y.shape)}"
        )
    if loss not in ("mse", "l1"):
        return y
    if y.ndim == 1 and out == 1:
        return y.unsqueeze(1)
    if y.ndim != 2 or y.shape[1] != out:
        raise ShapeError(
            f"{name} must have shape (n, {out}) to match the network's {out} outputs, "
            f"got {tuple(y.shape)}"
        )
    return y
