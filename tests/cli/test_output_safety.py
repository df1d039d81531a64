"""Every command that writes: --overwrite never deletes what sparcs did not make (issue 8 §1),
a replacement is atomic, and Ctrl-C says what was kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sparcs.app.outfolder import MARKER
from sparcs.cli.main import main

FAST = ["--target", "y", "--max-hidden", "4", "--epochs", "2", "--finetune-epochs", "1",
        "--no-progress"]


def make_csv(path: Path, n: int = 40) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    lines = ["a,b,y"] + [f"{a:.4f},{b:.4f},{a - b:.4f}" for a, b in X]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_overwrite_never_deletes_the_project_holding_the_input(tmp_path, capsys):
    proj = tmp_path / "proj"
    data = make_csv(proj / "good.csv")
    (proj / "thesis.tex").write_text("years of work")
    (proj / "src").mkdir()
    (proj / "src" / "main.py").write_text("print(1)")
    before = files(proj)
    assert main(["search", str(data), "--out", str(proj), "--overwrite", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds the input" in err
    assert files(proj) == before


def test_overwrite_never_replaces_a_foreign_folder(tmp_path, capsys):
    data = make_csv(tmp_path / "d.csv")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    for extra in ([], ["--overwrite"]):
        assert main(["search", str(data), "--out", str(other), *extra, *FAST]) == 2
        err = capsys.readouterr().err
        assert "not made by sparcs" in err and "pass --overwrite" not in err
    assert files(other) == {"notes.txt": b"mine"}


@pytest.mark.parametrize("out", [".", "..", "/", "HOME"])
def test_current_folder_parents_root_and_home_are_refused(tmp_path, monkeypatch, capsys, out):
    work = tmp_path / "work"
    data = make_csv(work / "d.csv")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(work)
    out = str(tmp_path / "home") if out == "HOME" else out
    assert main(["search", str(data), "--out", out, "--overwrite", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparcs search: error: --out") and err.count("\n") == 1
    assert "Traceback" not in err and files(work) == {"d.csv": data.read_bytes()}


def test_failed_replacement_keeps_the_old_result(tmp_path, monkeypatch, capsys):
    import sparcs.app.folder as search_mod

    data = make_csv(tmp_path / "d.csv")
    out = tmp_path / "run"
    assert main(["search", str(data), "--out", str(out), *FAST]) == 0
    assert (out / MARKER).is_file()
    before = files(out)

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(search_mod, "search_report", broken)
    assert main(["search", str(data), "--out", str(out), "--overwrite", "--seed", "1",
                 *FAST]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: No space left on device" in err and "partial" not in err
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "run"]


def test_interrupted_search_says_nothing_was_written(tmp_path, monkeypatch, capsys):
    import sparcs.app.folder as search_mod

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    data = make_csv(tmp_path / "d.csv")
    monkeypatch.setattr(search_mod, "fit_search", interrupt)
    assert main(["search", str(data), "--out", str(tmp_path / "run"), *FAST]) == 130
    err = capsys.readouterr().err
    assert "interrupted; nothing was written" in err and "was not created" in err
    assert not (tmp_path / "run").exists()
    monkeypatch.undo()
    assert main(["search", str(data), "--out", str(tmp_path / "run"), *FAST]) == 0
    monkeypatch.setattr(search_mod, "fit_search", interrupt)
    assert main(["search", str(data), "--out", str(tmp_path / "run"), "--overwrite",
                 *FAST]) == 130
    assert "the earlier result in" in capsys.readouterr().err
    assert (tmp_path / "run" / "metrics.json").is_file()


def _reproduce(out: Path, *extra: str) -> int:
    return main(["reproduce", "scaling", "--preset", "tiny", "--out", str(out), *extra])


def test_reproduce_overwrite_refuses_foreign_and_replaces_atomically(tmp_path, monkeypatch,
                                                                       capsys):
    from sparcs.experiments import scaling

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.bin").write_text("x")
    assert _reproduce(foreign, "--overwrite") == 2
    assert "not made by sparcs" in capsys.readouterr().err
    assert files(foreign) == {"data.bin": b"x"}

    out = tmp_path / "run"
    assert _reproduce(out) == 0
    assert "results in" in capsys.readouterr().out
    before = files(out)
    real_run = scaling.run

    def failing(config, rundir, **kwargs):
        real_run(config, rundir, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(scaling, "run", failing)
    assert _reproduce(out, "--overwrite", "--max-layers", "3") == 130
    err = capsys.readouterr().err
    assert "replacement run was discarded" in err and str(out) in err
    assert files(out) == before
    monkeypatch.undo()
    assert _reproduce(out, "--overwrite", "--max-layers", "3") == 0
    printed = capsys.readouterr().out
    assert "partial" not in printed and f"{out}/report.md" in printed
    assert '"max_layers": 3' in (out / "config.json").read_text()
    assert str(out / "report.md") in (out / "done.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "run"]


def test_interrupted_reproduce_says_what_was_kept(tmp_path, monkeypatch, capsys):
    from sparcs.experiments import scaling

    def nothing(config, rundir, **kwargs):
        raise KeyboardInterrupt

    def some(config, rundir, **kwargs):
        rundir.save_checkpoint("part1", {"x": 1})
        raise KeyboardInterrupt

    monkeypatch.setattr(scaling, "run", nothing)
    assert _reproduce(tmp_path / "a") == 130
    err = capsys.readouterr().err
    assert "nothing was kept" in err and not (tmp_path / "a").exists()
    monkeypatch.setattr(scaling, "run", some)
    assert _reproduce(tmp_path / "b") == 130
    err = capsys.readouterr().err
    assert f"kept in {tmp_path / 'b'}: checkpoints/part1.pt" in err and "resume" in err


def test_predict_out_never_overwrites_input_or_model(tmp_path, capsys):
    data = make_csv(tmp_path / "d.csv")
    run = tmp_path / "run"
    assert main(["search", str(data), "--out", str(run), *FAST]) == 0
    before = data.read_text()
    assert main(["predict", str(run), str(data), "--out", str(data), "--overwrite"]) == 2
    assert "input data file" in capsys.readouterr().err and data.read_text() == before
    cols = (run / "columns.json").read_text()
    assert main(["predict", str(run), str(data), "--out", str(run / "columns.json"),
                 "--overwrite"]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (run / "columns.json").read_text() == cols
    preds = tmp_path / "p.csv"
    assert main(["predict", str(run), str(data), "--out", str(preds)]) == 0
    assert main(["predict", str(run), str(data), "--out", str(preds)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["predict", str(run), str(data), "--out", str(preds), "--overwrite"]) == 0


def test_predict_write_error_names_the_users_path(tmp_path, capsys):
    data = make_csv(tmp_path / "d.csv")
    run = tmp_path / "run"
    assert main(["search", str(data), "--out", str(run), *FAST]) == 0
    capsys.readouterr()
    assert main(["predict", str(run), str(data), "--out", "/proc/preds.csv"]) == 2
    err = capsys.readouterr().err
    assert "cannot write /proc/preds.csv" in err and ".tmp" not in err
