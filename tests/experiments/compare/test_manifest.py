"""Manifests of ``sparcs compare``: entries, defaults, paths, and the vendored real-data suite."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sparcs.experiments.compare import preset
from sparcs.experiments.compare.manifest import file_sha256, read_manifest
from sparcs.experiments.compare.problems import manifest_problems

REALDATA = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "realdata"


def test_entries_take_the_commands_defaults_unless_they_set_their_own(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "abs.csv"
    path = tmp_path / "sub" / "suite.json"
    path.parent.mkdir()
    path.write_text(json.dumps([
        {"file": "csv/a table.csv", "target": "y"},
        {"file": "b.csv", "target": "y", "name": "bee", "task": "classification",
         "categorical": "onehot", "dropna": True, "role": "tune", "source": "somewhere"},
        {"file": str(other), "target": "y", "role": "holdout"},
    ]))
    a, b, c = read_manifest(path, task="regression", categorical="error", dropna=False)
    assert (a.name, a.path, a.task, a.categorical, a.dropna, a.role) == (
        "a_table", tmp_path / "sub" / "csv" / "a table.csv", "regression", "error", False, None)
    assert (b.name, b.task, b.categorical, b.dropna, b.role, b.source) == (
        "bee", "classification", "onehot", True, "tune", "somewhere")
    assert c.path == other and c.file == str(other)  # an absolute path stays as it is
    assert [e.name for e in read_manifest(path, roles=["holdout", "tune"])] == ["bee", "abs"]
    assert b.record("f" * 64) == {"file": "b.csv", "sha256": "f" * 64, "target": "y",
                                  "task": "classification", "categorical": "onehot",
                                  "dropna": True}


def test_the_hash_is_the_files_content(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,y\n1,2\n")
    first = file_sha256(path)
    assert first == file_sha256(path) and len(first) == 64
    path.write_text("a,y\n1,3\n")
    assert file_sha256(path) != first


def test_the_vendored_manifest_says_how_to_read_each_dataset() -> None:
    # No --categorical or --dropna needed: the entries say so where their file needs it.
    manifest = REALDATA / "manifest.json"
    entries = json.loads(manifest.read_text())
    assert [e.role for e in read_manifest(manifest)].count("holdout") == 7
    problems = manifest_problems(preset("tiny", manifest=str(manifest)))
    assert [p.name for p in problems] == [e["name"] for e in entries]
    for p, e in zip(problems, entries, strict=True):
        assert p.task == e["task"]
        assert len(p.y) == e["rows"] - e["rows_with_missing"], p.name
        assert p.X.shape[1] >= e["columns"] - len(e["text_columns"])
        if p.task == "classification":
            assert p.n_classes == e["classes"]
        assert p.record["sha256"] == file_sha256(REALDATA / e["file"])


def test_the_readmes_example_manifest_reads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    example = re.search(r"^```json\n(.*?)^```", readme, re.M | re.S).group(1)
    (tmp_path / "manifest.json").write_text(example)
    wage, penguins = read_manifest(tmp_path / "manifest.json", roles=["tune", "holdout"])
    assert (wage.name, wage.categorical, wage.task) == ("wage", "onehot", "regression")
    assert (penguins.path, penguins.dropna, penguins.task) == (
        tmp_path / "data" / "penguins.csv", True, "auto")
