"""The settings of one search: the single definition behind the estimators' parameters, the
``sparcs search`` flags and ``config.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import ConfigError
from ..options import MAX_SEED, option, seed_option, validate
from ..training.config import TrainConfig, batch_option, epochs_option, lr_option, penalty_option

__all__ = ["SearchSettings"]


@dataclass
class SearchSettings:
    """Hyperparameters of one search (field names match the estimator and the CLI flags).

    ``max_hidden`` is the maximal architecture: the widths of the hidden layers the search starts
    from, from the perceptron start with the eigenvalue ``penalty``.

    The penalty and the size of the returned model are chosen by cross-validation: with
    ``cv_folds`` folds of the training rows (one validation split above ``cv_max_rows`` rows),
    every fold's network is pruned to ``budgets`` parameter budgets and scored on the rows it
    never saw, by its loss (squared error, or log-loss). The smallest candidate within
    ``one_se`` standard errors of the best mean held-out loss is kept, and the regularized
    linear floor (``linear_floor``) is a hard bound. ``path_penalties`` and ``path_seeds`` add
    penalties and starting points to the candidates; every network trains at once, as one
    batched ensemble (see :mod:`sparcs.search.engine`).

    Within every fold, and for the final network, ``validation_fraction`` of the rows are held
    out: ``early_stopping`` keeps the parameters of the epoch with the lowest validation loss
    (and stops after ``n_iter_no_change`` epochs without improvement; None: run every epoch),
    judged only after ``recruit_steps`` optimizer steps, the time the perceptron start needs to
    switch its hidden layers on; the pruned structures are chosen on those rows too.
    ``finetune_epochs`` then trains the chosen compact model further (0: none), keeping
    whichever epoch, the start included, is best on validation; a fifth of it fine-tunes every
    budget's model along the way.
    """

    max_hidden: tuple[int, ...] = option(
        (128, 128), "hidden widths of the maximal architecture the search starts from",
        kind=tuple, items=int, low=1, metavar="W,W",
    )
    penalty: float = penalty_option(1e-4, "eigenvalue penalty c in loss + c · Σ_k ‖λ_k‖_p")
    penalty_norm: float = option(2.0, "p of the penalty norm: 2 (the paper's) or 1",
                                 kind=float, choices=(1.0, 2.0))
    epochs: int = epochs_option(200)
    batch_size: int = batch_option(
        256, "minibatch size (the largest: small data gets smaller ones, so that an epoch has "
        "at least 8 steps)")
    lr: float = lr_option(3e-3)
    prune: bool = option(
        True, "prune the network to the size cross-validation chooses (off: return the "
        "unpruned network)", kind=bool,
    )
    cv_folds: int = option(
        5, "folds of the cross-validation that chooses the penalty and the model size (1: one "
        "validation split)", kind=int, low=1, high=50, metavar="K",
    )
    cv_max_rows: int = option(
        20_000, "above this many training rows one validation split replaces the folds",
        kind=int, low=0, metavar="N",
    )
    one_se: float = option(
        0.0, "keep the smallest model whose cross-validated loss is within this many standard "
        "errors of the best (0: the best; 1: the one-standard-error rule)", kind=float, low=0,
        metavar="SE",
    )
    budgets: int = option(
        12, "parameter budgets, log-spaced from the linear model to the plain MLP of the "
        "maximal widths, at which the networks are pruned and compared", kind=int, low=1,
        high=100, metavar="N",
    )
    validation_fraction: float = option(
        0.1, "share of the training rows held out to early-stop on and to choose the pruned "
        "structures on",
        kind=float, low=0, high=1, high_open=True,
    )
    early_stopping: bool = option(
        True, "keep the epoch with the lowest validation loss", kind=bool,
    )
    n_iter_no_change: int | None = option(
        10, "with early stopping, stop after N epochs without improvement; none: run every "
        "epoch", kind=int, low=1, none=True, metavar="N",
    )
    recruit_steps: int = option(
        300, "optimizer steps before early stopping judges the run, while the hidden layers "
        "switch on", kind=int, low=0, metavar="N",
    )
    path_penalties: tuple[float, ...] = option(
        (), "a regularization path: penalties c trained side by side, every one a candidate "
        "of the cross-validation (empty: penalty alone)", kind=tuple, items=float, low=0,
        max_items=100, metavar="C,C",
    )
    path_seeds: int = option(
        1, "starting points per penalty on the path (seeds seed, seed+1, ...): more than one "
        "removes the luck of one initialization", kind=int, low=1, high=1000, metavar="N",
    )
    linear_floor: bool = option(
        True, "cross-validate ridge or L2 logistic regression (and the constant) on the same "
        "folds: a candidate, and a bound no network may be worse than", kind=bool,
    )
    finetune_epochs: int = option(
        20, "epochs of training the chosen compact model, keeping the epoch (the start "
        "included) that is best on validation; a fifth of it at every budget on the way",
        kind=int, low=0, metavar="N",
    )
    standardize: bool = option(
        True, "standardize inputs and regression targets (predictions are mapped back)",
        kind=bool,
    )
    device: str = option("auto", "where to train: auto (CUDA when available), cpu, cuda or "
                         "cuda:N; prediction runs on the CPU", kind=str)
    seed: int = seed_option("seed of the initialization, batch order and data splits")

    def __post_init__(self) -> None:
        validate(self)
        if self.seed + int(self.path_seeds) - 1 > MAX_SEED:
            raise ConfigError(f"seed + path_seeds - 1 must be at most {MAX_SEED}, got "
                              f"{self.seed} + {self.path_seeds} - 1")

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
