"""``sparcs compare`` end to end on a generated CSV, and bad input as for ``sparcs search``."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from sparcs.cli.main import main

from .test_search import make_csv

FAST = ["--preset", "tiny", "--no-progress"]


def compare(tmp_path: Path, *args: str) -> tuple[int, Path]:
    out = tmp_path / "cmp"
    return main(["compare", *args, "--out", str(out), *FAST]), out


def test_compare_on_a_csv_end_to_end(tmp_path: Path, capsys) -> None:
    data = make_csv(tmp_path / "data.csv", n=200)
    code, out = compare(tmp_path, str(data), "--target", "target",
                        "--methods", "sparcs,linear,direct", "--seeds", "0,1", "--epochs", "20")
    assert code == 0
    printed = capsys.readouterr().out
    assert "6 trials run, 0 already done, 0 failed" in printed
    assert "data: sparcs: " in printed
    assert re.search(r"(fewer|more) parameters than linear|as many parameters as linear", printed)
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["method"], r["seed"]) for r in rows] == [  # in the order asked for
        ("sparcs", "0"), ("sparcs", "1"), ("linear", "0"), ("linear", "1"),
        ("direct", "0"), ("direct", "1")]
    assert {r["dataset"] for r in rows} == {"data"}
    assert all(r["metric"] == "r2" and r["device"] == "cpu" for r in rows)
    config = json.loads((out / "config.json").read_text())
    assert config["seeds"] == [0, 1] and config["target"] == "target"
    assert config["search"]["epochs"] == 20
    assert config["search"]["max_hidden"] == [12, 12]  # the tiny preset's value, not overridden
    assert not {"prune_tolerance", "tolerance_kind", "seed"} & set(config["search"])
    report = (out / "report.md").read_text()
    assert "## Verdicts" in report and "![pareto](pareto.png)" in report
    # A rerun resumes: nothing left to do.
    assert main(["compare", str(data), "--target", "target", "--methods",
                 "sparcs,linear,direct", "--seeds", "0,1", "--epochs", "20",
                 "--out", str(out), *FAST]) == 0
    assert "0 trials run, 6 already done" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "flags", "message"),
    [
        ("a,b,y\n" + "1,2,3\n" * 30, ["--target", "nope"], "target column 'nope' is not in"),
        ("a,b,y\n" + "1,x,3\n" * 30, ["--target", "y"], "non-numeric feature columns: b"),
        ("a,b,y\n" + "1,2,\n" * 30, ["--target", "y"], "missing/NaN"),
        ("a;b;y\n" + "1;2;3\n" * 30, ["--target", "y"], "separated by semicolons"),
        ("a,b,y\n" + "1,2,3\n" * 30, [], "--target is required"),
        ("a,b,y\n" + "1,2,3\n" * 30, ["--target", "y", "--task", "regression"],
         "is constant"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, content, flags, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out = compare(tmp_path, str(path), *flags, "--methods", "linear")
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("sparcs compare: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing written before the data was accepted


def test_bad_options_are_clear_errors(tmp_path, capsys) -> None:
    data = make_csv(tmp_path / "data.csv", n=60)
    assert compare(tmp_path, str(tmp_path / "missing.csv"), "--target", "y")[0] == 2
    assert "file not found" in capsys.readouterr().err
    assert compare(tmp_path)[0] == 2
    assert ("give a data file (DATA --target COLUMN), --suite teacher|sklearn or --manifest "
            "FILE") in capsys.readouterr().err
    assert compare(tmp_path, str(data), "--suite", "teacher")[0] == 2
    assert "not DATA and --suite" in capsys.readouterr().err
    assert compare(tmp_path, "--suite", "teacher", "--tolerance", "0")[0] == 2
    assert "tolerance must be a finite number > 0, got 0.0" in capsys.readouterr().err
    assert compare(tmp_path, "--suite", "teacher", "--address", "1.2.3.4:6379")[0] == 2
    assert "needs --backend ray" in capsys.readouterr().err
    assert compare(tmp_path, "--suite", "teacher", "--backend", "ray", "--device", "cuda")[0] == 2
    assert "--gpus-per-trial 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["compare", "--suite", "teacher", "--methods", "sparcs,nas"])
    assert info.value.code == 2
    assert "unknown method(s) nas" in capsys.readouterr().err
