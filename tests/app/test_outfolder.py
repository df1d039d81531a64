"""Output folders: what --overwrite may replace, what is always refused, atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparcs.app.outfolder import MARKER, OutputFolder, check_output_file, is_marked, mark
from sparcs.errors import OutputExistsError


def sparcs_result(path: Path, text: str = "old") -> Path:
    path.mkdir(parents=True)
    mark(path, "sparcs search data.csv")
    (path / "result.txt").write_text(text)
    return path


def test_marker_records_tool_version_command_and_time(tmp_path):
    mark(tmp_path, "sparcs search d.csv --out x")
    data = json.loads((tmp_path / MARKER).read_text())
    assert data["tool"] == "sparcs" and data["command"] == "sparcs search d.csv --out x"
    assert data["version"] and data["created"][:2] == "20"
    assert is_marked(tmp_path)
    (tmp_path / MARKER).write_text("{not json")
    assert not is_marked(tmp_path)


@pytest.mark.parametrize("overwrite", [False, True])
def test_foreign_folder_is_never_written_or_replaced(tmp_path, overwrite):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("mine")
    with pytest.raises(OutputExistsError, match="not made by sparcs") as err:
        OutputFolder(out, command="t", overwrite=overwrite)
    assert "--overwrite" not in str(err.value).replace("--out", "")
    assert (out / "chapter1.tex").read_text() == "mine"


def test_sparcs_folder_needs_overwrite_then_is_replaced_atomically(tmp_path):
    out = sparcs_result(tmp_path / "run")
    with pytest.raises(OutputExistsError, match=r"already holds a sparcs result.*--overwrite"):
        OutputFolder(out, command="t")
    folder = OutputFolder(out, command="t", overwrite=True)
    with folder.staged() as tmp:
        (tmp / "result.txt").write_text("new")
        assert (out / "result.txt").read_text() == "old"  # untouched until complete
    assert (out / "result.txt").read_text() == "new" and is_marked(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failed_or_interrupted_replacement_keeps_the_old_result(tmp_path, error):
    out = sparcs_result(tmp_path / "run")
    folder = OutputFolder(out, command="t", overwrite=True)
    with pytest.raises(error), folder.staged() as tmp:
        (tmp / "result.txt").write_text("half")
        raise error
    assert (out / "result.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert "earlier result" in folder.describe_untouched()


def test_a_folder_holding_the_input_is_refused(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    data = proj / "good.csv"
    data.write_text("a,y\n1,2\n")
    mark(proj, "made to look like a sparcs folder")
    for out in (proj, tmp_path):
        with pytest.raises(OutputExistsError, match="holds the input"):
            OutputFolder(out, command="t", overwrite=True, inputs=[data])
    assert data.read_text() == "a,y\n1,2\n"


def test_current_folder_its_parents_home_and_root_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cases = {".": "is the current folder", str(work): "is the current folder",
             "..": "contains the current folder", str(tmp_path): "contains the current folder",
             "/": "is the root folder"}
    for out, why in cases.items():
        for overwrite in (False, True):
            with pytest.raises(OutputExistsError, match=why):
                OutputFolder(out, command="t", overwrite=overwrite)
    for home in (tmp_path / "home", Path.home()):  # even when empty
        with pytest.raises(OutputExistsError, match="is your home folder"):
            OutputFolder(home, command="t", overwrite=True)


def test_empty_and_absent_folders_are_new(tmp_path):
    (tmp_path / "empty").mkdir()
    for name in ("empty", "absent/deeper"):
        folder = OutputFolder(tmp_path / name, command="t")
        assert folder.state == "new"
        with folder.staged() as tmp:
            (tmp / "r").write_text("x")
        assert is_marked(tmp_path / name)
    assert "not created" in OutputFolder(tmp_path / "x", command="t").describe_untouched()


def test_a_file_or_a_link_is_not_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "target").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "target")
    for name in ("file", "link"):
        with pytest.raises(OutputExistsError, match="is not a folder"):
            OutputFolder(tmp_path / name, command="t", overwrite=True)


def test_output_files(tmp_path):
    data = tmp_path / "new.csv"
    data.write_text("a\n1\n")
    model = tmp_path / "run"
    model.mkdir()
    (model / "columns.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="is the input data file"):
        check_output_file(data, overwrite=True, inputs=[data])
    with pytest.raises(OutputExistsError, match="never overwrites"):
        check_output_file(model / "columns.json", overwrite=True, keep=[model])
    with pytest.raises(OutputExistsError, match="is a folder"):
        check_output_file(model, overwrite=True)
    (tmp_path / "preds.csv").write_text("old")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        check_output_file(tmp_path / "preds.csv", overwrite=False)
    check_output_file(tmp_path / "preds.csv", overwrite=True)
    check_output_file(model / "preds.csv", overwrite=False, keep=[model])  # new file: fine
