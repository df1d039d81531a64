"""Training, node pruning and fine-tuning of the baselines' :class:`DenseNet`, all through the
project's trainer (:func:`sparcs.training.trainer.fit`, its early stopping included) and its
chunked evaluation (:func:`sparcs.losses.mean_loss`), so every network method trains alike."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from ...losses import mean_loss, resolve_loss
from ...search.settings import SearchSettings
from ...training.config import TrainConfig
from ...training.trainer import History, fit
from .nets import DenseNet, node_scores
from .problems import Split

__all__ = ["Pruned", "finetune", "prune_nodes", "train", "validation_loss"]

# Removal counts tried on the first pass (then bisected between the last that kept the
# tolerance and the next): enough to find the boundary, few enough to stay cheap.
_GRID = 41


def loss_name(split: Split) -> str:
    return "mse" if split.problem.task == "regression" else "cross_entropy"


def train(net: DenseNet, split: Split, budget: SearchSettings, device: torch.device, *,
          lr: float, penalty: float, seed: int, epochs: int | None = None,
          early_stopping: bool = True) -> History:
    """Adam on the train part with the network's penalty, for the ``budget``'s epochs and
    batch size; with ``early_stopping`` (and the budget's), keep the epoch of lowest
    validation loss and stop after ``n_iter_no_change`` epochs without one."""
    stop = early_stopping and bool(budget.early_stopping)
    config = TrainConfig(
        epochs=int(budget.epochs if epochs is None else epochs),
        batch_size=int(budget.batch_size), lr=float(lr), penalty=float(penalty), seed=seed,
        restore_best=stop, n_iter_no_change=int(budget.n_iter_no_change) if stop else None,
    )
    return fit(net, *split.tensors("train", device), config=config, loss=loss_name(split),
               validation=split.tensors("val", device))


def validation_loss(net: torch.nn.Module, split: Split, device: torch.device) -> float:
    """The mean loss of ``net`` (in eval mode) on the validation part."""
    net.eval()
    return mean_loss(net, *split.tensors("val", device), resolve_loss(loss_name(split)))


@dataclass
class Pruned:
    """What node pruning removed and the validation losses before and after."""

    removed: int
    total: int
    base_loss: float
    loss: float


@torch.no_grad()
def _set_removed(net: DenseNet, order: list[tuple[int, int]], k: int) -> None:
    for i in net.hidden_layers:
        net.mask(i).fill_(True)
    for i, r in order[:k]:
        net.mask(i)[r] = False


def prune_nodes(net: DenseNet, split: Split, tolerance: float,
                device: torch.device) -> Pruned:
    """Remove the most hidden nodes, lowest ‖in‖·‖out‖ first, such that the validation loss
    stays within ``(1 + tolerance)`` × the unpruned loss; leave those nodes masked."""
    scores = node_scores(net)
    order = sorted(
        ((i, r) for i, s in zip(net.hidden_layers, scores, strict=True) for r in range(len(s))),
        key=lambda ir: float(scores[ir[0] - 1][ir[1]]),
    )
    base = validation_loss(net, split, device)
    limit = base * (1 + tolerance)
    cache: dict[int, float] = {}

    def loss_at(k: int) -> float:
        if k not in cache:
            _set_removed(net, order, k)
            cache[k] = validation_loss(net, split, device)
        return cache[k]

    n = len(order)
    grid = sorted({round(n * q / (_GRID - 1)) for q in range(_GRID)})
    best = 0
    for k in grid:
        if loss_at(k) <= limit:
            best = k
    above = [k for k in grid if k > best]
    if above:  # the boundary lies between best (within) and the next grid point (not)
        lo, hi = best, above[0]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if loss_at(mid) <= limit else (lo, mid)
        best = lo
    _set_removed(net, order, best)
    return Pruned(removed=best, total=n, base_loss=base, loss=loss_at(best))


def finetune(net: DenseNet, split: Split, budget: SearchSettings, device: torch.device, *,
             lr: float, penalty: float, seed: int) -> tuple[int, float]:
    """Train the pruned network the ``budget``'s ``finetune_epochs`` more epochs (its masks
    stay); keep the result only if the validation loss did not rise. Returns (epochs run,
    validation loss).

    Not :class:`~sparcs.training.stopping.EarlyStopping`'s rule: that one judges every epoch
    and keeps the earlier state on a tie; this one compares only the end with the start, and an
    end that ties the start is kept."""
    before = validation_loss(net, split, device)
    if not budget.finetune_epochs:
        return 0, before
    saved = copy.deepcopy(net.state_dict())
    history = train(net, split, budget, device, lr=lr, penalty=penalty, seed=seed + 1,
                    epochs=budget.finetune_epochs, early_stopping=False)
    after = validation_loss(net, split, device)
    if not after <= before:  # also when it diverged to NaN
        net.load_state_dict(saved)
        after = before
    return len(history.loss), after
