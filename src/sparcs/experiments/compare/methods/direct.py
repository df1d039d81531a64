"""``direct``: the same maximal network with every skip connection, in direct space.

The weights W_{i←j} are independent parameters. It starts as a perceptron (input→output
regular, every block touching a hidden layer at a small random scale, since all-zero blocks get
no gradient), trains with a group-lasso penalty per hidden node (the norm of its incoming and
outgoing weights), removes nodes within the tolerance, fine-tunes and exports the same
:class:`~sparcs.pruning.compact.CompactNetwork` as ``sparcs``.
"""

from __future__ import annotations

import torch

from ..fitting import finetune, prune_nodes, train
from ..nets import DenseNet, compact_size, to_compact
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = ["run_direct", "shrink"]


def shrink(net: DenseNet, split: Split, settings: CompareSettings, device: torch.device, *,
           penalty: float, epochs: int, name: str) -> Outcome:
    """Prune a trained network's nodes within the tolerance, fine-tune it, export it."""
    pruned = prune_nodes(net, split, settings.tolerance, device)
    tuned, loss = finetune(net, split, settings.search, device, lr=settings.search.lr,
                           penalty=penalty, seed=split.seed)
    compact = to_compact(net).cpu()
    kept = {i: net.live(i).tolist() for i in net.hidden_layers}
    return Outcome(
        name, split.predictor(compact).outputs, compact_size(compact, len(net.hidden_layers)),
        trainings=1, epochs=epochs + tuned,
        details={"removed_nodes": pruned.removed, "hidden_nodes": pruned.total,
                 "kept_nodes": kept, "validation_loss": {
                     "base": pruned.base_loss, "pruned": pruned.loss, "finetuned": loss}},
    )


def run_direct(split: Split, settings: CompareSettings, device: torch.device) -> list[Outcome]:
    sizes = [split.problem.X.shape[1], *settings.search.max_hidden, split.n_outputs]
    net = DenseNet(sizes, skips=True, start="perceptron", seed=split.seed,
                   group_penalty=True).to(device)
    history = train(net, split, settings.search, device, lr=settings.search.lr,
                    penalty=settings.group_penalty, seed=split.seed)
    return [shrink(net, split, settings, device, penalty=settings.group_penalty,
                   epochs=len(history.loss), name="direct")]
