"""The compact model computes the pruned spectral net's function with fewer parameters."""

from __future__ import annotations

import io

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from sparcs import (
    CompactNetwork,
    ConfigError,
    DataError,
    ShapeError,
    SpectralNetwork,
    TensorTypeError,
)
from sparcs.pruning import architecture_of, to_compact

from .helpers import pruned, random_net


def _assert_same(a: torch.Tensor, b: torch.Tensor, rtol: float) -> None:
    """Max-abs error within ``rtol`` of the reference's largest magnitude."""
    scale = float(b.abs().max()) or 1.0
    assert float((a - b).abs().max()) <= rtol * scale


@given(
    sizes=st.lists(st.integers(1, 5), min_size=3, max_size=5),
    bias=st.booleans(),
    zero_fraction=st.sampled_from([0.0, 0.4, 0.8]),
    cut_fraction=st.sampled_from([0.0, 0.3]),
    dead_layer=st.integers(0, 3),
    threshold=st.sampled_from([0.0, 0.5]),
    activation=st.sampled_from(["relu", "tanh"]),
    seed=st.integers(0, 1000),
)
def test_compact_equals_pruned_spectral_net(
    sizes, bias, zero_fraction, cut_fraction, dead_layer, threshold, activation, seed
) -> None:
    dead = (dead_layer, dead_layer + 1) if dead_layer + 1 < len(sizes) - 1 else ()
    net = random_net(
        sizes, bias=bias, zero_fraction=zero_fraction, cut_fraction=cut_fraction,
        dead_layers=dead, activation=activation, seed=seed,
    )
    compact = to_compact(net, threshold)
    arch = architecture_of(net, threshold)
    x = torch.randn(16, sizes[0], dtype=torch.float64)
    with torch.no_grad():
        _assert_same(compact(x), pruned(net, threshold)(x), 1e-10)
    assert compact.num_parameters() == arch.compact_parameters
    assert compact.widths[1:-1] == [w for w in arch.hidden_widths if w > 0]
    if dead:
        assert arch.widths[dead[1]] == 0


