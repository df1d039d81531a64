"""Structured pruning of compact models: exactness, the loss limit, the size budget, layers."""

from __future__ import annotations

import copy
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from sparcs.errors import ConfigError
from sparcs.pruning import PruningRule, to_compact
from sparcs.pruning.size import mlp_parameters
from sparcs.pruning.structured import prune_in_rounds, structured_prune

from .helpers import random_net


def _net_problem(sizes, seed, *, bias=True, rows=200):
    net = random_net(sizes, bias=bias, seed=seed, zero_fraction=0.2)
    compact = to_compact(net)
    gen = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(rows, sizes[0], generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = compact(X) + 0.05 * torch.randn(rows, sizes[-1], generator=gen, dtype=torch.float64)
    return net, compact, X, y


def _problem(sizes, seed, *, bias=True, rows=200):
    return _net_problem(sizes, seed, bias=bias, rows=rows)[1:]


@torch.no_grad()
def _scale_outgoing(compact, layer, factor, position=None):
    """Scale, in place, the weights by which hidden ``layer`` of ``compact`` (all its nodes, or
    the one at ``position``) feeds later layers; returns that node's index in the spectral
    layer (None for all)."""
    widths = {0: len(compact.config["input_index"])}
    for module, spec in zip(compact.layers, compact.config["layers"], strict=True):
        start = 0
        for s in spec["sources"]:
            if s == layer:
                cols = slice(start, start + widths[s])
                if position is None:
                    module.weight[:, cols] *= factor
                else:
                    module.weight[:, cols][:, position] *= factor
            start += widths[s]
        widths[spec["layer"]] = spec["width"]
    if position is None:
        return None
    return int(torch.nonzero(compact.architecture.live_nodes[layer]).flatten()[position])


def _masked_reference(original, pruned):
    """The original compact model with every node and block that ``pruned`` lacks set to 0."""
    ref = copy.deepcopy(original)
    old_arch, new_arch = original.architecture, pruned.architecture
    n_in = original.in_features
    kept_inputs = set(pruned.config["input_index"])
    alive = {0: torch.tensor([c in kept_inputs for c in original.config["input_index"]])}
    for spec in original.config["layers"]:
        k = int(spec["layer"])
        alive[k] = new_arch.live_nodes[k][old_arch.live_nodes[k]]
    blocks = {(int(spec["layer"]), int(s)) for spec in pruned.config["layers"]
              for s in spec["sources"]}
    widths = {0: len(original.config["input_index"])}
    with torch.no_grad():
        for spec, module in zip(original.config["layers"], ref.layers, strict=True):
            k = int(spec["layer"])
            start = 0
            for s in spec["sources"]:
                s = int(s)
                cols = slice(start, start + widths[s])
                if (k, s) not in blocks:
                    module.weight[:, cols] = 0.0
                else:
                    module.weight[:, cols][:, ~alive[s]] = 0.0
                start += widths[s]
            module.weight[~alive[k]] = 0.0
            if module.bias is not None:
                module.bias[~alive[k]] = 0.0
            widths[k] = int(spec["width"])
    assert n_in == pruned.in_features
    return ref


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), widths=st.lists(st.integers(2, 9), min_size=1, max_size=3),
       slack=st.floats(0.0, 3.0))
