"""A compact model as a graph of independent pieces that structured pruning can drop.

:meth:`Graph.of` takes a :class:`~sparcs.CompactNetwork` apart into per-layer weight blocks
(one per source layer), :meth:`Graph.remove_nodes`, :meth:`Graph.remove_block` and
:meth:`Graph.tidy` drop pieces (optionally folding a removed piece's constant output into its
consumers' biases), and :meth:`Graph.assemble` builds the smaller compact model again.

>>> import torch, sparcs
>>> from sparcs.pruning import to_compact
>>> model = to_compact(sparcs.SpectralNetwork([3, 4, 2], bias=True, dtype=torch.float64))
>>> graph = Graph.of(model)
>>> graph.parameters() == model.num_parameters()
True
>>> X = torch.rand(5, 3, dtype=torch.float64)
>>> torch.allclose(graph.forward(X)[graph.layers[-1].index], model(X))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn import functional as F

from ..losses import EVAL_CHUNK
from ..spectral.activations import ACTIVATIONS
from .architecture import Architecture
from .compact import CompactNetwork
from .size import dense_parameters

__all__ = ["Graph", "GraphLayer"]


@dataclass
class GraphLayer:
    """One layer of a :class:`Graph`: its kept nodes, weight blocks by source, and bias."""

    index: int  # the layer's index in the spectral network (0 = input)
    nodes: Tensor  # indices of its remaining nodes in that layer
    blocks: dict[int, Tensor]  # source layer index -> weight (out, in_source); 0 = input
    bias: Tensor | None


@dataclass
class Graph:
    """A compact model taken apart: the used input features and the layers, output last."""

    config: dict
    inputs: Tensor  # used input features (indices into the full input)
    layers: list[GraphLayer]  # hidden layers in order, the output layer last

    @classmethod
    def of(cls, model: CompactNetwork) -> Graph:
        """The graph of ``model`` (copies of its weights; node indices from its architecture)."""
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
            layers.append(GraphLayer(index, nodes, blocks, bias))
            widths[index] = width
        inputs = torch.tensor(cfg["input_index"], dtype=torch.long)
        return cls(dict(cfg), inputs, layers)

    def layer(self, index: int) -> GraphLayer:
        """The layer with spectral index ``index`` (not the input)."""
        return next(lay for lay in self.layers if lay.index == index)

    def width(self, index: int) -> int:
        if index == 0:
            return int(self.inputs.numel())
        return int(self.layer(index).nodes.numel())

    def consumers(self, index: int) -> list[GraphLayer]:
        """The layers that read layer ``index``."""
        return [lay for lay in self.layers if index in lay.blocks]

    def parameters(self) -> int:
        return sum(dense_parameters(lay.blocks.values(), lay.bias) for lay in self.layers)

    def copy(self) -> Graph:
        """A copy that pruning may change: weight blocks are only ever replaced, never written
        into, so they are shared; the biases, which folding adds to in place, are cloned.
        (copy.deepcopy took most of structured pruning's time.)"""
        return Graph(self.config, self.inputs, [
            GraphLayer(lay.index, lay.nodes, dict(lay.blocks),
                       None if lay.bias is None else lay.bias.clone()) for lay in self.layers])

    def forward(self, X: Tensor) -> dict[int, Tensor]:
        """Every layer's output (post-activation; the output layer's logits) keyed by index."""
        outs = {0: X.index_select(1, self.inputs.to(X.device))}
        activation = self.config["activation"]
        for k, lay in enumerate(self.layers):
            pre = torch.zeros(X.shape[0], lay.nodes.numel(), dtype=X.dtype, device=X.device)
            for s, w in lay.blocks.items():
                pre = pre + F.linear(outs[s], w)
            if lay.bias is not None:
                pre = pre + lay.bias
            outs[lay.index] = pre if k == len(self.layers) - 1 else ACTIVATIONS[activation](pre)
        return outs

    @torch.no_grad()
    def loss(self, X: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor]) -> float:
        """The row-weighted mean of ``loss_fn`` over ``(X, y)``, in chunks of rows (bounded
        memory however many rows judge a pruning)."""
        last = self.layers[-1].index
        total = 0.0
        for i in range(0, X.shape[0], EVAL_CHUNK):
            xb = X[i : i + EVAL_CHUNK]
            total += float(loss_fn(self.forward(xb)[last], y[i : i + EVAL_CHUNK])) * len(xb)
        return total / X.shape[0]

    def remove_nodes(self, index: int, drop: Tensor, values: Tensor, fold: bool) -> None:
        """Remove the nodes at positions ``drop`` of layer ``index``, folding ``values`` (their
        replacement constants) into the consumers' biases where ``fold``."""
        keep = torch.ones(self.width(index), dtype=torch.bool)
        keep[drop] = False
        for lay in self.consumers(index):
            w = lay.blocks[index]
            if fold and lay.bias is not None:
                lay.bias += w[:, ~keep] @ values[~keep].to(w)
            lay.blocks[index] = w[:, keep]
        if index == 0:
            self.inputs = self.inputs[keep]
            return
        own = self.layer(index)
        own.nodes = own.nodes[keep]
        own.blocks = {s: w[keep] for s, w in own.blocks.items()}
        if own.bias is not None:
            own.bias = own.bias[keep]

    def remove_block(self, target: int, source: int, values: Tensor, fold: bool) -> None:
        """Remove the block W_{target←source}, folding it applied to ``values`` (the source's
        replacement constants) into the target's bias where ``fold``."""
        lay = self.layer(target)
        w = lay.blocks.pop(source)
        if fold and lay.bias is not None:
            lay.bias += w @ values.to(w)

    def _signature(self) -> tuple[int, int, int]:
        return self.parameters(), len(self.layers), int(self.inputs.numel())

    @torch.no_grad()
    def tidy(self, fold: bool) -> None:
        """Drop what no longer matters: empty blocks, layers nobody reads, and (with ``fold``)
        layers with no input, whose output is the constant f(b), folded exactly into their
        consumers' biases."""
        activation = self.config["activation"]
        before = None
        while before != self._signature():
            before = self._signature()
            for lay in self.layers:
                for s in [s for s, w in lay.blocks.items() if w.numel() == 0]:
                    del lay.blocks[s]
            for lay in self.layers[:-1]:
                if fold and lay.nodes.numel() and not lay.blocks:
                    bias = lay.bias if lay.bias is not None else torch.zeros(lay.nodes.numel())
                    const = ACTIVATIONS[activation](bias[None])[0]
                    for target in self.consumers(lay.index):
                        self.remove_block(target.index, lay.index, const, True)
                if not lay.nodes.numel() or not self.consumers(lay.index):
                    for target in self.consumers(lay.index):
                        del target.blocks[lay.index]
                    lay.nodes, lay.blocks, lay.bias = lay.nodes[:0], {}, None
            self.layers = [lay for lay in self.layers[:-1] if lay.nodes.numel()] + self.layers[-1:]
            if self.inputs.numel() and not self.consumers(0):
                self.inputs = self.inputs[:0]

    @torch.no_grad()
    def assemble(self, base: CompactNetwork) -> CompactNetwork:
        """The compact model of this graph, on ``base``'s device, with its architecture read
        out against ``base``'s (which this graph was pruned from)."""
        cfg = dict(self.config)
        cfg["input_index"] = self.inputs.tolist()
        cfg["layers"] = [
            {"layer": lay.index, "width": int(lay.nodes.numel()), "sources": sorted(lay.blocks),
             "bias": lay.bias is not None}
            for lay in self.layers
        ]
        model = CompactNetwork(cfg)
        ref = base.layers[0].weight
        model = model.to(device=ref.device)
        for module, lay in zip(model.layers, self.layers, strict=True):
            if lay.blocks:
                module.weight.copy_(torch.cat([lay.blocks[s] for s in sorted(lay.blocks)], dim=1))
            if lay.bias is not None:
                module.bias.copy_(lay.bias)
        model.architecture = _architecture(self, base.architecture, model.num_parameters())
        return model


def _architecture(graph: Graph, old: Architecture | None, params: int) -> Architecture | None:
    if old is None:
        return None
    live = [torch.zeros_like(mask) for mask in old.live_nodes]
    n_in = old.layer_sizes[0] - int(old.bias) if old.layer_sizes else len(live[0])
    live[0][graph.inputs] = True
    if old.bias:
        live[0][n_in] = True
    for lay in graph.layers:
        live[lay.index][lay.nodes] = True
    skips = [(lay.index, s, float(torch.linalg.matrix_norm(w)))
             for lay in graph.layers for s, w in sorted(lay.blocks.items()) if w.numel()]
    return Architecture(
        widths=[int(m.sum()) for m in live], live_skips=skips,
        spectral_parameters=old.spectral_parameters, compact_parameters=params,
        live_nodes=live, active_eigenvalues=list(old.active_eigenvalues),
        threshold=old.threshold, layer_sizes=list(old.layer_sizes),
        used_inputs=int(graph.inputs.numel()), bias=old.bias,
    )
