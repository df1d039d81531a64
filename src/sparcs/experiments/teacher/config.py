"""Settings and presets of the ``teacher`` experiment (each Config field is a ``--flag``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import ConfigError
from ...training.config import MAX_SEED, TrainConfig

__all__ = ["PENALTY_LAYERS", "PRESETS", "Config"]

PENALTY_LAYERS = [1, 2]


@dataclass
class Config:
    """Settings of the ``teacher`` experiment (each field is a ``--flag``)."""

    hidden: int = field(default=2000, metadata={"help": "width H of both hidden layers"})
    samples: int = field(
        default=100_000, metadata={"help": "training points (the validation split is carved out)"}
    )
    test_samples: int = field(default=100_000, metadata={"help": "test points for R²"})
    val_fraction: float = field(
        default=0.1, metadata={"help": "share of the training points kept for pruning"}
    )
    dim: int = field(default=20, metadata={"help": "input/output dimension of the teacher"})
    epochs: int = field(default=100, metadata={"help": "training epochs"})
    batch_size: int = field(default=1024, metadata={"help": "minibatch size (last one dropped)"})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    penalty: float = field(default=1e-4, metadata={"help": "c in c·(‖λ_1‖₂ + ‖λ_2‖₂)"})
    tolerance: float = field(
        default=0.05, metadata={"help": "pruning tolerance on the validation loss (0.05 = 5%%)"}
    )
    checkpoint_every: int = field(default=5, metadata={"help": "epochs between checkpoints"})
    study: bool = field(default=False, metadata={"help": "also run the layer-death grid"})
    study_widths: list[int] = field(
        default_factory=lambda: [64, 256], metadata={"help": "grid: hidden widths, e.g. 64,256"}
    )
    study_penalties: list[float] = field(
        default_factory=lambda: [1e-4, 1e-3], metadata={"help": "grid: penalties c"}
    )
    study_epochs: list[int] = field(
        default_factory=lambda: [10, 30],
        metadata={"help": "grid: epochs at which the eigenvalues are read (one run per config)"},
    )
    study_samples: int = field(default=20_000, metadata={"help": "grid: training points"})
    death_ratio: float = field(
        default=0.01,
        metadata={"help": "layer 1 counts as dead when mean|λ_1| <= ratio · mean|λ_2|"},
    )
    seed: int = field(default=0, metadata={"help": "seed of the teacher, data and student"})

    def __post_init__(self) -> None:
        positive = ("hidden", "samples", "test_samples", "dim", "batch_size",
                    "checkpoint_every", "study_samples")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.epochs < 0:
            raise ConfigError(f"epochs must be >= 0, got {self.epochs}")
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be an integer from 0 to {MAX_SEED}, got {self.seed}")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        n_val = round(self.samples * self.val_fraction)
        if n_val < 1 or self.samples - n_val < self.batch_size:
            raise ConfigError(
                f"samples={self.samples} with val_fraction={self.val_fraction} leaves "
                f"{self.samples - n_val} training points for batch_size={self.batch_size} and "
                f"{n_val} for validation; raise --samples or lower --batch-size"
            )
        if not self.tolerance > 0:
            raise ConfigError(f"tolerance must be > 0, got {self.tolerance}")
        if not self.death_ratio > 0:
            raise ConfigError(f"death_ratio must be > 0, got {self.death_ratio}")
        if self.study:
            if not (self.study_widths and self.study_penalties and self.study_epochs):
                raise ConfigError("--study needs non-empty --study-widths, --study-penalties "
                                  "and --study-epochs")
            if min(self.study_widths) < 1 or min(self.study_epochs) < 1:
                raise ConfigError("study widths and epochs must be >= 1")
            if min(self.study_penalties) < 0:
                raise ConfigError("study penalties must be >= 0")
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