def test_without_folding_the_result_is_the_masked_network(seed, widths, slack):
    """Every removed node and block is absent; the output equals the input model with exactly
    those nodes and blocks set to 0."""
    compact, X, y = _problem([4, *widths, 2], seed)
    # A hidden node that feeds nothing: it must go whatever else stays.
    hidden = [int(spec["layer"]) for spec in compact.config["layers"][:-1]]
    silent = (hidden[0], _scale_outgoing(compact, hidden[0], 0.0, position=0)) if hidden else None
    with torch.no_grad():
        base = float(F.mse_loss(compact(X), y))
    result = structured_prune(compact, X, y, loss="mse", limit=base * (1 + slack),
                              fold_means=False, prune_inputs=seed % 2 == 0)
    pruned = result.compact
    ref = _masked_reference(compact, pruned)
    torch.testing.assert_close(pruned(X), ref(X), rtol=0, atol=1e-10)
    if result.base_loss <= result.limit:
        assert result.loss <= result.limit
        if silent is not None and slack >= 1e-6:  # beyond rounding: the silent node is gone
            assert result.steps
            assert not pruned.architecture.live_nodes[silent[0]][silent[1]]
    else:  # the input is beyond the limit (in the last bits): it comes back whole
        assert not result.steps and pruned.num_parameters() == compact.num_parameters()
    with torch.no_grad():
        direct = float(F.mse_loss(pruned(X), y))
    assert result.loss == pytest.approx(direct, rel=1e-9)
    # Absent means absent: the stored weights are exactly the kept widths' blocks.
    widths_of = {0: len(pruned.config["input_index"])}
    for spec, module in zip(pruned.config["layers"], pruned.layers, strict=True):
        assert module.weight.shape == (spec["width"],
                                       sum(widths_of[int(s)] for s in spec["sources"]))
        widths_of[int(spec["layer"])] = int(spec["width"])
    assert pruned.architecture.compact_parameters == pruned.num_parameters()
    assert pruned.num_parameters() <= compact.num_parameters()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), slack=st.floats(0.01, 2.0))
def test_with_mean_folding_the_loss_stays_within_the_limit(seed, slack):
    compact, X, y = _problem([5, 12, 8, 1], seed)
    with torch.no_grad():
        base = float(F.mse_loss(compact(X), y))
    result = structured_prune(compact, X, y, loss="mse", limit=base * (1 + slack))
    assert result.base_loss == pytest.approx(base, rel=1e-9)
    with torch.no_grad():
        direct = float(F.mse_loss(result.compact(X), y))
    assert direct == pytest.approx(result.loss, rel=1e-9)
    assert result.loss <= base * (1 + slack)
    removed = compact.num_parameters() - result.compact.num_parameters()
    assert result.removed["parameters"] == removed


def test_a_useless_hidden_layer_is_removed_whole():
    """Layer 1 feeds almost nothing: it goes, although none of its nodes is exactly dead."""
    compact, X, _ = _problem([6, 16, 16, 1], 3)
    assert compact.config["layers"][0]["layer"] == 1 and compact.config["layers"][0]["width"] > 0
    _scale_outgoing(compact, 1, 1e-6)
    with torch.no_grad():
        y = compact(X)
    result = structured_prune(compact, X, y, loss="mse", limit=1e-4 * float(y.var()))
    assert 1 not in [spec["layer"] for spec in result.compact.config["layers"]]
    assert result.compact.architecture.hidden_widths[0] == 0
    assert result.compact.num_parameters() < compact.num_parameters()


def test_the_parameter_budget_is_met_even_beyond_the_tolerance():
    compact, X, y = _problem([6, 20, 20, 2], 5)
    budget = mlp_parameters([6, 5, 2])
    result = structured_prune(compact, X, y, loss="mse", limit=0.0, max_parameters=budget)
    assert result.compact.num_parameters() <= budget
    assert result.compact(X).shape == (len(X), 2)


def test_a_loose_limit_removes_everything_but_the_output_biases():
    compact, X, y = _problem([3, 8, 1], 0)
    result = structured_prune(compact, X, y, loss="mse", limit=1e9, prune_inputs=True)
    assert result.compact.num_parameters() == 1
    torch.testing.assert_close(result.compact(X), y.mean(0).expand(len(X), 1).to(X),
                               rtol=0, atol=float(y.std()) * 2)


def test_bias_free_networks_and_bad_limits():
    compact, X, y = _problem([4, 6, 6, 2], 1, bias=False)
    layer = int(compact.config["layers"][0]["layer"])
    weak = _scale_outgoing(compact, layer, 1e-6, position=0)  # a node that barely matters
    with torch.no_grad():
        base = float(F.mse_loss(compact(X), y))
    result = structured_prune(compact, X, y, loss="mse", limit=base * 1.5)
    assert all(not spec["bias"] for spec in result.compact.config["layers"])
    assert result.loss <= base * 1.5
    # Without biases nothing can be folded: the weak node is dropped, and the rest stays.
    assert not result.compact.architecture.live_nodes[layer][weak]
    assert 0 < result.removed["parameters"] < compact.num_parameters()
    assert result.compact.num_parameters() == compact.num_parameters() - result.removed[
        "parameters"]
    with pytest.raises(ConfigError, match="limit"):
        structured_prune(compact, X, y, loss="mse", limit=float("nan"))


