"""``sparcs compare --manifest FILE``: a suite of the user's datasets, end to end, the role
filter, resuming and refusing changed data, and one clear line per bad manifest."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from sparcs.cli.main import main

FAST = ["--preset", "tiny", "--no-progress"]


def _write(path: Path, header: str, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n")


def make_suite(root: Path) -> Path:
    """suite/manifest.json and its CSVs under suite/csv/: a regression with a text column and
    missing values, a classification with text labels, and a plain regression."""
    rng = np.random.default_rng(0)
    colours = ["red", "blue", "green"]
    lines = []
    for i in range(80):
        x, z = rng.uniform(-1, 1, 2)
        c = colours[i % 3]
        y = 2 * x - z + (1.0 if c == "red" else 0.0) + 0.05 * rng.normal()
        cells = [f"{x:.4f}", c, f"{z:.4f}", f"{y:.4f}"]
        if i in (3, 17):
            cells[0] = "NA"
        if i == 29:
            cells[1] = ""
        lines.append(",".join(cells))
    _write(root / "suite" / "csv" / "shop.csv", "x,colour,z,sales", lines)
    lines = []
    for _ in range(90):
        a, b = rng.normal(size=2)
        lines.append(f"{a:.4f},{b:.4f},{'yes' if a + b > 0 else 'no'}")
    _write(root / "suite" / "csv" / "churn-2024.csv", "a,b,churn", lines)
    lines = [f"{u:.4f},{3 * u + 1:.4f}" for u in rng.uniform(-1, 1, 60)]
    _write(root / "suite" / "csv" / "line.csv", "u,v", lines)
    manifest = root / "suite" / "manifest.json"
    manifest.write_text(json.dumps([
        {"file": "csv/shop.csv", "target": "sales", "task": "regression", "role": "tune",
         "categorical": "onehot", "dropna": True, "note": "kept for people, not read"},
        {"name": "churn", "file": "csv/churn-2024.csv", "target": "churn", "role": "holdout"},
        {"file": "csv/line.csv", "target": "v", "role": "holdout"},
    ], indent=1))
    return manifest


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_manifest_suite_end_to_end_resumes_and_refuses_changed_data(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_suite(tmp_path)
    monkeypatch.chdir(tmp_path)  # the CSV paths are relative to the manifest, not to here
    args = ["compare", "--manifest", "suite/manifest.json", "--methods", "linear,sparcs",
            "--seeds", "0", "--out", "cmp", *FAST]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "6 trials run, 0 already done, 0 failed" in printed
    rows = _rows(tmp_path / "cmp")
    assert [(r["dataset"], r["method"]) for r in rows] == [  # the manifest's order
        ("shop", "linear"), ("shop", "sparcs"), ("churn", "linear"), ("churn", "sparcs"),
        ("line", "linear"), ("line", "sparcs")]
    assert [r["metric"] for r in rows[::2]] == ["r2", "accuracy", "r2"]
    config = json.loads((tmp_path / "cmp" / "config.json").read_text())
    assert config["manifest"] == "suite/manifest.json" and config["roles"] == []
    datasets = config["datasets"]
    assert list(datasets) == ["shop", "churn", "line"]
    assert datasets["shop"]["file"] == "csv/shop.csv" and datasets["shop"]["dropna"] is True
    assert datasets["churn"]["categorical"] == "error" and datasets["churn"]["task"] == "auto"
    assert all(len(d["sha256"]) == 64 for d in datasets.values())
    report = (tmp_path / "cmp" / "report.md").read_text()
    assert "on the 3 datasets of suite/manifest.json" in report
    assert "## Overview" in report and "| churn | accuracy |" in report
    assert "csv/shop.csv, target sales; 3 rows with missing values dropped" in report
    assert "across 2 regression datasets" in report and "across 1 classification" in report
    # The identical rerun resumes.
    assert main(args) == 0
    assert "0 trials run, 6 already done" in capsys.readouterr().out
    # A changed CSV, or a changed entry, is a different run: refused like any setting.
    line = tmp_path / "suite" / "csv" / "line.csv"
    original = line.read_text()
    line.write_text(original + "0.5,2.5\n")
    assert main(args) == 2
    assert "differs in: datasets.line.sha256" in capsys.readouterr().err
    line.write_text(original)
    manifest = tmp_path / "suite" / "manifest.json"
    entries = json.loads(manifest.read_text())
    entries[1]["task"] = "classification"
    manifest.write_text(json.dumps(entries))
    assert main(args) == 2
    assert "differs in: datasets.churn.task" in capsys.readouterr().err
    # A note nobody reads changes nothing: the run resumes.
    entries[1]["task"] = "auto"
    entries[1]["note"] = "a new note"
    manifest.write_text(json.dumps(entries))
    assert main(args) == 0
    assert "0 trials run, 6 already done" in capsys.readouterr().out


def test_the_role_filter_selects_entries(tmp_path: Path, capsys, monkeypatch) -> None:
    make_suite(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "--manifest", "suite/manifest.json", "--roles", "holdout",
                 "--methods", "linear", *FAST]) == 0
    assert "4 trials run" in capsys.readouterr().out
    out = tmp_path / "runs" / "compare-suite-holdout-tiny"  # the roles name the folder
    assert {r["dataset"] for r in _rows(out)} == {"churn", "line"}
    config = json.loads((out / "config.json").read_text())
    assert config["roles"] == ["holdout"] and list(config["datasets"]) == ["churn", "line"]
    assert "(role holdout)" in (out / "report.md").read_text()


def _entries(tmp_path: Path, entries: object) -> Path:
    make_suite(tmp_path)
    path = tmp_path / "suite" / "manifest.json"
    path.write_text(entries if isinstance(entries, str) else json.dumps(entries))
    return path


GOOD = {"file": "csv/line.csv", "target": "v"}


@pytest.mark.parametrize(
    ("entries", "flags", "message"),
    [
        (None, [], "manifest not found: "),
        ('[{"file": "csv/line.csv",', [], "is not valid JSON: Expecting"),
        ({"file": "csv/line.csv", "target": "v"}, [], "holds a JSON dict, not a list"),
        ([], [], "is an empty list"),
        (["csv/line.csv"], [], "entry 1 is str 'csv/line.csv', not an object"),
        ([GOOD, {"target": "v"}], [], 'entry 2 has no "file"; every entry needs "file" and'),
        ([{"file": "csv/line.csv"}], [], 'entry 1 has no "target"'),
        ([{**GOOD, "task": "clustering"}], [],
         "entry 1 (line): unknown task 'clustering'; use auto, regression, classification"),
        ([{**GOOD, "categorical": "ordinal"}], [], "unknown categorical 'ordinal'"),
        ([{**GOOD, "dropna": "yes"}], [], '"dropna" must be true or false'),
        ([{**GOOD, "name": "a b"}], [], "the name 'a b' may hold only letters"),
        ([GOOD, GOOD], [], "entries 1 and 2 share the name 'line'"),
        ([{**GOOD, "role": "tune"}], ["--roles", "test"],
         "no entry has the role 'test'; the roles there are: tune"),
        ([GOOD, {"file": "csv/gone.csv", "target": "y"}], [],
         "dataset 'gone': file not found: "),
        ([{"file": "csv/shop.csv", "target": "sales"}], [],
         "dataset 'shop': non-numeric feature columns: colour"),
        ([{"file": "csv/shop.csv", "target": "sales", "categorical": "onehot"}], [],
         "dataset 'shop': found 5 missing/NaN and 0 infinite values in 3 rows"),
        ([{"file": "csv/line.csv", "target": "w"}], [], "dataset 'line': target column 'w'"),
    ],
)
def test_a_bad_manifest_is_one_clear_line(tmp_path, capsys, entries, flags, message) -> None:
    path = _entries(tmp_path, entries) if entries is not None else tmp_path / "none.json"
    out = tmp_path / "cmp"
    code = main(["compare", "--manifest", str(path), "--methods", "linear", *flags,
                 "--out", str(out), *FAST])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("sparcs compare: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing written before the manifest was accepted


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data.csv", "--manifest", "m.json"], "give one of DATA, --suite and --manifest, not "
                                               "DATA and --manifest"),
        (["--suite", "teacher", "--manifest", "m.json"], "not --suite and --manifest"),
        (["--suite", "teacher", "--roles", "holdout"], "--roles selects entries of a manifest"),
        (["--manifest", "m.json", "--target", "y"], "--target is for a data file"),
    ],
)
def test_a_manifest_excludes_other_data(tmp_path, capsys, args, message) -> None:
    assert main(["compare", *args, "--out", str(tmp_path / "cmp"), *FAST]) == 2
    assert message in capsys.readouterr().err
