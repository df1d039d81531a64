"""The transition experiment: tiny preset end to end, resume after an interrupt, refuse."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch

from sparcs.cli.main import main
from sparcs.experiments import transition
from sparcs.pruning.paths import path_strength_from
from sparcs.spectral import functional as SF

TINY = transition.PRESETS["tiny"]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _run(out: Path, *extra: str) -> int:
    return main(["reproduce", "transition", "--preset", "tiny", "--out", str(out),
                 "--device", "cpu", "--no-progress", *extra])


def test_target_limits_and_gamma_norm() -> None:
    x = torch.rand(50, 2, dtype=torch.float64) * 2 - 1
    assert torch.allclose(transition.target(x, 0.0, 1000.0).squeeze(-1), x.mean(-1))
    assert torch.allclose(transition.target(x, 1.0, 1000.0).squeeze(-1), x.square().mean(-1))
    half = transition.target(x, 0.5, 5.0).squeeze(-1)
    assert torch.allclose(half, 0.5 * x.mean(-1) + 0.5 * x.square().mean(-1))
    # ‖Γ‖² from the factorized formula against the explicit path tensor Γ_ijk
    phis = [torch.randn(2, 5, 3, dtype=torch.float64), torch.randn(2, 1, 5, dtype=torch.float64)]
    lams = [torch.randn(2, n, dtype=torch.float64) for n in (3, 5, 1)]
    blocks = SF.weight_blocks(phis, lams)
    gamma = blocks[(2, 1)].unsqueeze(-1) * blocks[(1, 0)].unsqueeze(-3)  # (M, i, j, k)
    assert torch.allclose(path_strength_from(phis, lams)[..., 0], gamma.square().sum((1, 2, 3)))


def test_tiny_preset_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert _run(out) == 0
    printed = capsys.readouterr().out
    assert "report.md" in printed and "activity_ratio_beta_1000" in printed
    rows = _read(out / "results.csv")
    assert len(rows) == len(TINY.betas) * len(TINY.alphas)
    for column in ("beta", "alpha", "mean_abs_eigenvalue", "mean_abs_eigenvalue_se",
                   "gamma_norm_sq", "gamma_norm_sq_se", "mse", "mean_abs_eigenvalue_norm"):
        values = [float(r[column]) for r in rows]
        assert all(math.isfinite(v) for v in values), column
    assert {float(r["alpha"]) for r in rows} == set(TINY.alphas)
    assert all(float(r["mean_abs_eigenvalue"]) > 0 for r in rows)  # the penalty never hits 0
    for beta in TINY.betas:
        norm = [float(r["mean_abs_eigenvalue_norm"]) for r in rows if float(r["beta"]) == beta]
        assert max(norm) == pytest.approx(1.0)
    models = _read(out / "models.csv")
    assert len(models) == TINY.num_models
    # each cell's mean is the mean over its samples
    first = [float(m["mse"]) for m in models
             if float(m["beta"]) == TINY.betas[0] and float(m["alpha"]) == TINY.alphas[0]]
    assert float(rows[0]["mse"]) == pytest.approx(sum(first) / len(first))
    config = json.loads((out / "config.json").read_text())
    assert config["experiment"] == "transition" and config["preset"] == "tiny"
    assert config["samples"] == TINY.samples and config["alphas"] == TINY.alphas
    report = (out / "report.md").read_text()
    for name in ("datasets.png", "fits.png", "eigenvalues.png", "gamma.png",
                 "architectures.png"):
        assert (out / name).stat().st_size > 1000
        assert f"({name})" in report
    # a finished run only re-reports
    assert _run(out) == 0
    assert "already complete" in capsys.readouterr().out


def test_interrupted_run_resumes_to_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh"
    assert _run(fresh) == 0

    calls = {"n": 0}
    real_fit = transition.fit_ensemble

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # second chunk: stop after its first epoch's checkpoint

            def stop(epoch: int, history) -> None:
                raise KeyboardInterrupt

            kwargs["callback"] = stop
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(transition, "fit_ensemble", interrupted)
    cut = tmp_path / "cut"
    assert _run(cut) == 130
    assert not (cut / "done.json").exists()
    partial = _read(cut / "results.csv")  # valid partial results from the first chunk
    assert 0 < len(partial) < len(TINY.betas) * len(TINY.alphas)
    assert (cut / "checkpoints" / "chunk001.pt").exists()

    monkeypatch.setattr(transition, "fit_ensemble", real_fit)
    capsys.readouterr()
    assert _run(cut) == 0
    assert "resuming" in capsys.readouterr().out
    assert _read(cut / "models.csv") == _read(fresh / "models.csv")
    assert _read(cut / "results.csv") == _read(fresh / "results.csv")


def test_refuses_a_different_config_and_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 0
    capsys.readouterr()
    assert _run(out, "--epochs", "2") == 2
    err = capsys.readouterr().err
    assert "different configuration" in err and "epochs" in err and "--overwrite" in err
    assert json.loads((out / "config.json").read_text())["epochs"] == 1
    assert _run(out, "--epochs", "2", "--overwrite") == 0
    assert json.loads((out / "config.json").read_text())["epochs"] == 2