def test_rounds_keep_the_smaller_candidate_and_shrink_after_tuning():
    """The eigenvalue-pruned and the unpruned export of one network prune to different sizes:
    the smaller result is kept, whichever comes first, and tuning rounds go on from it."""
    net, full, X, y = _net_problem([4, 12, 10, 2], seed=5)
    lams = torch.cat([lam.detach().abs().flatten() for lam in net.eigenvalues[:-1]])
    lams = lams[lams > 0].sort().values
    thresholded = to_compact(net, float(lams[int(0.3 * len(lams))]))
    limit = float(y.var(0).mean()) * 0.3  # both candidates start within it
    with torch.no_grad():
        assert max(float(F.mse_loss(c(X), y)) for c in (full, thresholded)) <= limit
    one_shot = {name: structured_prune(c, X, y, loss="mse", limit=limit).compact
                for name, c in (("full", full), ("thresholded", thresholded))}
    sizes = {name: model.num_parameters() for name, model in one_shot.items()}
    assert sizes["thresholded"] < sizes["full"]  # genuinely different candidates
    small = one_shot["thresholded"]
    for order in ([full, thresholded], [thresholded, full]):
        kept = prune_in_rounds(order, X, y, loss="mse", limit=limit)
        assert kept.num_parameters() == sizes["thresholded"]
        assert kept.config == small.config
        torch.testing.assert_close(kept(X), small(X), rtol=0, atol=0)
    calls = []

    def tune(model):  # a stand-in fine-tuning: nudges the output biases towards the targets
        calls.append(model.num_parameters())
        with torch.no_grad():  # in place, as fine-tuning is
            out = model(X)
            last = list(model.parameters())[-1]
            last += (y - out).mean(0) * 0.5

    rule = PruningRule(rounds=2)
    result = prune_in_rounds([full, thresholded], X, y, loss="mse", limit=limit, tune=tune,
                             rule=rule)
    assert result.num_parameters() <= sizes["thresholded"]
    assert calls[0] == sizes["thresholded"] and 1 <= len(calls) <= rule.rounds
    # Each further round started from a model that the round before shrank by a tenth.
    assert all(rule.shrank(a, b) for a, b in itertools.pairwise(calls))
    with pytest.raises(ConfigError, match="candidate"):
        prune_in_rounds([], X, y, loss="mse", limit=limit)


@pytest.mark.parametrize("seed", [0, 3])
def test_rounds_never_end_outside_the_limit(seed):
    """A fine-tuning that raises the loss past the limit (here: one that spoils the output
    bias) is undone: the result stays within the limit, and it is still pruned."""
    full, X, y = _problem([4, 12, 10, 2], seed=seed)
    limit = float(y.var(0).mean()) * 0.3  # an R² of 0.7: room to prune

    def spoil(model):
        with torch.no_grad():
            list(model.parameters())[-1].add_(10.0)

    for tune in (None, spoil):
        kept = prune_in_rounds([full], X, y, loss="mse", limit=limit, tune=tune)
        with torch.no_grad():
            assert float(F.mse_loss(kept(X), y)) <= limit
        assert kept.num_parameters() < full.num_parameters()  # it did prune


def test_the_rule_defaults_are_the_searchs_numbers():
    rule = PruningRule()
    assert (rule.rounds, rule.min_shrink, rule.rescore_rounds) == (3, 0.1, 12)
    assert (rule.fold_means, rule.prune_inputs) == (True, False)
    # Epochs per round: max(1, finetune_epochs // 5).
    for budget in (0, 1, 4, 5, 9, 10, 23, 100):
        assert rule.round_epochs(budget) == max(1, budget // 5)
    # Another round only while a round removes at least a tenth: after <= 0.9 · before.
    for before in (10, 11, 100, 284, 1001):
        for after in range(before + 1):
            assert rule.shrank(before, after) == (not after > 0.9 * before)
    with pytest.raises(AttributeError):
        rule.rounds = 4  # frozen
    for bad in ({"rounds": -1}, {"min_shrink": 1.0}, {"epochs_divisor": 0}, {"rounds": 2.5}):
        with pytest.raises(ConfigError):
            PruningRule(**bad)
