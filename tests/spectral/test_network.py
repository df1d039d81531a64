"""SpectralNetwork behaviour: start, gradients, freezing, state, counts and errors."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.autograd import gradcheck

from sparcs import ConfigError, ShapeError, SpectralNetwork, TensorTypeError

from ..conftest import cuda


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=6))
def test_perceptron_start_is_the_linear_map(sizes):
    net = SpectralNetwork(sizes, dtype=torch.float64)
    x = torch.randn(5, sizes[0], dtype=torch.float64)
    expected = x.T
    for phi in net.eigenvectors:
        expected = phi.detach() @ expected
    expected = (-1) ** (net.depth - 1) * expected.T
    torch.testing.assert_close(net(x).detach(), expected, rtol=1e-12, atol=1e-12)
    start = [lam.detach().abs().max().item() for lam in net.eigenvalues]
    assert start == [0.0] * (net.depth - 1) + [1.0]


def test_perceptron_start_with_bias_uses_the_bias_node():
    net = SpectralNetwork([2, 4, 3], bias=True, dtype=torch.float64)
    x = torch.randn(6, 2, dtype=torch.float64)
    xb = torch.cat([x, torch.ones(6, 1, dtype=torch.float64)], 1)
    expected = xb @ (net.eigenvectors[1] @ net.eigenvectors[0]).detach().T
    torch.testing.assert_close(net(x).detach(), expected)


@pytest.mark.parametrize("rule", ["layerwise", "global"])
@pytest.mark.parametrize("bias", [False, True])
def test_gradcheck(rule, bias):
    torch.manual_seed(1)
    net = SpectralNetwork(
        [3, 4, 3, 2], activation="tanh", rule=rule, bias=bias, dtype=torch.float64
    )
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_()
    names = [n for n, _ in net.named_parameters()]
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)

    def fn(x, *params):
        return torch.func.functional_call(net, dict(zip(names, params, strict=True)), (x,))

    assert gradcheck(fn, (x, *[p.detach().requires_grad_() for p in net.parameters()]))


def test_last_hidden_layer_gets_a_gradient_at_the_start():
    net = SpectralNetwork([4, 8, 8, 8, 2])
    x = torch.randn(64, 4)
    (net(x) - torch.randn(64, 2)).pow(2).mean().backward()
    grads = [lam.grad.abs().max().item() for lam in net.eigenvalues]
    assert grads[-2] > 1e-4  # last hidden layer: recruited at once through the linear path
    assert grads[1] == 0.0  # first hidden layer: waits for later ones (ReLU'(0) = 0)


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda p: torch.optim.Adam(p, lr=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.5),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
    ],
)
def test_frozen_tensors_stay_bit_identical(make_opt):
    net = SpectralNetwork(
        [3, 5, 5, 2],
        eigenvalue_init={0: 0.5, 1: 0.3},
        freeze_eigenvalues=[0, 1],
        freeze_eigenvectors=[1],
    )
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = make_opt(net.parameters())  # all parameters handed over, frozen ones included
    for _ in range(5):
        opt.zero_grad()
        (net(torch.randn(16, 3)) ** 2).mean().backward()
        opt.step()
    after = net.state_dict()
    for key in ["eigenvalues.0", "eigenvalues.1", "eigenvectors.1"]:
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before["eigenvalues.2"], after["eigenvalues.2"])
    assert net.frozen_eigenvalues == [0, 1] and net.frozen_eigenvectors == [1]
    net.unfreeze(eigenvalues=[1])
    assert net.frozen_eigenvalues == [0]


def test_state_dict_round_trip(tmp_path):
    net = SpectralNetwork([3, 6, 2], bias=True, dtype=torch.float64)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_()
    torch.save(net.state_dict(), tmp_path / "net.pt")
    other = SpectralNetwork([3, 6, 2], bias=True, dtype=torch.float64)
    other.load_state_dict(torch.load(tmp_path / "net.pt"))
    x = torch.randn(5, 3, dtype=torch.float64)
    assert torch.equal(net(x), other(x))
    assert sorted(net.state_dict()) == [
        "eigenvalues.0", "eigenvalues.1", "eigenvalues.2", "eigenvectors.0", "eigenvectors.1"
    ]


def test_eigenvalue_init_and_eigenvector_init():
    net = SpectralNetwork(
        [2, 3, 1],
        eigenvalue_init=[0.0, torch.tensor([1.0, 2.0, 3.0]), 1.0],
        eigenvector_init=torch.nn.init.ones_,
    )
    assert net.eigenvalues[1].tolist() == [1.0, 2.0, 3.0]
    assert all(bool((phi == 1).all()) for phi in net.eigenvectors)
    with pytest.raises(ConfigError, match="shape"):
        SpectralNetwork([2, 3, 1], eigenvalue_init={1: torch.ones(2)})
    with pytest.raises(ConfigError, match="one entry per layer"):
        SpectralNetwork([2, 3, 1], eigenvalue_init=[0.0, 1.0])
    with pytest.raises(ConfigError, match="unknown eigenvector_init"):
        SpectralNetwork([2, 3, 1], eigenvector_init="zeros")


def test_penalty_is_the_plain_norm_over_searched_layers():
    net = SpectralNetwork(
        [2, 3, 4, 1], eigenvalue_init=[1.0, 2.0, 3.0, 5.0], freeze_eigenvalues=[0]
    )
    expected = 2.0 * 3**0.5 + 3.0 * 2.0  # ‖λ_1‖₂ + ‖λ_2‖₂; λ_0 frozen, output not searched
    assert net.eigenvalue_penalty().item() == pytest.approx(expected)
    assert net.eigenvalue_penalty(p=1).item() == pytest.approx(2.0 * 3 + 3.0 * 4)
    assert net.eigenvalue_penalty(layers=[0]).item() == pytest.approx(2**0.5)
    with pytest.raises(ConfigError):
        net.eigenvalue_penalty(p=0)


def test_parameter_counts():
    net = SpectralNetwork([100] * 5)
    assert net.num_parameters() == 4 * 100 * 100 + 5 * 100
    assert net.direct_parameters() == 10 * 100 * 100
    frozen = SpectralNetwork([2, 3, 1], bias=True, freeze_eigenvalues=[0])
    assert frozen.num_parameters() == 3 * 3 + 1 * 3 + 3 + 3 + 1
    assert frozen.num_parameters(trainable_only=True) == frozen.num_parameters() - 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": [3]}, "at least 2 layers"),
        ({"sizes": [3, 0, 1]}, "positive integer"),
        ({"sizes": [3, 2.5, 1]}, "positive integer"),
        ({"sizes": "abc"}, "list of positive integers"),
        ({"sizes": [3, 1], "activation": "softmaxx"}, "unknown activation"),
        ({"sizes": [3, 1], "rule": "spectral"}, "unknown rule"),
        ({"sizes": [3, 1], "freeze_eigenvalues": [5]}, "out of range"),
        ({"sizes": [3, 1], "dtype": torch.int64}, "floating-point torch dtype"),
        ({"sizes": [3, 1], "dtype": "float64"}, "floating-point torch dtype"),
        ({"sizes": [3, 2, 1], "eigenvalue_init": {1: "big"}}, "layer 1 must be a number"),
    ],
)
def test_bad_configuration_is_a_clear_error(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SpectralNetwork(**kwargs)


def test_bad_input_is_a_clear_error():
    net = SpectralNetwork([3, 4, 1])
    with pytest.raises(ShapeError, match=r"shape \(batch, 3\)"):
        net(torch.randn(5, 4))
    with pytest.raises(ShapeError, match=r"shape \(batch, 3\)"):
        net(torch.randn(3))
    with pytest.raises(TensorTypeError, match="dtype"):
        net(torch.randn(5, 3, dtype=torch.float64))
    with pytest.raises(TensorTypeError, match=r"torch\.Tensor"):
        net([[1.0, 2.0, 3.0]])


def test_custom_callable_activation():
    net = SpectralNetwork([2, 4, 1], activation=torch.nn.functional.softplus, rule="global")
    assert net.activation == "softplus"
    assert net(torch.randn(3, 2)).shape == (3, 1)


@cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("rule", ["layerwise", "global"])
def test_cuda_matches_cpu(dtype, rule):
    net = SpectralNetwork([5, 16, 16, 3], bias=True, rule=rule, dtype=dtype)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_()
    x = torch.randn(32, 5, dtype=dtype)
    expected = net(x)
    gpu = net.to("cuda")
    out = gpu(x.cuda())
    torch.testing.assert_close(out.cpu(), expected, rtol=1e-4, atol=1e-4)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in gpu.parameters())
    state = {k: v.cpu() for k, v in gpu.state_dict().items()}
    back = SpectralNetwork([5, 16, 16, 3], bias=True, rule=rule, dtype=dtype)
    back.load_state_dict(state)
    torch.testing.assert_close(back(x), expected, rtol=1e-4, atol=1e-4)


def test_forward_with_given_eigenvalues_equals_a_copy_holding_them():
    torch.manual_seed(3)
    net = SpectralNetwork([3, 5, 4, 2], bias=True, dtype=torch.float64,
                          eigenvalue_init=[0.3, 0.7, -0.4, 1.0])
    lams = [torch.where(lam.abs() > 0.5, lam, torch.zeros_like(lam)).detach()
            for lam in net.eigenvalues]
    copy = SpectralNetwork([3, 5, 4, 2], bias=True, dtype=torch.float64)
    copy.load_state_dict(net.state_dict())
    with torch.no_grad():
        for dst, lam in zip(copy.eigenvalues, lams, strict=True):
            dst.copy_(lam)
    x = torch.randn(7, 3, dtype=torch.float64)
    assert torch.equal(net(x, eigenvalues=lams), copy(x))
    assert not torch.equal(net(x), copy(x))
    with pytest.raises(ShapeError, match="eigenvalues must be 4 tensors"):
        net(x, eigenvalues=lams[:-1])


def test_ensemble_input_type_errors():
    from sparcs.spectral.ensemble import SpectralEnsemble

    ens = SpectralEnsemble(2, [3, 4, 1], dtype=torch.float64)
    with pytest.raises(ShapeError, match=r"\(2, batch, 3\) or \(batch, 3\)"):
        ens(torch.zeros(3, 5, 3, dtype=torch.float64))
    with pytest.raises(TensorTypeError, match="dtype"):
        ens(torch.zeros(2, 5, 3))
    with pytest.raises(TensorTypeError, match=r"torch\.Tensor"):
        ens([[0.0, 0.0, 0.0]])
