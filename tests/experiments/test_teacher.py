"""The teacher–student experiment (docs/math.md §10.2): data, baseline, tiny run, resume."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
import torch

import sparcs
from sparcs import CompactNetwork
from sparcs.app.rundir import RunDir
from sparcs.cli.main import main
from sparcs.experiments import teacher as T
from sparcs.io import read_json
from sparcs.metrics import r2_score
from sparcs.pruning import to_compact
from sparcs.training import _loop

CPU = torch.device("cpu")
RESULT_KEYS = {
    "r2_full", "r2_pruned", "r2_linear", "active_hidden_layers", "hidden_widths_pruned",
    "eigenvalues", "threshold", "parameters", "train_time_s",
}


def _finite(obj: Any) -> bool:
    if isinstance(obj, dict):
        return all(_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite(v) for v in obj)
    if isinstance(obj, float):
        return math.isfinite(obj)
    return True


def _run(config: T.Config, path: Path) -> tuple[dict[str, Any], RunDir]:
    rundir = RunDir(path, dataclasses.asdict(config))
    return T.run(config, rundir, device=CPU, progress=False), rundir


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[T.Config, dict[str, Any], Path]:
    config = dataclasses.replace(T.PRESETS["tiny"], study=True)
    path = tmp_path_factory.mktemp("teacher") / "run"
    results, _ = _run(config, path)
    return config, results, path


# ----------------------------------------------------------------------------- data and baseline


@pytest.mark.parametrize("dim", [1, 2, 5, 20])
def test_rotation_is_special_orthogonal(dim: int) -> None:
    dets = []
    for seed in range(10):
        R = T.random_rotation(dim, torch.Generator().manual_seed(seed))
        assert R.dtype == torch.float64 and R.shape == (dim, dim)
        assert torch.allclose(R @ R.T, torch.eye(dim, dtype=torch.float64), atol=1e-12)
        dets.append(float(torch.linalg.det(R)))
    assert all(abs(d - 1) < 1e-10 for d in dets)


def test_rotations_differ_by_seed_and_repeat_by_seed() -> None:
    a = T.random_rotation(20, torch.Generator().manual_seed(1))
    b = T.random_rotation(20, torch.Generator().manual_seed(1))
    c = T.random_rotation(20, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_teacher_data_follows_the_formula() -> None:
    gen = torch.Generator().manual_seed(0)
    R = T.random_rotation(6, gen)
    X, y = T.teacher_data(R, 500, gen)
    assert X.min() >= -1 and X.max() <= 1
    for i in (0, 3, 499):
        assert torch.allclose(y[i], R @ torch.relu(R @ X[i]), atol=1e-12)


def test_linear_baseline_is_exact_on_a_linear_teacher() -> None:
    gen = torch.Generator().manual_seed(0)
    A = torch.randn(7, 3, generator=gen, dtype=torch.float64)
    b = torch.randn(3, generator=gen, dtype=torch.float64)
    X, X_test = (torch.rand(n, 7, generator=gen, dtype=torch.float64) for n in (200, 100))
    r2 = T.linear_baseline_r2(X, X @ A + b, X_test, X_test @ A + b)
    assert r2 == pytest.approx(1.0, abs=1e-10)


def test_linear_baseline_misses_the_relu_teacher() -> None:
    gen = torch.Generator().manual_seed(0)
    R = T.random_rotation(20, gen)
    X, y = T.teacher_data(R, 4000, gen)
    X_test, y_test = T.teacher_data(R, 2000, gen)
    assert 0.5 < T.linear_baseline_r2(X, y, X_test, y_test) < 0.9


def test_r2_score_reference_points() -> None:
    y = torch.randn(50, 3, dtype=torch.float64)
    assert r2_score(y, y) == pytest.approx(1.0)
    assert r2_score(y, y.mean(0).expand_as(y)) == pytest.approx(0.0, abs=1e-12)


def test_bad_config_is_a_clear_error() -> None:
    from sparcs.errors import ConfigError

    with pytest.raises(ConfigError, match="batch_size"):
        T.Config(samples=100, batch_size=1024)
    with pytest.raises(ConfigError, match="val_fraction"):
        T.Config(val_fraction=1.5)


# ----------------------------------------------------------------------------- end to end


def test_tiny_run_writes_results(tiny_run: tuple[T.Config, dict[str, Any], Path]) -> None:
    config, results, path = tiny_run
    assert set(results) >= RESULT_KEYS
    assert _finite(results)
    assert read_json(path / "results.json") == results
    assert len(results["hidden_widths_pruned"]) == 2
    assert results["active_hidden_layers"] == sum(w > 0 for w in results["hidden_widths_pruned"])
    assert all(0 <= w <= config.hidden for w in results["hidden_widths_pruned"])
    for k in range(4):
        stats = results["eigenvalues"][f"layer_{k}"]
        assert 0 <= stats["median_abs"] <= stats["max_abs"]
        assert 0 <= stats["fraction_below_1e-3"] <= 1
    assert results["eigenvalues"]["layer_0"]["max_abs"] == 0.0  # λ_0 stays frozen at 0
    params = results["parameters"]
    h, d = config.hidden, config.dim
    assert params["spectral"] == 2 * h * d + h * h + 2 * h + 2 * d
    assert params["compact_saved"] == params["compact"] <= params["direct"]
    history = read_json(path / "history.json")
    assert len(history["loss"]) == len(history["val_loss"]) == config.epochs
    for name in ("eigenvalues.png", "pruning_curve.png", "training.png", "study.png",
                 "report.md", "pruning_curve.csv", "study.csv", "architecture.txt"):
        assert (path / name).is_file() and (path / name).stat().st_size > 0, name
    report = (path / "report.md").read_text()
    assert "eigenvalues.png" in report and "layer-death" in report.lower()


def test_compact_model_reloads_and_matches(
    tiny_run: tuple[T.Config, dict[str, Any], Path],
) -> None:
    config, results, path = tiny_run
    compact = CompactNetwork.load(path / "compact")
    state = torch.load(path / "checkpoints" / "train.pt", weights_only=False)
    net = T.make_student(config, config.hidden, CPU, config.seed)
    net.load_state_dict(state["model"])
    X = torch.rand(256, config.dim) * 2 - 1
    expected = to_compact(net, results["threshold"])(X)
    assert torch.allclose(compact(X), expected, atol=1e-5)
    data = T.make_data(config, CPU)
    r2 = r2_score(data["y_test64"], T.predict(compact, data["X_test"]))
    assert r2 == pytest.approx(results["r2_pruned"], abs=1e-5)


def test_study_rows(tiny_run: tuple[T.Config, dict[str, Any], Path]) -> None:
    import csv

    config, _, path = tiny_run
    with open(path / "study.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    grid = {(int(r["hidden"]), float(r["penalty"]), int(r["epochs"])) for r in rows}
    assert grid == {(h, c, e) for h in config.study_widths for c in config.study_penalties
                    for e in config.study_epochs}
    for r in rows:
        lam1, lam2 = float(r["mean_abs_lambda1"]), float(r["mean_abs_lambda2"])
        assert (r["layer1_died"] == "True") == (lam1 <= config.death_ratio * lam2)
        assert math.isfinite(float(r["r2"]))


def test_cli_tiny_resume_and_refuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    args = ["reproduce", "teacher", "--preset", "tiny", "--out", str(out), "--device", "cpu",
            "--no-progress", "--epochs", "2", "--hidden", "8"]
    assert main(args) == 0
    results = read_json(out / "results.json")
    assert set(results) >= RESULT_KEYS and _finite(results)
    assert read_json(out / "config.json")["hidden"] == 8
    assert main(args) == 0  # complete: re-reports, does not retrain
    assert "already complete" in capsys.readouterr().out
    assert main([*args[:-1], "9"]) == 2  # other settings into the same folder: refused
    assert "--overwrite" in capsys.readouterr().err


# ----------------------------------------------------------------------------- resume


@pytest.fixture(scope="module")
def resume_reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[T.Config, dict[str, Any], Path]:
    config = dataclasses.replace(T.PRESETS["tiny"], epochs=5, checkpoint_every=3)
    path = tmp_path_factory.mktemp("teacher") / "reference"
    return config, _run(config, path)[0], path


class _Interrupt:
    """Stand-in for the epoch loop's ``epoch_batches`` (called once at the start of every
    epoch) that fails on its ``at``-th call: an interruption inside epoch ``at``."""

    def __init__(self, at: int, error: type[BaseException]) -> None:
        self.at, self.error, self.calls = at, error, 0
        self.real = _loop.epoch_batches

    def __call__(self, *args: Any, **kwargs: Any) -> list:
        self.calls += 1
        if self.calls == self.at:
            raise self.error("simulated interruption")
        return self.real(*args, **kwargs)


@pytest.mark.parametrize(
    ("error", "fail_at", "saved_epoch"),
    # Ctrl-C saves the finished epochs at once; a crash falls back to the last periodic save.
    [(KeyboardInterrupt, 3, 2), (RuntimeError, 5, 3)],
)
def test_resume_matches_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException], fail_at: int,
    saved_epoch: int, resume_reference: tuple[T.Config, dict[str, Any], Path],
) -> None:
    config, reference, reference_path = resume_reference

    stub = _Interrupt(fail_at, error)
    monkeypatch.setattr(_loop, "epoch_batches", stub)
    with pytest.raises(error):
        _run(config, tmp_path / "interrupted")
    monkeypatch.undo()
    rundir = RunDir(tmp_path / "interrupted", dataclasses.asdict(config))
    state = rundir.load_checkpoint("train")
    assert rundir.resumed and state is not None and state["epoch"] == saved_epoch
    assert not rundir.has("results.json")

    resumed, _ = _run(config, tmp_path / "interrupted")
    for key in ("r2_full", "r2_pruned", "threshold", "hidden_widths_pruned", "eigenvalues"):
        assert resumed[key] == reference[key], key
    history = read_json(tmp_path / "interrupted" / "history.json")
    assert history == read_json(reference_path / "history.json")


def test_interrupted_study_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    tiny_run: tuple[T.Config, dict[str, Any], Path],
) -> None:
    import csv

    from sparcs.experiments.teacher import experiment

    config, results, reference = tiny_run
    epochs_per_config = max(config.study_epochs)
    real_study = experiment.run_study

    def study(*args: Any, **kwargs: Any) -> Any:
        # Fail in the second study config: the epochs before the study (the main training and
        # the structured fine-tunings) are not counted.
        monkeypatch.setattr(_loop, "epoch_batches",
                            _Interrupt(epochs_per_config + 1, KeyboardInterrupt))
        return real_study(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_study", study)
    with pytest.raises(KeyboardInterrupt):
        _run(config, tmp_path / "run")
    monkeypatch.undo()
    state = RunDir(tmp_path / "run", dataclasses.asdict(config)).load_checkpoint("study")
    assert state is not None and len(state["rows"]) == len(config.study_epochs)

    resumed, _ = _run(config, tmp_path / "run")
    assert resumed["r2_full"] == results["r2_full"]

    def read(path: Path) -> list[dict[str, str]]:
        with open(path / "study.csv", newline="") as fh:
            return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(fh)]

    assert read(tmp_path / "run") == read(reference)


def test_the_student_is_drawn_from_its_seed_and_leaves_the_global_rng_alone() -> None:
    config = T.PRESETS["tiny"]
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    net = T.make_student(config, config.hidden, CPU, 7)
    assert torch.equal(torch.random.get_rng_state(), before)
    torch.manual_seed(7)  # the same weights as a student built after seeding the global RNG
    plain = sparcs.SpectralNetwork([config.dim, config.hidden, config.hidden, config.dim],
                                   activation="relu", bias=False, freeze_eigenvalues=[0])
    for a, b in zip(net.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not net.eigenvalues[0].requires_grad
