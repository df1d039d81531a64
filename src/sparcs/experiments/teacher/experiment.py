"""The ``teacher`` experiment end to end: train the student (resumable), prune, score, report."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import torch
from torch import Tensor

from ...app.rundir import RunDir
from ...io import atomic_write_bytes, read_json, write_csv
from ...metrics import r2_score
from ...spectral.network import SpectralNetwork
from ...training.trainer import History, fit
from .config import Config
from .data import linear_baseline_r2, make_data, predict
from .report import figures, write_report
from .student import eigenvalue_stats, make_student
from .study import run_study

__all__ = ["run", "structured_steps"]

# Epochs of fine-tuning after the structured pruning (on 90k points they are enough).
_STRUCTURED_EPOCHS = 3


def _one_minus_r2(pred: Tensor, target: Tensor) -> Tensor:
    """1 − R², with R² averaged uniformly over the outputs as :func:`r2_score` does, but in the
    predictions' dtype (float32): the structured pruning's loss and the recorded ``val_limit``
    of the R²-drop rule keep that rounding (``1 - r2_score``, in float64, differs in the
    8th digit)."""
    ss_res = ((target - pred) ** 2).sum(0)
    ss_tot = ((target - target.mean(0)) ** 2).sum(0).clamp_min(1e-30)
    return (ss_res / ss_tot).mean()


def _structured(net: SpectralNetwork, compact: torch.nn.Module, data: dict[str, Tensor],
                config: Config, *, loss: Any, limit: float) -> dict[str, Any]:
    """Structured pruning within ``limit`` on the validation split, as the search does it:
    from the eigenvalue-pruned and the unpruned export, in rounds with a one-epoch fine-tuning
    between them; then a short fine-tuning that keeps whichever epoch is best there."""
    from ...pruning.compact import to_compact
    from ...pruning.structured import prune_in_rounds
    from ...training.finetune import finetune_compact

    tune = partial(finetune_compact, X=data["X"], y=data["y"],
                   validation=(data["X_val"], data["y_val"]), loss="mse",
                   batch_size=config.batch_size, lr=config.lr, seed=config.seed)
    model = prune_in_rounds([compact, to_compact(net, 0.0)], data["X_val"], data["y_val"],
                            loss=loss, limit=limit, tune=partial(tune, epochs=1))
    tune(model, epochs=_STRUCTURED_EPOCHS)
    arch = model.architecture
    return {
        "hidden_widths": [int(w) for w in arch.hidden_widths],
        "first_hidden_layer_removed": arch.hidden_widths[0] == 0,
        "compact_parameters": model.num_parameters(),
        "r2": r2_score(predict(model, data["X_test"]), data["y_test64"]),
        "val_limit": float(limit),
    }


def structured_steps(net: SpectralNetwork, result: Any, data: dict[str, Tensor], config: Config
                     ) -> dict[str, dict[str, Any]]:
    """The extra steps after the paper's eigenvalue threshold (``result`` of
    :func:`sparcs.pruning.prune`): structured pruning within the same relative tolerance, within
    an R² drop of 0.01 from the trained student (the search's default rule), and to the
    smallest model with validation R² >= 0.98."""
    r2_trained = 1.0 - float(_one_minus_r2(predict(net, data["X_val"]), data["y_val"]))
    return {
        "structured": _structured(net, result.compact, data, config, loss="mse",
                                  limit=result.base_loss * (1 + config.tolerance)),
        "r2_drop_0.01": _structured(net, result.compact, data, config, loss=_one_minus_r2,
                                    limit=1.0 - r2_trained + 0.01),
        "smallest_r2_0.98": _structured(net, result.compact, data, config, loss=_one_minus_r2,
                                        limit=0.02),
    }


def _train(net: SpectralNetwork, data: dict[str, Tensor], config: Config, rundir: RunDir, *,
           progress: bool) -> tuple[History, float]:
    """:func:`sparcs.fit` on the training split, checkpointed into ``rundir`` every
    ``checkpoint_every`` epochs (and on Ctrl-C) and resumed from there when a checkpoint exists.

    Returns the history and the training time in seconds, summed over resumed sessions.
    """
    resume = rundir.load_checkpoint("train")
    elapsed = float(resume["train_time"]) if resume is not None else 0.0
    # The first optimizer a process builds costs about a second of torch's lazy imports: keep
    # that one-time setup out of the training time.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=config.lr)
    t0 = time.perf_counter()

    def save(state: dict[str, Any]) -> None:
        rundir.save_checkpoint("train", {**state, "train_time": elapsed + time.perf_counter() - t0})
        rundir.write_json("history.json", state["history"])  # readable partial results

    history = fit(net, data["X"], data["y"], config=config.train_config(),
                  validation=(data["X_val"], data["y_val"]), progress=progress,
                  checkpoint=save, checkpoint_every=config.checkpoint_every, resume=resume)
    return history, elapsed + time.perf_counter() - t0


def run(config: Config, rundir: RunDir, *, device: torch.device, progress: bool = True
        ) -> dict[str, Any]:
    """Train, prune, export and report into ``rundir``; return the summary (results.json)."""
    from ...pruning.spectral_prune import prune

    if rundir.done and rundir.has("results.json"):
        return read_json(rundir.file("results.json"))
    data = make_data(config, device)
    net = make_student(config, config.hidden, device, config.seed)
    history, train_time = _train(net, data, config, rundir, progress=progress)
    rundir.write_json("history.json", history.to_dict())

    result = prune(net, data["X_val"], data["y_val"], tolerance=config.tolerance,
                   progress=progress)
    arch = result.architecture
    compact_dir = rundir.file("compact")
    if result.compact is not None:
        result.compact.save(compact_dir)
    pred_full = predict(net, data["X_test"])
    pred_pruned = predict(result.network, data["X_test"])
    hidden_pruned = [int(w) for w in arch.hidden_widths]
    results: dict[str, Any] = {
        "r2_full": r2_score(data["y_test64"], pred_full),
        "r2_pruned": r2_score(data["y_test64"], pred_pruned),
        "r2_linear": linear_baseline_r2(data["X_all"], data["y_all"], data["X_test64"],
                                        data["y_test64"]),
        "active_hidden_layers": sum(w > 0 for w in hidden_pruned),
        "live_hidden_layers": [int(k) for k in arch.live_hidden_layers],
        "hidden_widths_pruned": hidden_pruned,
        "first_hidden_layer_died": hidden_pruned[0] == 0,
        "threshold": float(result.threshold),
        "val_loss_full": float(result.base_loss),
        "val_loss_pruned": float(result.loss),
        "relative_increase": float(result.relative_increase),
        "eigenvalues": eigenvalue_stats(net),
        "parameters": {
            "spectral": net.num_parameters(), "direct": net.direct_parameters(),
            "compact": int(arch.compact_parameters),
            "compact_saved": result.compact.num_parameters() if result.compact else None,
        },
        "final_train_loss": history.loss[-1] if history.loss else None,
        "epochs": config.epochs,
        "train_time_s": train_time,
        "device": str(device),
        "threads": torch.get_num_threads(),
    }
    if result.compact is not None:
        # The paper's eigenvalue-threshold result above stays as it was; structured pruning is
        # an extra step.
        results.update(structured_steps(net, result, data, config))
    rundir.write_json("results.json", results)
    rundir.write_json("pruning.json", result.to_dict())
    write_csv(rundir.file("pruning_curve.csv"), [
        {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        for row in result.curve])
    atomic_write_bytes(rundir.file("architecture.txt"), (str(arch) + "\n").encode())

    study_rows = run_study(config, rundir, data["rotation"], device=device,
                           progress=progress) if config.study else []
    plots = figures(net, history, result.curve, result.threshold, config, rundir)
    write_report(config, results, study_rows, plots, rundir)
    return results

