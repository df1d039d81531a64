"""``mlp-prune``: the maximal plain MLP trained once, then pruned structurally with Torch-Pruning.

Torch-Pruning (``torch-pruning``: dependency graphs, structured pruning) removes whole hidden
nodes: each node's group is its row of the layer's weight and bias and its column of the next
layer's weight. The nodes go in steps of ``prune_step`` of the maximal network's hidden nodes,
ranked across layers (global pruning) by an importance, each step followed by
``prune_step_epochs`` epochs of fine-tuning (the project's trainer, keeping the epoch of lowest
validation loss). Pruning stops at the first step whose validation loss is above
``(1 + tolerance)`` × the unpruned network's, or when no node can go (each layer keeps at least
one); the reported network is the last step within the tolerance.

The same trial reports one network per importance, from the same trained network:

- ``mlp-prune``: magnitude (Torch-Pruning's group magnitude: the mean over the group of the
  squared L2 norms of the node's incoming and outgoing weights);
- ``mlp-prune-taylor``: first-order Taylor (Σ |w · ∂loss/∂w| over the group, the gradient of the
  training loss on the train part);

and ``mlp-full``, the maximal network before pruning: the plain network a user would train
without any search. Sizes are counted as for every network method: the pruned MLP is exported
through :func:`~..nets.to_compact` and counted by :func:`~..nets.compact_size`.
"""

from __future__ import annotations

import copy
import importlib.metadata
import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

from ....errors import ConfigError
from ....losses import resolve_loss
from ..fitting import loss_name, train, validation_loss
from ..nets import DenseNet, compact_size, to_compact
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = ["IMPORTANCES", "PlainMLP", "notes", "prune_in_steps", "run_mlp_prune"]

# Row name → Torch-Pruning importance, in report order.
IMPORTANCES = {"mlp-prune": "magnitude", "mlp-prune-taylor": "taylor"}


def torch_pruning() -> Any:
    try:
        import torch_pruning as tp
    except ImportError:
        raise ConfigError("method mlp-prune needs Torch-Pruning: pip install "
                          "'sparcs-nas[pruning]'") from None
    return tp


class PlainMLP(nn.Module):
    """A plain MLP as ``nn.Linear`` layers (what Torch-Pruning traces and prunes), trainable by
    the project's trainer (no architecture penalty)."""

    def __init__(self, net: DenseNet) -> None:
        super().__init__()
        if net.skips:
            raise ValueError("PlainMLP copies a DenseNet without skips")
        layers: list[nn.Module] = []
        for i in range(1, net.out_layer + 1):
            live_in, live_out = net.live(i - 1), net.live(i)
            linear = nn.Linear(len(live_in), len(live_out))
            with torch.no_grad():
                linear.weight.copy_(net.block(i, i - 1)[live_out][:, live_in])
                linear.bias.copy_(net.biases[i - 1][live_out])
            layers += [linear, nn.ReLU()] if i < net.out_layer else [linear]
        self.body = nn.Sequential(*layers).to(net.biases[0].device)

    @property
    def linears(self) -> list[nn.Linear]:
        return [m for m in self.body if isinstance(m, nn.Linear)]

    @property
    def out_features(self) -> int:
        return self.linears[-1].out_features

    @property
    def widths(self) -> list[int]:
        """The hidden layers' widths."""
        return [m.out_features for m in self.linears[:-1]]

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)

    def architecture_penalty(self, p: float = 2.0, layers: Iterable[int] | None = None) -> Tensor:
        """No penalty: pruning removes nodes, the training loss alone fine-tunes."""
        return self.linears[0].weight.new_zeros(())

    def to_dense(self) -> DenseNet:
        """The same network as a :class:`DenseNet` without skips (all nodes live)."""
        linears = self.linears
        sizes = [linears[0].in_features, *self.widths, self.out_features]
        net = DenseNet(sizes, skips=False).to(linears[0].weight.device)
        with torch.no_grad():
            for i, linear in enumerate(linears, start=1):
                net.block(i, i - 1).copy_(linear.weight)
                net.biases[i - 1].copy_(linear.bias)
        return net


def _importance(tp: Any, name: str) -> Any:
    if name == "magnitude":
        return tp.importance.GroupMagnitudeImportance(p=2)
    if name == "taylor":
        return tp.importance.GroupTaylorImportance()
    raise ValueError(f"unknown importance {name!r}")


def _training_gradients(model: PlainMLP, split: Split, device: torch.device) -> None:
    """The gradient of the mean training loss on the whole train part, in the parameters'
    ``.grad`` (what Taylor importance reads)."""
    X, y = split.tensors("train", device)
    model.zero_grad(set_to_none=True)
    model.train()
    resolve_loss(loss_name(split))(model(X), y).backward()


