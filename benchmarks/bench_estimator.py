"""Wall-clock time of ``SparcsRegressor.fit`` against scikit-learn's ``MLPRegressor``.

The issue's budget: 5,000 × 20 data, ``max_hidden=(200, 200)``, 50 epochs, at most 2 minutes on
2 CPU cores. Both models get the same hidden sizes, epochs, batch size and learning rate;
MLPRegressor's early stopping on stalled loss is switched off so that it runs every epoch.
SPARCS's time includes the pruning sweep and building the compact model.

    python benchmarks/bench_estimator.py                     # the issue's setting
    python benchmarks/bench_estimator.py --threads 1 --epochs 10
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch


def data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3:].sum(axis=1) + 0.1 * rng.normal(size=n)
    return X, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--hidden", default="200,200")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default: the estimator's default")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (torch and BLAS)")
    parser.add_argument("--skip-mlp", action="store_true")
    args = parser.parse_args()

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor
    from threadpoolctl import threadpool_limits

    from sparcs import SparcsRegressor

    torch.set_num_threads(args.threads)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    X, y = data(args.rows, args.features)
    sparcs = SparcsRegressor(hidden, epochs=args.epochs, device="cpu", random_state=0)
    if args.batch_size:
        sparcs.set_params(batch_size=args.batch_size)
    batch = sparcs.batch_size
    print(f"data {args.rows} x {args.features}, hidden {hidden}, {args.epochs} epochs, "
          f"batch {batch}, {args.threads} CPU threads")

    with threadpool_limits(args.threads):
        start = time.perf_counter()
        sparcs.fit(X, y)
        t_sparcs = time.perf_counter() - start
    print(f"SparcsRegressor.fit: {t_sparcs:7.1f} s   train R² {sparcs.score(X, y):.3f}, "
          f"found hidden widths {sparcs.architecture_.hidden_widths}")
    if args.skip_mlp:
        return
    mlp = MLPRegressor(hidden_layer_sizes=hidden, max_iter=args.epochs, batch_size=batch,
                       learning_rate_init=1e-3, n_iter_no_change=args.epochs + 1, tol=0.0,
                       random_state=0)
    Xs = (X - X.mean(0)) / X.std(0)
    ys = (y - y.mean()) / y.std()
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        mlp.fit(Xs, ys)
        t_mlp = time.perf_counter() - start
    print(f"MLPRegressor.fit:    {t_mlp:7.1f} s   train R² {mlp.score(Xs, ys):.3f}")
    print(f"ratio SPARCS / MLP:  {t_sparcs / t_mlp:7.2f}")
    budget = 120.0
    verdict = "within" if t_sparcs <= budget else "OVER"
    print(f"budget: {t_sparcs:.1f} s of {budget:.0f} s ({verdict})")


if __name__ == "__main__":
    main()
