"""The settings of a ``sparcs search`` run: the search's own settings plus its input and output.

Kept apart from :mod:`.folder` (which runs the search) so that the report, which only reads the
settings, needs nothing of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..search.settings import SearchSettings
from .tabular import CATEGORICAL_MODES

__all__ = ["TASK_CHOICES", "SearchConfig"]

TASK_CHOICES = ("auto", "regression", "classification")


@dataclass(kw_only=True)
class SearchConfig(SearchSettings):
    """Every setting of a ``sparcs search`` run: the :class:`SearchSettings` of the search itself
    plus where the data comes from and where the run goes. Fields map 1:1 to the command's flags
    (generated from them) and are saved as ``config.json`` so the run can be repeated."""

    data: str = field(metadata={"help": "CSV file with a header line, or .npz with arrays X and y"})
    target: str | None = field(
        default=None, metadata={"help": "name of the target column (CSV only)"}
    )
    task: str = field(default="auto", metadata={
        "help": "auto: classification for text or few integer values, else regression",
        "choices": TASK_CHOICES,
    })
    test_fraction: float = field(
        default=0.2, metadata={"help": "share of rows held out for the test metrics"}
    )
    categorical: str = field(default="error", metadata={
        "help": "text feature columns: error or onehot encoding", "choices": CATEGORICAL_MODES,
    })
    dropna: bool = field(
        default=False, metadata={"help": "drop rows with missing, NaN or infinite values"}
    )
    out: str | None = field(
        default=None, metadata={"help": "output folder (default: sparcs-search-<data name>)"}
    )
    overwrite: bool = field(default=False, metadata={"help": "replace an existing --out folder"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar while training"})

    def __post_init__(self) -> None:
        if self.task not in TASK_CHOICES:
            raise ConfigError(f"unknown task {self.task!r}; use one of {', '.join(TASK_CHOICES)}")
        if self.categorical not in CATEGORICAL_MODES:
            raise ConfigError(
                f"unknown categorical mode {self.categorical!r}; use "
                f"{' or '.join(CATEGORICAL_MODES)}"
            )
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if not self.max_hidden:
            raise ConfigError(
                "max_hidden is empty; give the hidden widths to search, such as 200,200 (the "
                "search itself finds out when the data needs no hidden layer)"
            )
        super().__post_init__()  # validates the search settings

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path(f"sparcs-search-{Path(self.data).stem}")

    def settings(self) -> SearchSettings:
        """The search's own settings, without the run's."""
        return SearchSettings.from_attributes(self)

    def command_line(self) -> str:
        """The ``sparcs search`` command that repeats this run."""
        parts = ["sparcs search", _quote(self.data)]
        defaults = SearchConfig(data=self.data).to_dict()
        for name, value in self.to_dict().items():
            if name in ("data", "overwrite", "progress") or value == defaults[name]:
                continue
            flag = "--" + name.replace("_", "-")
            if isinstance(value, bool):
                parts.append(flag if value else "--no-" + name.replace("_", "-"))
            elif isinstance(value, list):
                parts.append(f"{flag} {','.join(str(v) for v in value)}")
            else:
                parts.append(f"{flag} {_quote(str(value).lower() if value is None else value)}")
        return " ".join(p for p in parts if p)


def _quote(value: Any) -> str:
    text = str(value)
    return f"'{text}'" if any(c in text for c in " \"'$;&|") else text