@given(
    sizes=st.lists(st.integers(2, 5), min_size=3, max_size=5),
    bias=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_parameter_count_drops_when_nodes_die(sizes, bias, seed) -> None:
    net = random_net(sizes, bias=bias, seed=seed)
    mags = torch.cat([lam.detach().abs() for lam in net.eigenvalues[:-1]]).sort().values
    previous = architecture_of(net, 0.0)
    for t in mags.tolist():
        arch = architecture_of(net, t)
        if sum(arch.hidden_widths) < sum(previous.hidden_widths):
            assert arch.compact_parameters < previous.compact_parameters
        else:
            assert arch.compact_parameters <= previous.compact_parameters
        previous = arch
    assert previous.hidden_widths == [0] * (len(sizes) - 2)


def test_float32_relative_accuracy() -> None:
    net = random_net([6, 32, 32, 16, 3], bias=True, zero_fraction=0.5, seed=11,
                     dtype=torch.float32)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.mul_(0.3)  # keep activations moderate so float32 rounding is representative
    compact = to_compact(net, 0.05)
    x = torch.randn(256, 6)
    with torch.no_grad():
        _assert_same(compact(x), pruned(net, 0.05)(x), 1e-5)


def test_dead_first_hidden_layer_is_removed() -> None:
    net = random_net([3, 6, 5, 2], bias=True, dead_layers=(0, 1), seed=12)
    compact = to_compact(net)
    assert compact.widths == [3, 5, 2]
    assert len(compact.layers) == 2
    # The surviving hidden layer reads from the input only; the output reads from both.
    assert compact.layers[0].sources == [0] and compact.layers[1].sources == [0, 1]
    full = to_compact(random_net([3, 6, 5, 2], bias=True, seed=12))
    assert compact.num_parameters() < full.num_parameters()
    x = torch.randn(8, 3, dtype=torch.float64)
    with torch.no_grad():
        _assert_same(compact(x), net(x), 1e-10)


def test_unused_inputs_are_dropped_but_the_full_input_is_accepted() -> None:
    net = random_net([4, 3, 2], seed=13)
    with torch.no_grad():
        net.eigenvectors[0][:, 1].zero_()
        net.eigenvalues[0][1] = 0.0
        net.eigenvalues[2].zero_()  # so that the direct block W_{2←0} ignores input 1 too
        net.eigenvalues[1].fill_(1.0)
    arch = architecture_of(net)
    assert arch.used_inputs == 3
    compact = to_compact(net)
    assert compact.input_index.tolist() == [0, 2, 3]
    x = torch.randn(5, 4, dtype=torch.float64)
    with torch.no_grad():
        _assert_same(compact(x), net(x), 1e-10)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_bias_only_layer() -> None:
    # Hidden nodes fed by the bias node alone emit a constant; the compact model keeps them.
    net = random_net([2, 3, 1], bias=True, seed=14)
    with torch.no_grad():
        net.eigenvectors[0][:, :2].zero_()
    compact = to_compact(net)
    assert compact.layers[0].sources == [] and compact.layers[0].bias is not None
    x = torch.randn(4, 2, dtype=torch.float64)
    with torch.no_grad():
        _assert_same(compact(x), net(x), 1e-10)
        _assert_same(torch.jit.script(compact)(x), net(x), 1e-10)


def test_save_load_round_trip(tmp_path) -> None:
    net = random_net([3, 5, 4, 2], bias=True, zero_fraction=0.3, seed=15)
    compact = to_compact(net, 0.2)
    folder = compact.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["architecture.json", "weights.pt"]
    loaded = CompactNetwork.load(folder)
    x = torch.randn(6, 3, dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(loaded(x), compact(x))
    assert loaded.widths == compact.widths
    assert loaded.architecture.widths == compact.architecture.widths
    assert loaded.architecture.threshold == 0.2


def test_load_errors(tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        CompactNetwork.load(tmp_path / "missing")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "architecture.json").write_text('{"format": "other"}')
    (tmp_path / "x" / "weights.pt").write_bytes(b"")
    with pytest.raises(DataError, match="not a sparcs"):
        CompactNetwork.load(tmp_path / "x")
    folder = to_compact(random_net([2, 3, 1], seed=22)).save(tmp_path / "y")
    good = (folder / "weights.pt").read_bytes()
    for damaged in (b"", b"garbage", good[: len(good) // 2]):
        (folder / "weights.pt").write_bytes(damaged)
        with pytest.raises(DataError) as err:
            CompactNetwork.load(folder)
        message = str(err.value)  # complete: names the file, says what is wrong and what to do
        assert f"weights.pt is damaged: its {len(damaged)} bytes are not a complete" in message
        assert message.endswith("save the model again") and "\n" not in message
    (folder / "weights.pt").write_bytes(good)
    (folder / "architecture.json").write_text('{"format": ')
    with pytest.raises(DataError, match=r"architecture.json is damaged \(Expecting value"):
        CompactNetwork.load(folder)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_script_round_trip() -> None:
    net = random_net([3, 4, 4, 2], bias=True, zero_fraction=0.3, seed=16)
    compact = to_compact(net)
    scripted = torch.jit.script(compact)
    buf = io.BytesIO()
    torch.jit.save(scripted, buf)
    buf.seek(0)
    restored = torch.jit.load(buf)
    x = torch.randn(7, 3, dtype=torch.float64)
    with torch.no_grad():
        _assert_same(restored(x), net(x), 1e-10)


def test_torch_export() -> None:
    net = random_net([3, 4, 2], bias=True, seed=17)
    compact = to_compact(net)
    x = torch.randn(5, 3, dtype=torch.float64)
    program = torch.export.export(compact, (x,))
    with torch.no_grad():
        _assert_same(program.module()(x), net(x), 1e-10)


def test_input_checks() -> None:
    compact = to_compact(random_net([3, 4, 2], seed=19))
    with pytest.raises(ShapeError, match=r"\(batch, 3\)"):
        compact(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TensorTypeError, match="dtype"):
        compact(torch.zeros(2, 3))
    with pytest.raises(TensorTypeError, match=r"torch\.Tensor"):
        compact([[0.0, 0.0, 0.0]])


def test_global_rule_and_custom_activation_are_refused() -> None:
    with pytest.raises(ConfigError, match="layerwise rule only"):
        to_compact(SpectralNetwork([2, 3, 1], rule="global"))
    with pytest.raises(ConfigError, match="named activation"):
        to_compact(SpectralNetwork([2, 3, 1], activation=lambda t: torch.relu(t) * 2))


def test_to_compact_leaves_the_network_untouched() -> None:
    net = random_net([2, 4, 1], zero_fraction=0.3, seed=20)
    before = [p.detach().clone() for p in net.parameters()]
    to_compact(net, 0.5)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_prune_and_compact() -> None:
    import sparcs

    net = random_net([3, 6, 5, 2], bias=True, zero_fraction=0.3, seed=21).cuda()
    X = torch.randn(64, 3, dtype=torch.float64, device="cuda")
    y = net(X).detach() + 0.01
    result = sparcs.prune(net, X, y, tolerance=0.1, num_thresholds=5)
    assert result.compact.layers[0].weight.is_cuda
    with torch.no_grad():
        _assert_same(result.compact(X), result.network(X), 1e-10)
