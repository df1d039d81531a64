"""Training-step throughput: SpectralNetwork vs a plain MLP vs materialized skip blocks.

Each step is forward + backward + Adam on a batch. The three formulations are timed in
interleaved rounds in one process, and the table reports ratios, which mean more than absolute
times on a shared machine.

    python benchmarks/bench_forward.py               # CPU, and CUDA too when available
    python benchmarks/bench_forward.py --layers 3 4 --batch 256 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from sparcs import SpectralNetwork
from sparcs.io import write_json
from sparcs.spectral import functional as SF


class MaterializedSpectral(SpectralNetwork):
    """The same parameters, evaluated by forming every block W_{i←j} each step (O(L²))."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SF.materialized_forward(
            x, list(self.eigenvectors), list(self.eigenvalues), self.activation_fn()
        )


def plain_mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1], bias=False))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def make_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()

    return step


def steps_per_second(step, device: torch.device, min_time: float) -> float:
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    count, start = 0, time.perf_counter()
    while True:
        step()
        count += 1
        sync()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and count >= 3:
            return count / elapsed


def bench(device: torch.device, layer_counts: list[int], width: int, batch: int, rounds: int,
          min_time: float) -> list[dict]:
    rows = []
    for depth in layer_counts:
        sizes = [width] * depth
        x = torch.randn(batch, width, device=device)
        y = torch.randn(batch, width, device=device)
        models = {
            "spectral": SpectralNetwork(sizes, device=device),
            "mlp": plain_mlp(sizes).to(device),
            "materialized": MaterializedSpectral(sizes, device=device),
        }
        for net in (models["spectral"], models["materialized"]):
            with torch.no_grad():  # a trained state, not the perceptron start
                for lam in net.eigenvalues:
                    lam.uniform_(-1, 1)
        steps = {name: make_step(m, x, y) for name, m in models.items()}
        for step in steps.values():  # warm-up
            for _ in range(3):
                step()
        rates: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(rounds):
            for name, step in steps.items():
                rates[name].append(steps_per_second(step, device, min_time))
        med = {name: statistics.median(r) for name, r in rates.items()}
        rows.append(
            {
                "layers": depth,
                **{f"{name}_steps_per_s": med[name] for name in models},
                "spectral_vs_mlp": med["spectral"] / med["mlp"],
                "spectral_vs_materialized": med["spectral"] / med["materialized"],
            }
        )
    return rows


def print_table(device: torch.device, rows: list[dict], width: int, batch: int) -> None:
    print(f"\nTraining steps/s (forward + backward + Adam), sizes [{width}]*L, batch {batch}, "
          f"on {device} ({torch.get_num_threads()} threads)")
    print(f"{'L':>3} {'spectral':>10} {'mlp':>10} {'materialized':>13} "
          f"{'spectral/mlp':>13} {'spectral/materialized':>22}")
    for r in rows:
        print(f"{r['layers']:>3} {r['spectral_steps_per_s']:>10.1f} {r['mlp_steps_per_s']:>10.1f} "
              f"{r['materialized_steps_per_s']:>13.1f} {r['spectral_vs_mlp']:>13.2f} "
              f"{r['spectral_vs_materialized']:>22.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[3, 4, 5, 6, 7, 8])
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.3, help="seconds per measurement")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    devices = {
        "cpu": ["cpu"],
        "cuda": ["cuda"],
        "auto": ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"],
    }[args.device]
    torch.manual_seed(0)
    results = {}
    for name in devices:
        device = torch.device(name)
        rows = bench(device, args.layers, args.width, args.batch, args.rounds, args.min_time)
        print_table(device, rows, args.width, args.batch)
        results[name] = rows
    if args.json is not None:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
