"""Brute-force reference: dense Φ, Λ, A = Φ Λ Φ⁻¹ with torch.linalg.inv, and dense forwards."""

from __future__ import annotations

import torch

from sparcs import SpectralNetwork


def offsets(sizes: list[int]) -> list[int]:
    out = [0]
    for n in sizes:
        out.append(out[-1] + n)
    return out


def dense_adjacency(net: SpectralNetwork) -> torch.Tensor:
    """A = Φ Λ Φ⁻¹ with Φ = I + M assembled densely and inverted numerically."""
    off = offsets(net.layer_sizes)
    n = off[-1]
    phi = torch.eye(n, dtype=torch.float64)
    for k, p in enumerate(net.eigenvectors):
        phi[off[k + 1] : off[k + 2], off[k] : off[k + 1]] = p.detach()
    lam = torch.diag(torch.cat([v.detach() for v in net.eigenvalues]))
    return phi @ lam @ torch.linalg.inv(phi)


def _prepend_bias(net: SpectralNetwork, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) if net.has_bias_node else x


def dense_layerwise(net: SpectralNetwork, x: torch.Tensor, act) -> torch.Tensor:
    """x_i = f_i(Σ_{j<i} A[i, j] x_j), blocks sliced from the dense A; output linear."""
    a = dense_adjacency(net)
    off = offsets(net.layer_sizes)
    xs = [_prepend_bias(net, x)]
    depth = net.depth
    for i in range(1, depth):
        pre = sum(xs[j] @ a[off[i] : off[i + 1], off[j] : off[j + 1]].T for j in range(i))
        xs.append(pre if i == depth - 1 else act(pre))
    return xs[-1]


def dense_global(net: SpectralNetwork, x: torch.Tensor, act) -> torch.Tensor:
    """z ← f(A z), L−1 times, from z = (x, 0, …, 0); f on hidden nodes only."""
    a = dense_adjacency(net)
    off = offsets(net.layer_sizes)
    x = _prepend_bias(net, x)
    z = torch.zeros(len(x), off[-1], dtype=torch.float64)
    z[:, : off[1]] = x
    hidden = slice(off[1], off[-2])
    for _ in range(net.depth - 1):
        z = z @ a.T
        z = torch.cat([z[:, : off[1]], act(z[:, hidden]), z[:, off[-2] :]], 1)
    return z[:, off[-2] :]
