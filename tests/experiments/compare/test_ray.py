"""The Ray backend on a local cluster: the same rows as the local backend, failures reported."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sparcs.experiments.backends import Backend
from sparcs.experiments.compare import run_compare, runner

from .helpers import settings, teacher

ray = pytest.importorskip("ray")
QUIET = {"progress": False, "log": lambda *a: None}


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path / "results.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(fh)]


def test_ray_and_local_give_identical_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runner, "load_problems", lambda s: [teacher(1)])
    s = settings(methods=["sparcs", "direct", "mlp-search", "mlp-prune", "linear"],
                 trials=2, epochs=3)
    local = run_compare(s, tmp_path / "local", **QUIET)
    distributed = run_compare(s, tmp_path / "ray", backend=Backend("ray"), **QUIET)
    assert not local.failed and not distributed.failed
    assert len(_rows(local.path)) == 12
    assert _rows(distributed.path) == _rows(local.path)


def test_a_trial_raising_in_a_worker_is_reported(tmp_path: Path, monkeypatch) -> None:
    broken = teacher(1)
    broken.name, broken.X = "broken", broken.X.copy()
    broken.X[3, 2] = np.inf
    monkeypatch.setattr(runner, "load_problems", lambda s: [broken, teacher(0)])
    s = settings(methods=["sparcs", "linear"], seeds=[0], epochs=2)
    run = run_compare(s, tmp_path / "run", backend=Backend("ray"), **QUIET)
    assert sorted(run.failed) == ["broken__linear__0", "broken__sparcs__0"]
    assert run.failed["broken__sparcs__0"].startswith("DataError: broken: the features hold 1")
    rows = _rows(run.path)
    assert [(r["dataset"], r["method"]) for r in rows] == [
        ("teacher-d0", "sparcs"), ("teacher-d0", "linear")]
    assert (run.path / "trials" / "teacher-d0__linear__0.json").is_file()
