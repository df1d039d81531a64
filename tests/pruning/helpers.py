"""Shared builders and brute-force references for the pruning tests."""

from __future__ import annotations

import torch

from sparcs import SpectralNetwork
from sparcs.pruning.spectral_prune import _pruned_copy


def random_net(
    sizes: list[int],
    *,
    bias: bool = False,
    seed: int = 0,
    zero_fraction: float = 0.0,
    cut_fraction: float = 0.0,
    dead_layers: tuple[int, ...] = (),
    activation: str = "relu",
    dtype: torch.dtype = torch.float64,
) -> SpectralNetwork:
    """A net with random eigenvalues of both signs, a share of them exactly 0, and the
    eigenvalues of ``dead_layers`` all 0. ``cut_fraction`` zeros that share of the rows and of
    the columns of every φ_k, which cuts nodes off from their inputs or their outputs."""
    gen = torch.Generator().manual_seed(seed)
    net = SpectralNetwork(sizes, bias=bias, activation=activation, dtype=dtype)
    with torch.no_grad():
        for phi in net.eigenvectors:
            values = torch.randn(phi.shape, generator=gen, dtype=torch.float64)
            values[torch.rand(phi.shape[0], generator=gen) < cut_fraction] = 0.0
            values[:, torch.rand(phi.shape[1], generator=gen) < cut_fraction] = 0.0
            phi.copy_(values)
        for k, lam in enumerate(net.eigenvalues):
            values = torch.randn(lam.shape, generator=gen, dtype=torch.float64)
            if k < net.depth - 1:
                values[torch.rand(lam.shape, generator=gen) < zero_fraction] = 0.0
                if k in dead_layers:
                    values.zero_()
            lam.copy_(values)
    return net


def pruned(net: SpectralNetwork, threshold: float) -> SpectralNetwork:
    return _pruned_copy(net, threshold)


def reachability_liveness(net: SpectralNetwork, threshold: float) -> list[torch.Tensor]:
    """Liveness from the dense adjacency's non-zero pattern by transitive closure.

    A hidden node is live iff some input node reaches it and it reaches some output node
    through non-zero weights (self-loops excluded).
    """
    p = pruned(net, threshold)
    a = p.adjacency().detach()
    n = a.shape[0]
    edge = (a != 0) & ~torch.eye(n, dtype=torch.bool)  # edge[i, j]: j → i
    sizes = p.layer_sizes
    off = [0]
    for s in sizes:
        off.append(off[-1] + s)
    reach = edge.clone()
    for _ in range(len(sizes)):  # paths have at most L − 1 edges
        reach = reach | ((reach.double() @ reach.double()) > 0)
    from_input = reach[:, : off[1]].any(dim=1)
    to_output = reach[off[-2] :, :].any(dim=0)
    masks = [torch.ones(sizes[0], dtype=torch.bool)]
    for k in range(1, len(sizes) - 1):
        sl = slice(off[k], off[k + 1])
        masks.append(from_input[sl] & to_output[sl])
    masks.append(torch.ones(sizes[-1], dtype=torch.bool))
    return masks
