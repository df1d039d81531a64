"""The spectral formulas against a brute-force Φ Λ Φ⁻¹, in float64, over random sizes and depths."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from sparcs import SpectralNetwork

from .brute import dense_adjacency, dense_global, dense_layerwise, offsets

TOL = 1e-10

nets = st.builds(
    lambda sizes, bias, seed, act: (sizes, bias, seed, act),
    st.lists(st.integers(1, 7), min_size=2, max_size=6),
    st.booleans(),
    st.integers(0, 2**31 - 1),
    st.sampled_from(["relu", "tanh", "identity"]),
)


def random_net(sizes, bias, seed, act, rule="layerwise") -> SpectralNetwork:
    gen = torch.Generator().manual_seed(seed)
    net = SpectralNetwork(sizes, bias=bias, activation=act, rule=rule, dtype=torch.float64)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.copy_(torch.randn(lam.shape, generator=gen, dtype=torch.float64))
        for phi in net.eigenvectors:
            phi.copy_(torch.randn(phi.shape, generator=gen, dtype=torch.float64) / 2)
    return net


def scaled_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1.0))


@given(params=nets)
def test_adjacency_equals_phi_lambda_phi_inverse(params, record_error):
    net = random_net(*params)
    err = scaled_error(net.adjacency().detach(), dense_adjacency(net))
    record_error(err)
    assert err < TOL


@given(params=nets)
def test_blocks_equal_dense_blocks(params, record_error):
    net = random_net(*params)
    dense = dense_adjacency(net)
    off = offsets(net.layer_sizes)
    blocks = net.blocks()
    assert set(blocks) == {(i, j) for i in range(net.depth) for j in range(i)}
    for (i, j), w in blocks.items():
        ref = dense[off[i] : off[i + 1], off[j] : off[j + 1]]
        err = scaled_error(w.detach(), ref)
        record_error(err)
        assert err < TOL
    # The diagonal holds λ and everything above it is zero.
    for i in range(net.depth):
        diag = dense[off[i] : off[i + 1], off[i] : off[i + 1]]
        assert scaled_error(diag, torch.diag(net.eigenvalues[i].detach())) < TOL
        assert float(dense[off[i] : off[i + 1], off[i + 1] :].abs().sum()) < TOL


@given(params=nets, batch=st.integers(1, 9))
def test_layerwise_forward_equals_dense(params, batch, record_error):
    net = random_net(*params)
    x = torch.randn(batch, net.in_features, dtype=torch.float64)
    err = scaled_error(net(x).detach(), dense_layerwise(net, x, net.activation_fn()))
    record_error(err)
    assert err < TOL


@given(params=nets, batch=st.integers(1, 9))
def test_global_forward_equals_dense(params, batch, record_error):
    net = random_net(*params, rule="global")
    x = torch.randn(batch, net.in_features, dtype=torch.float64)
    err = scaled_error(net(x).detach(), dense_global(net, x, net.activation_fn()))
    record_error(err)
    assert err < TOL


def test_three_layer_closed_forms():
    net = random_net([3, 4, 2], False, 7, "relu")
    (p0, p1), (l0, l1, l2) = list(net.eigenvectors), list(net.eigenvalues)
    d0, d1, d2 = torch.diag(l0), torch.diag(l1), torch.diag(l2)
    blocks = net.blocks()
    torch.testing.assert_close(blocks[(1, 0)], p0 @ d0 - d1 @ p0)
    torch.testing.assert_close(blocks[(2, 1)], p1 @ d1 - d2 @ p1)
    torch.testing.assert_close(blocks[(2, 0)], (d2 @ p1 - p1 @ d1) @ p0)


def test_ensemble_dimension_broadcasts():
    """The functional core runs a stack of networks with a leading model dimension."""
    from sparcs.spectral import functional as SF

    members = [random_net([3, 5, 4, 2], True, s, "tanh") for s in range(3)]
    phis = [torch.stack([m.eigenvectors[k] for m in members]) for k in range(3)]
    lams = [torch.stack([m.eigenvalues[k] for m in members]) for k in range(4)]
    x = torch.randn(3, 6, 4, dtype=torch.float64)  # bias column appended by hand
    x[..., -1] = 1.0
    out = SF.layerwise_forward(x, phis, lams, torch.tanh)
    for m, net in enumerate(members):
        torch.testing.assert_close(out[m], net(x[m, :, :3]), rtol=0, atol=1e-12)
    blocks = SF.weight_blocks(phis, lams)
    for m, net in enumerate(members):
        for key, w in net.blocks().items():
            torch.testing.assert_close(blocks[key][m], w, rtol=0, atol=1e-12)
