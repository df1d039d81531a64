"""Direct-space networks for the baselines: plain MLPs and the maximal network with every skip.

Layer i computes x_i = f(Σ_{j∈S(i)} W_{i←j} x_j + b_i) with independent weights W_{i←j}; S(i)
is every earlier layer (``skips=True``, the direct-space benchmark) or the previous one (a plain
MLP). Hidden nodes carry a mask: a removed node outputs 0, which is the same function as the
network without it, so :func:`to_compact` exports exactly the masked network as a
:class:`~sparcs.pruning.compact.CompactNetwork`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ...errors import ConfigError
from ...pruning.compact import CompactNetwork

__all__ = ["DenseNet", "Size", "compact_size", "node_scores", "to_compact"]

# The perceptron start: blocks into or out of hidden layers start this much smaller than a
# regular initialization. Not zero: a node with zero incoming and outgoing weights gets no
# gradient and would never switch on.
HIDDEN_SCALE = 1e-2


class DenseNet(nn.Module):
    """Feed-forward ReLU network on ``sizes = [inputs, *hidden, outputs]`` (see module doc).

    ``start="default"``: every block and bias uniform in ±1/√fan-in (PyTorch's ``nn.Linear``).
    ``start="perceptron"``: the input→output block so, every block touching a hidden layer
    ``HIDDEN_SCALE`` times smaller, biases 0. A :class:`sparcs.training.Penalized` model:
    with ``group_penalty`` its :meth:`architecture_penalty`, which :func:`sparcs.training.fit`
    adds to the loss, is the :meth:`group_lasso`, else 0.
    """

    def __init__(self, sizes: list[int], *, skips: bool, start: str = "default",
                 seed: int = 0, group_penalty: bool = False) -> None:
        super().__init__()
        if start not in ("default", "perceptron"):
            raise ValueError(f"unknown start {start!r}")
        self.sizes = [int(s) for s in sizes]
        self.skips = skips
        self.group_penalty = group_penalty
        self.out_layer = len(self.sizes) - 1
        gen = torch.Generator().manual_seed(seed)
        self.blocks = nn.ParameterDict()
        self.biases = nn.ParameterList()
        for i in range(1, self.out_layer + 1):
            fan_in = sum(self.sizes[j] for j in self.sources(i))
            bound = 1 / math.sqrt(fan_in)
            for j in self.sources(i):
                scale = 1.0
                if start == "perceptron" and (i != self.out_layer or j != 0):
                    scale = HIDDEN_SCALE
                w = (torch.rand(self.sizes[i], self.sizes[j], generator=gen) * 2 - 1) * bound
                self.blocks[f"{i}_{j}"] = nn.Parameter(w * scale)
            b = (torch.rand(self.sizes[i], generator=gen) * 2 - 1) * bound
            self.biases.append(nn.Parameter(b if start == "default" else torch.zeros_like(b)))
        for i in self.hidden_layers:
            self.register_buffer(f"mask_{i}", torch.ones(self.sizes[i], dtype=torch.bool))

    @property
    def hidden_layers(self) -> range:
        return range(1, self.out_layer)

    @property
    def out_features(self) -> int:
        return self.sizes[-1]

    def sources(self, i: int) -> list[int]:
        return list(range(i)) if self.skips else [i - 1]

    def consumers(self, j: int) -> list[int]:
        return [i for i in range(j + 1, self.out_layer + 1) if j in self.sources(i)]

    def block(self, i: int, j: int) -> Tensor:
        return self.blocks[f"{i}_{j}"]

    def mask(self, i: int) -> Tensor:
        return getattr(self, f"mask_{i}")

    def forward(self, x: Tensor) -> Tensor:
        xs = [x]
        for i in range(1, self.out_layer + 1):
            z = self.biases[i - 1]
            for j in self.sources(i):
                z = z + xs[j] @ self.block(i, j).T
            if i < self.out_layer:
                z = torch.relu(z) * self.mask(i)
            xs.append(z)
        return xs[-1]

    def node_norms(self) -> list[tuple[Tensor, Tensor]]:
        """Per hidden layer, the squared norms of each node's incoming and outgoing weights."""
        out = []
        for i in self.hidden_layers:
            inc = sum(self.block(i, j).square().sum(1) for j in self.sources(i))
            outg = sum(self.block(k, i).square().sum(0) for k in self.consumers(i))
            out.append((inc, outg))
        return out

    def group_lasso(self) -> Tensor:
        """Σ over live hidden nodes of √(‖incoming‖² + ‖outgoing‖²), a scalar with gradients."""
        total = self.biases[0].new_zeros(())
        for i, (inc, outg) in zip(self.hidden_layers, self.node_norms(), strict=True):
            # The tiny shift keeps the gradient finite at an all-zero node.
            total = total + (torch.sqrt(inc + outg + 1e-12) * self.mask(i)).sum()
        return total

    def architecture_penalty(self, p: float = 2.0, layers: Iterable[int] | None = None) -> Tensor:
        """The penalty training adds (:class:`sparcs.training.Penalized`): the
        :meth:`group_lasso` with ``group_penalty``, else 0. Each node's group norm is an L2 norm
        over every hidden layer, so only ``p=2`` and ``layers=None`` apply."""
        if p != 2 or layers is not None:
            raise ConfigError(
                f"a DenseNet's group lasso takes p=2 over every hidden layer, got p={p!r}, "
                f"layers={layers!r}"
            )
        if not self.group_penalty:
            return self.biases[0].new_zeros(())
        return self.group_lasso()

    def live(self, i: int) -> Tensor:
        """Indices of the live nodes of layer ``i`` (inputs and outputs: all)."""
        if i == 0 or i == self.out_layer:
            return torch.arange(self.sizes[i])
        return torch.nonzero(self.mask(i)).flatten()


@torch.no_grad()
def node_scores(net: DenseNet) -> list[Tensor]:
    """Per hidden layer, each node's ‖incoming‖·‖outgoing‖: a ReLU node's contribution scale,
    unchanged when its input weights are scaled by a > 0 and its output weights by 1/a."""
    return [torch.sqrt(inc * outg) for inc, outg in net.node_norms()]


def _used_layers(net: DenseNet) -> set[int]:
    """Layers whose output reaches the network's output through live layers."""
    used = {0, net.out_layer}
    for i in reversed(net.hidden_layers):
        if len(net.live(i)) and any(i in net.sources(k) for k in net.consumers(i) if k in used):
            used.add(i)
    return used


@torch.no_grad()
def to_compact(net: DenseNet) -> CompactNetwork:
    """The masked network as a :class:`CompactNetwork`: live nodes only, dead layers and layers
    that no longer reach the output dropped, one dense block per remaining source."""
    used = _used_layers(net)
    layers, weights, biases = [], [], []
    for i in range(1, net.out_layer + 1):
        if i not in used:
            continue
        rows = net.live(i)
        sources = [j for j in net.sources(i) if j in used]
        parts = [net.block(i, j)[rows][:, net.live(j)] for j in sources]
        weights.append(torch.cat(parts, dim=1) if parts else torch.zeros(len(rows), 0))
        biases.append(net.biases[i - 1][rows])
        layers.append({"layer": i, "width": len(rows), "sources": sources, "bias": True})
    ref = net.biases[0]
    model = CompactNetwork({
        "in_features": net.sizes[0], "out_features": net.out_features, "activation": "relu",
        "input_index": list(range(net.sizes[0])), "layers": layers,
        "dtype": str(ref.dtype).removeprefix("torch."),
    })
    for module, w, b in zip(model.layers, weights, biases, strict=True):
        module.weight.copy_(w)
        module.bias.copy_(b)
    return model.to(ref.device)


@dataclass
class Size:
    """A model's size: stored weights and biases, floating-point operations per sample
    (2 per weight: multiply and add; 1 per bias), live width of each hidden layer of the
    maximal network (0: removed), and blocks beyond a plain chain (skip connections)."""

    parameters: int
    flops: int
    hidden_widths: list[int]
    skip_blocks: int


def compact_size(model: CompactNetwork, n_hidden: int) -> Size:
    """The :class:`Size` of a compact model whose maximal network had ``n_hidden`` layers
    (a shallower plain MLP counts its missing layers as width 0)."""
    layers = model.config["layers"]
    widths = {int(layer["layer"]): int(layer["width"]) for layer in layers[:-1]}  # not output
    flops = sum(2 * m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
                for m in model.layers)
    skips = sum(max(len(layer["sources"]) - 1, 0) for layer in layers)
    return Size(
        parameters=int(model.num_parameters()), flops=int(flops),
        hidden_widths=[widths.get(k, 0) for k in range(1, n_hidden + 1)], skip_blocks=int(skips),
    )
