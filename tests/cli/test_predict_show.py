"""``sparcs predict`` and ``sparcs show`` on a saved search."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from sparcs.cli.main import main

FAST = ["--max-hidden", "16", "--epochs", "40", "--batch-size", "16", "--no-progress"]


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _table(n: int, seed: int) -> tuple[list[list], np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    colour = np.array(["red", "blue"])[np.arange(n) % 2]
    y = x[:, 0] - x[:, 1] + np.where(colour == "red", 1.0, -1.0)
    rows = [[f"{a:.6f}", c, f"{b:.6f}", f"{t:.6f}"] for (a, b), c, t in zip(x, colour, y,
                                                                          strict=True)]
    return rows, y


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One regression search on a table with a categorical column, reused by every test."""
    folder = tmp_path_factory.mktemp("search")
    rows, _ = _table(200, 0)
    data = _write(folder / "train.csv", ["a", "colour", "b", "price"], rows)
    code = main(["search", str(data), "--target", "price", "--categorical", "onehot",
                 "--out", str(folder / "run"), *FAST])
    assert code == 0
    return folder / "run"


def test_predict_to_file_matches_targets(saved, tmp_path, capsys):
    rows, y = _table(40, 1)
    # new data: other column order, no target column
    new = _write(tmp_path / "new.csv", ["colour", "b", "a"], [[r[1], r[2], r[0]] for r in rows])
    out = tmp_path / "preds.csv"
    assert main(["predict", str(saved), str(new), "--out", str(out)]) == 0
    assert "wrote 40 predictions" in capsys.readouterr().err
    with open(out) as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == ["price"]
    pred = np.array([float(r["price"]) for r in got])
    r2 = 1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r2 > 0.9


def test_predict_to_stdout_accepts_the_target_column(saved, tmp_path, capsys):
    rows, _ = _table(5, 2)
    new = _write(tmp_path / "new.csv", ["a", "colour", "b", "price"], rows)
    assert main(["predict", str(saved), str(new)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "price" and len(lines) == 6
    assert all(np.isfinite(float(v)) for v in lines[1:])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["a", "colour"], "missing columns: b"),
        (["a", "colour", "b", "extra"], "unexpected columns: extra"),
        (["a", "b", "c"], "missing columns: colour; unexpected columns: c"),
    ],
)
def test_predict_refuses_other_columns(saved, tmp_path, capsys, header, message):
    new = _write(tmp_path / "new.csv", header, [["1", "red", "2", "3"][: len(header)]])
    out = tmp_path / "preds.csv"
    assert main(["predict", str(saved), str(new), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "columns differ from those used in fitting" in err
    assert message in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["1", "green", "2"]], "colour has categories not seen in fitting ('green')"),
        ([["", "red", "2"]], "1 missing, NaN or infinite feature values in 1 rows"),
        ([["x", "red", "2"]], "column a holds text ('x')"),
    ],
)
def test_predict_bad_values(saved, tmp_path, capsys, rows, message):
    new = _write(tmp_path / "new.csv", ["a", "colour", "b"], rows)
    assert main(["predict", str(saved), str(new)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_predict_needs_a_search_folder(tmp_path, capsys):
    data = _write(tmp_path / "new.csv", ["a"], [["1"]])
    assert main(["predict", str(tmp_path), str(data)]) == 2
    assert "is not a sparcs search folder (columns.json is missing)" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "nope"), str(data)]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_show_prints_architecture_and_metrics(saved, capsys):
    assert main(["show", str(saved)]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((saved / "metrics.json").read_text())
    assert "Architecture (threshold=" in out and "live skips" in out
    assert "chosen (compact)" in out and "linear baseline" in out
    assert f"{metrics['test']['chosen']['r2']:.4f}" in out
    assert str(metrics["parameters"]["compact"]) in out


def test_show_on_a_non_search_folder(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "not a sparcs search folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "damaged", "content"),
    [
        ("show", "metrics.json", "[]"),
        ("show", "architecture.json", "{}"),
        ("predict", "columns.json", '{"schema": {}}'),
        ("predict", "columns.json", "[1, 2]"),
        ("predict", "model/weights.pt", ""),
        ("predict", "model/weights.pt", "garbage"),
        ("predict", "model/architecture.json", "{"),
    ],
)
def test_damaged_search_folder_is_a_one_line_error(
    saved, tmp_path, capsys, command, damaged, content
):
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(saved, folder)
    (folder / damaged).write_text(content)
    data = _write(tmp_path / "new.csv", ["a", "colour", "b"], [["0.1", "red", "0.2"]])
    args = [command, str(folder)] + ([str(data)] if command == "predict" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and len(err.strip().splitlines()) == 1
    assert not err.rstrip().endswith(":")


def test_classification_predicts_labels_and_probabilities(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    labels = np.where(x[:, 0] + x[:, 1] > 0, "cat", "dog")
    rows = [[f"{a:.5f}", f"{b:.5f}", lab] for (a, b), lab in zip(x, labels, strict=True)]
    data = _write(tmp_path / "pets.csv", ["u", "v", "pet"], rows)
    assert main(["search", str(data), "--target", "pet", "--out", str(tmp_path / "run"),
                 *FAST]) == 0
    capsys.readouterr()
    new = _write(tmp_path / "new.csv", ["u", "v"], [["3", "3"], ["-3", "-3"]])
    assert main(["predict", str(tmp_path / "run"), str(new), "--proba"]) == 0
    got = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["pet"] for r in got] == ["cat", "dog"]
    assert float(got[0]["p(cat)"]) > 0.9 and float(got[1]["p(dog)"]) > 0.9
    total = float(got[0]["p(cat)"]) + float(got[0]["p(dog)"])
    assert abs(total - 1) < 1e-5


def test_npz_round_trip(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    np.savez(tmp_path / "d.npz", X=X, y=X @ [1.0, 2.0, -1.0])
    assert main(["search", str(tmp_path / "d.npz"), "--out", str(tmp_path / "run"), *FAST]) == 0
    capsys.readouterr()
    np.savez(tmp_path / "new.npz", X=X[:4])
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "new.npz")]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == "prediction"
    np.testing.assert_allclose([float(v) for v in lines[1:]], X[:4] @ [1.0, 2.0, -1.0], atol=0.3)
    np.savez(tmp_path / "wide.npz", X=np.ones((2, 4)))
    assert main(["predict", str(tmp_path / "run"), str(tmp_path / "wide.npz")]) == 2
    assert "X has 4 columns but the model was fitted on 3" in capsys.readouterr().err
