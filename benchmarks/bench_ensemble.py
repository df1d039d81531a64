"""Model-steps per second: a batched ensemble against a per-model loop of ``fit``-style steps.

A model-step is one Adam step of one model on one batch. The loop trains the models one after
another (what the authors' code does); the ensemble trains them all as one batched program.

    python benchmarks/bench_ensemble.py                 # CPU, and CUDA when available
    python benchmarks/bench_ensemble.py --models 1,64,1024 --device cuda
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.nn import functional as F

from sparcs import SpectralNetwork
from sparcs.spectral.ensemble import SpectralEnsemble

# 4,200 models × 300 epochs × 100 steps (10,000 points, batch 100): docs/math.md §10.1.
PAPER_MODEL_STEPS = 4200 * 300 * 100


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loop_rate(sizes, batch, n_models, steps, device, n_rows=1000) -> float:
    """Model-steps/s of separate networks trained one after another, like ``sparcs.fit``."""
    total = 0.0
    for _ in range(n_models):
        net = SpectralNetwork(sizes, bias=True, device=device)
        X = torch.rand(n_rows, sizes[0], device=device) * 2 - 1
        y = X.square().mean(-1, keepdim=True)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        _sync(device)
        t0 = time.perf_counter()
        for s in range(steps):
            idx = torch.arange(s * batch, (s + 1) * batch, device=device) % n_rows
            loss = F.mse_loss(net(X[idx]), y[idx]) + 1e-4 * net.eigenvalue_penalty(2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        _sync(device)
        total += time.perf_counter() - t0
    return n_models * steps / total


def ensemble_rate(sizes, batch, n_models, steps, device, n_rows=1000) -> float:
    """Model-steps/s of one :class:`SpectralEnsemble` of ``n_models`` members."""
    ens = SpectralEnsemble(n_models, sizes, bias=True, device=device)
    X = torch.rand(n_models, n_rows, sizes[0], device=device) * 2 - 1
    y = X.square().mean(-1, keepdim=True)
    fused = {"fused": True} if device.type == "cuda" else {}
    opt = torch.optim.Adam(ens.parameters(), lr=1e-3, **fused)

    def step(s: int) -> None:
        idx = torch.arange(s * batch, (s + 1) * batch, device=device) % n_rows
        task = (ens(X[:, idx]) - y[:, idx]).square().flatten(1).mean(1)
        loss = (task + 1e-4 * ens.eigenvalue_penalty(2)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for s in range(3):  # warm-up: allocator, kernels
        step(s)
    _sync(device)
    t0 = time.perf_counter()
    for s in range(steps):
        step(s)
    _sync(device)
    return n_models * steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2,300,1", help="layer sizes without the bias node")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--models", default="1,8,64,256", help="ensemble sizes M")
    parser.add_argument("--loop-models", type=int, default=4, help="models timed in the loop")
    parser.add_argument("--seconds", type=float, default=2.0, help="rough time per measurement")
    parser.add_argument("--device", default="all", choices=("all", "cpu", "cuda"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    models = [int(m) for m in args.models.split(",")]
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    devices = [d for d in devices if d == "cpu" or torch.cuda.is_available()]
    print(f"sizes {sizes} + bias node, batch {args.batch}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")
    for name in devices:
        device = torch.device(name)
        probe = max(5, int(loop_rate(sizes, args.batch, 1, 20, device)))
        loop = loop_rate(sizes, args.batch, args.loop_models,
                         max(10, int(probe * args.seconds / args.loop_models)), device)
        label = torch.cuda.get_device_name(device) if name == "cuda" else "cpu"
        print(f"\n[{label}] per-model loop: {loop:,.0f} model-steps/s")
        print(f"{'M':>6} {'batched model-steps/s':>22} {'loop model-steps/s':>19} {'speed-up':>9}")
        best = 0.0
        for M in models:
            est = ensemble_rate(sizes, args.batch, M, 3, device)
            steps = max(5, int(est * args.seconds / M))
            rate = ensemble_rate(sizes, args.batch, M, steps, device)
            best = max(best, rate)
            print(f"{M:>6} {rate:>22,.0f} {loop:>19,.0f} {rate / loop:>8.1f}x")
        print(f"transition paper preset ({PAPER_MODEL_STEPS / 1e6:.0f}M model-steps): "
              f"~{PAPER_MODEL_STEPS / best / 3600:.1f} h batched at the best rate above, "
              f"~{PAPER_MODEL_STEPS / loop / 3600:.0f} h as a per-model loop")


if __name__ == "__main__":
    main()
