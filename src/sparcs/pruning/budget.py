"""Pruning to parameter budgets: one greedy path from the exported network down to the linear
model, with the best model found at every budget on the way.

Where :func:`~sparcs.pruning.structured.structured_prune` removes what a validation-loss limit
allows, :func:`prune_to_budgets` asks the other question: *for each budget B, what is the best
model of at most B parameters?* That puts the pruned models of different networks (the folds of
a cross-validation, say) on one shared axis of sizes, where they can be compared.

Each greedy move shrinks the model by about a fifth (``step``): either the cheapest units by
contribution per parameter (hidden nodes and skip blocks, their means folded into the
consumers' biases), or a whole hidden layer. Of these, the move that leaves the lowest loss on
``(X, y)`` is taken. Once a budget is met, ``tune(model)`` may
fine-tune the model in place before the path goes on from it.

>>> import torch, sparcs
>>> from sparcs.pruning import to_compact
>>> net = sparcs.SpectralNetwork([3, 8, 8, 1], bias=True, dtype=torch.float64)
>>> with torch.no_grad():
...     for lam in net.eigenvalues[:-1]: _ = lam.uniform_(0.5, 1.0)
>>> X = torch.rand(64, 3, dtype=torch.float64); y = X.sum(1, keepdim=True)
>>> path = prune_to_budgets(to_compact(net), X, y, loss="mse", budgets=[60, 20, 4])
>>> [m.num_parameters() <= b for b, m in zip([60, 20, 4], path)]
[True, True, True]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError
from ..losses import LossFn, resolve_loss
from .compact import CompactNetwork
from .graph import Graph
from .structured import SCORE_ROWS, _apply, _Unit, _units

__all__ = ["prune_to_budgets"]


class _Path:
    """The greedy path in progress: the current graph and its loss on ``(X, y)``."""

    def __init__(self, model: CompactNetwork, X: Tensor, y: Tensor, loss_fn: LossFn,
                 step: float) -> None:
        self.X, self.y, self.loss_fn, self.step = X, y, loss_fn, step
        self.base = model
        self.reset(model)

    def reset(self, model: CompactNetwork) -> None:
        self.graph = Graph.of(model)
        self.loss = self.evaluate(self.graph)

    def evaluate(self, graph: Graph) -> float:
        return graph.loss(self.X, self.y, self.loss_fn)

    def moves(self, target: int) -> list[Graph]:
        """The candidate graphs of one step: the fewest cheapest units that reach ``target``
        parameters, and each hidden layer removed whole."""
        outs = self.graph.forward(self.X[:SCORE_ROWS])
        units = [u for u in _units(self.graph, outs, True) if u.kind != "input"]
        if not units:
            return []
        lo, hi = 1, len(units)
        while lo < hi:  # the fewest units whose removal reaches the target
            mid = (lo + hi) // 2
            if _apply(self.graph, units[:mid], True).parameters() <= target:
                hi = mid
            else:
                lo = mid + 1
        moves = [_apply(self.graph, units[:lo], True)]
        for lay in self.graph.layers[:-1]:
            mean = outs[lay.index].mean(0)
            moves.append(_apply(self.graph, [_Unit("node", lay.index, j, mean[j], 0.0)
                                             for j in range(lay.nodes.numel())], True))
        return moves

    def shrink_to(self, budget: int) -> None:
        """Take greedy steps until the model has at most ``budget`` parameters (or only its
        linear part is left)."""
        while self.graph.parameters() > budget:
            size = self.graph.parameters()
            best: tuple[float, Graph] | None = None
            for graph in self.moves(max(budget, int(size * self.step))):
                if graph.parameters() >= size:
                    continue
                loss = self.evaluate(graph)
                if best is None or loss < best[0]:
                    best = (loss, graph)
            if best is None:
                return
            self.loss, self.graph = best


@torch.no_grad()
def _shrink(path: _Path, budget: int) -> CompactNetwork:
    path.shrink_to(budget)
    return path.graph.assemble(path.base)


def prune_to_budgets(
    model: CompactNetwork,
    X: Tensor,
    y: Tensor,
    *,
    loss: str | LossFn,
    budgets: Sequence[int],
    tune: Callable[[CompactNetwork], Any] | None = None,
    step: float = 0.8,
) -> list[CompactNetwork]:
    """One compact model per budget (in the order of ``budgets``, which must decrease), each
    the greedy path's model of at most that many parameters, judged by ``loss`` on ``(X, y)``.
    Input features are never removed, so a budget below the linear model's size gives the
    linear model. ``tune(model)`` fine-tunes each model in place before the path continues from
    it. ``model`` itself is not changed."""
    budgets = [int(b) for b in budgets]
    if any(b < 1 for b in budgets) or any(a <= b for a, b in itertools.pairwise(budgets)):
        raise ConfigError(f"budgets must be positive and decreasing, got {budgets}")
    if not 0 < step < 1:
        raise ConfigError(f"step must be in (0, 1), got {step}")
    X = X.to(model.layers[0].weight.dtype)
    path = _Path(model, X, y, resolve_loss(loss), step)
    out = []
    for budget in budgets:
        pruned = _shrink(path, budget)
        if tune is not None:
            tune(pruned)
            path.reset(pruned)
        out.append(pruned)
    return out
