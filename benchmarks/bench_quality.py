"""Test quality of the searched models against the linear baseline, over seeds and datasets.

Compares training variants of :class:`sparcs.SparcsRegressor` / :class:`sparcs.SparcsClassifier`
(all other settings at their defaults): the plain run of every epoch, early stopping on the
validation loss (restoring the best epoch, with or without patience), fine-tuning after pruning,
and both. Each seed draws its own 80/20 train/test split (stratified for classification) and
its own initialization. Datasets: load_diabetes (R²), make_friedman1 with 2000 rows (R²),
load_breast_cancer and load_wine (accuracy). Runs on one CPU thread.

    python benchmarks/bench_quality.py                        # every variant, seeds 0-4
    python benchmarks/bench_quality.py --seeds 3 --variants before,default
    python benchmarks/bench_quality.py --datasets diabetes,wine --json quality.json
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch

# Settings that differ from the estimators' defaults; "default" uses the defaults unchanged
# (early_stopping=True, n_iter_no_change=20, finetune_epochs=50).
VARIANTS: dict[str, dict[str, Any]] = {
    "before": {"early_stopping": False, "finetune_epochs": 0},
    "restore_best": {"early_stopping": True, "n_iter_no_change": None, "finetune_epochs": 0},
    "early_stop_20": {"early_stopping": True, "n_iter_no_change": 20, "finetune_epochs": 0},
    "finetune_50": {"early_stopping": False, "finetune_epochs": 50},
    "early_stop_20+finetune_100": {
        "early_stopping": True, "n_iter_no_change": 20, "finetune_epochs": 100,
    },
    "default": {},
}


def load(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn import datasets

    if name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True)
        return X, y, "regression"
    if name == "friedman1":
        X, y = datasets.make_friedman1(n_samples=2000, noise=1.0, random_state=0)
        return X, y, "regression"
    if name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        return X, y, "classification"
    if name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
        return X, y, "classification"
    raise SystemExit(f"unknown dataset {name!r}; use diabetes, friedman1, breast_cancer, wine")


def score(task: str, y_true: np.ndarray, pred: np.ndarray) -> float:
    if task == "regression":
        return float(1 - np.sum((y_true - pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2))
    return float(np.mean(y_true == pred))


def baseline(task: str, X_tr, y_tr, X_te) -> np.ndarray:
    from sparcs.baselines import LogisticBaseline, RidgeBaseline

    if task == "regression":
        return RidgeBaseline().fit(X_tr, y_tr).predict(X_te)[:, 0]
    classes, codes = np.unique(y_tr, return_inverse=True)
    return classes[LogisticBaseline().fit(X_tr, codes, len(classes)).predict(X_te)]


def run(datasets: list[str], variants: list[str], seeds: int) -> list[dict[str, Any]]:
    from sklearn.model_selection import train_test_split

    from sparcs import SparcsClassifier, SparcsRegressor

    rows = []
    for name in datasets:
        X, y, task = load(name)
        for seed in range(seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.2, random_state=seed,
                stratify=y if task == "classification" else None,
            )
            rows.append({"dataset": name, "variant": "linear baseline", "seed": seed,
                         "score": score(task, y_te, baseline(task, X_tr, y_tr, X_te)),
                         "params": None, "epochs": None, "seconds": None})
            for variant in variants:
                cls = SparcsRegressor if task == "regression" else SparcsClassifier
                model = cls(device="cpu", random_state=seed, **VARIANTS[variant])
                start = time.perf_counter()
                model.fit(X_tr, y_tr)
                seconds = time.perf_counter() - start
                ft = model.finetune_history_
                rows.append({
                    "dataset": name, "variant": variant, "seed": seed,
                    "score": score(task, y_te, model.predict(X_te)),
                    "params": model.architecture_.compact_parameters,
                    "widths": list(model.architecture_.hidden_widths),
                    "epochs": len(model.history_.loss) + (len(ft.loss) if ft else 0),
                    "seconds": seconds,
                })
                print(f"  {name:13s} seed {seed} {variant:27s} {rows[-1]['score']:.4f} "
                      f"widths {rows[-1]['widths']} {seconds:5.1f}s", flush=True)
    return rows


def table(rows: list[dict[str, Any]], datasets: list[str], variants: list[str]) -> str:
    names = ["linear baseline", *variants]
    lines = [f"{'dataset':13s}  {'variant':27s}  {'test score (mean ± sd)':>22s}  "
             f"{'min':>6s}  {'params':>7s}  {'epochs':>6s}  {'sec':>5s}"]
    for name in datasets:
        for variant in names:
            sel = [r for r in rows if r["dataset"] == name and r["variant"] == variant]
            s = np.array([r["score"] for r in sel])
            extra = ("", "", "") if variant == "linear baseline" else (
                f"{np.mean([r['params'] for r in sel]):.0f}",
                f"{np.mean([r['epochs'] for r in sel]):.0f}",
                f"{np.mean([r['seconds'] for r in sel]):.1f}",
            )
            lines.append(f"{name:13s}  {variant:27s}  {s.mean():>13.4f} ± {s.std():.4f}  "
                         f"{s.min():6.4f}  {extra[0]:>7s}  {extra[1]:>6s}  {extra[2]:>5s}")
        lines.append("")
    # One number per variant: the mean over datasets of (score − linear baseline), paired by seed.
    lines.append("mean over datasets and seeds of (score − linear baseline):")
    base = {
        (r["dataset"], r["seed"]): r["score"] for r in rows if r["variant"] == "linear baseline"
    }
    for variant in variants:
        gaps = [r["score"] - base[r["dataset"], r["seed"]] for r in rows if r["variant"] == variant]
        lines.append(f"  {variant:27s}  {np.mean(gaps):+.4f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 … N−1 (default 5)")
    parser.add_argument("--datasets", default="diabetes,friedman1,breast_cancer,wine")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated subset of: {', '.join(VARIANTS)}")
    parser.add_argument("--json", help="also save every row to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)  # small nets; and the benchmark must not crowd a shared machine
    datasets = args.datasets.split(",")
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; use {', '.join(VARIANTS)}")
    rows = run(datasets, variants, args.seeds)
    print()
    print(table(rows, datasets, variants))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
