"""The path tensor Γ and its squared norm."""

from __future__ import annotations

import math

import pytest
import torch

from sparcs import ConfigError, SpectralNetwork
from sparcs.pruning import path_strength, path_tensor
from sparcs.pruning.paths import path_strength_from

from ..spectral.brute import dense_adjacency, offsets
from .helpers import random_net


def _brute_gamma(net: SpectralNetwork, layer: int) -> torch.Tensor:
    """Γ from blocks sliced out of the numerically inverted dense adjacency, by explicit loops."""
    a = dense_adjacency(net)
    off = offsets(net.layer_sizes)
    last = net.depth - 1
    w_out = a[off[last] : off[last + 1], off[layer] : off[layer + 1]]
    w_in = a[off[layer] : off[layer + 1], off[0] : off[1]]
    gamma = torch.zeros(w_out.shape[0], w_out.shape[1], w_in.shape[1], dtype=torch.float64)
    for i in range(gamma.shape[0]):
        for j in range(gamma.shape[1]):
            for k in range(gamma.shape[2]):
                gamma[i, j, k] = w_out[i, j] * w_in[j, k]
    return gamma


@pytest.mark.parametrize(("sizes", "bias"), [([2, 4, 1], True), ([3, 4, 3, 2], False),
                                             ([2, 3, 4, 3, 2], True)])
def test_path_strength_equals_brute_force(sizes, bias) -> None:
    net = random_net(sizes, bias=bias, zero_fraction=0.2, seed=sum(sizes))
    strength = path_strength(net)
    assert sorted(strength) == list(range(1, len(sizes) - 1))
    for layer, value in strength.items():
        gamma = _brute_gamma(net, layer)
        assert torch.allclose(path_tensor(net, layer), gamma, rtol=1e-9, atol=1e-12)
        assert math.isclose(value, float((gamma**2).sum()), rel_tol=1e-9)


def test_perceptron_start_has_zero_path_strength() -> None:
    net = SpectralNetwork([2, 5, 1], bias=True, dtype=torch.float64)
    assert path_strength(net) == {1: 0.0}


def test_path_strength_from_broadcasts_over_models() -> None:
    nets = [random_net([3, 4, 4, 2], seed=s) for s in range(3)]
    vecs = [torch.stack([n.eigenvectors[k].detach() for n in nets]) for k in range(3)]
    lams = [torch.stack([n.eigenvalues[k].detach() for n in nets]) for k in range(4)]
    batched = path_strength_from(vecs, lams)
    assert batched.shape == (3, 2)
    for m, net in enumerate(nets):
        expected = torch.tensor(list(path_strength(net).values()), dtype=torch.float64)
        assert torch.allclose(batched[m], expected, rtol=1e-12)


def test_bad_layer() -> None:
    net = random_net([2, 3, 1])
    for layer in (0, 2, -1):
        with pytest.raises(ConfigError, match="hidden layers"):
            path_tensor(net, layer)
    assert path_strength(random_net([2, 1])) == {}
