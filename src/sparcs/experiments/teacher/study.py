"""The layer-death grid: what decides whether the redundant first hidden layer dies."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import Tensor

from ...app.rundir import RunDir
from ...io import write_csv
from ...metrics import r2_score
from ...progress import progress as progress_bar
from ...training.trainer import History, fit
from .config import Config
from .data import predict, teacher_data
from .student import make_student

__all__ = ["collapsed", "run_study"]


def collapsed(lam1: float, lam2: float, ratio: float, small: float = 1e-3) -> str:
    """Which hidden layer's eigenvalues collapsed: only λ_1 → 0 removes a layer (layer 2 keeps
    receiving φ_1 Λ_1 x_1 when λ_2 = 0, docs/math.md §6), both → 0 leaves a linear network."""
    if max(lam1, lam2) < small:
        return "both"
    if lam1 <= ratio * lam2:
        return "layer 1"
    if lam2 <= ratio * lam1:
        return "layer 2"
    return "none"


def _study_grid(config: Config) -> list[tuple[int, float]]:
    return [(h, c) for h in config.study_widths for c in config.study_penalties]


def _train_config(
    config: Config, hidden: int, penalty: float, data: tuple[Tensor, Tensor, Tensor, Tensor],
    device: torch.device,
) -> tuple[list[dict[str, Any]], list[list[float]]]:
    """Train one student; its rows at the ``study_epochs`` and its mean |λ_1|, |λ_2| per epoch."""
    X, y, X_test, y_test = data
    marks = sorted(set(config.study_epochs))
    net = make_student(config, hidden, device, config.seed)
    cfg = config.train_config(penalty=penalty, epochs=marks[-1])
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def read(epoch: int, history: History) -> None:
        if epoch + 1 not in marks:
            return
        lam1, lam2 = history.mean_abs_eigenvalues[-1][1:3]
        rows.append({
            "hidden": hidden, "penalty": penalty, "epochs": epoch + 1,
            "steps": (epoch + 1) * (X.shape[0] // cfg.batch_size),
            "mean_abs_lambda1": lam1, "mean_abs_lambda2": lam2,
            "max_abs_lambda1": float(net.eigenvalues[1].detach().abs().max()),
            "ratio": lam1 / lam2 if lam2 > 0 else float("inf"),
            "layer1_died": bool(lam1 <= config.death_ratio * lam2),
            "collapsed": collapsed(lam1, lam2, config.death_ratio),
            "r2": r2_score(y_test, predict(net, X_test)),
            "seconds": time.perf_counter() - t0,
        })

    history = fit(net, X, y, config=cfg, callback=read)
    return rows, [means[1:3] for means in history.mean_abs_eigenvalues]


def run_study(config: Config, rundir: RunDir, rotation: Tensor, *, device: torch.device,
              progress: bool = False) -> list[dict[str, Any]]:
    """Train one student per (width, penalty) for max(study_epochs) epochs on fresh teacher data;
    read mean |λ_1|, mean |λ_2| and test R² at each of ``study_epochs``. Finished configs are kept
    in a checkpoint and in ``study.csv`` so an interrupted grid resumes."""
    gen = torch.Generator().manual_seed(config.seed + 1)
    X, y = teacher_data(rotation, config.study_samples, gen)
    X_test, y_test = teacher_data(rotation, max(config.study_samples // 4, 1000), gen)
    X, y, X_test_f = (t.to(torch.float32).to(device) for t in (X, y, X_test))
    state = rundir.load_checkpoint("study") or {"rows": [], "trajectories": {}}
    done = {(r["hidden"], r["penalty"]) for r in state["rows"]}
    for hidden, penalty in progress_bar(_study_grid(config), enable=progress,
                                        desc="layer-death study"):
        if (hidden, penalty) in done:
            continue
        rows, means = _train_config(config, hidden, penalty, (X, y, X_test_f, y_test), device)
        state["rows"].extend(rows)
        state["trajectories"][f"{hidden}|{penalty}"] = means
        rundir.save_checkpoint("study", state)
        write_csv(rundir.file("study.csv"), state["rows"])
    rows = sorted(state["rows"], key=lambda r: (r["hidden"], r["penalty"], r["epochs"]))
    write_csv(rundir.file("study.csv"), rows)
    rundir.write_json("study_trajectories.json", state["trajectories"])
    return rows
