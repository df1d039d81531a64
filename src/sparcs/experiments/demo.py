"""A one-minute search: the same maximal network on a linear and a non-linear target.

On the linear target the eigenvalue penalty keeps every hidden eigenvalue at ~0 and pruning
leaves a perceptron; on the non-linear target hidden layers are recruited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..devices import check_training_memory
from ..options import option, seed_option, validate
from ..pruning.spectral_prune import prune
from ..spectral.network import SpectralNetwork
from ..training.config import TrainConfig, batch_option, epochs_option, lr_option, penalty_option
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

    samples: int = option(4000, "points: four fifths train, one fifth validates the pruning",
                          kind=int, low=10, high=MAX_SAMPLES)
    noise: float = option(0.05, "standard deviation of the noise added to the targets",
                          kind=float, low=0)
    hidden: list[int] = option(default_factory=lambda: [32, 32],
                               help="hidden widths of the maximal network", kind=list,
                               items=int, low=1, min_items=1, metavar="W,W")
    # The demo reports the last epoch's training loss, so it needs at least one epoch.
    epochs: int = epochs_option(40, low=1)
    batch_size: int = batch_option(64)
    lr: float = lr_option(3e-3)
    penalty: float = penalty_option(1e-3)
    tolerance: float = option(0.05, "pruning tolerance: the allowed relative increase of the "
                              "validation loss (0.05 = 5%)", kind=float, low=0, low_open=True)
    seed: int = seed_option("seed of the data, the initialization and the batch order")

    def __post_init__(self) -> None:
        validate(self)
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
