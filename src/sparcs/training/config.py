"""The settings of a training run (:class:`TrainConfig`), shared by every training loop."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..options import MAX_SEED, option, seed_option, validate

__all__ = [
    "MAX_SEED", "TrainConfig", "batch_option", "epochs_option", "lr_option",
    "penalty_option",
]


# The fields every training's settings have, with their rules stated once (the defaults and
# help texts differ between the experiments and the search).
def epochs_option(default: int, help: str = "training epochs", *, low: int = 0) -> Any:
    """Training epochs: an integer >= ``low``."""
    return option(default, help, kind=int, low=low)


def batch_option(default: int, help: str = "minibatch size") -> Any:
    """A minibatch size: an integer >= 1."""
    return option(default, help, kind=int, low=1)


def lr_option(default: float, help: str = "Adam learning rate") -> Any:
    """A learning rate: a finite number > 0."""
    return option(default, help, kind=float, low=0, low_open=True)


def penalty_option(default: float, help: str = "eigenvalue penalty c") -> Any:
    """A penalty weight: a finite number >= 0."""
    return option(default, help, kind=float, low=0)


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

    epochs: int = epochs_option(100)
    batch_size: int = batch_option(128)
    lr: float = lr_option(1e-3)
    penalty: float = penalty_option(1e-4)
    penalty_norm: float = option(2.0, "p of the penalty norm", kind=float, choices=(1.0, 2.0))
    penalty_layers: list[int] | None = option(
        None, "layers whose eigenvalues are penalized (None: all but the output)",
        kind=list, items=int, none=True,
    )
    drop_last: bool = option(False, "drop the last, incomplete minibatch", kind=bool)
    seed: int = seed_option("seed of the batch order")
    restore_best: bool = option(False, "keep the epoch with the lowest validation loss",
                                kind=bool)
    n_iter_no_change: int | None = option(
        None, "stop after N epochs without improvement (None: never)", kind=int, low=1, none=True,
    )
    min_epochs: int = option(0, "epochs before early stopping judges the run", kind=int, low=0)

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict:
        return asdict(self)
