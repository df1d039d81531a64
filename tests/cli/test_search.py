"""``sparcs search`` end to end on generated CSV files, and every kind of bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sparcs.app.config import SearchConfig
from sparcs.cli.main import main

FAST = ["--max-hidden", "16", "--epochs", "30", "--batch-size", "32", "--no-progress"]


def make_csv(path: Path, n: int = 240, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 3))
    y = X[:, 0] - X[:, 1] + 2 * np.abs(X[:, 2]) + 0.01 * rng.normal(size=n)
    lines = ["a,b,c,target"] + [
        f"{r[0]:.6f},{r[1]:.6f},{r[2]:.6f},{t:.6f}" for r, t in zip(X, y, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def search(tmp_path: Path, data: Path, *extra: str, out: str = "run") -> tuple[int, Path]:
    target = tmp_path / out
    code = main(["search", str(data), "--out", str(target), *FAST, *extra])
    return code, target


def leftovers(folder: Path) -> list[str]:
    """Anything a failed search could have left next to its --out."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_search_regression_writes_a_complete_folder(tmp_path, capsys):
    data = make_csv(tmp_path / "data.csv")
    flags = ["--target", "target", "--epochs", "100", "--batch-size", "16"]
    code, out = search(tmp_path, data, *flags)
    assert code == 0
    printed = capsys.readouterr().out
    assert "240 rows, 3 features (regression)" in printed
    assert "Architecture (threshold=" in printed and "test R²" in printed
    names = {p.name for p in out.iterdir()}
    assert {
        "model", "architecture.json", "metrics.json", "config.json", "columns.json",
        "history.json", "cv.json", "cv.csv", "members.json", "report.md",
        "architecture.png", "cv_curve.png", "eigenvalues.png", "loss.png",
    } <= names
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["test"]
    assert metrics["task"] == "regression" and metrics["metric"] == "r2"
    assert test["chosen"]["r2"] > 0.95 and test["full"]["r2"] > 0.95
    # the target has an |x| term the linear floor cannot fit
    assert test["linear_baseline"]["r2"] < 0.8
    params = metrics["parameters"]
    assert params["compact"] <= params["spectral"] == 4 * 16 + 16 + (4 + 16 + 1)
    assert params["direct"] == 4 * 16 + 4 + 16
    assert metrics["rows"]["test"] == 48 and metrics["rows"]["train"] + metrics["rows"][
        "validation"] == 192
    config = json.loads((out / "config.json").read_text())
    assert config["max_hidden"] == [16] and config["epochs"] == 100 and config["seed"] == 0
    report = (out / "report.md").read_text()
    for figure in ("architecture.png", "cv_curve.png", "eigenvalues.png", "loss.png"):
        assert f"]({figure})" in report
    assert "sparcs search" in report and "--max-hidden 16" in report
    assert leftovers(tmp_path) == []


def test_search_classification_with_text_labels_and_categories(tmp_path, capsys):
    rng = np.random.default_rng(2)
    rows = ["x,colour,label"]
    for i in range(300):
        colour = ["red", "green", "blue"][i % 3]
        x = rng.normal()
        label = "yes" if (colour == "red") ^ (x > 0) else "no"
        rows.append(f"{x:.5f},{colour},{label}")
    data = tmp_path / "cls.csv"
    data.write_text("\n".join(rows))
    code, out = search(tmp_path, data, "--target", "label", "--categorical", "onehot",
                       "--epochs", "60", "--batch-size", "16")
    assert code == 0
    assert "2 classes" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metric"] == "accuracy"
    # the XOR of colour and sign needs a hidden layer; the linear floor cannot fit it
    assert metrics["test"]["chosen"]["accuracy"] >= 0.9
    assert metrics["test"]["linear_baseline"]["accuracy"] < 0.8
    columns = json.loads((out / "columns.json").read_text())
    assert columns["classes"] == ["no", "yes"]
    assert columns["feature_names"] == ["x", "colour=blue", "colour=green", "colour=red"]


