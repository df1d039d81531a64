"""How good is the default search? SparcsRegressor/SparcsClassifier with default settings
against ridge/logistic regression, a target-standardized (200, 200) MLP with early stopping and
HistGradientBoosting, on scikit-learn's bundled datasets, generated problems (Friedman 1–3,
non-linear make_classification) and teacher networks of known depth and width; also the
regularization-path variant (``sparcs_path``: three penalties as one batched ensemble).

Every seed draws its own 80/20 train/test split (stratified for classification) and its own
initializations. Writes one row per (dataset, model, seed) to ``<out>/rows.csv`` and
``<out>/rows.json``, a per-dataset summary to ``<out>/summary.csv`` and prints the table and the
target checks. Runs on one CPU thread per process (``OMP_NUM_THREADS=1``).

    OMP_NUM_THREADS=1 python benchmarks/search_quality.py                # everything, seeds 0-2
    python benchmarks/search_quality.py --datasets diabetes,teacher1 --seeds 0,1
    python benchmarks/search_quality.py --models sparcs,mlp --out quality-run
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sparcs.pruning.size import mlp_parameters

ROWS = 2000  # generated problems; bundled sets are used whole (all are smaller than 2000 rows)
MODELS = ("sparcs", "linear", "mlp", "hgb", "sparcs_path")
# The regularization-path variant: three penalties trained as one batched ensemble, the smallest
# pruned member within the tolerance of the best kept.
PATH = {"path_penalties": (1e-5, 1e-4, 1e-3)}


def teacher(depth: int, width: int, *, dim: int = 8, rows: int = ROWS, noise: float = 0.05,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = a ReLU MLP with ``depth`` hidden layers of ``width`` (depth 0: linear), plus noise.

    Hidden layers are scaled to keep unit variance; the output is standardized, so R² ≈ 1 − noise².
    """
    rng = np.random.default_rng(1000 + 17 * depth + width + seed)
    X = rng.normal(size=(rows, dim))
    h = X
    for _ in range(depth):
        W = rng.normal(size=(h.shape[1], width)) / np.sqrt(h.shape[1])
        b = rng.normal(size=width) * 0.5
        h = np.maximum(h @ W + b, 0.0)
        h = (h - h.mean(0)) / (h.std(0) + 1e-12)
    y = h @ rng.normal(size=h.shape[1])
    y = (y - y.mean()) / y.std()
    return X, y + noise * rng.normal(size=rows)


