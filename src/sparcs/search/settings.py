"""The settings of one search: the single definition behind the estimators' parameters, the
``sparcs search`` flags and ``config.json``."""

from __future__ import annotations

import math
from dataclasses import Field, asdict, dataclass, field, fields
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..training.config import MAX_SEED, TrainConfig

__all__ = ["TOLERANCE_KINDS", "SearchSettings"]


def _listed(value: Any) -> Any:
    """A single number as a one-element tuple; anything else as it is."""
    return (value,) if isinstance(value, int | float | np.number) else value


def _numbers(value: Any, kind: type, name: str, what: str) -> tuple:
    """``value`` (one number or an iterable of them) as a tuple of ``kind``."""
    try:
        return tuple(kind(v) for v in _listed(value))
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a list of {what}, got {value!r}") from None

TOLERANCE_KINDS = ("loss", "metric")


def _setting(default: Any, help_text: str, **flag: Any) -> Field:
    """A field with its command-line help (and argparse options such as ``choices``)."""
    return field(default=default, metadata={"help": help_text, **flag})


@dataclass
class SearchSettings:
    """Hyperparameters of one search (field names match the estimator and the CLI flags).

    ``max_hidden`` is the maximal architecture: the widths of the hidden layers the search starts
    from. ``validation_fraction`` of the rows are held out for pruning.

    Pruning keeps the smallest model within ``prune_tolerance`` of the trained network on the
    validation part (None: no pruning). With ``path_penalties`` or ``path_seeds``, several
    networks are trained at once and the smallest pruned one within the tolerance of the best
    is kept (see :mod:`sparcs.search.path`). With ``tolerance_kind="metric"`` (the default) that is
    an absolute drop of the validation R² (regression) or accuracy (classification): the
    smallest model within 0.01 of the trained one; with ``"loss"`` a relative increase of the
    validation loss (0.05 = 5 %, the paper's rule). Eigenvalue thresholding
    runs first; ``prune_structure`` then removes hidden nodes, skip blocks and whole layers by
    their measured contribution (:mod:`sparcs.pruning.structured`), and never leaves a model
    larger than the plain MLP of the same widths.

    ``early_stopping`` keeps the parameters of the epoch with the lowest validation loss (and
    stops after ``n_iter_no_change`` epochs without improvement; None: run every epoch). That
    patience only counts after ``recruit_steps`` optimizer steps, the time the perceptron start
    needs to switch its hidden layers on. ``finetune_epochs`` then trains the compact model's
    weights further (0: none), keeping whichever epoch, the start included, is best on
    validation. Early stopping needs a validation part and is skipped without one
    (``validation_fraction=0``).
    """

    max_hidden: tuple[int, ...] = _setting(
        (200, 200), "hidden widths of the maximal architecture the search starts from",
        metavar="W,W",
    )
    penalty: float = _setting(1e-4, "eigenvalue penalty c in loss + c · Σ_k ‖λ_k‖_p")
    penalty_norm: float = _setting(2.0, "p of the penalty norm: 2 (the paper's) or 1",
                                   choices=(1.0, 2.0))
    epochs: int = _setting(200, "training epochs")
    batch_size: int = _setting(256, "minibatch size")
    lr: float = _setting(3e-3, "Adam learning rate")
    prune_tolerance: float | None = _setting(
        0.01, "how far pruning may fall behind the trained network on validation (see "
        "tolerance_kind); none: no pruning", metavar="TOL",
    )
    tolerance_kind: str = _setting(
        "metric", "loss: TOL is a relative increase of the validation loss (0.05 = 5 %); "
        "metric: an absolute drop of the validation R² or accuracy", choices=TOLERANCE_KINDS,
    )
    prune_structure: bool = _setting(
        True, "after eigenvalue pruning, remove hidden nodes, skip blocks and whole layers by "
        "their measured contribution"
    )
    validation_fraction: float = _setting(
        0.1, "share of the training rows held out to choose the pruning and to early-stop on"
    )
    early_stopping: bool = _setting(
        True, "keep the epoch with the lowest validation loss"
    )
    n_iter_no_change: int | None = _setting(
        10, "with early stopping, stop after N epochs without improvement; none: run every "
        "epoch", metavar="N",
    )
    recruit_steps: int = _setting(
        300, "optimizer steps before early stopping judges the run, while the hidden layers "
        "switch on", metavar="N",
    )
    path_penalties: tuple[float, ...] = _setting(
        (), "a regularization path: penalties c trained side by side as one batched ensemble; "
        "the smallest pruned model within the tolerance of the best one wins (empty: penalty "
        "alone)", metavar="C,C",
    )
    path_seeds: int = _setting(
        1, "starting points per penalty on the path (seeds seed, seed+1, ...): more than one "
        "removes the luck of one initialization", metavar="N",
    )
    linear_floor: bool = _setting(
        True, "also fit ridge regression (alpha 1) or L2 logistic regression (C 1) on the "
        "training rows and keep it where it is within the tolerance and no larger than the "
        "pruned network"
    )
    finetune_epochs: int = _setting(
        20, "epochs of training the pruned compact model, keeping the epoch (the start "
        "included) that is best on validation", metavar="N",
    )
    standardize: bool = _setting(
        True, "standardize inputs and regression targets (predictions are mapped back)"
    )
    device: str = _setting("auto", "where to train: auto (CUDA when available), cpu, cuda or "
                           "cuda:N; prediction runs on the CPU")
    seed: int = _setting(0, "seed of the initialization, batch order and data splits")

    def __post_init__(self) -> None:
        widths = _numbers(self.max_hidden, int, "max_hidden", "positive integers")
        if any(w <= 0 for w in widths) or any(
            w != h for w, h in zip(widths, _listed(self.max_hidden), strict=True)
        ):
            raise ConfigError(f"max_hidden must hold positive integers, got {self.max_hidden!r}")
        self.max_hidden = widths
        if self.prune_tolerance is not None and not (
            isinstance(self.prune_tolerance, int | float)
            and self.prune_tolerance > 0
            and math.isfinite(self.prune_tolerance)
        ):
            raise ConfigError(
                f"prune_tolerance must be a number > 0 (0.05 = 5 %) or None (no pruning), "
                f"got {self.prune_tolerance!r}"
            )
        penalties = _numbers(self.path_penalties, float, "path_penalties", "numbers >= 0")
        if any(isinstance(c, bool) for c in _listed(self.path_penalties)) or not all(
            c >= 0 and math.isfinite(c) for c in penalties
        ):
            raise ConfigError(
                f"path_penalties must hold finite numbers >= 0, got {self.path_penalties!r}"
            )
        if len(penalties) > 100:
            raise ConfigError(f"path_penalties holds {len(penalties)} values; use at most 100")
        self.path_penalties = penalties
        if isinstance(self.path_seeds, bool) or not (
            isinstance(self.path_seeds, int | np.integer) and 1 <= self.path_seeds <= 1000
        ):
            raise ConfigError(f"path_seeds must be an integer from 1 to 1000, got "
                              f"{self.path_seeds!r}")
        if self.tolerance_kind not in TOLERANCE_KINDS:
            raise ConfigError(
                f"tolerance_kind must be one of {', '.join(TOLERANCE_KINDS)}, "
                f"got {self.tolerance_kind!r}"
            )
        for name in ("prune_structure", "linear_floor"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ConfigError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if isinstance(self.recruit_steps, bool) or not (
            isinstance(self.recruit_steps, int | np.integer) and self.recruit_steps >= 0
        ):
            raise ConfigError(f"recruit_steps must be an integer >= 0, got {self.recruit_steps!r}")
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction}"
            )
        if isinstance(self.finetune_epochs, bool) or not (
            isinstance(self.finetune_epochs, int | np.integer) and self.finetune_epochs >= 0
        ):
            raise ConfigError(
                f"finetune_epochs must be an integer >= 0, got {self.finetune_epochs!r}"
            )
        for name in ("epochs", "batch_size"):  # train_config's int() would truncate 2.5
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(f"{name} must be an integer, got {value!r}")
        # numpy's generators (the data splits) refuse negative seeds with a bare ValueError, and
        # torch's overflow past 2**63.
        if isinstance(self.seed, bool) or not (
            isinstance(self.seed, int | np.integer) and 0 <= self.seed <= MAX_SEED
        ):
            raise ConfigError(f"seed must be an integer from 0 to {MAX_SEED}, got {self.seed!r}")
        self.train_config()  # validates epochs, batch_size, lr, penalty, n_iter_no_change
        if self.seed + int(self.path_seeds) - 1 > MAX_SEED:
            raise ConfigError(f"seed + path_seeds - 1 must be at most {MAX_SEED}")

    def path(self) -> list[tuple[float, int]]:
        """The (penalty, seed) pairs the search trains: one pair without a path."""
        penalties = self.path_penalties or (float(self.penalty),)
        return [(c, int(self.seed) + j) for c in penalties for j in range(int(self.path_seeds))]

    def train_config(self, *, validation: bool = True) -> TrainConfig:
        """The training settings; early stopping only where a validation part exists."""
        stop = bool(self.early_stopping) and validation
        return TrainConfig(
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            penalty=float(self.penalty),
            penalty_norm=float(self.penalty_norm),
            seed=int(self.seed),
            restore_best=stop,
            n_iter_no_change=self.n_iter_no_change if stop else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["max_hidden"] = list(self.max_hidden)
        out["path_penalties"] = list(self.path_penalties)
        return out

    @classmethod
    def from_attributes(cls, source: Any, **overrides: Any) -> SearchSettings:
        """Settings read from any object with attributes of the same names (an estimator, a
        ``SearchConfig``); ``overrides`` supply or replace some. A field that is neither an
        attribute of ``source`` nor in ``overrides`` is an error, never silently defaulted."""
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in overrides and not hasattr(source, n)]
        if missing:
            raise ConfigError(
                f"{type(source).__name__} lacks the search settings {', '.join(missing)}"
            )
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise ConfigError(f"unknown search settings {', '.join(unknown)}")
        return cls(**{n: overrides[n] if n in overrides else getattr(source, n) for n in names})
