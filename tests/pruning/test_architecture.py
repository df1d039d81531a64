"""Architecture readout and exact liveness."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sparcs import Architecture, ConfigError, SpectralNetwork
from sparcs.pruning import architecture_of

from .helpers import random_net, reachability_liveness


def test_perceptron_start_has_dead_hidden_layers() -> None:
    net = SpectralNetwork([3, 8, 6, 2], bias=True, dtype=torch.float64)
    arch = architecture_of(net)
    assert arch.widths == [4, 0, 0, 2]
    assert arch.hidden_widths == [0, 0]
    assert [(i, j) for i, j, _ in arch.live_skips] == [(3, 0)]
    # Only the direct input→output block (3 weights + the bias column) survives.
    assert arch.compact_parameters == 2 * 3 + 2
    assert arch.spectral_parameters == net.num_parameters()
    assert arch.active_eigenvalues == [0, 0, 0, 2]
    assert arch.used_inputs == 3


def test_zero_incoming_weights_kill_a_node_with_live_outputs() -> None:
    net = random_net([3, 4, 2], seed=1)
    with torch.no_grad():
        net.eigenvectors[0][2].zero_()  # row 2 of W_{1←0} is then exactly 0
    assert torch.all(net.blocks()[(2, 1)][:, 2] != 0)  # ...while its outgoing weights are not
    arch = architecture_of(net)
    assert arch.live_nodes[1].tolist() == [True, True, False, True]
    assert arch.widths[1] == 3


def test_zero_outgoing_weights_kill_a_node_with_live_inputs() -> None:
    net = random_net([3, 4, 2], seed=2)
    with torch.no_grad():
        net.eigenvectors[1][:, 1].zero_()  # column 1 of W_{2←1} is then exactly 0
    assert torch.all(net.blocks()[(1, 0)][1] != 0)
    arch = architecture_of(net)
    assert arch.live_nodes[1].tolist() == [True, False, True, True]


def test_liveness_propagates_to_a_fixed_point() -> None:
    # Node b of layer 1 feeds only node a of layer 2, and a feeds nothing: both are dead,
    # although b's own outgoing weights are not all zero.
    net = random_net([2, 3, 3, 1], seed=3)
    a, b = 1, 0
    with torch.no_grad():
        net.eigenvectors[2][:, a].zero_()
        net.eigenvectors[1][:, b] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    blocks = net.blocks()
    assert blocks[(2, 1)][a, b] != 0
    assert torch.all(blocks[(3, 1)][:, b] == 0) and torch.all(blocks[(3, 2)][:, a] == 0)
    arch = architecture_of(net)
    assert not arch.live_nodes[2][a] and not arch.live_nodes[1][b]
    assert arch.widths == [2, 2, 2, 1]


def test_dead_first_hidden_layer() -> None:
    net = random_net([3, 5, 4, 2], dead_layers=(0, 1), seed=4)
    arch = architecture_of(net)
    assert arch.hidden_widths == [0, 4]
    assert all(j != 1 and i != 1 for i, j, _ in arch.live_skips)


@settings(max_examples=60)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=3, max_size=5),
    bias=st.booleans(),
    zero_fraction=st.sampled_from([0.0, 0.3, 0.7]),
    cut_fraction=st.sampled_from([0.0, 0.3]),
    threshold=st.sampled_from([0.0, 0.3, 1.0]),
    seed=st.integers(0, 1000),
)
def test_liveness_matches_reachability(
    sizes, bias, zero_fraction, cut_fraction, threshold, seed
) -> None:
    net = random_net(
        sizes, bias=bias, zero_fraction=zero_fraction, cut_fraction=cut_fraction, seed=seed
    )
    arch = architecture_of(net, threshold)
    expected = reachability_liveness(net, threshold)
    assert [m.tolist() for m in arch.live_nodes] == [m.tolist() for m in expected]
    assert arch.widths == [int(m.sum()) for m in expected]


def test_threshold_zeroes_only_non_output_eigenvalues() -> None:
    net = random_net([2, 4, 3], seed=5)
    arch = architecture_of(net, threshold=100.0)
    assert arch.active_eigenvalues == [0, 0, 3]
    assert arch.hidden_widths == [0]
    assert architecture_of(net).active_eigenvalues == [2, 4, 3]


def test_dict_and_json_round_trip(tmp_path) -> None:
    net = random_net([3, 4, 4, 2], bias=True, zero_fraction=0.4, seed=6)
    arch = architecture_of(net, 0.2)
    path = arch.to_json(tmp_path / "arch.json")
    data = json.loads(path.read_text())
    assert data["widths"] == arch.widths
    back = Architecture.from_json(path)
    assert back.widths == arch.widths and back.live_skips == arch.live_skips
    assert [m.tolist() for m in back.live_nodes] == [m.tolist() for m in arch.live_nodes]
    assert back.compact_parameters == arch.compact_parameters
    assert back.threshold == arch.threshold and back.bias


def test_str_is_a_table() -> None:
    arch = architecture_of(random_net([2, 3, 1], bias=True, dead_layers=(0, 1), seed=7))
    text = str(arch)
    assert "hidden" in text and "(dead)" in text and "compact" in text
    assert f"spectral {arch.spectral_parameters}" in text


def test_live_skip_norms_are_block_norms() -> None:
    net = random_net([2, 3, 2], seed=8)
    blocks = net.blocks()
    for i, j, norm in architecture_of(net).live_skips:
        expected = float(torch.linalg.matrix_norm(blocks[(i, j)].detach()))
        assert math.isclose(norm, expected, rel_tol=1e-12)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_threshold(bad) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        architecture_of(random_net([2, 3, 1]), bad)


def test_activation_without_zero_fixed_point_is_refused() -> None:
    net = SpectralNetwork([2, 3, 1], activation=torch.sigmoid)
    with pytest.raises(ConfigError, match=r"f\(0\) = 0"):
        architecture_of(net)
