"""``sparcs search``: find an architecture for a user's table and export it.

Pipeline: load (CSV/.npz) → hold out a test split → train from the perceptron start with the
eigenvalue penalty → prune on a validation part → export the compact model, the column encoding,
metrics against a linear baseline, figures and ``report.md``.

The output folder is built under a temporary name next to ``--out`` and renamed into place only
when complete, so a failed or interrupted run never leaves a folder that looks valid.

>>> import numpy as np, tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0); X = rng.normal(size=(60, 2))
>>> np.savez(tmp / "d.npz", X=X, y=X[:, 0] - X[:, 1])
>>> cfg = SearchConfig(data=str(tmp / "d.npz"), max_hidden=[8], epochs=3, device="cpu",
...                    out=str(tmp / "run"), progress=False)
>>> result = run_search(cfg, log=lambda *a: None)
>>> sorted(p.name for p in result.out.glob("*.json"))[:3]
['architecture.json', 'columns.json', 'config.json']
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..baselines import LogisticBaseline, RidgeBaseline
from ..devices import check_training_memory, resolve_device
from ..errors import ConfigError, Interrupted, OutputExistsError, WriteError
from ..io import save_torch, write_csv, write_json
from ..metrics import accuracy, log_loss, r2_score
from ..preprocessing import split_indices
from ..search.engine import SearchResult, fit_search
from ..search.prepare import validation_split
from .config import SearchConfig
from .outfolder import OutputFolder
from .report import search_report, summary_table
from .saved import COLUMNS_FILE, MODEL_DIR
from .tabular import MIN_ROWS, load_dataset, task_and_targets

__all__ = ["SearchConfig", "SearchRun", "prepare_out", "run_search"]

# Fewer rows than these cannot train a model, or leave too few per class to learn and test it.
MIN_TRAIN_ROWS = 5
MIN_ROWS_PER_CLASS = 3
# Below this many validation rows, the pruning and early stopping choices are noise.
MIN_VALIDATION_ROWS = 10


@dataclass
class SearchRun:
    """A finished ``sparcs search``: its folder, the search result and the test metrics."""

    out: Path
    fitted: SearchResult
    metrics: dict[str, Any]


def prepare_out(config: SearchConfig) -> OutputFolder:
    """The checked output folder: refuses protected paths, folders sparcs did not make, and an
    existing result without ``overwrite``, before any work is done."""
    out = config.out_dir
    folder = OutputFolder(out, command=config.command_line(), overwrite=config.overwrite,
                          inputs=[config.data])
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write the output folder {out}: {parent} is not writable")
    return folder


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr, flush=True)


def _check_split(
    config: SearchConfig, targets: np.ndarray, train: np.ndarray, test: np.ndarray,
    classes: list | None,
) -> list[str]:
    """Refuse splits that cannot give a model or a test score; the warnings for legal but
    unwise settings, in words."""
    n = len(targets)
    if len(test) < 2:  # R² of one row is undefined (reported as 0): refuse, do not mislead
        raise ConfigError(
            f"--test-fraction {config.test_fraction:g} of {n} rows leaves {len(test)} test "
            "row; the test metrics need at least 2: raise --test-fraction"
        )
    # The split of the training rows that the search makes for its validation part.
    fit_rows, val_rows = validation_split(
        len(train), config.validation_fraction, config.seed,
        targets[train] if classes else None,
    )
    if len(fit_rows) < MIN_TRAIN_ROWS:
        raise ConfigError(
            f"--test-fraction {config.test_fraction:g} and --validation-fraction "
            f"{config.validation_fraction:g} of {n} rows leave {len(fit_rows)} rows to train on; "
            f"at least {MIN_TRAIN_ROWS} are needed: lower them or use more data"
        )
    if classes and len(fit_rows) < MIN_ROWS_PER_CLASS * len(classes):
        raise ConfigError(
            f"{len(classes)} classes in {n} rows leave {len(fit_rows) / len(classes):.1f} "
            f"training rows per class ({len(fit_rows)} to train, {len(val_rows)} to validate, "
            f"{len(test)} to test); at least {MIN_ROWS_PER_CLASS} per class are needed: use "
            "more data or fewer classes (--task regression for a numeric target)"
        )
    notes = []
    if config.validation_fraction == 0:
        notes.append(
            "--validation-fraction 0: pruning is judged on the training rows (so it may keep "
            "what only fits them), and early stopping is off, since it needs validation rows"
        )
    elif len(val_rows) < MIN_VALIDATION_ROWS:
        notes.append(
            f"only {len(val_rows)} validation rows judge the pruning and early stopping, so "
            "their choices are noisy: raise --validation-fraction or use more data"
        )
    if len(test) > len(train):
        notes.append(
            f"--test-fraction {config.test_fraction:g} holds out more rows for testing "
            f"({len(test)}) than it leaves for training ({len(train)})"
        )
    if config.epochs == 0:
        notes.append("--epochs 0: the network is not trained; the result is its random start")
    return notes


def _metrics(
    fitted: SearchResult, X_train: np.ndarray, y_train: np.ndarray,
    X_test: np.ndarray, y_test: np.ndarray,
) -> dict[str, Any]:
    test: dict[str, dict[str, float]] = {}
    if fitted.task == "regression":
        baseline = RidgeBaseline().fit(X_train, y_train)
        preds = {
            "chosen": fitted.predict(X_test)[:, 0],
            "full": fitted.predict(X_test, model="full")[:, 0],
            "linear_baseline": baseline.predict(X_test)[:, 0],
        }
        for name, pred in preds.items():
            rmse = float(np.sqrt(np.mean((pred - y_test) ** 2)))
            test[name] = {"r2": r2_score(y_test, pred), "rmse": rmse}
        metric, n_linear = "r2", X_train.shape[1] + 1
    else:
        n_classes = max(fitted.n_outputs, 2)  # a binary model has one logit
        baseline = LogisticBaseline().fit(X_train, y_train, n_classes)
        probas = {
            "chosen": fitted.predict_proba(X_test),
            "full": fitted.predict_proba(X_test, model="full"),
            "linear_baseline": baseline.predict_proba(X_test),
        }
        for name, proba in probas.items():
            test[name] = {
                "accuracy": accuracy(y_test, proba.argmax(axis=1)),
                "log_loss": log_loss(y_test, proba),
            }
        metric, n_linear = "accuracy", (X_train.shape[1] + 1) * fitted.n_outputs
    arch = fitted.architecture
    return {
        "task": fitted.task,
        "metric": metric,
        "test": test,
        "parameters": {
            "spectral": int(fitted.network.num_parameters()),
            "direct": int(fitted.network.direct_parameters()),
            "compact": int(arch.compact_parameters),
            "linear_baseline": int(n_linear),
        },
        "architecture": {
            "max_hidden": fitted.network.sizes[1:-1],
            "hidden_widths": list(arch.hidden_widths),
            "kind": fitted.kind,
        },
        "selection": {"folds": fitted.folds, **{
            key: {k: v for k, v in fitted.choice[key].items() if k != "losses"}
            for key in ("chosen", "best") if key in fitted.choice}},
        "validation_loss": fitted.losses,
    }


def run_search(config: SearchConfig, *, log: Callable[..., None] = print) -> SearchRun:
    """Run the whole search and write ``config.out_dir``; return where and what was found."""
    folder = prepare_out(config)
    try:
        return _search(config, folder, log)
    except KeyboardInterrupt:
        raise Interrupted(folder.describe_untouched()) from None


def _search(config: SearchConfig, folder: OutputFolder, log: Callable[..., None]) -> SearchRun:
    out = folder.path
    resolve_device(config.device)  # fail before reading data when CUDA is asked for but absent
    data = load_dataset(
        config.data, config.target, categorical=config.categorical, dropna=config.dropna,
        min_rows=MIN_ROWS,
    )
    for note in data.notes:
        _warn(note)
    task, targets, classes = task_and_targets(data, config.task)
    stratify = targets if task == "classification" else None
    train, test = split_indices(len(targets), config.test_fraction, config.seed, stratify=stratify)
    for note in _check_split(config, targets, train, test, classes):
        _warn(note)
    X_train, y_train = data.X[train], targets[train]
    X_test, y_test = data.X[test], targets[test]
    dropped = f", {data.n_dropped} rows with missing values dropped" if data.n_dropped else ""
    what = f"{len(classes)} classes" if classes else "regression"
    log(
        f"{Path(config.data).name}: {len(targets)} rows, {data.X.shape[1]} features "
        f"({what}){dropped}; training on {len(train)}, testing on {len(test)}"
    )
    check_training_memory([data.X.shape[1] + 1, *config.max_hidden, len(classes) if classes else 1],
                  config.batch_size, len(train), config.device)
    fitted = fit_search(
        X_train, y_train, task=task, n_classes=len(classes) if classes else None,
        settings=config.settings(), progress=config.progress,
    )
    if config.progress:
        print("writing the model, metrics and figures ...", file=sys.stderr, flush=True)
    metrics = _metrics(fitted, X_train, y_train, X_test, y_test)
    metrics["rows"] = {
        "total": len(targets), "train": len(train) - fitted.n_validation,
        "validation": fitted.n_validation, "test": len(test), "dropped": data.n_dropped,
    }
    columns = {
        "schema": data.schema.to_dict(),
        "task": task,
        "feature_names": data.feature_names,
        "classes": classes,
        "x_scaler": fitted.x_scaler.to_dict(),
        "y_scaler": fitted.y_scaler.to_dict() if fitted.y_scaler is not None else None,
    }
    _export(folder, config, fitted, metrics, columns, log=log)
    log(str(fitted.architecture))
    log(summary_table(metrics))
    log(f"saved to {out}/ (report.md, metrics.json, model/); "
        f"predict with: sparcs predict {out} DATA")
    return SearchRun(out=out, fitted=fitted, metrics=metrics)


def _export(
    folder: OutputFolder, config: SearchConfig, fitted: SearchResult, metrics: dict,
    columns: dict, *, log: Callable[..., None],
) -> None:
    """Write every output into a staging folder that replaces ``--out`` only when complete."""
    try:
        with folder.staged() as tmp:
            _write_outputs(tmp, config, fitted, metrics, columns, log=log)
    except OutputExistsError:
        raise
    except OSError as err:  # name the user's folder, not the staging folder
        reason = err.reason if isinstance(err, WriteError) else err.strerror or str(err)
        raise WriteError(folder.path, f"{reason}; choose another --out") from None


def _write_outputs(
    tmp: Path, config: SearchConfig, fitted: SearchResult, metrics: dict, columns: dict,
    *, log: Callable[..., None],
) -> None:
    from .. import __version__

    write_json(tmp / "config.json", {**config.to_dict(), "sparcs_version": __version__})
    write_json(tmp / COLUMNS_FILE, columns)
    fitted.compact.save(tmp / MODEL_DIR)
    net = fitted.network
    save_torch(tmp / "network.pt", {
        "sizes": net.sizes, "bias": net.has_bias_node, "activation": net.activation,
        "state_dict": net.state_dict(),
    })
    fitted.architecture.to_json(tmp / "architecture.json")
    write_json(tmp / "history.json", fitted.history.to_dict())
    if fitted.finetune_history is not None:
        write_json(tmp / "finetune_history.json", fitted.finetune_history.to_dict())
    if fitted.cv:
        write_json(tmp / "cv.json", {"folds": fitted.folds, "one_se": config.one_se,
                                     "candidates": fitted.cv, "choice": fitted.choice})
        write_csv(tmp / "cv.csv", [
            {**{k: v for k, v in row.items() if k != "losses"},
             "losses": " ".join(f"{v:.6g}" for v in row["losses"])} for row in fitted.cv
        ])
    write_json(tmp / "members.json", fitted.members)
    write_json(tmp / "metrics.json", metrics)
    figures = _figures(tmp, fitted, config, log)
    search_report(config, fitted, metrics, figures).write(tmp / "report.md")


def _figures(tmp: Path, fitted: SearchResult, config: SearchConfig, log: Callable) -> list[str]:
    """Draw the report's PNGs; without matplotlib, skip them with a note."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log("note: matplotlib is not installed, so no figures (pip install sparcs-nas[plots])")
        return []
    from ..plots.architecture import draw_layers
    from ..plots.cv import plot_cv_curve
    from ..plots.spectrum import eigenvalue_histograms
    from ..plots.training import plot_loss_curve

    made = []
    arch = fitted.architecture
    what = {"network": "pruned network", "floor": "linear floor", "constant": "constant"}
    draw_layers(arch, tmp / "architecture.png", title=(
        f"Chosen model ({what[fitted.kind]}): compact {arch.compact_parameters} parameters; "
        f"spectral search net {arch.spectral_parameters}"))
    made.append("architecture.png")
    if fitted.cv:
        plot_cv_curve(fitted.cv, fitted.choice, tmp / "cv_curve.png", se=config.one_se,
                      loss="held-out " + ("squared error" if fitted.task == "regression"
                                          else "log-loss"))
        made.append("cv_curve.png")
    eigenvalue_histograms(fitted.network, tmp / "eigenvalues.png")
    made.append("eigenvalues.png")
    plot_loss_curve(fitted.history, tmp / "loss.png", finetune=fitted.finetune_history,
                    title="Training, then fine-tuning of the chosen network"
                    if fitted.finetune_history is not None else "Training")
    made.append("loss.png")
    return made
