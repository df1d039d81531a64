"""The compared methods on tiny problems: exact compaction, reproducible search, honest
pruning."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from sparcs.errors import ConfigError
from sparcs.experiments.compare.fitting import prune_nodes, train, validation_loss
from sparcs.experiments.compare.methods import METHODS, REGISTRY, check_available, variants
from sparcs.experiments.compare.methods.direct import run_direct
from sparcs.experiments.compare.methods.mlp import LR_RANGE, run_mlp_search
from sparcs.experiments.compare.methods.prune import PlainMLP, run_mlp_prune
from sparcs.experiments.compare.nets import DenseNet, compact_size, to_compact
from sparcs.experiments.compare.settings import METHOD_NAMES

from .helpers import settings, teacher

CPU = torch.device("cpu")


def test_registry_matches_the_method_names() -> None:
    assert tuple(METHODS) == METHOD_NAMES == tuple(m.name for m in REGISTRY)
    assert variants("mlp-search") == ["mlp-search", "mlp-search-small"]
    assert variants("mlp-prune") == ["mlp-prune", "mlp-prune-taylor", "mlp-full"]
    assert variants("hgb") == ["hgb"]
    check_available(list(METHOD_NAMES))  # the dev install has optuna and scikit-learn


def _extras() -> dict[str, list[str]]:
    """``[project.optional-dependencies]`` of pyproject.toml: extra → distribution names."""
    with open(Path(__file__).parents[3] / "pyproject.toml", "rb") as fh:
        extras = tomllib.load(fh)["project"]["optional-dependencies"]
    return {extra: [re.split(r"[<>=!~\[ ;]", r)[0].lower() for r in reqs]
            for extra, reqs in extras.items()}


def test_every_method_record_is_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row names are unique, each method reports exactly its variants, and a method that needs
    a package names an extra that installs it and is refused clearly without it."""
    rows = [v for m in REGISTRY for v in m.variants]
    assert len(rows) == len(set(rows))
    extras, modules = _extras(), importlib.metadata.packages_distributions()
    for method in REGISTRY:
        assert method.variants[0] == method.name and callable(method.run)
        if method.needs is not None:
            module, extra = method.needs
            installs = {d.lower() for d in modules[module]}
            assert installs & set(extras[extra]), (method.name, extras[extra])
            assert installs & set(extras["dev"]) and installs & set(extras["all"]), method.name
    s = settings(epochs=2, finetune_epochs=1, trials=2, lassonet_seconds=5,
                 lassonet_lambda_start=1.0)
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    for method in REGISTRY:
        assert [o.method for o in method(split, s, CPU)] == list(method.variants), method.name

    real = importlib.util.find_spec
    for method in REGISTRY:
        if method.needs is None:
            continue
        module, extra = method.needs
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a, missing=module: None if name == missing
                            else real(name, *a))
        with pytest.raises(ConfigError, match=rf"sparcs-nas\[{extra}\]"):
            check_available(list(METHOD_NAMES))
        monkeypatch.setattr(importlib.util, "find_spec", real)
        check_available([m for m in METHOD_NAMES if m != method.name])