def load(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn import datasets

    if name == "diabetes":
        X, y = datasets.load_diabetes(return_X_y=True)
        return X, y, "regression"
    if name.startswith("friedman"):
        make = {"1": datasets.make_friedman1, "2": datasets.make_friedman2,
                "3": datasets.make_friedman3}[name[-1]]
        noise = {"1": 1.0, "2": 10.0, "3": 0.05}[name[-1]]
        X, y = make(n_samples=ROWS, noise=noise, random_state=0)
        return X, y, "regression"
    if name.startswith("teacher"):  # teacher0 … teacher3: depth 0–3, width 8
        X, y = teacher(int(name[-1]), 8)
        return X, y, "regression"
    if name in ("breast_cancer", "wine", "iris", "digits"):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y, "classification"
    if name == "clusters":  # non-linear: several clusters per class
        X, y = datasets.make_classification(
            n_samples=ROWS, n_features=10, n_informative=6, n_redundant=0, n_classes=3,
            n_clusters_per_class=3, class_sep=1.5, random_state=0)
        return X, y, "classification"
    raise SystemExit(f"unknown dataset {name!r}; use {', '.join(DATASETS)}")


DATASETS = ("diabetes", "friedman1", "friedman2", "friedman3", "teacher0", "teacher1",
            "teacher2", "teacher3", "breast_cancer", "wine", "iris", "digits", "clusters")


SPARCS_OPTIONS: dict[str, Any] = {}  # --set overrides of the estimators' defaults


def make_model(kind: str, task: str, seed: int) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sparcs import SparcsClassifier, SparcsRegressor

    reg = task == "regression"
    if kind in ("sparcs", "sparcs_path"):
        extra = PATH if kind == "sparcs_path" else {}
        return (SparcsRegressor if reg else SparcsClassifier)(
            random_state=seed, device="cpu", **{**SPARCS_OPTIONS, **extra})
    if kind == "linear":
        if reg:
            return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    if kind == "mlp":
        mlp = (MLPRegressor if reg else MLPClassifier)(
            hidden_layer_sizes=(200, 200), early_stopping=True, random_state=seed, max_iter=500)
        model = make_pipeline(StandardScaler(), mlp)
        return TransformedTargetRegressor(model, transformer=StandardScaler()) if reg else model
    if kind == "hgb":
        return (HistGradientBoostingRegressor if reg else HistGradientBoostingClassifier)(
            random_state=seed)
    raise SystemExit(f"unknown model {kind!r}")


def describe(kind: str, model: Any, n_features: int, n_out: int) -> dict[str, Any]:
    """Parameters and hidden widths of a fitted model (None where it has no such notion)."""
    if kind in ("sparcs", "sparcs_path"):
        return {"parameters": model.compact_.num_parameters(),
                "hidden": [w for w in model.architecture_.hidden_widths if w]}
    if kind == "linear":
        return {"parameters": (n_features + 1) * n_out, "hidden": []}
    if kind == "mlp":
        return {"parameters": mlp_parameters([n_features, 200, 200, n_out]), "hidden": [200, 200]}
    return {"parameters": None, "hidden": None}


def score(task: str, model: Any, X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score, r2_score

    pred = model.predict(X)
    return float(r2_score(y, pred) if task == "regression" else accuracy_score(y, pred))


def run(datasets: list[str], models: list[str], seeds: list[int], out: Path) -> list[dict]:
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    # The first torch optimizer of a process imports torch's compiler stack (~3 s): pay it
    # before any timing.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    done_path = out / "rows.json"
    rows: list[dict] = json.loads(done_path.read_text()) if done_path.exists() else []
    done = {(r["dataset"], r["model"], r["seed"]) for r in rows}
    for name in datasets:
        X, y, task = load(name)
        n_out = 1 if task == "regression" or len(np.unique(y)) == 2 else len(np.unique(y))
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.2, random_state=seed,
                stratify=y if task == "classification" else None)
            for kind in models:
                if (name, kind, seed) in done:
                    continue
                model = make_model(kind, task, seed)
                t0 = time.perf_counter()
                model.fit(X_tr, y_tr)
                seconds = time.perf_counter() - t0
                row = {"dataset": name, "task": task, "model": kind, "seed": seed,
                       "metric": score(task, model, X_te, y_te), "seconds": seconds,
                       **describe(kind, model, X.shape[1], n_out)}
                rows.append(row)
                print(f"{name:14s} {kind:7s} seed {seed}: {row['metric']:.4f}  "
                      f"{row['seconds']:6.2f}s  params {row['parameters']}  "
                      f"hidden {row['hidden']}", flush=True)
                save_rows(done_path, rows)
    return rows


def save_rows(path: Path, rows: list[dict]) -> None:
    """Write the finished rows atomically, so an interrupted run resumes from them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1))
    tmp.replace(path)


def _ms(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def summarize(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Per-dataset mean ± std per model, and the target checks of the default search."""
    table, checks = [], []
    ratios, size_fracs, size_max = [], [], []
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    for name in names:
        by = {m: [r for r in rows if r["dataset"] == name and r["model"] == m] for m in MODELS}
        entry: dict[str, Any] = {"dataset": name, "task": by["sparcs"][0]["task"] if by["sparcs"]
                                 else rows[0]["task"]}
        for m, rs in by.items():
            if rs:
                mean, std = _ms([r["metric"] for r in rs])
                entry[f"{m}_metric"], entry[f"{m}_std"] = mean, std
                entry[f"{m}_seconds"] = statistics.fmean(r["seconds"] for r in rs)
        sp, mlp, lin = by["sparcs"], by["mlp"], by["linear"]
        for m in ("sparcs", "sparcs_path"):
            if by[m]:
                entry[f"{m}_params"] = statistics.median(r["parameters"] for r in by[m])
                entry[f"{m}_hidden"] = " / ".join(
                    "x".join(map(str, r["hidden"])) or "linear" for r in by[m])
        if sp and mlp:
            entry["time_ratio"] = entry["sparcs_seconds"] / entry["mlp_seconds"]
            ratios.append(entry["time_ratio"])
            frac = entry["sparcs_params"] / mlp[0]["parameters"]
            entry["params_vs_mlp"] = frac
            if any(r["hidden"] for r in sp):
                size_fracs.append(frac)
            size_max.append(max(r["parameters"] for r in sp) / mlp[0]["parameters"])
        if sp and mlp and lin:
            need = max(entry["linear_metric"], entry["mlp_metric"]) - 0.01
            entry["accuracy_ok"] = entry["sparcs_metric"] >= need
            floor = {r["seed"]: r["metric"] for r in lin}
            entry["floor_ok"] = all(r["metric"] >= floor[r["seed"]] - 0.01 for r in sp)
            entry["stable_ok"] = entry["sparcs_std"] <= entry["mlp_std"] + 1e-12
            kinds = {("linear" if not r["hidden"] else "full" if r["parameters"]
                      >= 0.9 * mlp[0]["parameters"] else "mid") for r in sp}
            entry["flip"] = "linear" in kinds and "full" in kinds
        table.append(entry)
    if size_fracs:
        checks.append(f"size: median compact/MLP params where hidden layers were kept "
                      f"{statistics.median(size_fracs):.1%} (target <= 25%), "
                      f"max over all fits {max(size_max):.1%} (target <= 100%)")
    for key, label in (("accuracy_ok", "accuracy >= max(linear, MLP) - 0.01"),
                       ("floor_ok", "no seed below its linear floor by > 0.01"),
                       ("stable_ok", "std <= MLP's std")):
        ok = [e["dataset"] for e in table if e.get(key)]
        bad = [e["dataset"] for e in table if key in e and not e[key]]
        checks.append(f"{label}: {len(ok)}/{len(ok) + len(bad)} datasets"
                      + (f" (fails: {', '.join(bad)})" if bad else ""))
    flips = [e["dataset"] for e in table if e.get("flip")]
    checks.append(f"linear/full flips across seeds: {len(flips)}"
                  + (f" ({', '.join(flips)})" if flips else ""))
    if ratios:
        checks.append(f"speed: fit time / MLP fit time median {statistics.median(ratios):.2f}x, "
                      f"max {max(ratios):.2f}x (target <= 3x)")
    return table, checks


def markdown(table: list[dict]) -> str:
    head = ("| dataset | metric | SPARCS | linear | MLP 200x200 | HGB | SPARCS params (median) | "
            "vs MLP | hidden widths per seed | SPARCS s | x MLP time |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def cell(e: dict, m: str) -> str:
        if f"{m}_metric" not in e:
            return "–"
        return f"{e[f'{m}_metric']:.3f} ± {e[f'{m}_std']:.3f}"

    for e in table:
        metric = "R²" if e["task"] == "regression" else "accuracy"
        lines.append(
            f"| {e['dataset']} | {metric} | {cell(e, 'sparcs')} | {cell(e, 'linear')} | "
            f"{cell(e, 'mlp')} | {cell(e, 'hgb')} | {e.get('sparcs_params', '–')} | "
            f"{e.get('params_vs_mlp', float('nan')):.1%} | "
            f"{e.get('sparcs_hidden', '–')} | "
            f"{e.get('sparcs_seconds', float('nan')):.1f} | "
            f"{e.get('time_ratio', float('nan')):.1f} |")
    return "\n".join(lines)


def path_markdown(table: list[dict]) -> str:
    """The default search next to the regularization-path variant, where both ran."""
    lines = ["| dataset | SPARCS | SPARCS path | params | path params | hidden widths (path) | "
             "SPARCS s | path s |", "|---|---|---|---|---|---|---|---|"]
    for e in table:
        if "sparcs_path_metric" not in e or "sparcs_metric" not in e:
            continue
        lines.append(
            f"| {e['dataset']} | {e['sparcs_metric']:.3f} ± {e['sparcs_std']:.3f} | "
            f"{e['sparcs_path_metric']:.3f} ± {e['sparcs_path_std']:.3f} | "
            f"{e['sparcs_params']} | {e['sparcs_path_params']} | {e['sparcs_path_hidden']} | "
            f"{e['sparcs_seconds']:.1f} | {e['sparcs_path_seconds']:.1f} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="search-quality", help="folder for rows and summary")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a non-default estimator setting, e.g. --set lr=0.003 (repeatable)")
    args = parser.parse_args()
    for item in args.set:
        name, _, value = item.partition("=")
        SPARCS_OPTIONS[name] = json.loads(value)
    out = Path(args.out)
    rows = run(args.datasets.split(","), args.models.split(","),
               [int(s) for s in args.seeds.split(",")], out)
    table, checks = summarize(rows)
    with open(out / "summary.csv", "w", newline="") as fh:
        keys = sorted({k for e in table for k in e}, key=lambda k: (k != "dataset", k))
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(table)
    with open(out / "rows.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    text = markdown(table) + "\n\n" + "\n".join(f"- {c}" for c in checks)
    if path_markdown(table):
        text += "\n\nRegularization path (" + ", ".join(
            f"{k}={v}" for k, v in PATH.items()) + "):\n\n" + path_markdown(table)
    (out / "summary.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
