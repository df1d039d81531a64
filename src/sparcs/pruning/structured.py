"""Structured pruning of a compact model: remove hidden nodes, input features, skip blocks and
whole layers by their measured contribution, within a validation-loss limit.

Eigenvalue thresholding can only kill layers from the bottom (a node's skip blocks stay non-zero
whatever its own eigenvalue is), so a trained network usually keeps every later layer at full
width. This stage works on the exported :class:`~sparcs.CompactNetwork` instead, where every
node and block is an independent piece that can be dropped.

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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from ..errors import ConfigError
from ..losses import LossFn, resolve_loss
from ..spectral.activations import ACTIVATIONS
from .architecture import Architecture
from .compact import CompactNetwork
from .size import dense_parameters, mlp_parameters

__all__ = ["StructuredResult", "mlp_parameters", "prune_in_rounds", "structured_prune"]


@dataclass
class _Layer:
    index: int  # the layer's index in the spectral network (0 = input)
    nodes: Tensor  # indices of its remaining nodes in that layer
    blocks: dict[int, Tensor]  # source layer index -> weight (out, in_source); 0 = input
    bias: Tensor | None


@dataclass
class _Net:
    config: dict
    inputs: Tensor  # used input features (indices into the full input)
    layers: list[_Layer]  # hidden layers in order, the output layer last

    def width(self, index: int) -> int:
        if index == 0:
            return int(self.inputs.numel())
        return int(next(lay for lay in self.layers if lay.index == index).nodes.numel())

    def parameters(self) -> int:
        return sum(dense_parameters(lay.blocks.values(), lay.bias) for lay in self.layers)

    def copy(self) -> _Net:
        """A copy that pruning may change: weight blocks are only ever replaced, never written
        into, so they are shared; the biases, which folding adds to in place, are cloned.
        (copy.deepcopy took most of structured pruning's time.)"""
        return _Net(self.config, self.inputs, [
            _Layer(lay.index, lay.nodes, dict(lay.blocks),
                   None if lay.bias is None else lay.bias.clone()) for lay in self.layers])


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


def _decompose(model: CompactNetwork) -> _Net:
    cfg = model.config
    widths = {0: len(cfg["input_index"])}
    arch = model.architecture
    layers = []
    for spec, module in zip(cfg["layers"], model.layers, strict=True):
        index, width = int(spec["layer"]), int(spec["width"])
        if arch is not None and index < len(arch.live_nodes):
            nodes = torch.nonzero(arch.live_nodes[index]).flatten()
            nodes = nodes if nodes.numel() == width else torch.arange(width)
        else:
            nodes = torch.arange(width)
        blocks, start = {}, 0
        weight = module.weight.detach()
        for s in spec["sources"]:
            blocks[int(s)] = weight[:, start : start + widths[int(s)]].clone()
            start += widths[int(s)]
        bias = module.bias.detach().clone() if module.bias is not None else None
        layers.append(_Layer(index, nodes, blocks, bias))
        widths[index] = width
    inputs = torch.tensor(cfg["input_index"], dtype=torch.long)
    return _Net(dict(cfg), inputs, layers)


@torch.no_grad()
def _assemble(net: _Net, base: CompactNetwork) -> CompactNetwork:
    cfg = dict(net.config)
    cfg["input_index"] = net.inputs.tolist()
    cfg["layers"] = [
        {"layer": lay.index, "width": int(lay.nodes.numel()), "sources": sorted(lay.blocks),
         "bias": lay.bias is not None}
        for lay in net.layers
    ]
    model = CompactNetwork(cfg)
    ref = base.layers[0].weight
    model = model.to(device=ref.device)
    for module, lay in zip(model.layers, net.layers, strict=True):
        if lay.blocks:
            module.weight.copy_(torch.cat([lay.blocks[s] for s in sorted(lay.blocks)], dim=1))
        if lay.bias is not None:
            module.bias.copy_(lay.bias)
    model.architecture = _architecture(net, base.architecture, model.num_parameters())
    return model


def _architecture(net: _Net, old: Architecture | None, params: int) -> Architecture | None:
    if old is None:
        return None
    live = [torch.zeros_like(mask) for mask in old.live_nodes]
    n_in = old.layer_sizes[0] - int(old.bias) if old.layer_sizes else len(live[0])
    live[0][net.inputs] = True
    if old.bias:
        live[0][n_in] = True
    for lay in net.layers:
        live[lay.index][lay.nodes] = True
    skips = [(lay.index, s, float(torch.linalg.matrix_norm(w)))
             for lay in net.layers for s, w in sorted(lay.blocks.items()) if w.numel()]
    return Architecture(
        widths=[int(m.sum()) for m in live], live_skips=skips,
        spectral_parameters=old.spectral_parameters, compact_parameters=params,
        live_nodes=live, active_eigenvalues=list(old.active_eigenvalues),
        threshold=old.threshold, layer_sizes=list(old.layer_sizes),
        used_inputs=int(net.inputs.numel()), bias=old.bias,
    )


def _forward(net: _Net, X: Tensor) -> dict[int, Tensor]:
    """Every layer's output (post-activation; the output layer's logits) keyed by index."""
    outs = {0: X.index_select(1, net.inputs.to(X.device))}
    activation = net.config["activation"]
    for k, lay in enumerate(net.layers):
        pre = torch.zeros(X.shape[0], lay.nodes.numel(), dtype=X.dtype, device=X.device)
        for s, w in lay.blocks.items():
            pre = pre + F.linear(outs[s], w)
        if lay.bias is not None:
            pre = pre + lay.bias
        outs[lay.index] = pre if k == len(net.layers) - 1 else ACTIVATIONS[activation](pre)
    return outs


def _consumers(net: _Net, index: int) -> list[_Layer]:
    return [lay for lay in net.layers if index in lay.blocks]


def _remove_nodes(net: _Net, index: int, drop: Tensor, values: Tensor, fold: bool) -> None:
    """Remove the nodes at positions ``drop`` of layer ``index``, folding ``values`` (their
    replacement constants) into the consumers' biases where ``fold``."""
    width = net.width(index)
    keep = torch.ones(width, dtype=torch.bool)
    keep[drop] = False
    for lay in _consumers(net, index):
        w = lay.blocks[index]
        if fold and lay.bias is not None:
            lay.bias += w[:, ~keep] @ values[~keep].to(w)
        lay.blocks[index] = w[:, keep]
    if index == 0:
        net.inputs = net.inputs[keep]
        return
    own = next(lay for lay in net.layers if lay.index == index)
    own.nodes = own.nodes[keep]
    own.blocks = {s: w[keep] for s, w in own.blocks.items()}
    if own.bias is not None:
        own.bias = own.bias[keep]


def _remove_block(net: _Net, target: int, source: int, values: Tensor, fold: bool) -> None:
    lay = next(lay for lay in net.layers if lay.index == target)
    w = lay.blocks.pop(source)
    if fold and lay.bias is not None:
        lay.bias += w @ values.to(w)


@torch.no_grad()
def _tidy(net: _Net, fold: bool) -> None:
    """Drop what no longer matters: empty blocks, layers nobody reads, and (with ``fold``)
    layers with no input, whose output is the constant f(b), folded exactly into their
    consumers' biases."""
    activation = net.config["activation"]

    def signature() -> tuple[int, int, int]:
        return net.parameters(), len(net.layers), int(net.inputs.numel())

    before = None
    while before != signature():
        before = signature()
        for lay in net.layers:
            for s in [s for s, w in lay.blocks.items() if w.numel() == 0]:
                del lay.blocks[s]
        for lay in net.layers[:-1]:
            if fold and lay.nodes.numel() and not lay.blocks:
                bias = lay.bias if lay.bias is not None else torch.zeros(lay.nodes.numel())
                const = ACTIVATIONS[activation](bias[None])[0]
                for target in _consumers(net, lay.index):
                    _remove_block(net, target.index, lay.index, const, True)
            if not lay.nodes.numel() or not _consumers(net, lay.index):
                for target in _consumers(net, lay.index):
                    del target.blocks[lay.index]
                lay.nodes, lay.blocks, lay.bias = lay.nodes[:0], {}, None
        net.layers = [lay for lay in net.layers[:-1] if lay.nodes.numel()] + net.layers[-1:]
        if net.inputs.numel() and not _consumers(net, 0):
            net.inputs = net.inputs[:0]


@dataclass
class _Unit:
    kind: str  # "node", "input" or "block"
    layer: int  # the node's layer, or the block's target
    position: int  # node position, or the block's source layer
    value: Tensor  # replacement constant(s) folded into biases
    score: float
    key: tuple = ()  # stable identity across removals: (kind, layer, original node or source)


def _units(net: _Net, outs: dict[int, Tensor], fold: bool) -> list[_Unit]:
    """Every removable unit, cheapest first: its contribution per parameter it costs.

    A unit's contribution is the root-mean-square norm of what it adds to its consumers'
    pre-activations on the validation rows; with ``fold`` the mean is subtracted where the
    consumer has a bias to absorb it.
    """
    units = []
    for index, h in outs.items():
        consumers = _consumers(net, index)
        if index == net.layers[-1].index or not consumers:
            continue
        mean = h.mean(0)
        centred = h - mean
        contrib2 = torch.zeros_like(mean)
        cost = torch.zeros_like(mean)
        if index:
            own = next(lay for lay in net.layers if lay.index == index)
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
        ids = net.inputs if index == 0 else next(
            lay for lay in net.layers if lay.index == index).nodes
        for j in range(mean.numel()):
            value = mean[j] if fold else torch.zeros_like(mean[j])
            units.append(_Unit(kind, index, j, value, float(contrib[j]),
                               (kind, index, int(ids[j]))))
    units.sort(key=lambda u: u.score)
    return units


def _apply(net: _Net, units: list[_Unit], fold: bool) -> _Net:
    out = net.copy()
    for u in units:
        if u.kind == "block" and any(
            lay.index == u.layer and u.position in lay.blocks for lay in out.layers
        ):
            _remove_block(out, u.layer, u.position, u.value, fold)
    by_layer: dict[int, list[_Unit]] = {}
    for u in units:
        if u.kind != "block":
            by_layer.setdefault(u.layer, []).append(u)
    for index, group in by_layer.items():
        drop = torch.tensor([u.position for u in group], dtype=torch.long)
        values = torch.zeros(out.width(index), dtype=group[0].value.dtype)
        values[drop] = torch.stack([u.value.cpu() for u in group])
        _remove_nodes(out, index, drop, values, fold)
    _tidy(out, fold)
    return out


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
    ``model`` itself is not changed.
    """
    if not math.isfinite(limit):
        raise ConfigError(f"limit must be a finite loss value, got {limit}")
    loss_fn = resolve_loss(loss)
    net = _decompose(model)
    start_params = net.parameters()

    def evaluate(candidate: _Net) -> float:
        pred = _forward(candidate, X.to(model.layers[0].weight.dtype))[candidate.layers[-1].index]
        return float(loss_fn(pred, y))

    base = evaluate(net)
    current, current_loss = net, base
    steps: list[dict] = []

    def accept(kind: str, candidate: _Net, value: float, n: int) -> None:
        nonlocal current, current_loss
        current, current_loss = candidate, value
        steps.append({"move": kind, "units": n, "parameters": candidate.parameters(),
                      "loss": value})

    def layer_moves() -> None:
        while len(current.layers) > 1:
            outs = _forward(current, X)
            best = None
            for lay in current.layers[:-1]:
                value = outs[lay.index].mean(0) if fold_means else outs[lay.index][0] * 0
                units = [_Unit("node", lay.index, j, value[j], 0.0)
                         for j in range(lay.nodes.numel())]
                cand = _apply(current, units, fold_means)
                cand_loss = evaluate(cand)
                smaller = best is None or cand.parameters() < best[0].parameters()
                if cand_loss <= limit and smaller:
                    best = (cand, cand_loss, len(units))
            if best is None:
                return
            accept("layer", *best)

    protected: set[tuple] = set()

    def unit_rounds(budget: int | None) -> None:
        for _ in range(rounds):
            units = [u for u in _units(current, _forward(current, X), fold_means)
                     if (prune_inputs or u.kind != "input") and u.key not in protected]
            if not units:
                return
            if budget is not None:  # the fewest cheapest units that meet the budget
                k = next((k for k in range(1, len(units) + 1)
                          if _apply(current, units[:k], fold_means).parameters() <= budget),
                         len(units))
                cand = _apply(current, units[:k], fold_means)
                accept("budget", cand, evaluate(cand), k)
                return
            lo, hi, found = 0, len(units), None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                cand = _apply(current, units[:mid], fold_means)
                cand_loss = evaluate(cand)
                if cand_loss <= limit:
                    lo, found = mid, (cand, cand_loss)
                else:
                    hi = mid - 1
            if lo < len(units):
                # The first unit that broke the limit stays; later rounds look past it, so one
                # indispensable unit (a large skip block, say) cannot shield all the rest.
                protected.add(units[lo].key)
            if found is not None:
                accept("units", found[0], found[1], lo)

    if current_loss <= limit:
        layer_moves()
        unit_rounds(None)
        layer_moves()
    if max_parameters is not None and current.parameters() > max_parameters:
        unit_rounds(max_parameters)
    removed = {
        "parameters": start_params - current.parameters(),
        "hidden_nodes": sum(lay.nodes.numel() for lay in net.layers[:-1])
        - sum(lay.nodes.numel() for lay in current.layers[:-1]),
        "inputs": int(net.inputs.numel() - current.inputs.numel()),
        "layers": len(net.layers) - len(current.layers),
    }
    return StructuredResult(
        compact=_assemble(current, model), base_loss=base, loss=current_loss, limit=float(limit),
        removed=removed, steps=steps,
    )


def prune_in_rounds(
    candidates: Sequence[CompactNetwork],
    X_val: Tensor,
    y_val: Tensor,
    *,
    loss: str | LossFn,
    limit: float,
    tune: Callable[[CompactNetwork], Any] | None = None,
    rounds: int = 3,
    max_parameters: int | None = None,
) -> CompactNetwork:
    """:func:`structured_prune` of each candidate, keeping the smallest result (ties: lower
    loss); then up to ``rounds`` times: ``tune(model)`` (a short fine-tuning, in place, which
    lowers the loss below the limit again) and prune once more, while that still shrinks the
    model by at least a tenth. Candidates are typically the eigenvalue-pruned and the unpruned
    export of one trained network: which of them prunes smaller depends on the network.
    """
    if not candidates:
        raise ConfigError("prune_in_rounds needs at least one candidate model")
    results = [structured_prune(c, X_val, y_val, loss=loss, limit=limit,
                                max_parameters=max_parameters) for c in candidates]
    best = min(results, key=lambda r: (r.compact.num_parameters(), r.loss)).compact
    for _ in range(rounds if tune is not None else 0):
        size = best.num_parameters()
        tune(best)
        again = structured_prune(best, X_val, y_val, loss=loss, limit=limit,
                                 max_parameters=max_parameters).compact
        if again.num_parameters() > 0.9 * size:
            break
        best = again
    return best
