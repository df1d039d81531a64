"""The settings of a ``sparcs search`` run: the search's own settings plus its input and output.

Kept apart from :mod:`.folder` (which runs the search) so that the report, which only reads the
settings, needs nothing of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..options import option
from ..search.settings import SearchSettings
from .tabular import CATEGORICAL_MODES

__all__ = ["TASK_CHOICES", "SearchConfig"]

TASK_CHOICES = ("auto", "regression", "classification")


@dataclass(kw_only=True)
class SearchConfig(SearchSettings):
    """Every setting of a ``sparcs search`` run: the :class:`SearchSettings` of the search itself
    plus where the data comes from and where the run goes. Fields map 1:1 to the command's flags
    (generated from them) and are saved as ``config.json`` so the run can be repeated."""

    data: str = option(help="CSV file with a header line, or .npz with arrays X and y", kind=str)
    target: str | None = option(None, "name of the target column (CSV only)", kind=str,
                                none=True)
    task: str = option("auto", "auto: classification for text or few integer values, else "
                       "regression", kind=str, choices=TASK_CHOICES)
    test_fraction: float = option(0.2, "share of rows held out for the test metrics",
                                  kind=float, low=0, high=1, low_open=True, high_open=True)
    categorical: str = option("error", "text feature columns: error or onehot encoding",
                              kind=str, choices=CATEGORICAL_MODES)
    dropna: bool = option(False, "drop rows with missing, NaN or infinite values", kind=bool)
    out: str | None = option(None, "output folder (default: sparcs-search-<data name>)",
                             kind=str, none=True)
    overwrite: bool = option(False, "replace an existing --out folder", kind=bool)
    progress: bool = option(True, "show a progress bar while training", kind=bool)

    def __post_init__(self) -> None:
        super().__post_init__()  # every field, this class's too, by its metadata
        if not self.max_hidden:
            raise ConfigError(
                "max_hidden is empty; give the hidden widths to search, such as 200,200 (the "
                "search itself finds out when the data needs no hidden layer)"
            )

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