def test_npz_input_needs_no_target(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    np.savez(tmp_path / "d.npz", X=X, y=X[:, 0] - X[:, 1])
    code, out = search(tmp_path, tmp_path / "d.npz")
    assert code == 0
    assert json.loads((out / "columns.json").read_text())["feature_names"] == ["x0", "x1"]


def test_early_stopping_and_finetune_flags_reach_the_run_and_its_record(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    np.savez(tmp_path / "d.npz", X=X, y=np.abs(X[:, 0]) - X[:, 1])
    code, out = search(tmp_path, tmp_path / "d.npz", "--no-early-stopping",
                       "--n-iter-no-change", "none", "--finetune-epochs", "4")
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["early_stopping"] is False and config["n_iter_no_change"] is None
    assert config["finetune_epochs"] == 4
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 30
    chosen = json.loads((out / "metrics.json").read_text())["architecture"]["kind"]
    if chosen == "network":  # the floor and the constant are not fine-tuned
        assert len(json.loads((out / "finetune_history.json").read_text())["loss"]) <= 4
        assert "before_finetune" in json.loads((out / "metrics.json").read_text())[
            "validation_loss"]
    command = SearchConfig(**{k: v for k, v in config.items() if k != "sparcs_version"})
    line = command.command_line()
    assert "--no-early-stopping" in line and "--finetune-epochs 4" in line
    assert "--n-iter-no-change none" in line


def test_regularization_path_flags_write_the_members_and_the_cv_table(tmp_path):
    data = make_csv(tmp_path / "d.csv")
    code, out = search(tmp_path, data, "--target", "target", "--path-penalties", "1e-4,1e-2",
                       "--path-seeds", "2", "--cv-folds", "3", "--budgets", "4")
    assert code == 0
    members = json.loads((out / "members.json").read_text())
    assert [(r["penalty"], r["seed"], r["fold"]) for r in members] == [
        (c, s, k) for c in (1e-4, 1e-2) for s in (0, 1) for k in (0, 1, 2, None)]
    cv = json.loads((out / "cv.json").read_text())
    assert cv["folds"] == 3 and cv["choice"]["chosen"]["kind"] in ("network", "floor",
                                                                   "constant")
    networks = [r for r in cv["candidates"] if r["kind"] == "network"]
    assert len(networks) == 2 * 2 * 4  # (penalty, seed) pairs at four budgets
    assert all(len(r["losses"]) == 3 for r in networks)  # one held-out loss per fold
    assert (out / "cv.csv").read_text().count("\n") == len(cv["candidates"]) + 1
    report = (out / "report.md").read_text()
    assert "## How the model was chosen" in report and "3-fold cross-validation" in report
    config = json.loads((out / "config.json").read_text())
    line = SearchConfig(**{k: v for k, v in config.items() if k != "sparcs_version"}
                        ).command_line()
    assert "--path-penalties 0.0001,0.01" in line and "--cv-folds 3" in line


def test_existing_result_is_refused_then_overwritten(tmp_path, capsys):
    data = make_csv(tmp_path / "data.csv", n=60)
    code, out = search(tmp_path, data, "--target", "target", "--epochs", "2")
    assert code == 0
    (out / "keep.txt").write_text("note")
    code, _ = search(tmp_path, data, "--target", "target", "--epochs", "2")
    assert code == 2
    err = capsys.readouterr().err
    assert "already holds a sparcs result" in err and "--overwrite" in err
    assert (out / "keep.txt").read_text() == "note"
    code, _ = search(tmp_path, data, "--target", "target", "--epochs", "2", "--overwrite")
    assert code == 0 and not (out / "keep.txt").exists() and (out / "metrics.json").is_file()
    assert leftovers(tmp_path) == []


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    data = make_csv(tmp_path / "data.csv", n=60)
    (tmp_path / "run").write_text("not a folder")
    code, _ = search(tmp_path, data, "--target", "target", "--epochs", "2")
    assert code == 2 and "exists and is not a folder" in capsys.readouterr().err
    assert (tmp_path / "run").read_text() == "not a folder"


def test_failure_while_exporting_leaves_nothing(tmp_path, monkeypatch, capsys):
    import sparcs.app.folder as search_mod

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(search_mod, "search_report", broken)
    data = make_csv(tmp_path / "data.csv", n=60)
    code, _ = search(tmp_path, data, "--target", "target", "--epochs", "2")
    err = capsys.readouterr().err.strip().splitlines()[-1]
    # an unexpected error is one line that says it is a bug, never a traceback
    assert code == 1 and "internal error (RuntimeError: disk full)" in err
    assert not (tmp_path / "run").exists() and leftovers(tmp_path) == []
    monkeypatch.setenv("SPARCS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="disk full"):
        search(tmp_path, data, "--target", "target", "--epochs", "2")


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


def _rows(n: int, fmt: str) -> str:
    return "\n".join(fmt.format(i=i, r=i % 2) for i in range(n))


BAD_INPUTS = {
    "missing file": (None, ["--target", "y"], "file not found: "),
    "empty file": ("", ["--target", "y"], "is empty"),
    "header only": ("a,y\n", ["--target", "y"], "has a header but no data rows"),
    "too few rows": ("a,y\n" + _rows(5, "{i},{i}"), ["--target", "y"],
                     "has 5 usable rows; at least 10 are needed"),
    "no target": ("a,b\n" + _rows(12, "{i},{i}"), ["--target", "price"],
                  "target column 'price' is not in bad.csv; available columns: a, b"),
    "text feature": ("a,city,y\n" + _rows(12, "{i},Paris,{i}"), ["--target", "y"],
                     "non-numeric feature columns: city (e.g. 'Paris'); pass --categorical onehot"),
    "nan": ("a,y\n" + _rows(12, "{i},{i}") + "\nnan,1\n,2\ninf,3", ["--target", "y"],
            "found 2 missing/NaN and 1 infinite values in 3 rows (columns: a); pass --dropna"),
    "one class": ("a,y\n" + _rows(12, "{i},yes"), ["--target", "y"],
                  "target column 'y' has only one class ('yes'); classification needs at least 2"),
    "text regression": ("a,y\n" + _rows(12, "{i},k{r}"), ["--target", "y", "--task", "regression"],
                        "holds text, which cannot be regressed; use --task classification"),
    "continuous target as classes": (
        "a,y\n" + _rows(12, "{i},{i}.5"), ["--target", "y", "--task", "classification"],
        "target column 'y' has 12 distinct values in 12 rows, too many classes"),
    "semicolons": ("a;y\n" + _rows(12, "{i};{i}"), ["--target", "y"],
                   "looks separated by semicolons"),
    "negative seed": ("a,y\n" + _rows(12, "{i},{i}"), ["--target", "y", "--seed", "-1"],
                      "seed must be an integer from 0 to"),
    "one test row": ("a,y\n" + _rows(12, "{i},{i}"), ["--target", "y", "--test-fraction",
                     "0.01"], "leaves 1 test row; the test metrics need at least 2"),
    "bad max-hidden": ("a,y\n" + _rows(12, "{i},{i}"), ["--target", "y", "--max-hidden", "0"],
                       "max_hidden must be a list of integers >= 1, got [0]"),
    "bad test fraction": ("a,y\n" + _rows(12, "{i},{i}"), ["--target", "y", "--test-fraction",
                          "1.5"], "test_fraction must be a finite number in (0, 1), got 1.5"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_without_output(tmp_path, capsys, case):
    text, flags, message = BAD_INPUTS[case]
    data = tmp_path / "missing.csv" if text is None else _csv(tmp_path, text)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["search", str(data), "--out", str(tmp_path / "out"), *FAST, *flags])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparcs search: error: "), captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temp folder


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without a GPU")
def test_cuda_without_a_gpu(tmp_path, capsys):
    data = make_csv(tmp_path / "data.csv", n=60)
    code, out = search(tmp_path, data, "--target", "target", "--device", "cuda")
    assert code == 2 and "no CUDA device is available" in capsys.readouterr().err
    assert not out.exists()


def test_dropna_recovers_from_missing_values(tmp_path):
    data = _csv(tmp_path, "a,y\n" + _rows(20, "{i},{i}") + "\nnan,1\n,2")
    code, out = search(tmp_path, data, "--target", "y", "--dropna", "--epochs", "2")
    assert code == 0
    assert json.loads((out / "metrics.json").read_text())["rows"]["dropped"] == 2


def test_unknown_option_and_bad_settings(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["search", "x.csv", "--max-hiden", "3"])
    assert exc.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    assert main(["search", "x.csv", "--one-se", "-1"]) == 2
    err = capsys.readouterr().err
    assert "one_se must be a finite number >= 0, got -1.0" in err
    assert main(["search", "x.csv", "--n-iter-no-change", "0"]) == 2
    assert "n_iter_no_change must be an integer >= 1 or None, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["search", "x.csv", "--epochs", "many"])
    assert exc.value.code == 2 and "invalid int value: 'many'" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("sparcs") is None, reason="the sparcs script is not installed")
def test_sparcs_command_in_a_subprocess(tmp_path):
    data = make_csv(tmp_path / "data.csv", n=80)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        ["sparcs", "search", str(data), "--target", "target", "--out", str(tmp_path / "run"),
         "--max-hidden", "8", "--epochs", "3", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Architecture (threshold=" in run.stdout
    bad = subprocess.run(
        ["sparcs", "search", str(data), "--target", "nope", "--out", str(tmp_path / "x")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "available columns: a, b, c, target" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_module_entry_point(tmp_path):
    run = subprocess.run([sys.executable, "-m", "sparcs.cli.main", "search", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "--categorical" in run.stdout and "--dropna" in run.stdout
