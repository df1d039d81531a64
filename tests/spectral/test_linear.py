"""SpectralLinear: the two-layer spectral layer as an nn.Linear drop-in."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck

from sparcs import ShapeError, SpectralLinear, SpectralNetwork


def test_weight_is_the_two_layer_block():
    layer = SpectralLinear(4, 3, bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.in_eigenvalues.normal_()
        layer.out_eigenvalues.normal_()
    net = SpectralNetwork(
        [4, 3],
        dtype=torch.float64,
        eigenvalue_init=[layer.in_eigenvalues.detach(), layer.out_eigenvalues.detach()],
    )
    with torch.no_grad():
        net.eigenvectors[0].copy_(layer.eigenvectors)
    torch.testing.assert_close(layer.weight, net.blocks()[(1, 0)], rtol=0, atol=1e-14)
    x = torch.randn(5, 4, dtype=torch.float64)
    torch.testing.assert_close(layer(x), net(x), rtol=0, atol=1e-14)


def test_default_start_is_weight_equal_eigenvectors():
    layer = SpectralLinear(6, 2)
    torch.testing.assert_close(layer.weight, layer.eigenvectors)


def test_drop_in_for_linear_in_sequential_learns():
    torch.manual_seed(0)
    x = torch.randn(256, 3)
    y = torch.sin(2 * x[:, :1]) * x[:, 1:2]
    model = torch.nn.Sequential(SpectralLinear(3, 32), torch.nn.Tanh(), SpectralLinear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(300):
        loss = torch.nn.functional.mse_loss(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


def test_gradcheck_and_errors():
    layer = SpectralLinear(3, 2, dtype=torch.float64)
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(layer, (x,))
    with pytest.raises(ShapeError):
        layer(torch.randn(4, 5, dtype=torch.float64))
