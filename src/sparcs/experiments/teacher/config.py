"""Settings and presets of the ``teacher`` experiment (each Config field is a ``--flag``)."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import ConfigError
from ...options import option, seed_option, validate
from ...training.config import TrainConfig, batch_option, epochs_option, lr_option, penalty_option

__all__ = ["PENALTY_LAYERS", "PRESETS", "Config"]

PENALTY_LAYERS = [1, 2]


@dataclass
class Config:
    """Settings of the ``teacher`` experiment (each field is a ``--flag``)."""

    hidden: int = option(2000, "width H of both hidden layers", kind=int, low=1)
    samples: int = option(100_000, "training points (the validation split is carved out)",
                          kind=int, low=1)
    test_samples: int = option(100_000, "test points for R²", kind=int, low=1)
    val_fraction: float = option(0.1, "share of the training points kept for pruning",
                                 kind=float, low=0, high=1, low_open=True, high_open=True)
    dim: int = option(20, "input/output dimension of the teacher", kind=int, low=1)
    epochs: int = epochs_option(100)
    batch_size: int = batch_option(1024, "minibatch size (last one dropped)")
    lr: float = lr_option(1e-3)
    penalty: float = penalty_option(1e-4, "c in c·(‖λ_1‖₂ + ‖λ_2‖₂)")
    tolerance: float = option(0.05, "pruning tolerance on the validation loss (0.05 = 5%)",
                              kind=float, low=0, low_open=True)
    checkpoint_every: int = option(5, "epochs between checkpoints", kind=int, low=1)
    study: bool = option(False, "also run the layer-death grid", kind=bool)
    study_widths: list[int] = option(
        default_factory=lambda: [64, 256], help="grid: hidden widths, e.g. 64,256",
        kind=list, items=int, low=1,
    )
    study_penalties: list[float] = option(
        default_factory=lambda: [1e-4, 1e-3], help="grid: penalties c",
        kind=list, items=float, low=0,
    )
    study_epochs: list[int] = option(
        default_factory=lambda: [10, 30],
        help="grid: epochs at which the eigenvalues are read (one run per config)",
        kind=list, items=int, low=1,
    )
    study_samples: int = option(20_000, "grid: training points", kind=int, low=1)
    death_ratio: float = option(
        0.01, "layer 1 counts as dead when mean|λ_1| <= ratio · mean|λ_2|",
        kind=float, low=0, low_open=True, finite=False,
    )
    seed: int = seed_option("seed of the teacher, data and student")

    def __post_init__(self) -> None:
        validate(self)
        n_val = round(self.samples * self.val_fraction)
        if n_val < 1 or self.samples - n_val < self.batch_size:
            raise ConfigError(
                f"samples={self.samples} with val_fraction={self.val_fraction} leaves "
                f"{self.samples - n_val} training points for batch_size={self.batch_size} and "
                f"{n_val} for validation; raise --samples or lower --batch-size"
            )
        if self.study:
            if not (self.study_widths and self.study_penalties and self.study_epochs):
                raise ConfigError("--study needs non-empty --study-widths, --study-penalties "
                                  "and --study-epochs")
            if self.study_samples < self.batch_size:
                raise ConfigError(
                    f"study_samples={self.study_samples} is below batch_size={self.batch_size}"
                )

    def train_config(self, *, penalty: float | None = None, epochs: int | None = None,
                     seed: int | None = None) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs if epochs is None else epochs, batch_size=self.batch_size,
            lr=self.lr, penalty=self.penalty if penalty is None else penalty, penalty_norm=2.0,
            penalty_layers=list(PENALTY_LAYERS), drop_last=True,
            seed=self.seed if seed is None else seed,
        )


PRESETS: dict[str, Config] = {
    # CI: a few seconds, everything exercised (the study too, on two small configs).
    "tiny": Config(hidden=16, samples=2048, test_samples=1024, epochs=4, batch_size=256,
                   checkpoint_every=2, study=False, study_widths=[8], study_penalties=[1e-4, 1e-2],
                   study_epochs=[1, 2], study_samples=1024),
    # 2 CPU cores, a few minutes (measured 2.5 min idle): wide and long enough for the redundant
    # first hidden layer to die, as in the paper.
    "quick": Config(hidden=1024, samples=100_000, test_samples=20_000, epochs=40, study=True,
                    study_widths=[64, 256], study_penalties=[1e-4, 3e-3], study_epochs=[10, 30],
                    study_samples=20_000),
    # The authors' code: H = 2000, 100k + 100k points, 100 epochs (about 35 s on an H100).
    "paper": Config(),
    # The layer-death grid on its own, CPU-affordable (main run kept small).
    "study": Config(hidden=128, samples=20_000, test_samples=10_000, epochs=20, study=True,
                    study_widths=[64, 256, 1024], study_penalties=[1e-4, 1e-3, 3e-3, 1e-2],
                    study_epochs=[10, 30, 60], study_samples=20_000),
}
