"""Run a comparison into a run folder: one trial per (dataset, method, seed).

Each finished trial is written atomically to ``trials/<dataset>__<method>__<seed>.json``, and
``results.csv`` is rebuilt from those files after every trial, in a fixed order (the order of
datasets, methods and seeds, not of completion), so the local and Ray backends write the same
rows. A rerun into the same folder skips finished trials: an interrupted run resumes, and failed
trials are tried again. The folder's ``config.json`` holds every setting (and, for a manifest,
each dataset's name, file, reading settings and content hash); a different setting or dataset
is refused unless ``overwrite``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ...app.rundir import RunDir
from ...devices import resolve_device
from ...errors import ConfigError
from ...io import read_json, write_csv
from ...progress import progress as progress_bar
from ..backends import Backend, run_tasks
from .methods import METHODS, check_available, variants
from .problems import Problem, load_problems
from .settings import CompareSettings

__all__ = ["COLUMNS", "CompareRun", "run_compare", "run_trial", "trial_key"]

COLUMNS = [
    "dataset", "task", "metric", "method", "seed", "test_metric", "val_metric", "parameters",
    "flops", "hidden_widths", "skip_blocks", "trainings", "epochs", "wall_s", "device",
]
TRIALS = "trials"


def trial_key(dataset: str, method: str, seed: int) -> str:
    return f"{dataset}__{method}__{seed}"


def run_trial(problem: Problem, method: str, seed: int, settings: CompareSettings,
              threads: int) -> dict[str, Any]:
    """One method on one problem and seed: its rows (one per reported model) and details.

    Runs the same wherever it runs (this process or a Ray worker): the split, the
    initialization and the batch order come from ``seed``, and ``threads`` fixes torch's
    thread count, on which the rounding of CPU matrix products can depend.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        device = resolve_device(settings.search.device)
        start = time.perf_counter()
        split = problem.split(seed, settings.test_fraction, settings.search.validation_fraction)
        outcomes = METHODS[method](split, settings, device)
        wall = time.perf_counter() - start
        X_val, _ = split.raw("val")
        X_test, _ = split.raw("test")
        rows = []
        for o in outcomes:
            size = o.size
            rows.append({
                "dataset": problem.name, "task": problem.task, "metric": problem.metric,
                "method": o.method, "seed": seed,
                "test_metric": split.score(o.predict(X_test), "test"),
                "val_metric": split.score(o.predict(X_val), "val"),
                "parameters": size.parameters if size else None,
                "flops": size.flops if size else None,
                "hidden_widths": " ".join(map(str, size.hidden_widths)) if size else None,
                "skip_blocks": size.skip_blocks if size else None,
                "trainings": o.trainings, "epochs": o.epochs,
                "wall_s": round(wall, 3), "device": str(device),
            })
        return {"rows": rows, "details": {o.method: o.details for o in outcomes}}
    finally:
        torch.set_num_threads(previous)


@dataclass
class CompareRun:
    """The outcome of :func:`run_compare`: where, which trials ran, were skipped or failed."""

    path: Path
    rows: list[dict[str, Any]]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def results(self) -> Path:
        return self.path / "results.csv"


def _collect(rundir: RunDir, keys: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in keys:
        path = rundir.file(f"{TRIALS}/{key}.json")
        if path.is_file():
            rows.extend(read_json(path)["rows"])
    return rows


def run_compare(
    settings: CompareSettings, out: str | Path, *, backend: Backend | None = None,
    overwrite: bool = False, progress: bool = True, log: Callable[..., None] = print,
) -> CompareRun:
    """Run every missing trial of ``settings`` into ``out``; write results.csv and report.md."""
    backend = backend or Backend()
    check_available(settings.methods)
    if backend.name == "local":  # a Ray worker may have a GPU that this machine lacks
        resolve_device(settings.search.device)
    elif settings.search.device.startswith("cuda") and not backend.gpus:
        raise ConfigError("--device cuda with --backend ray needs GPUs in each trial: pass "
                          "--gpus-per-trial 1 (or a fraction)")
    problems = load_problems(settings)
    names = [p.name for p in problems]
    if len(set(names)) != len(names):
        raise ConfigError(f"two problems share a name: {names}")
    config = settings.to_dict()
    if settings.manifest is not None:  # a changed dataset is a different run
        config["datasets"] = {p.name: p.record for p in problems}
    rundir = RunDir(out, config, overwrite=overwrite, command="sparcs compare")
    with rundir.working():
        run = _run_trials(rundir, settings, problems, backend, progress=progress, log=log)
    run.path = rundir.path
    return run


def _run_trials(
    rundir: RunDir, settings: CompareSettings, problems: list, backend: Backend, *,
    progress: bool, log: Callable[[str], None],
) -> CompareRun:
    out = rundir.target
    tasks = [(trial_key(p.name, m, s), (p, m, s, settings, backend.threads))
             for p in problems for m in settings.methods for s in settings.seeds]
    keys = [key for key, _ in tasks]
    run = CompareRun(rundir.path, [],
                     skipped=[k for k in keys if rundir.has(f"{TRIALS}/{k}.json")])
    if run.skipped:
        log(f"sparcs compare: {len(run.skipped)} of {len(keys)} trials already done in {out}")
    todo = len(keys) - len(run.skipped)
    bar = progress_bar(total=todo, enable=progress and bool(todo), desc="trials")
    try:
        for outcome in run_tasks(run_trial, tasks, backend, skip=set(run.skipped)):
            if outcome.ok:
                rundir.write_json(f"{TRIALS}/{outcome.key}.json",
                                  {"key": outcome.key, **outcome.value})
                run.ran.append(outcome.key)
                write_csv(rundir.file("results.csv"), _collect(rundir, keys), COLUMNS)
            else:
                run.failed[outcome.key] = outcome.error
                log(f"sparcs compare: trial {outcome.key} failed: {outcome.error}")
            bar.update(1)
    finally:
        bar.close()
    run.rows = _collect(rundir, keys)
    write_csv(rundir.file("results.csv"), run.rows, COLUMNS)
    rundir.write_json("failed.json", run.failed)
    from .report import write_report

    write_report(rundir.path, settings, problems, run.rows, run.failed,
                 [v for m in settings.methods for v in variants(m)])
    return run
