"""How good is the default search? ``SparcsRegressor``/``SparcsClassifier`` with default settings
against the references a careful user would try instead, on three suites:

- ``builtin``: scikit-learn's bundled datasets, generated problems (Friedman 1–3, a non-linear
  ``make_classification``) and teacher networks of known depth (tune data);
- ``tune`` / ``holdout``: the public real-data suite in ``benchmarks/data/realdata/``
  (``manifest.json``: role ``tune`` or ``holdout``; text columns one-hot encoded, rows with missing
  values dropped). Defaults are chosen on ``builtin`` and ``tune`` only; ``holdout`` is reported.

The protocol: seeds 0–2, each seed its own 75/25 train/test split (stratified for
classification). The references, each fitted on the same rows:

- ``linear``: ``RidgeCV(alphas=logspace(-3, 3, 13))`` or ``LogisticRegression(C=1)`` on
  standardized X;
- ``mlp``: ``MLPRegressor``/``MLPClassifier(hidden_layer_sizes=(200, 200), early_stopping=True,
  max_iter=500)`` on standardized X, the target standardized for regression;
- ``hgb``: ``HistGradientBoosting`` with defaults (no parameter count);
- ``grid``: the same MLP at ten sizes, (4,) … (200, 200): ten trainings, as a careful user
  would compare sizes. The summary names the smallest size whose mean test metric is within 0.01
  of the best size's (a reference, not a selection rule).

Writes one row per (dataset, model, seed) to ``<out>/rows.json`` (resumable: finished rows are
skipped) and ``rows.csv``, a per-dataset ``summary.csv``, and prints the table and the target
checks (``summary.md``).

    python benchmarks/search_quality.py --suite tune --out quality-tune
    python benchmarks/search_quality.py --suite builtin --models sparcs,linear --seeds 0
    python benchmarks/search_quality.py --suite tune \\
        --variant "small:max_hidden=[64,64];lr=0.001" --models small,mlp
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sparcs.pruning.size import mlp_parameters

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "data" / "realdata" / "manifest.json"
ROWS = 2000  # generated problems
TEST_FRACTION = 0.25
GRID = ((4,), (8,), (16,), (32,), (64,), (8, 8), (16, 16), (32, 32), (64, 64), (200, 200))
REFERENCES = ("linear", "mlp", "hgb", "grid")
BUILTIN = ("diabetes", "friedman1", "friedman2", "friedman3", "teacher0", "teacher1",
           "teacher2", "teacher3", "breast_cancer", "wine", "iris", "digits", "clusters")
# name -> estimator settings; "sparcs" is the default search. --variant adds more.
VARIANTS: dict[str, dict[str, Any]] = {"sparcs": {}}


# ---------------------------------------------------------------------------- data
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


def load_builtin(name: str) -> tuple[np.ndarray, np.ndarray, str]:
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
    raise SystemExit(f"unknown dataset {name!r}")


def manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    return json.loads(path.read_text())


def load_real(entry: dict[str, Any], folder: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """A manifest entry read as a user would with pandas: rows with a missing value dropped,
    text feature columns one-hot encoded."""
    import pandas as pd

    frame = pd.read_csv(folder / entry["file"]).dropna()
    y = frame.pop(entry["target"]).to_numpy()
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    X = pd.get_dummies(frame, columns=text, dtype=np.float64).to_numpy(np.float64)
    return X, y, entry["task"]


def suite(name: str) -> dict[str, Any]:
    """Dataset name -> loader for ``builtin``, ``tune``, ``holdout``, or a comma list."""
    entries = {e["name"]: e for e in manifest()}
    if name == "builtin":
        return {d: (lambda d=d: load_builtin(d)) for d in BUILTIN}
    if name in ("tune", "holdout"):
        return {n: (lambda e=e: load_real(e, MANIFEST.parent))
                for n, e in entries.items() if e["role"] == name}
    out = {}
    for d in name.split(","):
        if d in entries:
            out[d] = lambda e=entries[d]: load_real(e, MANIFEST.parent)
        elif d in BUILTIN:
            out[d] = lambda d=d: load_builtin(d)
        else:
            raise SystemExit(f"unknown dataset {d!r}")
    return out


# -------------------------------------------------------------------------- models
def make_model(kind: str, task: str, seed: int) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sparcs import SparcsClassifier, SparcsRegressor

    reg = task == "regression"
    if kind in VARIANTS:
        return (SparcsRegressor if reg else SparcsClassifier)(
            random_state=seed, device="cpu", **VARIANTS[kind])
    if kind == "linear":
        if reg:
            return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    if kind.startswith("mlp"):
        hidden = tuple(int(w) for w in kind[4:].split("x")) if kind != "mlp" else (200, 200)
        mlp = (MLPRegressor if reg else MLPClassifier)(
            hidden_layer_sizes=hidden, early_stopping=True, random_state=seed, max_iter=500)
        model = make_pipeline(StandardScaler(), mlp)
        return TransformedTargetRegressor(model, transformer=StandardScaler()) if reg else model
    if kind == "hgb":
        return (HistGradientBoostingRegressor if reg else HistGradientBoostingClassifier)(
            random_state=seed)
    raise SystemExit(f"unknown model {kind!r}")


def describe(kind: str, model: Any, n_features: int, n_out: int) -> dict[str, Any]:
    """Parameters and hidden widths of a fitted model (None where it has no such notion)."""
    if kind in VARIANTS:
        return {"parameters": model.compact_.num_parameters(),
                "hidden": [w for w in model.architecture_.hidden_widths if w]}
    if kind == "linear":
        return {"parameters": (n_features + 1) * n_out, "hidden": []}
    if kind.startswith("mlp"):
        hidden = [200, 200] if kind == "mlp" else [int(w) for w in kind[4:].split("x")]
        return {"parameters": mlp_parameters([n_features, *hidden, n_out]), "hidden": hidden}
    return {"parameters": None, "hidden": None}


def grid_name(hidden: tuple[int, ...]) -> str:
    return "mlp:" + "x".join(map(str, hidden))


def scores(task: str, model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The test metric (R² or accuracy), and the log-loss for classification."""
    from sklearn.metrics import accuracy_score, log_loss, r2_score

    if task == "regression":
        return {"metric": float(r2_score(y, model.predict(X)))}
    proba = model.predict_proba(X)
    return {"metric": float(accuracy_score(y, model.classes_[proba.argmax(1)])),
            "log_loss": float(log_loss(y, proba, labels=model.classes_))}


