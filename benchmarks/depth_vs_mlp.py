"""Depth when it pays: on teachers of depth 2 and 3, the depth and size SPARCS finds against the
smallest fixed-depth MLP of equal accuracy.

For each teacher (``search_quality.teacher``: width 8, 2000 rows) and seed, SPARCS runs with its
defaults (maximal architecture 128 × 128) and with a three-layer maximal architecture
(100 × 100 × 100). Plain MLPs of depth 1–3 and widths 4–128 (early stopping, target-standardized,
as in the quality suite) form the reference grid. For every depth, the table names the smallest
MLP whose mean test R² is within 0.01 of SPARCS' mean (default settings), and its parameters.

Writes ``rows.json``/``rows.csv``, ``summary.md`` and ``depth_vs_mlp.png`` under ``--out``;
resumable (finished fits are read back).

    OMP_NUM_THREADS=1 python benchmarks/depth_vs_mlp.py --out depth-run
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

import torch

from sparcs.pruning.size import mlp_parameters

sys.path.insert(0, str(Path(__file__).parent))
from search_quality import save_rows, teacher

WIDTHS = (4, 8, 16, 32, 64, 128)
DEPTHS = (1, 2, 3)
SPARCS = {"sparcs": (128, 128), "sparcs_3": (100, 100, 100)}


def fit_one(kind: str, hidden: tuple[int, ...], X_tr, X_te, y_tr, y_te, seed: int) -> dict:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sparcs import SparcsRegressor

    t0 = time.perf_counter()
    if kind.startswith("sparcs"):
        model = SparcsRegressor(max_hidden=hidden, random_state=seed, device="cpu").fit(X_tr, y_tr)
        widths = [w for w in model.architecture_.hidden_widths if w]
        params = model.compact_.num_parameters()
    else:
        mlp = MLPRegressor(hidden_layer_sizes=hidden, early_stopping=True, random_state=seed,
                           max_iter=500)
        model = TransformedTargetRegressor(make_pipeline(StandardScaler(), mlp),
                                           transformer=StandardScaler()).fit(X_tr, y_tr)
        widths = list(hidden)
        params = mlp_parameters([X_tr.shape[1], *hidden, 1])
    return {"r2": float(r2_score(y_te, model.predict(X_te))), "seconds": time.perf_counter() - t0,
            "hidden": widths, "depth": len(widths), "parameters": params}


def run(teachers: list[int], seeds: list[int], out: Path) -> list[dict]:
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # torch's one-time import cost
    path = out / "rows.json"
    rows: list[dict] = json.loads(path.read_text()) if path.exists() else []
    done = {(r["teacher"], r["model"], r["seed"]) for r in rows}
    jobs = [(k, h) for k, h in SPARCS.items()] + [
        (f"mlp_{d}x{w}", (w,) * d) for d in DEPTHS for w in WIDTHS]
    for depth in teachers:
        X, y = teacher(depth, 8)
        for seed in seeds:
            split = train_test_split(X, y, test_size=0.2, random_state=seed)
            for kind, hidden in jobs:
                if (depth, kind, seed) in done:
                    continue
                row = {"teacher": depth, "model": kind, "seed": seed,
                       **fit_one(kind, hidden, *split, seed)}
                rows.append(row)
                print(f"teacher{depth} {kind:12s} seed {seed}: R² {row['r2']:.4f} "
                      f"params {row['parameters']} hidden {row['hidden']}", flush=True)
                save_rows(path, rows)
    return rows


def summarize(rows: list[dict]) -> tuple[str, list[dict]]:
    lines, table = [], []
    for depth in sorted({r["teacher"] for r in rows}):
        mine = [r for r in rows if r["teacher"] == depth]

        def stats(model: str, mine: list[dict] = mine) -> dict[str, Any]:
            rs = [r for r in mine if r["model"] == model]
            r2 = [r["r2"] for r in rs]
            return {"r2": statistics.fmean(r2), "std": statistics.pstdev(r2),
                    "parameters": statistics.median(r["parameters"] for r in rs),
                    "hidden": " / ".join("x".join(map(str, r["hidden"])) or "linear"
                                         for r in rs)}

        sp = stats("sparcs")
        lines += [f"### Teacher of depth {depth} (width 8)", "",
                  "| model | test R² | parameters (median) | hidden widths per seed |",
                  "|---|---|---|---|"]
        for name in SPARCS:
            s = stats(name)
            lines.append(f"| {name} (max {'x'.join(map(str, SPARCS[name]))}) | "
                         f"{s['r2']:.3f} ± {s['std']:.3f} | {s['parameters']:.0f} | "
                         f"{s['hidden']} |")
        for d in DEPTHS:
            grid = [(w, stats(f"mlp_{d}x{w}")) for w in WIDTHS]
            best_w, best = max(grid, key=lambda g: g[1]["r2"])
            equal = [(w, s) for w, s in grid if s["r2"] >= sp["r2"] - 0.01]
            if equal:
                w, s = min(equal, key=lambda g: g[1]["parameters"])
                cell = (f"| MLP depth {d}: smallest within 0.01 of SPARCS = width {w} | "
                        f"{s['r2']:.3f} ± {s['std']:.3f} | {s['parameters']:.0f} | |")
            else:
                cell = (f"| MLP depth {d}: none within 0.01 of SPARCS (best: width {best_w}) | "
                        f"{best['r2']:.3f} ± {best['std']:.3f} | {best['parameters']:.0f} | |")
            lines.append(cell)
            table.append({"teacher": depth, "depth": d, "sparcs_r2": sp["r2"],
                          "sparcs_parameters": sp["parameters"],
                          "equal_width": equal and min(equal, key=lambda g: g[1]["parameters"])[0],
                          "best_width": best_w, "best_r2": best["r2"]})
        lines.append("")
    return "\n".join(lines), table


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    teachers = sorted({r["teacher"] for r in rows})
    fig, axes = plt.subplots(1, len(teachers), figsize=(5.5 * len(teachers), 4), squeeze=False)
    for ax, depth in zip(axes[0], teachers, strict=True):
        mine = [r for r in rows if r["teacher"] == depth]
        for d in DEPTHS:
            pts = [(mlp_parameters([8, *(w,) * d, 1]),
                    statistics.fmean(r["r2"] for r in mine if r["model"] == f"mlp_{d}x{w}"))
                   for w in WIDTHS if any(r["model"] == f"mlp_{d}x{w}" for r in mine)]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker="o", label=f"MLP depth {d}")
        for name, marker in zip(SPARCS, ("*", "P"), strict=True):
            rs = [r for r in mine if r["model"] == name]
            ax.scatter([r["parameters"] for r in rs], [r["r2"] for r in rs], marker=marker,
                       s=120, zorder=5, label=f"{name} (per seed)")
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("test R²")
        ax.set_title(f"teacher of depth {depth}, width 8")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "depth_vs_mlp.png", dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", default="2,3", help="teacher depths, e.g. 2,3")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="depth-vs-mlp", help="output folder")
    args = parser.parse_args()
    out = Path(args.out)
    rows = run([int(t) for t in args.teachers.split(",")],
               [int(s) for s in args.seeds.split(",")], out)
    text, table = summarize(rows)
    (out / "summary.md").write_text(text)
    with open(out / "rows.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (out / "summary.json").write_text(json.dumps(table, indent=1))
    plot(rows, out)
    print(text)


if __name__ == "__main__":
    main()
