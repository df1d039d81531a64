"""``sparcs reproduce``: nested per-experiment flags, defaults, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sparcs.cli.main import main
from sparcs.experiments import registry


def test_registry_lists_the_three_experiments() -> None:
    assert set(registry.EXPERIMENTS) == {"transition", "teacher", "scaling"}
    module = registry.load("scaling")
    assert {"tiny", "quick", "paper"} <= set(module.PRESETS)
    with pytest.raises(Exception, match="unknown experiment"):
        registry.load("nope")


def test_help_lists_the_experiment_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "transition", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--preset", "--out", "--device", "--seed", "--overwrite", "--samples",
                 "--epochs", "--alphas", "--betas", "--chunk-models"):
        assert flag in text


def test_unknown_preset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "scaling", "--preset", "huge"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_default_out_and_flag_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["reproduce", "scaling", "--preset", "tiny", "--max-layers", "4",
                 "--seed", "3"]) == 0
    config = json.loads((tmp_path / "runs" / "scaling-tiny" / "config.json").read_text())
    assert config == {"experiment": "scaling", "preset": "tiny", "width": 10, "min_layers": 2,
                      "max_layers": 4, "seed": 3}
    assert "results in runs/scaling-tiny" in capsys.readouterr().out


def test_invalid_setting_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reproduce", "transition", "--preset", "tiny", "--samples", "0",
                 "--out", str(tmp_path / "x")]) == 2
    assert "samples must be an integer >= 1, got 0" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "scaling", "--preset", "tiny", "--device", "cuda",
                 "--out", str(tmp_path / "x")]) == 2
    assert "no CUDA device" in capsys.readouterr().err
