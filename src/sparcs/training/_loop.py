"""The one epoch loop behind :func:`sparcs.training.fit`,
:func:`sparcs.training.ensemble.fit_ensemble` and
:func:`sparcs.training.finetune.finetune_compact` (internal).

A model here is one network (losses are scalars) or a stack of M (losses are ``(M,)`` vectors, one
per member); the loop only sums, so it never needs to know which. Per epoch, in this order: train
on the shuffled batches, record the epoch, evaluate the validation data, feed its loss to early
stopping, checkpoint (or keep the state for a save on Ctrl-C), then call the callback.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError
from ..progress import progress as progress_bar
from .stopping import EarlyStopping

__all__ = [
    "EpochHooks",
    "epoch_batches",
    "load_training_state",
    "make_optimizer",
    "run_epochs",
    "training_state",
]


def epoch_batches(
    n: int, batch_size: int, generator: torch.Generator, *, drop_last: bool = False
) -> list[Tensor]:
    """Shuffled index batches for one epoch, drawn from ``generator``."""
    perm = torch.randperm(n, generator=generator)
    stop = n - n % batch_size if drop_last else n
    return [perm[i : i + batch_size] for i in range(0, stop, batch_size)]


def make_optimizer(model: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """Adam over the trainable tensors only, so frozen tensors stay bit-identical; fused (one
    kernel per step) on CUDA. Adam is elementwise, so a member of a stack takes exactly the steps
    it would take alone with the same optimizer."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError("the model has no trainable parameter: everything is frozen")
    fused = {"fused": True} if params[0].device.type == "cuda" else {}
    return torch.optim.Adam(params, lr=lr, **fused)


@dataclass
class EpochHooks:
    """What differs between the loops.

    ``losses(idx)``: the task loss and penalty of the batch with rows ``idx`` (scalars or one
    per member), with gradients. ``record(task, penalty)``: store an epoch's mean task loss and
    penalty (float64 tensors) in the history and return the loss to show. ``validate()``:
    evaluate, store and return the validation loss (a float or one per member). ``judged()``:
    runs after early stopping has judged an epoch. ``state(epoch)``: the resumable state (needed
    for checkpoints).
    """

    losses: Callable[[Tensor], tuple[Tensor, Tensor]]
    record: Callable[[Tensor, Tensor], float]
    validate: Callable[[], float | Tensor] | None = None
    judged: Callable[[], None] | None = None
    state: Callable[[int], dict[str, Any]] | None = None


def history_hooks(history: Any, val_loss: Callable[[], float], stopping: Any
                  ) -> tuple[Callable[[], float], Callable[[], None]]:
    """``validate`` and ``judged`` for a one-network loop: store every validation loss in
    ``history.val_loss``, and early stopping's best epoch in ``history.best_epoch``."""

    def validate() -> float:
        history.val_loss.append(val_loss())
        return history.val_loss[-1]

    def judged() -> None:
        history.best_epoch = int(stopping.best_epoch)

    return validate, judged


def training_state(
    epoch: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    history: Any,
    *,
    key: str = "model",
    stopping: EarlyStopping | None = None,
) -> dict[str, Any]:
    """The resumable state after ``epoch`` finished epochs: a CPU copy of the model under
    ``key``, a copy of the Adam state, the batch-order generator, ``history`` and the early
    stopping's state, if any. A snapshot (later steps do not change it), so it may be kept in
    memory. :func:`fit` and :func:`sparcs.training.ensemble.fit_ensemble` save it, and
    :func:`load_training_state` puts it back."""
    state = {
        "epoch": epoch,
        key: {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        # state_dict() holds the live Adam moments, which the next step overwrites in place.
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "generator": generator.get_state(),
        "history": history,
    }
    if stopping is not None:  # early stopping is part of the run's state: it decides the result
        state["early_stopping"] = stopping.state_dict()
    return state


def load_training_state(
    state: Mapping[str, Any],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    *,
    key: str = "model",
    stopping: EarlyStopping | None = None,
) -> int:
    """Restore model, optimizer, generator and ``stopping`` from a :func:`training_state`;
    return its epoch."""
    if stopping is not None:
        if "early_stopping" not in state:
            raise ConfigError(
                "the resume state was saved without early stopping; resume it with the "
                "restore_best and n_iter_no_change settings it was trained with"
            )
        stopping.load_state_dict(state["early_stopping"])
    model.load_state_dict(state[key])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    return int(state["epoch"])


def run_epochs(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    *,
    n: int,
    epochs: int,
    batch_size: int,
    penalty: float | Tensor,
    hooks: EpochHooks,
    device: torch.device,
    drop_last: bool = False,
    stopping: EarlyStopping | None = None,
    start: int = 0,
    callback: Callable[[int], None] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    checkpoint_every: int = 1,
    progress: bool = False,
    desc: str = "train",
) -> None:
    """Train ``model`` on ``n`` rows for epochs ``start … epochs − 1`` (fewer when ``stopping``
    ends the run) with Adam on Σ (task + c · penalty) over the members, in batches of
    ``batch_size`` rows; see the module docstring. ``stopping`` needs ``hooks.validate``."""
    if stopping is not None and hooks.validate is None:
        raise ConfigError("early stopping needs a validation loss")
    if checkpoint is not None and hooks.state is None:
        raise ConfigError("checkpoints need the resumable state (hooks.state)")
    use_penalty = bool(torch.as_tensor(penalty).ne(0).any())
    # The last finished epoch's state while it is not checkpointed, for a save on Ctrl-C: the
    # parameters change during an epoch, so only an epoch boundary resumes exactly.
    pending: dict[str, Any] | None = None
    bar = progress_bar(range(start, epochs), enable=progress, desc=desc, leave=False,
                       initial=start, total=epochs)
    try:
        for epoch in bar:
            # Resumed from a checkpoint written when early stopping ended the run.
            if stopping is not None and stopping.stopped:
                break
            model.train()
            batches = epoch_batches(n, batch_size, generator, drop_last=drop_last)
            # One host→device copy per epoch, not per step; slicing stays on the device.
            perm = torch.cat(batches).to(device) if batches else torch.empty(0, dtype=torch.long)
            task_sum: Tensor | float = 0.0
            pen_sum: Tensor | float = 0.0
            seen = offset = 0
            for b in batches:
                idx = perm[offset : offset + len(b)]
                offset += len(b)
                task, pen = hooks.losses(idx)
                objective = (task + penalty * pen).sum() if use_penalty else task.sum()
                optimizer.zero_grad(set_to_none=True)
                objective.backward()
                optimizer.step()
                # float64 sums on the device: no host sync per step.
                task_sum = task_sum + task.detach().double() * len(b)
                pen_sum = pen_sum + pen.detach().double() * len(b)
                seen += len(b)
            mean = [torch.as_tensor(s, dtype=torch.float64) / max(seen, 1)
                    for s in (task_sum, pen_sum)]
            shown = hooks.record(*mean)
            val_loss = None
            if hooks.validate is not None:
                model.eval()
                val_loss = hooks.validate()
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{shown:.4g}")
            stop = False
            if stopping is not None:
                stop = stopping.update(model, val_loss)
                if hooks.judged is not None:
                    hooks.judged()
            if checkpoint is not None:
                done = epoch + 1
                if done % checkpoint_every == 0 or done == epochs or stop:
                    checkpoint(hooks.state(done))
                    pending = None
                else:
                    pending = hooks.state(done)
            if callback is not None:
                callback(epoch)
            if stop:
                break
    except KeyboardInterrupt:
        if pending is not None and checkpoint is not None:
            checkpoint(pending)
        raise
