"""The path tensor Γ: how strongly input k reaches output i through node j of a hidden layer.

Γ^{(l)}_{ijk} = W_{L−1←l}[i, j] · W_{l←0}[j, k] (no sum; docs/math.md §7). Its squared norm
factorizes, ‖Γ^{(l)}‖² = Σ_j (Σ_i W_{L−1←l}[i, j]²)(Σ_k W_{l←0}[j, k]²), so the strength never
needs the 3-tensor and batches over stacked models.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..errors import ConfigError
from ..spectral import functional as SF
from ..spectral.network import SpectralNetwork

__all__ = ["path_strength", "path_strength_from", "path_tensor"]


def _check_hidden(net: SpectralNetwork, layer: int) -> int:
    hidden = list(range(1, net.depth - 1))
    if isinstance(layer, bool) or not isinstance(layer, int) or layer not in hidden:
        have = hidden or "(none: the net has no hidden layer)"
        raise ConfigError(f"path tensors exist for hidden layers {have}, got layer={layer!r}")
    return layer


@torch.no_grad()
def path_tensor(net: SpectralNetwork, layer: int) -> Tensor:
    """Γ^{(layer)} of shape ``(n_{L−1}, n_layer, n_0)``; n_0 includes the bias node.

    >>> import sparcs
    >>> path_tensor(sparcs.SpectralNetwork([2, 4, 1]), 1).shape
    torch.Size([1, 4, 2])
    """
    layer = _check_hidden(net, layer)
    blocks = net.blocks()
    w_out, w_in = blocks[(net.depth - 1, layer)], blocks[(layer, 0)]
    return w_out.unsqueeze(-1) * w_in.unsqueeze(0)


def path_strength_from(eigenvectors: Sequence[Tensor], eigenvalues: Sequence[Tensor]) -> Tensor:
    """‖Γ^{(l)}‖² for l = 1 … L−2, shape ``(..., L−2)``; broadcasts over leading model dims.

    Differentiable; the caller decides about ``torch.no_grad``.
    """
    depth = len(eigenvalues)
    if depth < 3:
        raise ConfigError(f"path strength needs a hidden layer; the net has {depth} layers")
    blocks = SF.weight_blocks(eigenvectors, eigenvalues)
    out = []
    for layer in range(1, depth - 1):
        fan_out = blocks[(depth - 1, layer)].square().sum(dim=-2)
        fan_in = blocks[(layer, 0)].square().sum(dim=-1)
        out.append((fan_out * fan_in).sum(dim=-1))
    return torch.stack(out, dim=-1)


@torch.no_grad()
def path_strength(net: SpectralNetwork) -> dict[int, float]:
    """``{l: ‖Γ^{(l)}‖²}`` for every hidden layer l of ``net`` (empty without hidden layers)."""
    if net.depth < 3:
        return {}
    values = path_strength_from(
        [phi.detach() for phi in net.eigenvectors], [lam.detach() for lam in net.eigenvalues]
    )
    return {layer: float(values[layer - 1]) for layer in range(1, net.depth - 1)}
