"""The lassonet method: its plan within the time budget, the compact export and its parameter
count, reproducible rows, and the missing-package error."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from sparcs.errors import ConfigError
from sparcs.experiments.compare.methods import METHODS
from sparcs.experiments.compare.methods import lasso as lasso_method
from sparcs.experiments.compare.methods.lasso import (
    FINEST_MULTIPLIER,
    MIN_STEPS,
    lassonet_compact,
    nonzero_size,
    plan,
)

from .helpers import settings, teacher

CPU = torch.device("cpu")
# Small LassoNet settings: seconds. A given λ_start skips LassoNet's estimate (about 10 s).
SMALL = {"lassonet_seconds": 5.0, "lassonet_lambda_start": 1.0, "epochs": 6}


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as a trial runs with the backend's: LassoNet's many small steps slow
    down several-fold on two threads of a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_the_plan_spends_the_budget_on_folds_and_path_steps() -> None:
    quick = settings(search={}, lassonet_seconds=60)  # compare's defaults: [64, 64], 100 epochs
    small = plan(1200, 10, 1, quick)
    assert small.folds == 3 and small.path_steps >= MIN_STEPS
    assert small.estimated_seconds <= 60 and small.lambda_start is None
    assert (small.hidden_dims, small.batch_size, small.init_epochs, small.init_patience) == (
        (64, 64), 128, 100, 20)
    large = plan(1200, 10, 1, settings(search={}, lassonet_seconds=600))
    assert large.folds == 5 and large.path_multiplier < small.path_multiplier
    assert large.estimated_seconds <= 600
    finest = plan(100, 3, 1, settings(search={}, lassonet_seconds=10**6))
    assert finest.path_multiplier == FINEST_MULTIPLIER  # never finer than LassoNet's default
    assert plan(1200, 10, 1, quick) == small  # the shape and the settings decide, nothing else
    given = plan(1200, 10, 1, settings(search={}, lassonet_seconds=60, lassonet_lambda_start=2.0))
    assert given.lambda_start == 2.0 and given.path_steps > small.path_steps  # no estimate to pay
    with pytest.raises(ConfigError, match=r"lassonet: 50000 rows do not fit lassonet_seconds=5"):
        plan(50_000, 10, 1, settings(search={}, lassonet_seconds=5))


def _lassonet_net(seed: int = 0):
    from lassonet.model import LassoNet

    torch.manual_seed(seed)
    net = LassoNet(5, 4, 3, 2, dropout=0)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-1, 1)
    return net


def test_the_compact_export_is_the_lassonet_network_and_counts_its_nonzero_weights() -> None:
    pytest.importorskip("lassonet")
    net = _lassonet_net()
    x = torch.randn(9, 5, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        net.skip.weight[:, 1] = 0  # feature 1 left the model: no skip and no first-layer weight
        net.layers[0].weight[:, 1] = 0
        net.skip.weight[0, 3] = 0  # an exact zero inside a kept block does not count
        net.layers[1].weight[:, 2] = 0  # hidden node 2 of layer 1 feeds nothing
        net.layers[0].weight[0] = 0  # hidden node 0 of layer 1: no input, negative bias: always 0
        net.layers[0].bias[0] = -0.5
    compact = lassonet_compact(net)
    net.eval()
    torch.testing.assert_close(compact(x), net(x))
    assert compact.config["input_index"] == [0, 2, 3, 4]
    assert [layer["sources"] for layer in compact.config["layers"]] == [[0], [1], [2, 0]]
    size = nonzero_size(compact, 2)
    assert size.hidden_widths == [2, 3] and size.skip_blocks == 1
    # The count from the model's own weights: the live rows and columns' non-zero entries.
    live1, inputs = [1, 3], [0, 2, 3, 4]
    expected = (int(torch.count_nonzero(net.layers[0].weight[live1][:, inputs]))
                + int(torch.count_nonzero(net.layers[0].bias[live1]))
                + int(torch.count_nonzero(net.layers[1].weight[:, live1]))
                + int(torch.count_nonzero(net.layers[1].bias))
                + int(torch.count_nonzero(net.layers[2].weight))
                + int(torch.count_nonzero(net.layers[2].bias))
                + int(torch.count_nonzero(net.skip.weight)))
    assert size.parameters == expected == compact.num_parameters() - 1  # the zero skip weight
    weights = sum(int(torch.count_nonzero(m.weight)) for m in compact.layers)
    assert size.flops == 2 * weights + (size.parameters - weights)


def test_a_network_without_inputs_or_live_hidden_nodes_is_its_constant() -> None:
    pytest.importorskip("lassonet")
    net = _lassonet_net(1)
    with torch.no_grad():
        net.skip.weight.zero_()
        net.layers[0].weight.zero_()  # every feature left: the hidden layers see only biases
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(2))
    compact = lassonet_compact(net)
    net.eval()
    torch.testing.assert_close(compact(x), net(x))
    assert compact.config["input_index"] == []
    assert compact.config["layers"][0]["sources"] == []
    out = net(x)
    assert torch.allclose(out, out[:1].expand_as(out))


def test_lassonet_fits_a_tiny_problem_reproducibly() -> None:
    pytest.importorskip("lassonet")
    s = settings(**SMALL)
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    before = torch.random.get_rng_state()
    (first,) = METHODS["lassonet"](split, s, CPU)
    assert torch.equal(torch.random.get_rng_state(), before)  # torch's global state is kept
    (again,) = METHODS["lassonet"](split, s, CPU)
    X = split.raw("test")[0]
    np.testing.assert_array_equal(first.predict(X), again.predict(X))
    assert first.size == again.size and first.epochs == again.epochs
    d = first.details
    assert {k: v for k, v in d.items() if k != "wall_seconds"} == {
        k: v for k, v in again.details.items() if k != "wall_seconds"}
    assert d["plan"]["folds"] == 3 and d["lambda_start"] == 1.0
    assert first.trainings == 4 and len(d["path_steps"]) == 4  # three folds and the final fit
    assert first.size.hidden_widths == [12, 12] and first.size.skip_blocks == 1
    assert first.size.parameters <= d["compact_parameters"]
    assert set(d["selected_features"]) <= set(range(split.problem.X.shape[1]))
    assert np.isfinite(split.score(first.predict(X), "test"))
    other = split.problem.split(1, s.test_fraction, s.search.validation_fraction)
    (moved,) = METHODS["lassonet"](other, s, CPU)
    assert moved.details["cv_score"] != d["cv_score"]  # the seed reaches the split and the fit


def test_lassonet_classifies_with_one_column_per_class() -> None:
    pytest.importorskip("lassonet")
    from sparcs.experiments.compare.problems import Problem

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    problem = Problem("binary", "classification", X, y, n_classes=2)
    s = settings(**SMALL)
    split = problem.split(0, s.test_fraction, s.search.validation_fraction)
    (outcome,) = METHODS["lassonet"](split, s, CPU)
    scores = outcome.predict(split.raw("test")[0])
    assert scores.shape == (len(split.test_rows), 2)
    assert split.score(scores, "test") > 0.8


def test_without_the_package_lassonet_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lassonet", None)  # import lassonet raises ImportError
    s = settings(**SMALL)
    split = teacher(1).split(0, s.test_fraction, s.search.validation_fraction)
    with pytest.raises(ConfigError, match=r"pip install 'sparcs-nas\[lassonet\]'"):
        lasso_method.run_lassonet(split, s, CPU)
    assert METHODS["lassonet"].needs == ("lassonet", "lassonet")