def expand(models: list[str]) -> list[str]:
    out = []
    for m in models:
        out.extend(grid_name(h) for h in GRID) if m == "grid" else out.append(m)
    return out


def run(datasets: dict[str, Any], models: list[str], seeds: list[int], out: Path,
        threads: int) -> list[dict]:
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    # The first torch optimizer of a process imports torch's compiler stack (~3 s): pay it
    # before any timing.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    done_path = out / "rows.json"
    rows: list[dict] = json.loads(done_path.read_text()) if done_path.exists() else []
    done = {(r["dataset"], r["model"], r["seed"]) for r in rows}
    for name, loader in datasets.items():
        X, y, task = loader()
        classes = np.unique(y) if task == "classification" else None
        n_out = 1 if classes is None or len(classes) == 2 else len(classes)
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=TEST_FRACTION, random_state=seed,
                stratify=y if task == "classification" else None)
            for kind in expand(models):
                if (name, kind, seed) in done:
                    continue
                model = make_model(kind, task, seed)
                with threadpool_limits(threads):
                    t0 = time.perf_counter()
                    model.fit(X_tr, y_tr)
                    seconds = time.perf_counter() - t0
                row = {"dataset": name, "task": task, "model": kind, "seed": seed,
                       "rows": len(X_tr), "features": X.shape[1],
                       **scores(task, model, X_te, y_te), "seconds": seconds,
                       **describe(kind, model, X.shape[1], n_out)}
                rows.append(row)
                print(f"{name:14s} {kind:12s} seed {seed}: {row['metric']:.4f}  "
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


# ------------------------------------------------------------------------- summary
def _ms(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0


def summarize(rows: list[dict], model: str = "sparcs") -> tuple[list[dict], list[str]]:
    """Per dataset: mean ± std of every model, and the targets of the search checked for
    ``model`` (accuracy, per-seed floor, stability, size, cost)."""
    table = []
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    for name in names:
        mine = [r for r in rows if r["dataset"] == name]
        by: dict[str, list[dict]] = {}
        for r in mine:
            by.setdefault(r["model"], []).append(r)
        e: dict[str, Any] = {"dataset": name, "task": mine[0]["task"], "rows": mine[0]["rows"]}
        for m, rs in by.items():
            e[f"{m}_metric"], e[f"{m}_std"] = _ms([r["metric"] for r in rs])
            e[f"{m}_seconds"] = statistics.fmean(r["seconds"] for r in rs)
            if "log_loss" in rs[0]:
                e[f"{m}_log_loss"] = statistics.fmean(r["log_loss"] for r in rs)
            if rs[0]["parameters"] is not None:
                e[f"{m}_params"] = statistics.median(r["parameters"] for r in rs)
        grid = [grid_name(h) for h in GRID if grid_name(h) in by]
        if grid:
            best = max(e[f"{g}_metric"] for g in grid)
            good = [g for g in grid if e[f"{g}_metric"] >= best - 0.01]
            small = min(good, key=lambda g: e[f"{g}_params"])
            e.update(grid_best=best, grid_small=small, grid_small_params=e[f"{small}_params"],
                     grid_seconds=sum(e[f"{g}_seconds"] for g in grid))
        if model in by:
            sp = by[model]
            e["hidden"] = " / ".join("x".join(map(str, r["hidden"])) or "linear" for r in sp)
            e["linear_share"] = sum(not r["hidden"] for r in sp) / len(sp)
            if "mlp" in by:
                e["time_ratio"] = e[f"{model}_seconds"] / e["mlp_seconds"]
                e["params_vs_mlp"] = e[f"{model}_params"] / e["mlp_params"]
                e["max_params_vs_mlp"] = max(r["parameters"] for r in sp) / e["mlp_params"]
                e["stable_ok"] = e[f"{model}_std"] <= max(e["mlp_std"], 0.01) + 0.005
            if "linear" in by and "mlp" in by:
                need = max(e["linear_metric"], e["mlp_metric"]) - 0.01
                e["gap"] = e[f"{model}_metric"] - max(e["linear_metric"], e["mlp_metric"])
                e["accuracy_ok"] = e[f"{model}_metric"] >= need
                floor = {r["seed"]: r["metric"] for r in by["linear"]}
                e["floor_ok"] = all(r["metric"] >= floor[r["seed"]] - 0.01 for r in sp)
            if grid:
                e["gap_to_grid_best"] = e[f"{model}_metric"] - e["grid_best"]
                e["grid_time_ratio"] = e[f"{model}_seconds"] / e["grid_seconds"]
        table.append(e)
    return table, checks(table)


def checks(table: list[dict]) -> list[str]:
    out = []
    for key, label in (("accuracy_ok", "accuracy: mean >= max(linear, MLP) - 0.01"),
                       ("floor_ok", "floor: no seed below its own linear reference by > 0.01"),
                       ("stable_ok", "stability: std <= max(MLP std, 0.01) + 0.005")):
        ok = [e["dataset"] for e in table if e.get(key)]
        bad = [e["dataset"] for e in table if key in e and not e[key]]
        out.append(f"{label}: {len(ok)}/{len(ok) + len(bad)}"
                   + (f" (misses: {', '.join(bad)})" if bad else ""))
    gaps = [e["gap"] for e in table if "gap" in e]
    if gaps:
        out.append(f"gap to max(linear, MLP): mean {statistics.fmean(gaps):+.4f}, "
                   f"worst {min(gaps):+.4f}")
    grid_gaps = [e["gap_to_grid_best"] for e in table if "gap_to_grid_best" in e]
    if grid_gaps:
        out.append(f"gap to the grid's best size: mean {statistics.fmean(grid_gaps):+.4f}, "
                   f"worst {min(grid_gaps):+.4f}")
    hidden = [e["params_vs_mlp"] for e in table if "params_vs_mlp" in e and e["linear_share"] < 1]
    if hidden:
        out.append(f"size: median {statistics.median(hidden):.1%} of the (200, 200) MLP where "
                   f"hidden layers are kept (target <= 10%), largest fit "
                   f"{max(e['max_params_vs_mlp'] for e in table if 'max_params_vs_mlp' in e):.1%}"
                   " (target <= 100%)")
    shares = [e["linear_share"] for e in table if "linear_share" in e]
    if shares:
        out.append(f"linear fits: {statistics.fmean(shares):.0%}")
    ratios = [e["time_ratio"] for e in table if "time_ratio" in e]
    if ratios:
        out.append(f"cost: median {statistics.median(ratios):.2f}x the MLP's fit time (target "
                   f"<= 5x), max {max(ratios):.2f}x")
    grid_ratios = [e["grid_time_ratio"] for e in table if "grid_time_ratio" in e]
    if grid_ratios:
        out.append(f"cost: max {max(grid_ratios):.2f}x the 10-size grid's time (target <= 2x)")
    return out


def markdown(table: list[dict], model: str = "sparcs") -> str:
    head = ("| dataset | rows | metric | SPARCS | linear | MLP 200x200 | HGB | grid best | "
            "SPARCS params | grid's smallest good | hidden widths per seed | x MLP time |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def cell(e: dict, m: str) -> str:
        if f"{m}_metric" not in e:
            return "–"
        text = f"{e[f'{m}_metric']:.3f} ± {e[f'{m}_std']:.3f}"
        return text + (f" ({e[f'{m}_log_loss']:.3f})" if f"{m}_log_loss" in e else "")

    for e in table:
        metric = "R²" if e["task"] == "regression" else "accuracy (log-loss)"
        small = (f"{e['grid_small'][4:]} · {e['grid_small_params']:.0f}" if "grid_small" in e
                 else "–")
        lines.append(
            f"| {e['dataset']} | {e['rows']} | {metric} | {cell(e, model)} | "
            f"{cell(e, 'linear')} | {cell(e, 'mlp')} | {cell(e, 'hgb')} | "
            f"{e.get('grid_best', float('nan')):.3f} | {e.get(f'{model}_params', '–')} | "
            f"{small} | {e.get('hidden', '–')} | {e.get('time_ratio', float('nan')):.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="builtin",
                        help="builtin, tune, holdout, or a comma list of dataset names")
    parser.add_argument("--models", default="sparcs," + ",".join(REFERENCES),
                        help="sparcs (and --variant names), linear, mlp, hgb, grid")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    parser.add_argument("--out", default="search-quality", help="folder for rows and summary")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:K=V;K=V",
                        help="a named search with non-default settings (values as JSON), "
                        "e.g. small:max_hidden=[64,64];lr=0.001; list NAME in --models")
    parser.add_argument("--report", default="sparcs", help="the model the summary checks")
    args = parser.parse_args()
    for item in args.variant:
        name, _, spec = item.partition(":")
        VARIANTS[name] = {k: json.loads(v) for k, _, v in
                          (kv.partition("=") for kv in filter(None, spec.split(";")))}
    out = Path(args.out)
    rows = run(suite(args.suite), args.models.split(","), [int(s) for s in args.seeds.split(",")],
               out, args.threads)
    if not rows:
        sys.exit("no rows")
    table, notes = summarize(rows, args.report)
    with open(out / "summary.csv", "w", newline="") as fh:
        keys = sorted({k for e in table for k in e}, key=lambda k: (k != "dataset", k))
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(table)
    with open(out / "rows.csv", "w", newline="") as fh:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    text = markdown(table, args.report) + "\n\n" + "\n".join(f"- {c}" for c in notes)
    (out / "summary.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
