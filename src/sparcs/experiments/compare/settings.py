"""Settings of ``sparcs compare``: one dataclass whose fields are the command's flags and the
run folder's ``config.json``, and the presets ``tiny`` / ``quick`` / ``full``."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ...errors import ConfigError
from .methods import METHOD_NAMES  # the names of the method records, in report order

__all__ = ["METHOD_NAMES", "PRESETS", "SUITES", "CompareSettings", "preset"]

SUITES = ("teacher", "sklearn")


@dataclass
class CompareSettings:
    """Every setting of one comparison. The budget fields (``seeds`` … ``finetune_epochs``) are
    the same for every method; ``tolerance`` is the allowed relative increase of validation
    loss when a method shrinks its network (and, for mlp-search-small, the gap to the best
    trial)."""

    data: str | None = field(default=None, metadata={"help": "CSV or .npz file (no suite)"})
    target: str | None = field(default=None, metadata={"help": "target column of a CSV"})
    task: str = field(default="auto", metadata={"help": "auto, regression or classification"})
    categorical: str = field(default="error", metadata={"help": "text features: error|onehot"})
    dropna: bool = field(default=False, metadata={"help": "drop rows with missing values"})
    suite: str | None = field(default=None, metadata={"help": "teacher or sklearn"})
    methods: list[str] = field(
        default_factory=lambda: list(METHOD_NAMES),
        metadata={"help": f"methods to compare (default: all: {','.join(METHOD_NAMES)})"},
    )
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2],
                             metadata={"help": "seeds: split, initialization, batch order"})
    samples: int = field(default=1500, metadata={
        "help": "rows of generated problems; bundled datasets are capped to it"})
    test_fraction: float = field(default=0.2, metadata={"help": "share of rows for testing"})
    validation_fraction: float = field(default=0.1, metadata={
        "help": "share of the other rows held out for early stopping, pruning and selection"})
    max_hidden: list[int] = field(default_factory=lambda: [64, 64],
                                  metadata={"help": "hidden widths of the maximal network"})
    epochs: int = field(default=100, metadata={"help": "epochs of each training"})
    batch_size: int = field(default=128, metadata={"help": "minibatch size"})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate (mlp-search tunes it)"})
    n_iter_no_change: int = field(default=20, metadata={
        "help": "early stopping: epochs without a lower validation loss"})
    tolerance: float = field(default=0.05, metadata={
        "help": "allowed relative increase of validation loss when shrinking (0.05 = 5%%)"})
    finetune_epochs: int = field(default=30, metadata={"help": "epochs after pruning"})
    penalty: float = field(default=1e-4, metadata={"help": "sparcs: eigenvalue penalty c"})
    group_penalty: float = field(default=1e-3, metadata={
        "help": "direct: group-lasso penalty per hidden node"})
    trials: int = field(default=10, metadata={"help": "mlp-search: Optuna trials"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda"})

    def __post_init__(self) -> None:
        if self.suite is not None and self.suite not in SUITES:
            raise ConfigError(f"unknown suite {self.suite!r}; use {' or '.join(SUITES)}")
        if (self.data is None) == (self.suite is None):
            raise ConfigError("give either a data file (DATA) or --suite teacher|sklearn")
        if self.task not in ("auto", "regression", "classification"):
            raise ConfigError(f"unknown task {self.task!r}; use auto, regression or "
                              "classification")
        self.methods = list(self.methods)
        unknown = [m for m in self.methods if m not in METHOD_NAMES]
        if unknown or not self.methods:
            raise ConfigError(
                f"unknown method(s) {', '.join(unknown) or '(none given)'}; choose from "
                f"{', '.join(METHOD_NAMES)}"
            )
        if len(set(self.methods)) != len(self.methods):
            raise ConfigError(f"--methods lists a method twice: {','.join(self.methods)}")
        if not self.seeds or any(int(s) < 0 for s in self.seeds):
            raise ConfigError(f"seeds must be one or more integers >= 0, got {self.seeds}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"--seeds lists a seed twice: {self.seeds}")
        if not self.max_hidden or any(int(w) < 1 for w in self.max_hidden):
            raise ConfigError(f"max_hidden must be one or more widths >= 1, got {self.max_hidden}")
        for name in ("samples", "epochs", "batch_size", "n_iter_no_change", "trials"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.finetune_epochs < 0:
            raise ConfigError(f"finetune_epochs must be >= 0, got {self.finetune_epochs}")
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if not 0 < self.validation_fraction < 1:
            raise ConfigError(
                f"validation_fraction must be in (0, 1), got {self.validation_fraction}")
        for name in ("tolerance", "lr"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ConfigError(f"{name} must be a number > 0, got {value}")
        for name in ("penalty", "group_penalty"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ConfigError(f"{name} must be a number >= 0, got {value}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"unknown device {self.device!r}; use auto, cpu or cuda")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Only the fields that differ from the defaults; ``preset`` adds the data source.
PRESETS: dict[str, dict[str, Any]] = {
    # Seconds: for tests and a first look.
    "tiny": {"seeds": [0, 1], "samples": 240, "max_hidden": [12, 12], "epochs": 8,
             "n_iter_no_change": 8, "finetune_epochs": 3, "trials": 3, "batch_size": 64},
    # The teacher suite in about a quarter of an hour on 2 CPU cores.
    "quick": {},
    # Closer to a paper-size study: more rows, wider and longer.
    "full": {"seeds": [0, 1, 2, 3, 4], "samples": 10_000, "max_hidden": [200, 200],
             "epochs": 200, "finetune_epochs": 50, "trials": 30},
}


def preset(name: str, **overrides: Any) -> CompareSettings:
    """The preset's settings with ``overrides`` applied; they must name the data, e.g.
    ``suite="teacher"`` or ``data="table.csv", target="price"``."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return CompareSettings(**{**PRESETS[name], **overrides})

