"""Early stopping on the validation loss: one rule for one network and for a stack of them.

:class:`EarlyStopping` judges the validation loss after every epoch (the starting state counts
as epoch 0): an epoch improves when its loss is strictly below the best so far, and every epoch
up to ``min_epochs`` counts as the best so far. After ``patience`` epochs in a row without an
improvement a network stops. With ``restore_best`` it keeps a copy of the best state, which
:meth:`EarlyStopping.restore` puts back at the end.

With a batch shape, say ``(M,)`` for M stacked members, every member is judged on its own loss.
A stack trains as one, so a member that has stopped keeps moving; its kept state is frozen where
it stopped (its best state with ``restore_best``), so that each member ends as the same network
trained alone would. The run ends when every member has stopped.

Example:
    >>> import torch
    >>> net = torch.nn.Linear(1, 1)
    >>> stopping = EarlyStopping(patience=2, restore_best=True)
    >>> stopping.start(net, 1.0)
    >>> [stopping.update(net, loss) for loss in (0.5, 0.7, 0.6)]
    [False, False, True]
    >>> int(stopping.best_epoch), float(stopping.best_loss)
    (1, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import ConfigError, ShapeError
from .config import TrainConfig

__all__ = ["EarlyStopping", "early_stopping", "snapshot"]


def snapshot(model: nn.Module) -> dict[str, Tensor]:
    """A detached copy of ``model``'s state, on its device (the state early stopping keeps)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping:
    """The early-stopping rule and its records (see the module docstring).

    Args:
        patience: stop after this many epochs in a row without an improvement
            (``TrainConfig.n_iter_no_change``); None: never stop, only keep the best state.
        min_epochs: epochs 1 … ``min_epochs`` all count as the best so far (a network that is
            still recruiting hidden layers is not judged yet).
        restore_best: keep a copy of the best state for :meth:`restore`.
        shape: the batch shape of the losses: ``()`` for one network, ``(M,)`` per member of a
            stack whose state tensors all lead with that dimension.

    Use: :meth:`start` with the starting state's loss, :meth:`update` after every epoch (it
    says whether to stop), :meth:`restore` at the end. One network's run must end when
    :meth:`update` says so: without ``restore_best`` nothing is copied, the network itself
    holds the state it stopped with.

    Records (CPU tensors of ``shape``): ``best_loss``, ``best_epoch`` (0: the start),
    ``stalled`` (epochs since the last improvement), ``epochs_run`` (epochs judged before
    stopping) and ``done`` (stopped); ``epoch`` counts the updates.
    """

    def __init__(
        self,
        *,
        patience: int | None = None,
        min_epochs: int = 0,
        restore_best: bool = False,
        shape: tuple[int, ...] = (),
    ) -> None:
        if patience is not None and (isinstance(patience, bool) or int(patience) < 1):
            raise ConfigError(f"patience must be a positive integer or None, got {patience!r}")
        if isinstance(min_epochs, bool) or int(min_epochs) != min_epochs or min_epochs < 0:
            raise ConfigError(f"min_epochs must be an integer >= 0, got {min_epochs!r}")
        self.patience = patience
        # What stalled (a long tensor) is compared with: a patience past int64 never runs out.
        self._limit = None if patience is None else min(patience, torch.iinfo(torch.long).max)
        self.min_epochs = int(min_epochs)
        self.restore_best = bool(restore_best)
        self.shape = tuple(int(s) for s in shape)
        # One network needs no copy unless it restores the best state; a stack needs one to
        # freeze its stopped members.
        self._keeps = self.restore_best or bool(self.shape)
        self.epoch = 0
        self.best_loss = torch.full(self.shape, torch.inf, dtype=torch.float64)
        self.best_epoch = torch.zeros(self.shape, dtype=torch.long)
        self.stalled = torch.zeros(self.shape, dtype=torch.long)
        self.epochs_run = torch.zeros(self.shape, dtype=torch.long)
        self.done = torch.zeros(self.shape, dtype=torch.bool)
        self._kept: dict[str, Tensor] | None = None

    @classmethod
    def from_config(cls, config: TrainConfig, shape: tuple[int, ...] = ()) -> EarlyStopping:
        """The early stopping of ``config`` (restore_best, n_iter_no_change, min_epochs)."""
        return cls(patience=config.n_iter_no_change, min_epochs=config.min_epochs,
                   restore_best=config.restore_best, shape=shape)

    def _losses(self, loss: float | Tensor) -> Tensor:
        value = torch.as_tensor(loss, dtype=torch.float64).detach().to("cpu")
        if tuple(value.shape) != self.shape:
            raise ShapeError(f"early stopping of shape {self.shape} got losses of shape "
                             f"{tuple(value.shape)}")
        return value

    def start(self, model: nn.Module, loss: float | Tensor) -> None:
        """Judge the starting state (epoch 0) by its validation ``loss``: the best so far."""
        self.best_loss = self._losses(loss).clone()
        if self._keeps:
            self._kept = snapshot(model)

    def update(self, model: nn.Module, loss: float | Tensor) -> bool:
        """Judge the epoch just trained by its validation ``loss`` (a float or a tensor of
        ``shape``); keep ``model``'s state where needed. Returns :attr:`stopped`."""
        self.epoch += 1
        loss = self._losses(loss)
        active = ~self.done
        # NaN is never below the best: a diverged epoch does not improve.
        improved = active & ((loss < self.best_loss) | (self.epoch <= self.min_epochs))
        self.best_loss = torch.where(improved, loss, self.best_loss)
        self.best_epoch = torch.where(improved, self.epoch, self.best_epoch)
        self.stalled = torch.where(improved, 0, self.stalled + active.long())
        self.epochs_run = torch.where(active, self.epoch, self.epochs_run)
        if self._keeps:
            self._keep(model, improved if self.restore_best else active)
        if self._limit is not None:
            self.done = self.done | (active & (self.stalled >= self._limit))
        return self.stopped

    def _keep(self, model: nn.Module, which: Tensor) -> None:
        """Copy ``model``'s state into the kept state where ``which`` (of ``shape``) is set."""
        if not self.shape:
            if bool(which):
                self._kept = snapshot(model)
            return
        if not bool(which.any()):
            return
        assert self._kept is not None
        with torch.no_grad():
            for key, value in model.state_dict().items():
                rows = which.to(value.device)
                self._kept[key][rows] = value.detach()[rows]

    @property
    def stopped(self) -> bool:
        """Whether the run should end: every network ran out of patience."""
        return self.patience is not None and bool(self.done.all())

    def restore(self, model: nn.Module) -> None:
        """Put the kept state into ``model``: each network's best state (``restore_best``) or,
        in a stack, the state each member stopped with. One network without ``restore_best``
        keeps its own state."""
        if self._kept is not None:
            model.load_state_dict(self._kept)

    def state_dict(self) -> dict[str, Any]:
        """The resumable state, a snapshot that later updates do not change."""
        kept = self._kept
        if kept is not None and self.shape:  # a stack's kept state is updated in place
            kept = {k: v.clone() for k, v in kept.items()}
        return {
            "epoch": self.epoch, "best_loss": self.best_loss.clone(),
            "best_epoch": self.best_epoch.clone(), "stalled": self.stalled.clone(),
            "epochs_run": self.epochs_run.clone(), "done": self.done.clone(), "kept": kept,
            "settings": self._settings(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`state_dict` saved with the same settings."""
        if dict(state.get("settings", {})) != self._settings():
            raise ConfigError(
                f"the early-stopping state was saved with settings {state.get('settings')}, "
                f"not {self._settings()}; resume with the settings it was trained with"
            )
        self.epoch = int(state["epoch"])
        for name in ("best_loss", "best_epoch", "stalled", "epochs_run", "done"):
            setattr(self, name, state[name].clone())
        kept = state["kept"]
        if kept is not None and self.shape:
            kept = {k: v.clone() for k, v in kept.items()}
        self._kept = kept

    def _settings(self) -> dict[str, Any]:
        return {"patience": self.patience, "min_epochs": self.min_epochs,
                "restore_best": self.restore_best, "shape": list(self.shape)}


def early_stopping(
    config: TrainConfig, *, validation: bool, shape: tuple[int, ...] = ()
) -> EarlyStopping | None:
    """The early stopping ``config`` asks for (``restore_best`` or ``n_iter_no_change``), or
    None; a ConfigError when it does but there is no ``validation`` data to judge by."""
    if not (config.restore_best or config.n_iter_no_change is not None):
        return None
    if not validation:
        raise ConfigError(
            "restore_best and n_iter_no_change watch the validation loss; pass validation=(X, y)"
        )
    return EarlyStopping.from_config(config, shape)
