"""Training many spectral networks at once: :func:`fit_ensemble` on a :class:`SpectralEnsemble`.

Training minimizes Σ_m (task_m + c_m · pen_m) with one Adam over the stacked tensors: the gradient
of member m's slice is the gradient of its own objective, and Adam is elementwise, so each member
takes exactly the steps :func:`sparcs.training.fit` would take.

Example:
    >>> import torch
    >>> from sparcs.spectral.ensemble import SpectralEnsemble
    >>> from sparcs.training import TrainConfig
    >>> ens = SpectralEnsemble(4, [2, 8, 1], bias=True)
    >>> X = torch.rand(4, 64, 2); y = X.sum(-1, keepdim=True)
    >>> hist = fit_ensemble(ens, X, y, config=TrainConfig(epochs=2, batch_size=16))
    >>> hist.losses().shape
    torch.Size([2, 4])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..data import check_weight
from ..errors import ConfigError, ShapeError, TensorTypeError
from ..losses import LossFn, resolve_loss, row_losses, weighted_mean
from ..spectral.ensemble import SpectralEnsemble
from ._loop import EpochHooks, load_training_state, make_optimizer, run_epochs, training_state
from .config import TrainConfig
from .stopping import early_stopping
from .trainer import History

__all__ = ["EnsembleHistory", "evaluate_ensemble", "fit_ensemble"]


@dataclass
class EnsembleHistory:
    """Per-epoch records, one value per member: ``loss[e]`` and ``penalty[e]`` are ``(M,)``,
    ``mean_abs_eigenvalues[e]`` is ``(L, M)``, ``val_loss[e]`` is ``(M,)`` (CPU tensors)."""

    loss: list[Tensor] = field(default_factory=list)
    penalty: list[Tensor] = field(default_factory=list)
    val_loss: list[Tensor] = field(default_factory=list)
    mean_abs_eigenvalues: list[Tensor] = field(default_factory=list)
    # With early stopping, per member: epochs it ran before it stopped, and (with restore_best)
    # the epoch whose parameters it kept. Empty without early stopping.
    epochs_run: list[int] = field(default_factory=list)
    best_epoch: list[int] = field(default_factory=list)

    def losses(self) -> Tensor:
        """Training loss as an ``(epochs, M)`` tensor."""
        return torch.stack(self.loss) if self.loss else torch.empty(0, 0)

    def member(self, m: int) -> History:
        """Member ``m``'s records as the :class:`History` that :func:`fit` returns (with early
        stopping: only the epochs it ran before it stopped)."""
        ran = self.epochs_run[m] if self.epochs_run else len(self.loss)
        return History(
            loss=[float(t[m]) for t in self.loss[:ran]],
            penalty=[float(t[m]) for t in self.penalty[:ran]],
            val_loss=[float(t[m]) for t in self.val_loss[:ran]],
            mean_abs_eigenvalues=[t[:, m].tolist() for t in self.mean_abs_eigenvalues[:ran]],
            best_epoch=self.best_epoch[m] if self.best_epoch else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {**{k: [t.tolist() for t in getattr(self, k)] for k in _RECORDS},
                "epochs_run": list(self.epochs_run), "best_epoch": list(self.best_epoch)}

    def state(self) -> dict[str, list[Any]]:
        return {k: list(getattr(self, k)) for k in (*_RECORDS, "epochs_run", "best_epoch")}

    @classmethod
    def from_state(cls, state: Mapping[str, list[Any]]) -> EnsembleHistory:
        return cls(**{k: list(v) for k, v in state.items()})


_RECORDS = ("loss", "penalty", "val_loss", "mean_abs_eigenvalues")


def _per_member_loss(loss: str | LossFn) -> Callable[[Tensor, Tensor], Tensor]:
    """A loss mapping ``(M, batch, ...)`` predictions and targets to ``(M,)``."""
    if loss == "mse":
        return lambda p, t: (p - t).square().flatten(1).mean(1)
    if loss == "l1":
        return lambda p, t: (p - t).abs().flatten(1).mean(1)
    fn = resolve_loss(loss)
    return torch.func.vmap(fn)


def _check_data(
    ens: SpectralEnsemble, X: Tensor, y: Tensor, what: str
) -> tuple[Tensor, Tensor, bool]:
    """X and y checked (a float ``(n,)`` / ``(M, n)`` target of a one-output ensemble gets its
    output axis), and whether y is shared by all members (``(n, ...)``) rather than per member
    (``(M, n, ...)``, or ``(M, n)`` integer class labels)."""
    ref = ens.eigenvalues[0]
    M = ens.num_models
    if not isinstance(X, Tensor) or not isinstance(y, Tensor):
        raise TensorTypeError(f"{what}: X and y must be torch tensors (see sparcs.data.as_tensor)")
    if X.ndim not in (2, 3) or (X.ndim == 3 and X.shape[0] != M) or X.shape[-1] != ens.sizes[0]:
        raise ShapeError(
            f"{what}: X must have shape ({M}, n, {ens.sizes[0]}) or (n, {ens.sizes[0]}), "
            f"got {tuple(X.shape)}"
        )
    n = X.shape[-2]
    # Shared or per member is read from y's own shape, not from X's: a shared (n, 1) target
    # next to per-member X is not M = n members, and a shared (n,) one must not broadcast.
    if y.is_floating_point() and ens.sizes[-1] == 1 and (
        y.ndim == 1 or (y.ndim == 2 and tuple(y.shape) == (M, n) != (n, 1))
    ):
        y = y.unsqueeze(-1)
    labels = not y.is_floating_point() and tuple(y.shape) == (M, n)
    shared = not (y.ndim == 3 or labels)
    rows_ok = y.ndim in (1, 2) and y.shape[0] == n if shared else tuple(y.shape[:2]) == (M, n)
    if not rows_ok:
        raise ShapeError(
            f"{what}: y has shape {tuple(y.shape)}, which does not match X's {n} rows (give "
            f"(n, ...) targets shared by all members or ({M}, n, ...) ones per member)"
        )
    if X.dtype != ref.dtype or X.device != ref.device:
        raise TensorTypeError(
            f"{what}: X is {X.dtype} on {X.device} but the ensemble is {ref.dtype} on {ref.device}"
        )
    if y.device != ref.device:
        raise TensorTypeError(f"{what}: y is on {y.device} but the ensemble is on {ref.device}")
    return X, y, shared


def _member_targets(yb: Tensor, M: int, shared: bool) -> Tensor:
    """Batch targets with the leading model dimension (a view for shared targets)."""
    return yb.expand(M, *yb.shape) if shared else yb


def _rows(t: Tensor, idx: Tensor, shared: bool) -> Tensor:
    return t.index_select(0 if shared else 1, idx)


@torch.no_grad()
def evaluate_ensemble(
    ens: SpectralEnsemble, X: Tensor, y: Tensor, *, loss: str | LossFn = "mse",
    chunk: int = 8192, weight: Tensor | None = None,
) -> Tensor:
    """Per-member loss on the whole of ``(X, y)``, shape ``(M,)``, computed in row chunks
    (at most ``chunk`` rows, fewer when M × rows × width would exceed about 2²⁶ numbers).
    With ``weight`` (``(n,)`` or ``(M, n)``) each member's loss is ``Σ w·loss / Σ w`` over the
    rows, summed in float64."""
    X, y, shared_y = _check_data(ens, X, y, "evaluate_ensemble")
    M = ens.num_models
    n = X.shape[-2]
    chunk = max(1, min(chunk, 2**26 // (M * max(ens.layer_sizes))))
    total = torch.zeros(M, dtype=torch.float64, device=X.device)
    if weight is not None:
        rows = row_losses(loss)
        weight = check_weight(weight, n, X.device, "weight", members=M).double().expand(M, n)
        for i in range(0, n, chunk):
            idx = torch.arange(i, min(i + chunk, n), device=X.device)
            xb, yb = _rows(X, idx, X.ndim == 2), _rows(y, idx, shared_y)
            values = rows(ens(xb), _member_targets(yb, M, shared_y)).double()
            total += (values * weight[:, i : i + chunk]).sum(-1)
        return total / weight.sum(-1)
    loss_fn = _per_member_loss(loss)
    for i in range(0, n, chunk):
        idx = torch.arange(i, min(i + chunk, n), device=X.device)
        xb, yb = _rows(X, idx, X.ndim == 2), _rows(y, idx, shared_y)
        total += loss_fn(ens(xb), _member_targets(yb, M, shared_y)).double() * len(idx)
    return total / n


def fit_ensemble(
    ens: SpectralEnsemble,
    X: Tensor,
    y: Tensor,
    *,
    config: TrainConfig | None = None,
    penalty: float | Tensor | None = None,
    loss: str | LossFn = "mse",
    validation: tuple[Tensor, Tensor] | None = None,
    sample_weight: Tensor | None = None,
    validation_weight: Tensor | None = None,
    progress: bool = False,
    callback: Callable[[int, EnsembleHistory], None] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    checkpoint_every: int = 1,
    resume: Mapping[str, Any] | None = None,
) -> EnsembleHistory:
    """Train every member of ``ens`` in place; the same math as :func:`sparcs.training.fit`.

    Args:
        X, y: ``(M, n, d)`` / ``(M, n, out)`` (each member its own data) or ``(n, d)`` /
            ``(n, out)`` shared by all; tensors on the ensemble's device (X in its dtype).
        config: epochs, batch size, lr, penalty norm and layers, ``seed`` (batch order). All
            members see the same batch order, the one :func:`fit` uses for this seed.
        penalty: c per member, a float or an ``(M,)`` tensor; default ``config.penalty``.
        callback: ``callback(epoch, history)`` after every epoch (after any checkpoint).
        config.restore_best, config.n_iter_no_change, config.min_epochs: early stopping of
            each member on its own ``validation`` loss, by :func:`fit`'s rule: a member equals
            the single run with its penalty and starting point (see ``EnsembleHistory.member``).
        sample_weight, validation_weight: row weights, ``(n,)`` for all members or ``(M, n)``
            one row per member, as :func:`fit` takes them: 0/1 weights train each member on its
            own subset of shared rows (the folds of a cross-validation) with one batch order.
            Member m then equals ``fit`` with its row of weights.
        checkpoint: ``checkpoint(state)`` every ``checkpoint_every`` epochs and after the last;
            on Ctrl-C also the last finished epoch if it was not saved yet. Pass a saved
            ``state`` as ``resume`` to continue exactly where it stopped.

    The epoch loop is the one :func:`sparcs.training.fit` runs, with one loss per member.
    """
    config = config or TrainConfig()
    X, y, shared_y = _check_data(ens, X, y, "fit_ensemble")
    n = X.shape[-2]
    if config.drop_last and n < config.batch_size:
        raise ConfigError(f"drop_last with batch_size {config.batch_size} leaves no batch of {n}")
    M = ens.num_models
    stopping = early_stopping(config, validation=validation is not None, shape=(M,))
    if checkpoint_every < 1:
        raise ConfigError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    ref = ens.eigenvalues[0]
    c = config.penalty if penalty is None else penalty
    c = torch.as_tensor(c, dtype=ref.dtype, device=ref.device)
    if c.ndim > 1 or (c.ndim == 1 and c.shape[0] != M) or bool((c < 0).any()):
        raise ConfigError(f"penalty must be a float >= 0 or a ({M},) tensor of them")
    loss_fn = _per_member_loss(loss)
    if validation is not None:
        validation = _check_data(ens, *validation, "fit_ensemble validation")[:2]
        validation_weight = check_weight(validation_weight, validation[0].shape[-2], X.device,
                                         "validation_weight", members=M)
    elif validation_weight is not None:
        raise ConfigError("validation_weight weighs validation rows; pass validation=(X, y)")
    weight = check_weight(sample_weight, n, X.device, "sample_weight", members=M)
    rows = row_losses(loss) if weight is not None else None

    optimizer = make_optimizer(ens, config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    history = EnsembleHistory()
    start = 0
    if resume is not None:
        start = load_training_state(resume, ens, optimizer, generator, key="ensemble",
                                    stopping=stopping)
        history = EnsembleHistory.from_state(resume["history"])
    elif stopping is not None:
        ens.eval()
        stopping.start(ens, evaluate_ensemble(ens, *validation, loss=loss,
                                              weight=validation_weight))
    shared_x = X.ndim == 2

    def losses(idx: Tensor) -> tuple[Tensor, Tensor]:
        xb, yb = _rows(X, idx, shared_x), _rows(y, idx, shared_y)
        targets = _member_targets(yb, M, shared_y)
        if rows is None:
            task = loss_fn(ens(xb), targets)
        else:
            task = weighted_mean(rows(ens(xb), targets), weight[..., idx])
        return task, ens.architecture_penalty(config.penalty_norm, config.penalty_layers)

    def record(task: Tensor, pen: Tensor) -> float:
        history.loss.append(task.cpu())
        history.penalty.append(pen.cpu())
        history.mean_abs_eigenvalues.append(ens.mean_abs_eigenvalues().cpu())
        return float(history.loss[-1].mean())

    def validate() -> Tensor:
        history.val_loss.append(
            evaluate_ensemble(ens, *validation, loss=loss, weight=validation_weight).cpu())
        return history.val_loss[-1]

    def state(epoch: int) -> dict[str, Any]:
        return training_state(epoch, ens, optimizer, generator, history.state(), key="ensemble",
                              stopping=stopping)

    run_epochs(
        ens, optimizer, generator, n=n, epochs=config.epochs, batch_size=config.batch_size,
        drop_last=config.drop_last, penalty=c,
        hooks=EpochHooks(losses=losses, record=record, state=state,
                         validate=validate if validation is not None else None),
        device=X.device, stopping=stopping, start=start,
        callback=(lambda epoch: callback(epoch, history)) if callback is not None else None,
        checkpoint=checkpoint, checkpoint_every=checkpoint_every, progress=progress,
        desc="train ensemble",
    )
    if stopping is not None:
        # Each member ends as the single run would: at its best or where it stopped.
        stopping.restore(ens)
        history.epochs_run = stopping.epochs_run.tolist()
        history.best_epoch = stopping.best_epoch.tolist() if stopping.restore_best else []
    ens.eval()
    return history
