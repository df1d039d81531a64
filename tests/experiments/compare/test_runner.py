"""The run folder of ``sparcs compare``: rows, resume after an interruption, failed trials."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from sparcs.errors import OutputExistsError
from sparcs.experiments.compare import COLUMNS, run_compare, runner
from sparcs.experiments.compare.methods import METHODS

from .helpers import settings, teacher

QUIET = {"progress": False, "log": lambda *a: None}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path / "results.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def two_teachers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "load_problems", lambda s: [teacher(0), teacher(1)])


def test_rows_columns_and_report(tmp_path: Path, two_teachers: None) -> None:
    s = settings(methods=["linear", "mlp-search"], trials=2, epochs=3)
    run = run_compare(s, tmp_path / "run", **QUIET)
    rows = _rows(run.path)
    assert list(rows[0]) == COLUMNS
    # 2 datasets × (linear + mlp-search's two rows) × 2 seeds, in a fixed order.
    assert [(r["dataset"], r["method"], r["seed"]) for r in rows][:4] == [
        ("teacher-d0", "linear", "0"), ("teacher-d0", "linear", "1"),
        ("teacher-d0", "mlp-search", "0"), ("teacher-d0", "mlp-search-small", "0")]
    assert len(rows) == 12 and not run.failed
    lin = [r for r in rows if r["method"] == "linear" and r["dataset"] == "teacher-d0"]
    assert all(float(r["test_metric"]) > 0.99 for r in lin)
    assert all(r["parameters"] == "11" and r["flops"] == "21" for r in lin)
    text = (run.path / "report.md").read_text()
    assert "## Verdicts" not in text  # no sparcs row: nothing to judge against
    assert "### teacher-d1" in text and "(right answer: hidden widths [8])" in text
    assert (run.path / "pareto.png").stat().st_size > 1000
    with open(run.path / "summary.csv", newline="") as fh:
        summary = list(csv.DictReader(fh))
    assert {r["method"] for r in summary} == {"linear", "mlp-search", "mlp-search-small"}


def test_interrupted_run_resumes_with_only_the_missing_trials(
    tmp_path: Path, two_teachers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = settings(methods=["linear", "direct"], epochs=3)
    calls: list[int] = []
    real = METHODS["direct"]

    def interrupted(split, s_, device):
        calls.append(split.seed)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(split, s_, device)

    monkeypatch.setitem(METHODS, "direct", dataclasses.replace(real, runner=interrupted))
    with pytest.raises(KeyboardInterrupt):
        run_compare(s, tmp_path / "run", **QUIET)
    done = sorted(p.stem for p in (tmp_path / "run" / "trials").glob("*.json"))
    assert done == ["teacher-d0__direct__0", "teacher-d0__linear__0", "teacher-d0__linear__1"]
    assert len(_rows(tmp_path / "run")) == 3  # results.csv always holds the finished trials
    monkeypatch.setitem(METHODS, "direct", real)
    run = run_compare(s, tmp_path / "run", **QUIET)
    assert sorted(run.skipped) == done
    assert sorted(run.ran) == ["teacher-d0__direct__1", "teacher-d1__direct__0",
                               "teacher-d1__direct__1", "teacher-d1__linear__0",
                               "teacher-d1__linear__1"]
    assert len(_rows(run.path)) == 8
    again = run_compare(s, tmp_path / "run", **QUIET)
    assert again.ran == [] and len(again.skipped) == 8
    with pytest.raises(OutputExistsError, match=r"differs in: search\.epochs\)"):
        run_compare(settings(methods=["linear", "direct"], epochs=4), tmp_path / "run", **QUIET)


def test_a_failing_trial_is_reported_and_the_others_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = teacher(1)
    broken.name, broken.X = "broken", broken.X.copy()
    broken.X[0, 0] = np.nan
    monkeypatch.setattr(runner, "load_problems", lambda s: [teacher(0), broken])
    s = settings(methods=["sparcs"], seeds=[0], epochs=2)
    run = run_compare(s, tmp_path / "run", **QUIET)
    assert list(run.failed) == ["broken__sparcs__0"]
    assert "DataError: broken: the features hold 1 NaN" in run.failed["broken__sparcs__0"]
    assert [r["dataset"] for r in _rows(run.path)] == ["teacher-d0"]
    assert "broken__sparcs__0: DataError" in (run.path / "report.md").read_text()


def test_verdicts_are_computed_from_the_numbers() -> None:
    from sparcs.experiments.compare.report import aggregate, verdicts

    def row(method, seed, metric, params):
        return {"dataset": "d", "task": "regression", "metric": "r2", "method": method,
                "seed": seed, "test_metric": metric, "val_metric": metric,
                "parameters": params, "flops": None, "hidden_widths": "", "skip_blocks": 0,
                "trainings": 1, "epochs": 1, "wall_s": 1.0, "device": "cpu"}

    rows = [row("sparcs", 0, 0.90, 100), row("sparcs", 1, 0.92, 120),
            row("mlp-search", 0, 0.915, 660), row("mlp-search", 1, 0.913, 680),
            row("linear", 0, 0.5, 110), row("linear", 1, 0.5, 110),
            row("hgb", 0, 0.95, None), row("hgb", 1, 0.93, None)]
    summary = aggregate(rows, ["sparcs", "mlp-search", "linear", "hgb"])
    sparcs = summary[0]
    assert sparcs["test_mean"] == pytest.approx(0.91) and sparcs["parameters_mean"] == 110
    assert sparcs["test_std"] == pytest.approx(0.0141421, rel=1e-4)
    lines = verdicts(summary)
    assert lines[0] == (
        "d: sparcs: 6.1× fewer parameters than mlp-search at -0.004 R²; as many parameters as "
        "linear at +0.410 R²; -0.030 R² against hgb; best here: hgb (0.940)")
    assert lines[1].startswith("across 1 datasets, sparcs against mlp-search: mlp-search has "
                               "6.1× the parameters (median)")


def test_regression_and_classification_are_judged_apart() -> None:
    from sparcs.experiments.compare.report import _count_ticks, aggregate, verdicts

    def row(dataset, metric, method, value, params):
        return {"dataset": dataset, "metric": metric, "method": method, "seed": 0,
                "test_metric": value, "val_metric": value, "parameters": params, "flops": None,
                "hidden_widths": "", "skip_blocks": 0, "trainings": 1, "epochs": 1,
                "wall_s": 1.0}

    rows = [row("reg", "r2", "sparcs", 0.9, 10), row("reg", "r2", "linear", 0.5, 10),
            row("cls", "accuracy", "sparcs", 0.8, 20), row("cls", "accuracy", "linear", 0.9, 40)]
    lines = verdicts(aggregate(rows, ["sparcs", "linear"]))
    assert lines[2:] == [
        "across 1 regression datasets, sparcs against linear: linear has 1× the parameters "
        "(median), sparcs's R² minus linear's is +0.400 on average (worst +0.400)",
        "across 1 classification datasets, sparcs against linear: linear has 2× the parameters "
        "(median), sparcs's accuracy minus linear's is -0.100 on average (worst -0.100)"]
    # The Pareto plot's parameter axis: 1-2-5 ticks, or the counts where those are too few.
    assert _count_ticks(8, 400, [11, 300]) == [10, 20, 50, 100, 200]
    assert _count_ticks(1, 5000, [2, 3000]) == [1, 10, 100, 1000]
    assert _count_ticks(1850, 3630, [2592]) == [2592]
