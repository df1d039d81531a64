"""Time, memory and test metric as the rows grow: the default search against scikit-learn's
(200, 200) MLP with early stopping and HistGradientBoosting, side by side in one run.

The data is Friedman 1 with 20 features (5 informative, noise 1.0); a fixed test part of 20,000
rows scores every model by R². Each fit runs in its own process, so that its peak resident
memory is its own: the table reports the wall time of ``fit``, how far the process's peak RSS
rose above what it held before ``fit`` (the float64 X and y are already in memory and not
counted), that rise over the float32 size of X, and the test R².

    python benchmarks/scale.py                                  # 2,000 to 1,000,000 rows
    python benchmarks/scale.py --rows 2000,20000 --threads 2 --out scale-run
    python benchmarks/scale.py --rows 300000 --threads 1 --models sparcs,mlp   # memory target
    python benchmarks/scale.py --rows 1000000 --models sparcs --device cuda     # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

FEATURES = 20
TEST_ROWS = 20_000
MODELS = ("sparcs", "mlp", "hgb")


def data(rows: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(rows + TEST_ROWS, FEATURES))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3]
         + 5 * X[:, 4] + rng.normal(size=len(X)))
    return X[:rows], y[:rows], X[rows:], y[rows:]


def _rss_mb() -> float:
    """The process's current resident memory (MB), from /proc."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def child(model: str, rows: int, threads: int, seed: int, device: str = "cpu") -> dict:
    """One fit in this process: time, memory rise and test R²."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # pay torch's first-optimizer cost
    X, y, X_test, y_test = data(rows, seed)
    if model == "sparcs":
        from sparcs import SparcsRegressor

        est = SparcsRegressor(random_state=seed, device=device)
    elif model == "mlp":
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.neural_network import MLPRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        est = TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(
            hidden_layer_sizes=(200, 200), early_stopping=True, max_iter=500,
            random_state=seed)), transformer=StandardScaler())
    else:
        from sklearn.ensemble import HistGradientBoostingRegressor

        est = HistGradientBoostingRegressor(random_state=seed)
    _reset_peak()
    before = _rss_mb()
    with threadpool_limits(threads):
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
    rise = _peak_mb() - before
    pred = est.predict(X_test)
    r2 = 1 - float(np.mean((pred - y_test) ** 2) / np.var(y_test))
    x32 = rows * FEATURES * 4 / 2**20
    out = {"model": model, "rows": rows, "threads": threads, "device": device,
           "seconds": seconds,
           "rss_rise_mb": rise, "x_float32_mb": x32, "rise_over_x32": rise / x32, "r2": r2}
    if model == "sparcs":
        out |= {"parameters": est.compact_.num_parameters(), "kind": est.kind_,
                "folds": est._fit.folds}
    return out


def run(rows: list[int], models: list[str], threads: int, seed: int, out: Path,
        device: str = "cpu") -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    done_path = out / "rows.json"
    results = json.loads(done_path.read_text()) if done_path.exists() else []
    done = {(r["model"], r["rows"], r["threads"]) for r in results}
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    for n in rows:
        for model in models:
            if (model, n, threads) in done:
                continue
            proc = subprocess.run(
                [sys.executable, __file__, "--child", model, str(n), str(threads), str(seed),
                 device],
                capture_output=True, text=True, env=env, check=False)
            if proc.returncode:
                sys.exit(f"{model} at {n} rows failed:\n{proc.stderr[-2000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"{n:>9,} rows  {model:7s} {result['seconds']:8.1f} s  "
                  f"+{result['rss_rise_mb']:7.0f} MB ({result['rise_over_x32']:.1f}x X32)  "
                  f"R² {result['r2']:.4f}", flush=True)
            tmp = done_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(results, indent=1))
            tmp.replace(done_path)
    return results


def table(results: list[dict]) -> str:
    by = {(r["model"], r["rows"]): r for r in results}
    rows = sorted({r["rows"] for r in results})
    head = ("| rows | sparcs s | MLP s | HGB s | sparcs / MLP time | sparcs RSS rise | MLP RSS "
            "rise | sparcs rise / X (float32) | R² sparcs | R² MLP | R² HGB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]

    def cell(model: str, n: int, key: str, fmt: str) -> str:
        r = by.get((model, n))
        return format(r[key], fmt) if r else "–"

    for n in rows:
        s, m = by.get(("sparcs", n)), by.get(("mlp", n))
        ratio = f"{s['seconds'] / m['seconds']:.2f}" if s and m else "–"
        lines.append(
            f"| {n:,} | {cell('sparcs', n, 'seconds', '.1f')} | {cell('mlp', n, 'seconds', '.1f')}"
            f" | {cell('hgb', n, 'seconds', '.1f')} | {ratio} | "
            f"{cell('sparcs', n, 'rss_rise_mb', '.0f')} MB | {cell('mlp', n, 'rss_rise_mb', '.0f')}"
            f" MB | {cell('sparcs', n, 'rise_over_x32', '.1f')}x | {cell('sparcs', n, 'r2', '.4f')}"
            f" | {cell('mlp', n, 'r2', '.4f')} | {cell('hgb', n, 'r2', '.4f')} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        model, rows, threads, seed = sys.argv[2], *map(int, sys.argv[3:6])
        print(json.dumps(child(model, rows, threads, seed, sys.argv[6])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="2000,20000,200000,1000000")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="where sparcs trains (cpu or cuda)")
    parser.add_argument("--out", default="scale-results")
    args = parser.parse_args()
    results = run([int(r) for r in args.rows.split(",")], args.models.split(","), args.threads,
                  args.seed, Path(args.out), args.device)
    text = table([r for r in results if r["threads"] == args.threads])
    (Path(args.out) / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
