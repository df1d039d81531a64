"""A one-minute search: the same maximal network on a linear and a non-linear target.

On the linear target the eigenvalue penalty keeps every hidden eigenvalue at ~0 and pruning
leaves a perceptron; on the non-linear target hidden layers are recruited.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from ..devices import check_training_memory
from ..errors import ConfigError
from ..pruning.spectral_prune import prune
from ..spectral.network import SpectralNetwork
from ..training.config import MAX_SEED, TrainConfig
from ..training.trainer import fit

__all__ = ["DemoConfig", "TARGETS", "run_demo"]


def _linear(x: torch.Tensor) -> torch.Tensor:
    return x @ torch.tensor([[0.5], [-1.0], [0.3]], dtype=x.dtype)


def _nonlinear(x: torch.Tensor) -> torch.Tensor:
    return x[:, :1] * x[:, 1:2] + x[:, 2:3] ** 2


TARGETS = {
    "linear: y = 0.5 x0 - x1 + 0.3 x2": _linear,
    "non-linear: y = x0 x1 + x2^2": _nonlinear,
}


# The demo is a one-minute illustration; more points than this only exhaust memory.
MAX_SAMPLES = 10_000_000


@dataclass
class DemoConfig:
    """Settings of ``sparcs demo``; each field is a command-line flag."""

    samples: int = 4000
    noise: float = 0.05
    hidden: list[int] = field(default_factory=lambda: [32, 32])
    epochs: int = 40
    batch_size: int = 64
    lr: float = 3e-3
    penalty: float = 1e-3
    tolerance: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        # One fifth of the samples validates the pruning; both parts need rows.
        if not 10 <= self.samples <= MAX_SAMPLES:
            raise ConfigError(f"samples must be from 10 to {MAX_SAMPLES:,}, got {self.samples}")
        # The demo reports the last epoch's training loss, so it needs at least one epoch.
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1 for the demo, got {self.epochs}")
        if not (self.noise >= 0 and math.isfinite(self.noise)):
            raise ConfigError(f"noise must be a finite number >= 0, got {self.noise}")
        if not (self.tolerance > 0 and math.isfinite(self.tolerance)):
            raise ConfigError(f"tolerance must be a finite number > 0, got {self.tolerance}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be an integer from 0 to {MAX_SEED}, got {self.seed}")
        TrainConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                    penalty=self.penalty, seed=self.seed)  # validates them before any work
        if not self.hidden or any(int(w) < 1 for w in self.hidden):
            raise ConfigError(f"hidden must hold widths >= 1, got {self.hidden}")
        # A huge width would be killed by the system mid-run, with no message.
        check_training_memory([4, *self.hidden, 1], self.batch_size, self.samples, "cpu")


def run_demo(config: DemoConfig, *, progress: bool = True) -> list[dict[str, Any]]:
    """Train, prune and read out the architecture for each target in :data:`TARGETS`."""
    results = []
    for name, target in TARGETS.items():
        gen = torch.Generator().manual_seed(config.seed)
        x = torch.rand(config.samples, 3, generator=gen) * 2 - 1
        # Real data is noisy; a noiseless linear target would make any relative loss change count.
        y = target(x) + config.noise * torch.randn(config.samples, 1, generator=gen)
        n_val = config.samples // 5
        torch.manual_seed(config.seed)
        net = SpectralNetwork([3, *config.hidden, 1], bias=True, freeze_eigenvalues=[0])
        train = TrainConfig(
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            penalty=config.penalty,
            seed=config.seed,
        )
        history = fit(net, x[n_val:], y[n_val:], config=train, progress=progress)
        result = prune(net, x[:n_val], y[:n_val], tolerance=config.tolerance)
        results.append(
            {
                "target": name,
                "train_mse": history.loss[-1],
                "val_mse_pruned": result.loss,
                "mean_abs_eigenvalues": history.mean_abs_eigenvalues[-1],
                "architecture": result.architecture,
                "config": asdict(config),
            }
        )
    return results