@given(
    hidden=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    skips=st.booleans(),
    keep=st.floats(0.0, 1.0),
    seed=st.integers(0, 1000),
)
def test_compact_equals_the_masked_network(hidden, skips, keep, seed) -> None:
    net = DenseNet([3, *hidden, 2], skips=skips, start="default", seed=seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for i in net.hidden_layers:
            net.mask(i).copy_(torch.rand(net.sizes[i], generator=gen) < keep)
    x = torch.randn(7, 3, generator=gen)
    compact = to_compact(net)
    torch.testing.assert_close(compact(x), net(x), rtol=1e-5, atol=1e-6)
    size = compact_size(compact, len(hidden))
    for k, w in enumerate(size.hidden_widths, start=1):
        assert w in (0, int(net.mask(k).sum()))  # a layer is kept whole-live or dropped
    if skips:  # with every skip, a live node always reaches the output
        assert size.hidden_widths == [int(net.mask(k).sum()) for k in net.hidden_layers]
    assert size.parameters == compact.num_parameters()


def test_direct_start_is_a_perceptron_with_small_hidden_blocks() -> None:
    net = DenseNet([4, 6, 6, 2], skips=True, start="perceptron", seed=0, group_penalty=True)
    direct = net.block(3, 0).abs().max()
    hidden = max(net.block(i, j).abs().max() for i in (1, 2, 3) for j in net.sources(i)
                 if (i, j) != (3, 0))
    assert hidden < 0.05 * direct and hidden > 0
    assert float(net.architecture_penalty().detach()) > 0


def test_direct_compacts_to_its_live_nodes_exactly() -> None:
    s = settings()
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    (outcome,) = run_direct(split, s, CPU)
    kept = outcome.details["kept_nodes"]
    assert outcome.size.hidden_widths == [len(kept[i]) for i in sorted(kept)]
    assert outcome.details["removed_nodes"] == (
        outcome.details["hidden_nodes"] - sum(len(v) for v in kept.values()))
    assert outcome.size.skip_blocks >= 0
    assert np.isfinite(split.score(outcome.predict(split.raw("test")[0]), "test"))


def test_pruning_keeps_the_tolerance_and_removed_nodes_do_nothing() -> None:
    s = settings(epochs=20)
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    net = DenseNet([split.problem.X.shape[1], 12, 12, 1], skips=True, start="perceptron",
                   seed=0, group_penalty=True)
    train(net, split, s.search, CPU, lr=1e-2, penalty=s.group_penalty, seed=0)
    pruned = prune_nodes(net, split, 0.1, CPU)
    assert pruned.loss <= pruned.base_loss * 1.1
    assert pruned.loss == pytest.approx(validation_loss(net, split, CPU))
    assert pruned.removed == sum(int((~net.mask(i)).sum()) for i in net.hidden_layers)
    x = split.tensors("test", CPU)[0]
    before = net(x).detach()
    with torch.no_grad():  # weights into removed nodes may be anything
        for i in net.hidden_layers:
            for j in net.sources(i):
                net.block(i, j)[~net.mask(i)] = 1e3
    torch.testing.assert_close(net(x), before)
    torch.testing.assert_close(to_compact(net)(x), before, rtol=1e-5, atol=1e-5)


def test_mlp_prune_steps_within_the_tolerance_and_counts_the_pruned_mlp() -> None:
    s = settings(epochs=15, prune_step=0.25)
    split = teacher(1).split(1, s.test_fraction, s.search.validation_fraction)
    magnitude, taylor, full = run_mlp_prune(split, s, CPU)
    assert (magnitude.method, taylor.method, full.method) == (
        "mlp-prune", "mlp-prune-taylor", "mlp-full")
    assert full.size.hidden_widths == list(s.search.max_hidden)
    X_val = split.raw("val")[0]
    for outcome, importance in ((magnitude, "magnitude"), (taylor, "taylor")):
        d = outcome.details
        assert d["importance"] == importance and d["step_fraction"] == 0.25
        assert d["step_epochs"] == s.prune_step_epochs == 2
        assert d["library"].startswith("torch-pruning ")
        losses = d["validation_loss"]
        assert losses["limit"] == pytest.approx(losses["unpruned"] * (1 + s.tolerance))
        # every step up to the kept one is within the limit; the next (if any) is not
        kept = d["kept_step"]
        assert all(step["validation_loss"] <= losses["limit"] for step in d["steps"][:kept])
        assert len(d["steps"]) == kept or not d["steps"][kept]["validation_loss"] <= (
            losses["limit"])
        # at most four steps of a quarter each; each layer keeps one node
        assert len(d["steps"]) <= 4 and all(min(st["hidden_widths"]) >= 1 for st in d["steps"])
        widths = d["steps"][kept - 1]["hidden_widths"] if kept else list(s.search.max_hidden)
        assert outcome.size.hidden_widths == widths and outcome.size.skip_blocks == 0
        chain = [split.problem.X.shape[1], *widths, 1]
        assert outcome.size.parameters == sum((a + 1) * b for a, b in itertools.pairwise(chain))
        assert outcome.size.parameters <= full.size.parameters
        assert outcome.epochs == full.epochs + sum(st["epochs"] for st in d["steps"])
        # the reported network is the kept one: its validation loss is the kept step's
        loss = float(np.mean((outcome.predict(X_val) - split.Y(split.raw("val")[1])) ** 2)
                     / split.y_scaler.scale[0] ** 2)
        assert loss == pytest.approx(losses["kept"], rel=1e-4)
    again = run_mlp_prune(split, s, CPU)
    for a, b in zip((magnitude, taylor, full), again, strict=True):
        assert a.details == b.details and a.size == b.size


def test_plain_mlp_is_the_dense_net_and_back() -> None:
    net = DenseNet([3, 5, 4, 2], skips=False, seed=0)
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    plain = PlainMLP(net)
    assert plain.widths == [5, 4] and plain.out_features == 2
    assert float(plain.architecture_penalty()) == 0.0
    torch.testing.assert_close(plain(x), net(x))
    torch.testing.assert_close(plain.to_dense()(x), net(x))
    with torch.no_grad():
        net.mask(1)[[0, 3]] = False  # a masked DenseNet copies as its live nodes
    assert PlainMLP(net).widths == [3, 4]
    torch.testing.assert_close(PlainMLP(net)(x), net(x))


def test_mlp_search_is_reproducible_and_uses_its_trial_budget() -> None:
    s = settings(trials=4, epochs=5)
    split = teacher(2).split(0, s.test_fraction, s.search.validation_fraction)
    first = run_mlp_search(split, s, CPU)
    again = run_mlp_search(split, s, CPU)
    assert [o.method for o in first] == ["mlp-search", "mlp-search-small"]
    X = split.raw("test")[0]
    for a, b in zip(first, again, strict=True):
        assert a.details == b.details
        np.testing.assert_array_equal(a.predict(X), b.predict(X))
        assert a.trainings == 4
    best, small = first
    assert LR_RANGE[0] <= best.details["params"]["lr"] <= LR_RANGE[1]
    assert small.size.parameters <= best.size.parameters
    assert small.details["validation_loss"] <= best.details["validation_loss"] * (1 + s.tolerance)
    other = run_mlp_search(
        teacher(2).split(1, s.test_fraction, s.search.validation_fraction), s, CPU)
    assert other[0].details["params"] != best.details["params"]  # the seed reaches the sampler


def test_sparcs_validates_on_the_shared_rows() -> None:
    s = settings()
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    (outcome,) = METHODS["sparcs"](split, s, CPU)
    # every network of the search counts: five folds and the final one
    assert outcome.size.parameters > 0 and outcome.trainings == 6
    # The same split: the estimators' internal validation part has exactly these rows.
    from sparcs.preprocessing import split_indices

    _, val = split_indices(len(split.fit_rows), s.search.validation_fraction, 0)
    np.testing.assert_array_equal(val, split.val)


def test_linear_and_hgb_learn_a_linear_teacher() -> None:
    s = settings()
    split = teacher(0, samples=400).split(0, s.test_fraction, s.search.validation_fraction)
    X = split.raw("test")[0]
    (linear,) = METHODS["linear"](split, s, CPU)
    assert split.score(linear.predict(X), "test") > 0.99  # noise allows about 0.9975
    assert linear.size.parameters == split.problem.X.shape[1] + 1
    (hgb,) = METHODS["hgb"](split, s, CPU)
    assert hgb.size is None and 0.5 < split.score(hgb.predict(X), "test") < 0.99


def test_binary_sparcs_is_scored_like_the_estimators() -> None:
    """A one-logit binary model is decoded by its sign, not by the argmax of one column."""
    from sparcs.experiments.compare.methods import METHODS
    from sparcs.experiments.compare.problems import Problem

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X @ [1.5, -1.0, 0.5, 0.0] + 0.3 * rng.normal(size=400) > 0).astype(np.int64)
    problem = Problem("binary", "classification", X, y, n_classes=2)
    s = settings(epochs=30)
    split = problem.split(0, s.test_fraction, s.search.validation_fraction)
    X_test = split.raw("test")[0]
    scores = {name: split.score(METHODS[name](split, s, CPU)[0].predict(X_test), "test")
              for name in ("sparcs", "linear")}
    assert scores["linear"] > 0.8
    assert scores["sparcs"] >= scores["linear"] - 0.05, scores


def test_dense_net_is_penalized_by_its_group_lasso_and_has_no_eigenvalues() -> None:
    from sparcs.errors import ConfigError
    from sparcs.training import LayerActivity, Penalized

    net = DenseNet([3, 4, 2], skips=True, seed=0, group_penalty=True)
    plain = DenseNet([3, 4, 2], skips=True, seed=0)
    assert isinstance(net, Penalized) and not isinstance(net, LayerActivity)
    assert not hasattr(net, "eigenvalues") and not hasattr(net, "eigenvalue_penalty")
    with torch.no_grad():
        expected = sum(torch.sqrt(inc + out + 1e-12).sum() for inc, out in net.node_norms())
        assert float(net.architecture_penalty()) == pytest.approx(float(expected))
        assert float(plain.architecture_penalty()) == 0.0 and float(plain.group_lasso()) > 0
        net.mask(1)[0] = False  # a removed node is not penalized
        assert float(net.group_lasso()) < float(expected)
    with pytest.raises(ConfigError, match="p=2"):
        net.architecture_penalty(p=1)
