"""Messages that say what happened, and settings that cannot give a model (issue 8 §2, §3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sparcs.cli.main import main
from sparcs.training.trainer import History

TINY = ["--max-hidden", "4", "--epochs", "2", "--finetune-epochs", "1", "--no-progress"]


def write(path: Path, header: list[str], rows: list[list]) -> Path:
    lines = [",".join(header)] + [",".join(str(c) for c in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def regression_csv(path: Path, n: int = 60, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return write(path, ["a", "b", "y"], [[f"{a:.4f}", f"{b:.4f}", f"{a - b:.4f}"] for a, b in X])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str) -> str:
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_every_phase_prints_a_line_and_early_stopping_says_when_and_why(tmp_path, capsys):
    data = regression_csv(tmp_path / "d.csv")
    code, _, err = run(capsys, "search", str(data), "--target", "y", "--out",
                       str(tmp_path / "run"), "--max-hidden", "4", "--epochs", "300",
                       "--n-iter-no-change", "2", "--lr", "0.05", "--finetune-epochs", "2",
                       "--recruit-steps", "10")
    assert code == 0
    stopped = next(line for line in err.splitlines() if line.startswith("training: "))
    assert "stopped early after epoch" in stopped and "of 300" in stopped
    assert "had not improved for 2 epochs" in stopped and "kept epoch" in stopped
    for phase in ("training 6 networks as one ensemble: 5 folds and the final network",
                  "pruning and scoring 1/5: fold 1", "pruning and scoring 5/5: fold 5",
                  "by 5-fold cross-validation: held-out loss",
                  "writing the model, metrics and figures"):
        assert phase in err
    chosen = json.loads((tmp_path / "run" / "metrics.json").read_text())["architecture"]
    assert ("fine-tuning the chosen network: up to 2 epochs" in err) == (
        chosen["kind"] == "network")
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    ran = len(history["loss"])
    assert f"stopped early after epoch {ran} of 300" in stopped
    report = (tmp_path / "run" / "report.md").read_text()
    assert f"The final network: stopped early after epoch {ran} of 300" in report
    assert f"kept epoch {history['best_epoch']} " in report and "numbered from 1" in report
    assert 1 <= history["best_epoch"] <= ran - 2


def test_history_describes_epochs_from_one():
    assert History(loss=[1.0] * 5, best_epoch=5).describe(5) == (
        "trained all 5 epochs; kept epoch 5 (lowest validation loss)")
    assert "kept the untrained start" in History(loss=[1.0] * 3, best_epoch=0).describe(9)
    assert "epoch 0" not in History(loss=[1.0] * 3, best_epoch=0).describe(9)
    assert History(loss=[1.0] * 3).describe(3) == "trained all 3 epochs"


def test_no_progress_is_quiet(tmp_path, capsys):
    data = regression_csv(tmp_path / "d.csv")
    code, _, err = run(capsys, "search", str(data), "--target", "y", "--out",
                       str(tmp_path / "run"), *TINY)
    assert code == 0 and "pruning:" not in err


def test_decimal_commas_are_recognised(tmp_path, capsys):
    data = write(tmp_path / "d.csv", ["a", "b", "y"],
                 [[f'"{i},5"', i, f'"{2 * i},25"'] for i in range(20)])
    code, _, err = run(capsys, "search", str(data), "--target", "y", *TINY,
                       "--out", str(tmp_path / "r"))
    err = one_line_error(code, err)
    assert "decimal comma" in err and "'0,5'" in err and "--categorical" not in err
    for mode in ("onehot",):  # a decimal-comma column is not one-hot encoded either
        code, _, err = run(capsys, "search", str(data), "--target", "y", "--categorical", mode,
                           *TINY, "--out", str(tmp_path / "r"))
        assert "decimal comma" in one_line_error(code, err)


def test_inf_in_the_target_is_counted_as_inf(tmp_path, capsys):
    rows = [[i, i % 3, "inf" if i == 3 else "-inf" if i == 4 else i] for i in range(30)]
    rows[5][2] = "nan"
    data = write(tmp_path / "d.csv", ["a", "b", "y"], rows)
    code, _, err = run(capsys, "search", str(data), "--target", "y", *TINY,
                       "--out", str(tmp_path / "r"))
    assert "found 1 missing/NaN and 2 infinite values in 3 rows" in one_line_error(code, err)


@pytest.mark.parametrize(("flags", "message"), [
    (["--test-fraction", "0.99"], "rows to train on"),
    (["--test-fraction", "0.9", "--validation-fraction", "0.5"], "rows to train on"),
    (["--max-hidden", ""], "max_hidden is empty"),
    (["--max-hidden", ","], "max_hidden is empty"),
])
def test_degenerate_settings_are_refused(tmp_path, capsys, flags, message):
    data = regression_csv(tmp_path / "d.csv")
    code, _, err = run(capsys, "search", str(data), "--target", "y", *TINY, *flags,
                       "--out", str(tmp_path / "r"))
    assert message in one_line_error(code, err) and not (tmp_path / "r").exists()


def test_too_few_rows_per_class_is_refused(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [[f"{rng.normal():.3f}", f"{rng.normal():.3f}", f"c{i % 50}"] for i in range(100)]
    data = write(tmp_path / "d.csv", ["a", "b", "label"], rows)
    code, _, err = run(capsys, "search", str(data), "--target", "label", *TINY,
                       "--out", str(tmp_path / "r"))
    err = one_line_error(code, err)
    assert "50 classes in 100 rows" in err and "per class" in err


@pytest.mark.parametrize(("flags", "warning"), [
    (["--validation-fraction", "0"], "pruning is judged on the training rows"),
    (["--validation-fraction", "0.01"], "validation rows judge the pruning"),
    (["--test-fraction", "0.6"], "holds out more rows for testing"),
    (["--epochs", "0"], "the network is not trained"),
])
def test_unwise_settings_are_warned_once(tmp_path, capsys, flags, warning):
    data = regression_csv(tmp_path / "d.csv", n=200)
    code, _, err = run(capsys, "search", str(data), "--target", "y", *TINY, *flags,
                       "--out", str(tmp_path / "r"))
    assert code == 0 and err.count(warning) == 1
    assert any(line.startswith("warning: ") and warning in line for line in err.splitlines())


def test_wide_one_hot_encoding_is_warned_naming_the_column(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = [[f"id{i:04d}", "red" if i % 2 else "blue", f"{rng.normal():.3f}"]
            for i in range(120)]
    data = write(tmp_path / "d.csv", ["customer", "colour", "y"], rows)
    code, _, err = run(capsys, "search", str(data), "--target", "y", "--categorical", "onehot",
                       *TINY, "--out", str(tmp_path / "r"))
    assert code == 0
    lines = [line for line in err.splitlines() if "one-hot" in line]
    assert len(lines) == 1 and "column customer adds 120 inputs" in lines[0]
    assert "colour" not in lines[0] and "identifier" in lines[0]


def test_constant_target_is_refused_with_auto_task(tmp_path, capsys):
    data = write(tmp_path / "d.csv", ["a", "y"], [[i, 3] for i in range(40)])
    for task in ("auto", "regression", "classification"):
        code, _, err = run(capsys, "search", str(data), "--target", "y", "--task", task, *TINY,
                           "--out", str(tmp_path / "r"))
        err = one_line_error(code, err)
        assert "is constant (3 in every row)" in err and "class" not in err


def test_predict_proba_on_a_regression_model_is_an_error(tmp_path, capsys):
    data = regression_csv(tmp_path / "d.csv")
    assert main(["search", str(data), "--target", "y", *TINY, "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "predict", str(tmp_path / "r"), str(data), "--proba")
    err = one_line_error(code, err)
    assert "--proba needs a classification model" in err and "regression" in err and out == ""
