"""The engine under the estimators: devices, bad data, settings, fine-tuning, early stopping
and the linear floor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sparcs import SpectralNetwork, TrainConfig
from sparcs.devices import resolve_device
from sparcs.errors import ConfigError, DataError
from sparcs.pruning import architecture_of, to_compact
from sparcs.search.engine import fit_search
from sparcs.search.settings import SearchSettings
from sparcs.training.finetune import finetune


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("abacus")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda:0") == torch.device("cuda", 0)
    else:
        for name in ("cuda", "cuda:0", torch.device("cuda", 0)):
            with pytest.raises(ConfigError, match="no CUDA device"):
                resolve_device(name)


def test_reproduce_accepts_the_same_device_names(capsys):
    # One resolve_device for every command: cuda:N is a device name, not an argparse error.
    from sparcs.cli.main import main

    if torch.cuda.is_available():
        pytest.skip("checks the message without a GPU")
    assert main(["reproduce", "scaling", "--preset", "tiny", "--device", "cuda:0"]) == 2
    assert "no CUDA device is available" in capsys.readouterr().err
    assert main(["reproduce", "scaling", "--preset", "tiny", "--device", "abacus"]) == 2
    assert "unknown device 'abacus'" in capsys.readouterr().err


def test_fit_search_rejects_bad_data_and_restores_threads():
    X = np.ones((20, 2))
    with pytest.raises(DataError, match="NaN or infinite"):
        fit_search(np.full((20, 2), np.nan), np.zeros(20), task="regression")
    with pytest.raises(DataError, match="rows"):
        fit_search(X, np.zeros(19), task="regression")
    with pytest.raises(ConfigError, match="unknown task"):
        fit_search(X, np.zeros(20), task="ranking")
    with pytest.raises(DataError, match="only one class"):
        fit_search(X, np.zeros(20), task="classification")
    threads = torch.get_num_threads()
    fit_search(X, np.arange(20.0), task="regression",
               settings=SearchSettings(max_hidden=(4,), epochs=1, device="cpu"))
    assert torch.get_num_threads() == threads


def test_settings_validation():
    assert SearchSettings(max_hidden=5).max_hidden == (5,)
    assert SearchSettings(max_hidden=()).max_hidden == ()
    with pytest.raises(ConfigError, match="cv_folds"):
        SearchSettings(cv_folds=0)
    with pytest.raises(ConfigError, match="one_se"):
        SearchSettings(one_se=-1)
    with pytest.raises(ConfigError, match="batch_size"):
        SearchSettings(batch_size=0)
    with pytest.raises(ConfigError, match="finetune_epochs"):
        SearchSettings(finetune_epochs=-1)
    with pytest.raises(ConfigError, match="n_iter_no_change"):
        SearchSettings(n_iter_no_change=0)
    # Fractional counts were truncated silently (2.5 epochs ran 2); negative seeds crashed
    # numpy's generator with a bare ValueError.
    with pytest.raises(ConfigError, match="epochs must be an integer"):
        SearchSettings(epochs=2.5)
    with pytest.raises(ConfigError, match="batch_size must be an integer"):
        SearchSettings(batch_size=32.0)
    with pytest.raises(ConfigError, match="seed must be an integer from 0 to"):
        SearchSettings(seed=-1)
    assert SearchSettings(epochs=np.int64(3)).train_config().epochs == 3
    # early stopping needs a validation part; without one it is left out, not an error
    config = SearchSettings(validation_fraction=0).train_config(validation=False)
    assert not config.restore_best and config.n_iter_no_change is None


def test_finetune_holds_zeroed_eigenvalues_and_the_export_matches():
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(200, 3, generator=gen, dtype=torch.float64) * 2 - 1
    y = X[:, :1].abs() - X[:, 1:2] + 0.1 * torch.randn(200, 1, generator=gen, dtype=torch.float64)
    torch.manual_seed(0)
    net = SpectralNetwork([3, 12, 12, 1], bias=True, dtype=torch.float64)
    with torch.no_grad():
        net.eigenvalues[1].normal_()
        net.eigenvalues[1][::2] = 0.0  # half the first hidden layer removed
        net.eigenvalues[2].zero_()  # and the whole second one (its norm has no gradient at 0)
    zero = [lam.detach() == 0 for lam in net.eigenvalues]
    before = {k: v.clone() for k, v in net.state_dict().items()}
    arch = architecture_of(net, 0.0)
    config = TrainConfig(epochs=15, batch_size=32, lr=1e-2, penalty=1e-3)
    tuned, history = finetune(net, X[:160], y[:160], config=config, loss="mse",
                              validation=(X[160:], y[160:]))
    assert tuned is net and len(history.loss) == 15
    for lam, z in zip(tuned.eigenvalues, zero, strict=True):
        assert torch.isfinite(lam).all() and (lam.detach()[z] == 0).all()
    assert not torch.equal(tuned.eigenvalues[1], before["eigenvalues.1"])  # survivors moved
    assert history.loss[-1] < history.loss[0]
    assert architecture_of(tuned, 0.0).widths == arch.widths
    compact = to_compact(tuned, 0.0)
    with torch.no_grad():
        assert torch.allclose(compact(X), tuned(X), atol=1e-10)


def test_fit_search_early_stops_chooses_and_finetunes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.abs(X[:, 0]) + X[:, 1] + 0.1 * rng.normal(size=300)
    settings = SearchSettings(max_hidden=(16,), epochs=40, device="cpu", finetune_epochs=10,
                              n_iter_no_change=5, cv_folds=3, budgets=6)
    fitted = fit_search(X, y, task="regression", settings=settings)
    assert fitted.history.best_epoch is not None and len(fitted.history.loss) <= 40
    assert fitted.folds == 3 and len(fitted.members) == 4  # three folds and the final network
    assert [m["fold"] for m in fitted.members] == [0, 1, 2, None]
    assert fitted.kind == "network"  # |x| needs a hidden layer: ridge is far behind
    tuned = fitted.finetune_history
    assert 1 <= len(tuned.loss) <= 10
    # fine-tuning keeps the best validation epoch, the start included
    assert fitted.losses["validation"] <= fitted.losses["before_finetune"] * (1 + 1e-6)
    # the cross-validation table: 6 budgets of the one penalty, the floor and the constant
    kinds = [row["kind"] for row in fitted.cv]
    assert kinds.count("network") == 6 and kinds[-2:] == ["floor", "constant"]
    assert all(len(row["losses"]) == 3 for row in fitted.cv)
    chosen = fitted.choice["chosen"]
    assert fitted.compact.num_parameters() <= chosen["budget"]
    assert fitted.architecture.compact_parameters == fitted.compact.num_parameters()
    plain = fit_search(X, y, task="regression", settings=SearchSettings(
        max_hidden=(16,), epochs=40, device="cpu", early_stopping=False, prune=False))
    assert len(plain.history.loss) == 40 and plain.history.best_epoch is None
    assert plain.finetune_history is None and plain.cv == []
    # without a validation part: no early stopping, but the folds still choose
    alone = fit_search(X, y, task="regression", settings=SearchSettings(
        max_hidden=(16,), epochs=5, device="cpu", validation_fraction=0, finetune_epochs=3,
        cv_folds=3, budgets=4))
    assert len(alone.history.loss) == 5 and alone.history.best_epoch is None
    assert alone.choice["chosen"]["kind"] in ("network", "floor", "constant")


def test_the_floor_is_chosen_on_a_small_linear_problem_and_is_ridge():
    from sparcs.baselines import ridge_fits
    from sparcs.search.floor import ALPHAS

    # 60 rows, 30 features, a noisy linear target: regularization is what matters
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 30))
    y = X @ (0.3 * rng.normal(size=30)) + rng.normal(size=60)
    settings = SearchSettings(max_hidden=(16,), epochs=30, device="cpu", seed=1)
    fitted = fit_search(X, y, task="regression", settings=settings)
    assert fitted.kind == "floor" and fitted.architecture.hidden_widths == [0]
    floor = next(r for r in fitted.cv if r["kind"] == "floor")
    assert all(floor["mean"] < r["mean"] for r in fitted.cv if r["kind"] == "network")
    # the kept model is ridge, at the α the folds chose, on all the standardized rows
    Xs = fitted.x_scaler.transform(X)
    Ys = fitted.y_scaler.transform(y.reshape(-1, 1))
    W, b = ridge_fits(Xs, Ys, np.ones((1, len(X))), ALPHAS)
    predictions = [fitted.y_scaler.inverse(Xs @ W[0, r] + b[0, r]) for r in range(len(ALPHAS))]
    assert min(np.abs(fitted.predict(X) - p).max() for p in predictions) < 1e-4
    off = fit_search(X, y, task="regression",
                     settings=SearchSettings(max_hidden=(16,), epochs=30, device="cpu", seed=1,
                                             linear_floor=False))
    assert off.kind == "network" and not any(r["kind"] == "floor" for r in off.cv)
