"""The settings of a training run (:class:`TrainConfig`), shared by every training loop."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError

__all__ = ["MAX_SEED", "TrainConfig"]


# Seeds are 32-bit, as in numpy: experiments derive further seeds from them without overflow.
MAX_SEED = 2**32 - 1


@dataclass
class TrainConfig:
    """Settings of a training run. Field names match the CLI flags and ``config.json``.

    ``penalty`` is c in  loss + c · Σ_k ‖λ_k‖_p,  summed over ``penalty_layers`` (default: every
    trainable layer but the output); another model's architecture penalty replaces the sum (see
    :class:`~sparcs.training.penalized.Penalized`). ``seed`` fixes the batch order.

    Early stopping (both need ``validation`` in :func:`~sparcs.training.fit`; the rule is
    :class:`~sparcs.training.stopping.EarlyStopping`): ``restore_best`` ends the run with the
    parameters of the epoch with the lowest validation loss (the starting state included);
    ``n_iter_no_change`` stops once that many epochs in a row did not lower it. Both only judge
    the epochs from ``min_epochs`` on: from the perceptron start the hidden layers switch on
    gradually, and the validation loss during that phase says nothing yet about the finished
    network.
    """

    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    penalty: float = 1e-4
    penalty_norm: float = 2.0
    penalty_layers: list[int] | None = None
    drop_last: bool = False
    seed: int = 0
    restore_best: bool = False
    n_iter_no_change: int | None = None
    min_epochs: int = 0

    def __post_init__(self) -> None:
        # Integers only: 2.5 epochs would fail deep inside fit(), and int() would truncate.
        for name in ("epochs", "batch_size", "seed", "min_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        for name in ("lr", "penalty", "penalty_norm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise ConfigError(f"{name} must be a number, got {value!r}")
        if self.epochs < 0:
            raise ConfigError(f"epochs must be >= 0, got {self.epochs}")
        if not 0 <= self.seed <= MAX_SEED:  # torch's generators overflow past 2**63
            raise ConfigError(f"seed must be an integer from 0 to {MAX_SEED}, got {self.seed}")
        if self.min_epochs < 0:
            raise ConfigError(f"min_epochs must be >= 0, got {self.min_epochs}")
        if self.batch_size <= 0:
            raise ConfigError(f"batch_size must be positive, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a positive number, got {self.lr}")
        if not (self.penalty >= 0 and math.isfinite(self.penalty)):
            raise ConfigError(f"penalty must be >= 0, got {self.penalty}")
        if self.penalty_norm not in (1, 2, 1.0, 2.0):
            raise ConfigError(f"penalty_norm must be 1 or 2, got {self.penalty_norm}")
        if self.n_iter_no_change is not None and (
            isinstance(self.n_iter_no_change, bool) or int(self.n_iter_no_change) < 1
        ):
            raise ConfigError(
                f"n_iter_no_change must be a positive integer or None, got {self.n_iter_no_change}"
            )

    def to_dict(self) -> dict:
        return asdict(self)
