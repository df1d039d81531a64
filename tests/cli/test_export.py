"""``sparcs export RUN --onnx model.onnx``: the ONNX file predicts what ``sparcs predict`` does.

End to end: a tiny search on a CSV with a text column, the export, then onnxruntime on the
features encoded with nothing but ``model.columns.json``, against ``sparcs predict``'s output.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sparcs.app.saved import SavedSearch
from sparcs.app.tabular import read_table
from sparcs.cli.main import main

pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")

TINY = ["--max-hidden", "8", "--epochs", "5", "--no-progress"]
TARGETS = {"regression": "price", "binary": "label", "multiclass": "label"}


def _table(kind: str, n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2)) * [1.0, 50.0] + [0.0, 100.0]  # b: other units
    colour = np.array(["red", "blue", "green"])[np.arange(n) % 3]
    shift = np.where(colour == "red", 1.0, np.where(colour == "blue", -1.0, 0.0))
    score = x[:, 0] + (x[:, 1] - 100) / 50 + shift
    if kind == "regression":
        target = [f"{3 * s + 20:.6f}" for s in score]
    elif kind == "binary":
        target = ["yes" if s > 0 else "no" for s in score]
    else:
        target = ["low" if s < -0.7 else "high" if s > 0.7 else "mid" for s in score]
    rows = [[f"{a:.6f}", c, f"{b:.6f}", t] for (a, b), c, t in zip(x, colour, target,
                                                                    strict=True)]
    return ["a", "colour", "b", TARGETS[kind]], rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def searches(tmp_path_factory):
    """kind → (search folder, new data without the target), each tiny search run once."""
    made: dict[str, tuple[Path, Path]] = {}

    def get(kind: str) -> tuple[Path, Path]:
        if kind not in made:
            made[kind] = _search(kind, tmp_path_factory.mktemp(kind))
        return made[kind]

    return get


def _search(kind: str, folder: Path) -> tuple[Path, Path]:
    header, rows = _table(kind, 90, 0)
    data = _write(folder / "train.csv", header, rows)
    task = "regression" if kind == "regression" else "classification"
    assert main(["search", str(data), "--target", header[-1], "--task", task,
                 "--categorical", "onehot", "--out", str(folder / "run"), *TINY]) == 0
    _, new_rows = _table(kind, 37, 1)  # a batch size other than the export's example
    new = _write(folder / "new.csv", ["b", "colour", "a"], [[r[2], r[1], r[0]] for r in new_rows])
    return folder / "run", new


def _encode(description: dict, path: Path) -> np.ndarray:
    """The ONNX input for a CSV file, built from the description alone."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    raw = description["raw_columns"]
    X = []
    for row in rows:
        values: list[float] = []
        for name in raw["order"]:
            cats = raw["categorical"].get(name)
            cell = row[name].strip()
            values += [float(cell == c) for c in cats] if cats is not None else [float(cell)]
        X.append(values)
    return np.asarray(X, dtype=np.float64)


@pytest.mark.parametrize("kind", ["regression", "binary", "multiclass"])
def test_onnx_file_predicts_what_sparcs_predict_does(searches, kind, tmp_path, capfd) -> None:
    run, new = searches(kind)
    capfd.readouterr()
    onnx_path = tmp_path / "export" / "model.onnx"
    assert main(["export", str(run), "--onnx", str(onnx_path)]) == 0
    out = capfd.readouterr()
    assert out.err == ""  # no torchvision lines, no FutureWarning
    columns = tmp_path / "export" / "model.columns.json"
    assert f"wrote {onnx_path}:" in out.out and f"wrote {columns}:" in out.out
    assert "does not one-hot encode text columns: encode colour (3 categories)" in out.out

    description = json.loads(columns.read_text())
    saved = SavedSearch.load(run)
    assert description["input"]["columns"] == saved.feature_names
    assert description["raw_columns"]["categorical"] == {"colour": ["blue", "green", "red"]}
    assert description["raw_columns"]["order"] == ["a", "colour", "b"]
    assert description["task"] == saved.task and description["classes"] == (
        saved.classes if saved.task == "classification" else None)
    X = _encode(description, new)
    np.testing.assert_array_equal(X, saved.features(read_table(new)))

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (inp,), (output,) = session.get_inputs(), session.get_outputs()
    assert inp.name == description["input"]["name"] and inp.type == "tensor(double)"
    assert output.name == description["output"]["name"]
    got = session.run(None, {inp.name: X})[0]
    assert got.shape == (len(X), len(description["output"]["columns"]))

    preds = tmp_path / "preds.csv"
    proba = [] if kind == "regression" else ["--proba"]
    assert main(["predict", str(run), str(new), "--out", str(preds), *proba]) == 0
    with open(preds, newline="") as fh:
        rows = list(csv.DictReader(fh))
    want = np.array([[float(r[c]) for c in description["output"]["columns"]] for r in rows])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    if kind != "regression":
        assert got.shape[1] == len(saved.classes) == (2 if kind == "binary" else 3)
        labels = [saved.classes[i] for i in got.argmax(axis=1)]
        assert labels == [r[TARGETS[kind]] for r in rows]


def test_export_refuses_unsafe_paths(searches, tmp_path, capsys) -> None:
    run, _ = searches("regression")
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}

    def fails(argv: list[str], message: str) -> None:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and message in err, err
        assert "Traceback" not in err

    fails(["export", str(run), "--onnx", str(run / "model.onnx")], "inside the search folder")
    fails(["export", str(run), "--onnx", str(run / "columns.json"), "--overwrite"],
          "inside the search folder")
    fails(["export", str(run), "--onnx", str(tmp_path)], "is a folder; give a file name such "
          "as model.onnx")
    fails(["export", str(tmp_path / "missing"), "--onnx", str(tmp_path / "m.onnx")],
          "is not a folder; give the --out folder of a sparcs search")
    blocker = tmp_path / "file"
    blocker.write_text("")
    fails(["export", str(run), "--onnx", str(blocker / "m.onnx")], "cannot write")
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before

    target = tmp_path / "m.onnx"
    assert main(["export", str(run), "--onnx", str(target)]) == 0
    first = target.read_bytes()
    fails(["export", str(run), "--onnx", str(target)], "already exists; pass --overwrite")
    target.unlink()  # the description alone still blocks a new export over it
    fails(["export", str(run), "--onnx", str(target)], "m.columns.json already exists")
    assert not target.exists()
    assert main(["export", str(run), "--onnx", str(target), "--overwrite"]) == 0
    assert target.read_bytes() == first  # the same model, exported again


def test_export_without_onnx_names_the_extra(searches, tmp_path, capsys, monkeypatch) -> None:
    run, _ = searches("regression")
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    assert main(["export", str(run), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("sparcs export: error: ONNX export needs the onnxscript package: "
                   "pip install 'sparcs-nas[onnx]'")
    assert list(tmp_path.iterdir()) == []


def test_help_says_the_encoding_stays_outside(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "One-hot encoding of text columns stays outside the file" in text
    assert "model.columns.json" in text and "sparcs-nas[onnx]" in text
