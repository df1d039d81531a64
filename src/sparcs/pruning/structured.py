"""Structured pruning of a compact model: remove hidden nodes, input features, skip blocks and
whole layers by their measured contribution, within a validation-loss limit.

Eigenvalue thresholding can only kill layers from the bottom (a node's skip blocks stay non-zero
whatever its own eigenvalue is), so a trained network usually keeps every later layer at full
width. This stage works on the exported :class:`~sparcs.CompactNetwork` instead, where every
node and block is an independent piece that can be dropped (its graph: :mod:`.graph`).

Each *unit* (a hidden node, an input feature, or a skip block W_{q←p}) gets a contribution
score on validation data: the root-mean-square size of what it adds to its consumers'
pre-activations, with its mean folded into the consumers' biases (a removed node is replaced by
its mean value, so only its variation is lost). Units are sorted by contribution per parameter
they cost and the longest prefix whose removal keeps the validation loss within ``limit`` is
found by bisection; this repeats with fresh scores until nothing more goes. Removing a whole
hidden layer is tried as a move of its own, so one weak node never keeps a layer alive.

>>> import torch, sparcs
>>> from sparcs.pruning import to_compact
>>> from sparcs.pruning.structured import structured_prune
>>> net = sparcs.SpectralNetwork([3, 8, 1], bias=True, dtype=torch.float64)
>>> X = torch.rand(64, 3, dtype=torch.float64); y = X.sum(1, keepdim=True)
>>> result = structured_prune(to_compact(net), X, y, loss="mse", limit=1.0)
>>> result.compact.num_parameters() <= to_compact(net).num_parameters()
True
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError
from ..losses import LossFn, resolve_loss
from .compact import CompactNetwork
from .graph import Graph
from .rule import DEFAULT_RULE, PruningRule
from .size import mlp_parameters

__all__ = ["SCORE_ROWS", "PruningRule", "StructuredResult", "mlp_parameters", "prune_in_rounds",
           "structured_prune"]

# Unit scores and the means folded into biases are root-mean-square and mean statistics: this
# many rows estimate them well, and bound the memory of the activations they need.
SCORE_ROWS = 16384


@dataclass
class StructuredResult:
    """The outcome of :func:`structured_prune`.

    ``compact`` is the pruned model, ``loss``/``base_loss`` its validation loss and that of
    the input model, ``removed`` counts the removed units by kind, and ``steps`` records each
    accepted move (kind, units removed, parameters after, validation loss).
    """

    compact: CompactNetwork
    base_loss: float
    loss: float
    limit: float
    removed: dict[str, int] = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)


@dataclass
class _Unit:
    kind: str  # "node", "input" or "block"
    layer: int  # the node's layer, or the block's target
    position: int  # node position, or the block's source layer
    value: Tensor  # replacement constant(s) folded into biases
    score: float
    key: tuple = ()  # stable identity across removals: (kind, layer, original node or source)


def _units(net: Graph, outs: dict[int, Tensor], fold: bool) -> list[_Unit]:
    """Every removable unit, cheapest first: its contribution per parameter it costs.

    A unit's contribution is the root-mean-square norm of what it adds to its consumers'
    pre-activations on the validation rows; with ``fold`` the mean is subtracted where the
    consumer has a bias to absorb it.
    """
    units = []
    for index, h in outs.items():
        consumers = net.consumers(index)
        if index == net.layers[-1].index or not consumers:
            continue
        mean = h.mean(0)
        centred = h - mean
        contrib2 = torch.zeros_like(mean)
        cost = torch.zeros_like(mean)
        if index:
            own = net.layer(index)
            cost += sum(w.shape[1] for w in own.blocks.values()) + (own.bias is not None)
        for lay in consumers:
            w = lay.blocks[index]
            signal = centred if fold and lay.bias is not None else h
            contrib2 += w.pow(2).sum(0) * signal.pow(2).mean(0)
            cost += w.shape[0]
            size = float((signal @ w.T).pow(2).sum(1).mean().sqrt())
            value = mean if fold else torch.zeros_like(mean)
            units.append(_Unit("block", lay.index, index, value, size / max(w.numel(), 1),
                               ("block", lay.index, index)))
        kind = "input" if index == 0 else "node"
        contrib = contrib2.sqrt() / cost.clamp_min(1)
        ids = net.inputs if index == 0 else net.layer(index).nodes
        for j in range(mean.numel()):
            value = mean[j] if fold else torch.zeros_like(mean[j])
            units.append(_Unit(kind, index, j, value, float(contrib[j]),
                               (kind, index, int(ids[j]))))
    units.sort(key=lambda u: u.score)
    return units


def _apply(net: Graph, units: list[_Unit], fold: bool) -> Graph:
    out = net.copy()
    for u in units:
        if u.kind == "block" and any(
            lay.index == u.layer and u.position in lay.blocks for lay in out.layers
        ):
            out.remove_block(u.layer, u.position, u.value, fold)
    by_layer: dict[int, list[_Unit]] = {}
    for u in units:
        if u.kind != "block":
            by_layer.setdefault(u.layer, []).append(u)
    for index, group in by_layer.items():
        drop = torch.tensor([u.position for u in group], dtype=torch.long)
        values = torch.zeros(out.width(index), dtype=group[0].value.dtype)
        values[drop] = torch.stack([u.value.cpu() for u in group])
        out.remove_nodes(index, drop, values, fold)
    out.tidy(fold)
    return out


class _Search:
    """One structured pruning in progress: the current graph, its loss and the accepted moves;
    the methods are the moves, each accepting only results within ``limit``."""

    def __init__(self, model: CompactNetwork, X: Tensor, y: Tensor, loss_fn: LossFn,
                 limit: float, *, fold: bool, prune_inputs: bool, rounds: int) -> None:
        self.X, self.y, self.loss_fn, self.limit = X, y, loss_fn, limit
        self.X_eval = X.to(model.layers[0].weight.dtype)
        self.fold, self.prune_inputs, self.rounds = fold, prune_inputs, rounds
        self.start = Graph.of(model)
        self.current = self.start
        self.base = self.loss = self.evaluate(self.start)
        self.steps: list[dict] = []
        # Units whose removal once broke the limit: later rounds look past them.
        self.protected: set[tuple] = set()

    def evaluate(self, graph: Graph) -> float:
        return graph.loss(self.X_eval, self.y, self.loss_fn)

    def accept(self, move: str, graph: Graph, value: float, n: int) -> None:
        self.current, self.loss = graph, value
        self.steps.append({"move": move, "units": n, "parameters": graph.parameters(),
                           "loss": value})

    def remove_layers(self) -> None:
        """Remove whole hidden layers, the one leaving the smallest model first, while one goes."""
        while len(self.current.layers) > 1:
            outs = self.current.forward(self.X[:SCORE_ROWS])
            best = None
            for lay in self.current.layers[:-1]:
                value = outs[lay.index].mean(0) if self.fold else outs[lay.index][0] * 0
                units = [_Unit("node", lay.index, j, value[j], 0.0)
                         for j in range(lay.nodes.numel())]
                cand = _apply(self.current, units, self.fold)
                cand_loss = self.evaluate(cand)
                smaller = best is None or cand.parameters() < best[0].parameters()
                if cand_loss <= self.limit and smaller:
                    best = (cand, cand_loss, len(units))
            if best is None:
                return
            self.accept("layer", *best)

    def candidates(self) -> list[_Unit]:
        """The removable units of the current graph, cheapest first, with fresh scores."""
        return [u for u in _units(self.current, self.current.forward(self.X[:SCORE_ROWS]),
                                  self.fold)
                if (self.prune_inputs or u.kind != "input") and u.key not in self.protected]

    def remove_units(self) -> None:
        """Up to ``rounds`` times: remove the longest prefix of the cheapest units within the
        limit, found by bisection."""
        for _ in range(self.rounds):
            units = self.candidates()
            if not units:
                return
            lo, hi, found = 0, len(units), None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                cand = _apply(self.current, units[:mid], self.fold)
                cand_loss = self.evaluate(cand)
                if cand_loss <= self.limit:
                    lo, found = mid, (cand, cand_loss)
                else:
                    hi = mid - 1
            if lo < len(units):
                # The first unit that broke the limit stays; later rounds look past it, so one
                # indispensable unit (a large skip block, say) cannot shield all the rest.
                self.protected.add(units[lo].key)
            if found is not None:
                self.accept("units", found[0], found[1], lo)

    def meet_budget(self, budget: int) -> None:
        """Remove the fewest cheapest units that bring the model within ``budget`` parameters,
        whatever the loss (nothing with ``rounds`` < 1)."""
        units = self.candidates() if self.rounds >= 1 else []
        if not units:
            return
        k = next((k for k in range(1, len(units) + 1)
                  if _apply(self.current, units[:k], self.fold).parameters() <= budget),
                 len(units))
        cand = _apply(self.current, units[:k], self.fold)
        self.accept("budget", cand, self.evaluate(cand), k)

    def removed(self) -> dict[str, int]:
        start, now = self.start, self.current
        return {
            "parameters": start.parameters() - now.parameters(),
            "hidden_nodes": sum(lay.nodes.numel() for lay in start.layers[:-1])
            - sum(lay.nodes.numel() for lay in now.layers[:-1]),
            "inputs": int(start.inputs.numel() - now.inputs.numel()),
            "layers": len(start.layers) - len(now.layers),
        }


@torch.no_grad()
def structured_prune(
    model: CompactNetwork,
    X: Tensor,
    y: Tensor,
    *,
    loss: str | LossFn,
    limit: float,
    max_parameters: int | None = None,
    fold_means: bool = True,
    prune_inputs: bool = False,
    rounds: int = 12,
) -> StructuredResult:
    """Remove nodes, input features, skip blocks and hidden layers of ``model`` while its loss on
    the validation data ``(X, y)`` stays at or below ``limit``.

    ``max_parameters`` is a hard budget: where the tolerated model is still larger, the least
    contributing units go regardless of the loss. ``fold_means`` replaces removed nodes by their
    mean on ``X`` (added to the consumers' biases); without it they are simply dropped, so the
    result equals the input model with those nodes' outputs and blocks set to 0. Input
    features are removed only with ``prune_inputs`` (they cost few parameters, and choosing
    them on a small validation part overfits it); the output layer's nodes never are.
    ``rounds`` bounds the rounds of fresh scores. ``model`` itself is not changed.
    """
    if not math.isfinite(limit):
        raise ConfigError(f"limit must be a finite loss value, got {limit}")
    search = _Search(model, X, y, resolve_loss(loss), limit, fold=fold_means,
                     prune_inputs=prune_inputs, rounds=rounds)
    if search.loss <= limit:
        search.remove_layers()
        search.remove_units()
        search.remove_layers()
    if max_parameters is not None and search.current.parameters() > max_parameters:
        search.meet_budget(max_parameters)
    return StructuredResult(
        compact=search.current.assemble(model), base_loss=search.base, loss=search.loss,
        limit=float(limit), removed=search.removed(), steps=search.steps,
    )


def _prune_once(model: CompactNetwork, X: Tensor, y: Tensor, loss: str | LossFn, limit: float,
                rule: PruningRule, max_parameters: int | None) -> StructuredResult:
    return structured_prune(model, X, y, loss=loss, limit=limit, max_parameters=max_parameters,
                            fold_means=rule.fold_means, prune_inputs=rule.prune_inputs,
                            rounds=rule.rescore_rounds)


def prune_in_rounds(
    candidates: Sequence[CompactNetwork],
    X_val: Tensor,
    y_val: Tensor,
    *,
    loss: str | LossFn,
    limit: float,
    tune: Callable[[CompactNetwork], Any] | None = None,
    rule: PruningRule = DEFAULT_RULE,
    max_parameters: int | None = None,
) -> CompactNetwork:
    """:func:`structured_prune` of each candidate, keeping the smallest result (ties: lower
    loss); then up to ``rule.rounds`` times: ``tune(model)`` (a short fine-tuning, in place,
    which lowers the loss below the limit again) and prune once more, while that still shrinks
    the model enough (:meth:`PruningRule.shrank`). Candidates are typically the
    eigenvalue-pruned and the unpruned export of one trained network: which of them prunes
    smaller depends on the network.

    The result is within ``limit``: a round whose fine-tuning or pruning ends outside it is
    undone. Only where ``max_parameters`` forces every candidate past the limit is the one with
    the lowest loss returned, outside it.
    """
    if not candidates:
        raise ConfigError("prune_in_rounds needs at least one candidate model")
    loss_fn = resolve_loss(loss)
    results = [_prune_once(c, X_val, y_val, loss, limit, rule, max_parameters)
               for c in candidates]
    within = [r for r in results if r.loss <= limit]
    if within:
        best = min(within, key=lambda r: (r.compact.num_parameters(), r.loss)).compact
    else:  # a budget forced every candidate past the limit: the least bad
        best = min(results, key=lambda r: (r.loss, r.compact.num_parameters())).compact
    for _ in range(rule.rounds if tune is not None and within else 0):
        size = best.num_parameters()
        kept = copy.deepcopy(best)
        tune(best)
        if _loss(best, X_val, y_val, loss_fn) > limit:
            # Fine-tuning lowers its own training loss; judged by this limit's measure it may
            # not: keep the model from before it.
            return kept
        again = _prune_once(best, X_val, y_val, loss, limit, rule, max_parameters)
        if again.loss > limit or not rule.shrank(size, again.compact.num_parameters()):
            break
        best = again.compact
    return best


@torch.no_grad()
def _loss(model: CompactNetwork, X: Tensor, y: Tensor, loss_fn: LossFn) -> float:
    model.eval()
    return float(loss_fn(model(X.to(model.layers[0].weight.dtype)), y))
