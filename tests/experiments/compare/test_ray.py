"""The Ray backend on a local cluster: the same rows as the local backend, failures reported."""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sparcs.experiments.backends import Backend, run_tasks
from sparcs.experiments.compare import run_compare, runner
from sparcs.experiments.compare.problems import Problem

from .helpers import settings, teacher

ray = pytest.importorskip("ray")
QUIET = {"progress": False, "log": lambda *a: None}


@pytest.fixture(scope="module", autouse=True)
def cluster():
    # Workers cannot import this test module: send its classes by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@dataclass
class CrashOnce(Problem):
    """A problem whose first split kills the worker process (as an out-of-memory kill would)."""

    marker: str = ""

    def split(self, *args, **kwargs):
        if not os.path.exists(self.marker):
            Path(self.marker).touch()
            os._exit(1)
        return super().split(*args, **kwargs)


def _inverse(x: int) -> float:
    return 1 / x


def test_the_scheduler_on_ray_streams_values_and_errors_and_skips_keys() -> None:
    hooked: list[int] = []

    def hook(key: int) -> dict:
        hooked.append(key)
        return {"unexpected": True}

    outcomes = {o.key: o for o in run_tasks(_inverse, [(k, (k,)) for k in range(4)],
                                            Backend("ray"), skip={3}, in_process=hook)}
    assert sorted(outcomes) == [0, 1, 2] and hooked == []  # the hook is the local backend's
    assert outcomes[0].error == "ZeroDivisionError: division by zero"
    assert outcomes[1].value == 1.0 and outcomes[2].value == 0.5


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path / "results.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(fh)]


def test_ray_and_local_give_identical_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runner, "load_problems", lambda s: [teacher(1)])
    s = settings(methods=["sparcs", "direct", "mlp-search", "mlp-prune", "lassonet", "linear"],
                 trials=2, epochs=3, lassonet_seconds=5, lassonet_lambda_start=1.0)
    local = run_compare(s, tmp_path / "local", **QUIET)
    distributed = run_compare(s, tmp_path / "ray", backend=Backend("ray"), **QUIET)
    assert not local.failed and not distributed.failed
    assert len(_rows(local.path)) == 18  # 2 seeds × (1 + 1 + 2 + 3 + 1 + 1) rows
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


def test_a_killed_worker_is_retried(tmp_path: Path, monkeypatch) -> None:
    plain = teacher(0)
    crashing = CrashOnce(plain.name, plain.task, plain.X, plain.y, truth=plain.truth,
                         marker=str(tmp_path / "crashed"))
    s = settings(methods=["linear"], seeds=[0])
    monkeypatch.setattr(runner, "load_problems", lambda s: [plain])
    expected = _rows(run_compare(s, tmp_path / "plain", **QUIET).path)
    monkeypatch.setattr(runner, "load_problems", lambda s: [crashing])
    run = run_compare(s, tmp_path / "run", backend=Backend("ray", max_retries=1), **QUIET)
    assert (tmp_path / "crashed").exists()  # the first attempt died
    assert not run.failed and _rows(run.path) == expected