def prune_in_steps(model: PlainMLP, split: Split, settings: CompareSettings,
                   device: torch.device, importance: str) -> tuple[PlainMLP, dict[str, Any]]:
    """Prune ``model`` (in place) in steps with fine-tuning; return the last step's network
    within the tolerance (a copy) and what happened at each step."""
    tp = torch_pruning()
    budget = settings.search
    step, epochs = settings.prune_step, settings.prune_step_epochs
    n_steps = math.ceil(1 / step - 1e-9)
    X_train = split.tensors("train", device)[0]
    pruner = tp.pruner.BasePruner(
        model, example_inputs=X_train[:1], importance=_importance(tp, importance),
        global_pruning=True, pruning_ratio=1.0, iterative_steps=n_steps,
        # step k removes min(1, k · step) of the maximal network's hidden nodes in all
        iterative_pruning_ratio_scheduler=lambda ratio, steps: [
            min(ratio, k * step) for k in range(steps + 1)],
        ignored_layers=[model.linears[-1]],
    )
    base = validation_loss(model, split, device)
    limit = base * (1 + settings.tolerance)
    best, best_step, tuned = copy.deepcopy(model), 0, 0
    steps: list[dict[str, Any]] = []
    stop = "every step kept the tolerance"
    for k in range(1, n_steps + 1):
        before = model.widths
        if importance == "taylor":
            _training_gradients(model, split, device)
        pruner.step()
        model.zero_grad(set_to_none=True)
        if model.widths == before:
            stop = f"step {k}: no node left to remove (each layer keeps one)"
            break
        ran = 0
        if epochs:
            ran = len(train(model, split, budget, device, lr=budget.lr, penalty=0.0,
                            seed=split.seed + k, epochs=epochs, early_stopping=True).loss)
        tuned += ran
        loss = validation_loss(model, split, device)
        steps.append({"step": k, "hidden_widths": model.widths, "validation_loss": loss,
                      "epochs": ran})
        if not loss <= limit:  # also when it diverged to NaN
            stop = f"step {k}: validation loss {loss:.4g} above the limit {limit:.4g}"
            break
        best, best_step = copy.deepcopy(model), k
    version = importlib.metadata.version("torch-pruning")
    return best, {
        "importance": importance, "library": f"torch-pruning {version}",
        "pruning": "global, structured (whole hidden nodes), Torch-Pruning BasePruner",
        "step_fraction": step, "step_epochs": epochs,
        "rule": f"last step with validation loss <= (1 + {settings.tolerance:g}) x unpruned",
        "validation_loss": {"unpruned": base, "limit": limit,
                            "kept": steps[best_step - 1]["validation_loss"] if best_step
                            else base},
        "kept_step": best_step, "stopped": stop, "steps": steps, "finetune_epochs": tuned,
    }


def notes(settings: CompareSettings) -> str:
    """mlp-prune's settings in words (the report's)."""
    return (
        "mlp-prune and mlp-prune-taylor: Torch-Pruning removes whole hidden nodes of the trained "
        "maximal plain MLP, ranked across layers by magnitude (mlp-prune) or first-order Taylor "
        f"importance (mlp-prune-taylor), {settings.prune_step:.0%} of its hidden nodes per step, "
        f"each step fine-tuned {settings.prune_step_epochs} epochs (keeping the epoch of lowest "
        "validation loss); the network kept is the last step whose validation loss is within "
        f"(1 + {settings.tolerance:g}) × the unpruned network's. mlp-full: the same network "
        "before pruning."
    )


def run_mlp_prune(split: Split, settings: CompareSettings,
                  device: torch.device) -> list[Outcome]:
    torch_pruning()  # a clear error before any training
    budget = settings.search
    sizes = [split.problem.X.shape[1], *budget.max_hidden, split.n_outputs]
    net = DenseNet(sizes, skips=False, seed=split.seed).to(device)
    history = train(net, split, budget, device, lr=budget.lr, penalty=0.0, seed=split.seed)
    trained = len(history.loss)
    n_hidden = len(budget.max_hidden)
    outcomes = []
    for name, importance in IMPORTANCES.items():
        kept, details = prune_in_steps(PlainMLP(net), split, settings, device, importance)
        compact = to_compact(kept.to_dense()).cpu()
        outcomes.append(Outcome(name, split.predictor(compact).outputs,
                                compact_size(compact, n_hidden), trainings=1,
                                epochs=trained + details["finetune_epochs"], details=details))
    full = to_compact(net).cpu()
    outcomes.append(Outcome("mlp-full", split.predictor(full).outputs,
                            compact_size(full, n_hidden), trainings=1, epochs=trained))
    return outcomes
