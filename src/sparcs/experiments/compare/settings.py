"""Settings of ``sparcs compare``: one dataclass whose fields are the command's flags and the
run folder's ``config.json``, and the presets ``tiny`` / ``quick`` / ``full``.

The training budget every method shares is the contained :class:`SearchSettings`
(``settings.search``), with compare's own defaults (:data:`SEARCH_DEFAULTS`); the ``sparcs``
method runs exactly that search, with compare's tolerance and the trial's seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ...app.tabular import CATEGORICAL_MODES
from ...errors import ConfigError
from ...options import option, validate
from ...search.settings import SearchSettings
from ...training.config import penalty_option
from .methods import METHOD_NAMES  # the names of the method records, in report order

__all__ = [
    "METHOD_NAMES", "PER_TRIAL", "PRESETS", "SEARCH_DEFAULTS", "SUITES", "CompareSettings",
    "compare_search", "preset",
]

SUITES = ("teacher", "sklearn")
TASKS = ("auto", "regression", "classification")
DEVICES = ("auto", "cpu", "cuda")

# Compare's budget where it differs from the search's own defaults.
SEARCH_DEFAULTS: dict[str, Any] = {
    "max_hidden": (64, 64), "epochs": 100, "batch_size": 128, "lr": 1e-3,
    "n_iter_no_change": 20, "finetune_epochs": 30,
}
# Search settings each trial sets (the trial's seed): not flags, and left out of config.json.
PER_TRIAL = ("seed",)
# Settings of the sparcs method alone (the other methods have no such thing).
SPARCS_ONLY = ("penalty", "penalty_norm", "prune", "cv_folds", "cv_max_rows", "one_se",
               "budgets", "recruit_steps", "path_penalties", "path_seeds", "linear_floor",
               "standardize")

_SEARCH_FIELDS = {f.name: f for f in dataclasses.fields(SearchSettings)}
# What compare asks more of the search settings than the search does, and its help texts.
SEARCH_RULES: dict[str, dict[str, Any]] = {
    **{name: {"help": "sparcs: " + _SEARCH_FIELDS[name].metadata["help"]}
       for name in SPARCS_ONLY},
    "penalty": {"help": "sparcs: eigenvalue penalty c"},
    "max_hidden": {"min_items": 1, "help": "hidden widths of the maximal network"},
    "epochs": {"low": 1, "help": "epochs of each training"},
    "batch_size": {"help": "minibatch size"},
    "lr": {"help": "Adam learning rate (mlp-search tunes it)"},
    "validation_fraction": {"low_open": True, "help": "share of the other rows held out for "
                            "early stopping, pruning and selection"},
    "early_stopping": {"help": "every network method keeps the epoch with the lowest "
                       "validation loss and stops after n_iter_no_change epochs without one"},
    "n_iter_no_change": {"none": False,
                         "help": "early stopping: epochs without a lower validation loss"},
    "finetune_epochs": {"help": "epochs after pruning (sparcs, direct)"},
    "device": {"choices": DEVICES, "help": "auto, cpu or cuda"},
}


def compare_search(**changes: Any) -> SearchSettings:
    """The search settings of a comparison: :data:`SEARCH_DEFAULTS` with ``changes``."""
    return SearchSettings(**{**SEARCH_DEFAULTS, **changes})


@dataclass
class CompareSettings:
    """Every setting of one comparison. ``search`` is the budget every method shares (and the
    ``sparcs`` method's search: see :data:`SPARCS_ONLY`); ``tolerance`` is the allowed relative
    increase of validation loss when a method shrinks its network (and, for mlp-search-small,
    the gap to the best trial)."""

    data: str | None = option(None, "CSV or .npz file (no suite)", kind=str, none=True)
    target: str | None = option(None, "target column of a CSV", kind=str, none=True)
    task: str = option("auto", "auto, regression or classification (a manifest entry may "
                       "set its own)", kind=str, choices=TASKS)
    categorical: str = option("error", "text features: error|onehot (a manifest entry may "
                              "set its own)", kind=str, choices=CATEGORICAL_MODES)
    dropna: bool = option(False, "drop rows with missing values (a manifest entry may set "
                          "its own)", kind=bool)
    suite: str | None = option(None, "teacher or sklearn", kind=str, choices=SUITES, none=True)
    manifest: str | None = option(None, "JSON list of datasets (no suite, no data file)",
                                  kind=str, none=True)
    roles: list[str] = option(
        default_factory=list, help="manifest entries of these roles only (default: all)",
        kind=list, items=str, unique=True, metavar="ROLE,ROLE",
    )
    methods: list[str] = option(
        default_factory=lambda: list(METHOD_NAMES),
        help=f"methods to compare (default: all: {','.join(METHOD_NAMES)})",
        kind=list, items=str, choices=METHOD_NAMES, min_items=1, unique=True,
    )
    seeds: list[int] = option(
        default_factory=lambda: [0, 1, 2], help="seeds: split, initialization, batch order",
        kind=list, items=int, low=0, min_items=1, unique=True,
    )
    samples: int = option(1500, "rows of generated problems; bundled datasets are capped to it",
                          kind=int, low=1)
    test_fraction: float = option(0.2, "share of rows for testing", kind=float, low=0, high=1,
                                  low_open=True, high_open=True)
    search: SearchSettings = option(
        default_factory=compare_search, help="the training budget of every method",
        kind=SearchSettings, narrow=SEARCH_RULES,
    )
    tolerance: float = option(
        0.05, "allowed relative increase of validation loss when shrinking (0.05 = 5%)",
        kind=float, low=0, low_open=True,
    )
    group_penalty: float = penalty_option(1e-3, "direct: group-lasso penalty per hidden node")
    trials: int = option(10, "mlp-search: Optuna trials", kind=int, low=1)
    prune_step: float = option(
        0.1, "mlp-prune: share of the maximal network's hidden nodes removed per pruning step",
        kind=float, low=0, high=1, low_open=True,
    )
    prune_step_epochs: int = option(10, "mlp-prune: fine-tuning epochs after each pruning step",
                                    kind=int, low=0)
    lassonet_seconds: float = option(
        60.0, "lassonet: time budget per trial in seconds (estimated from the problem's shape; "
        "it sets the folds and the path's step)", kind=float, low=0, low_open=True,
    )
    lassonet_lambda_start: float | None = option(
        None, "lassonet: first penalty of the path (default: LassoNet's own estimate, once per "
        "trial)", kind=float, low=0, low_open=True, none=True,
    )

    def __post_init__(self) -> None:
        validate(self)
        sources = [label for label, value in (("a data file (DATA)", self.data),
                                              ("--suite", self.suite),
                                              ("--manifest", self.manifest)) if value is not None]
        if len(sources) != 1:
            given = f"; got {' and '.join(sources)}" if sources else ""
            raise ConfigError("give one of a data file (DATA), --suite teacher|sklearn or "
                              f"--manifest FILE{given}")
        if self.roles and self.manifest is None:
            raise ConfigError("--roles selects entries of a manifest: give --manifest FILE")
        if self.manifest is not None and self.target is not None:
            raise ConfigError("--target is for a data file; a manifest names each dataset's "
                              "target")

    def to_dict(self) -> dict[str, Any]:
        """The settings for ``config.json``: the search's without those each trial sets."""
        out = asdict(self)
        out["search"] = {k: v for k, v in self.search.to_dict().items() if k not in PER_TRIAL}
        return out


# Only the fields that differ from the defaults (``search``: from SEARCH_DEFAULTS); ``preset``
# adds the data source.
PRESETS: dict[str, dict[str, Any]] = {
    # Seconds: for tests and a first look.
    "tiny": {"seeds": [0, 1], "samples": 240, "trials": 3, "prune_step_epochs": 2,
             "lassonet_seconds": 15,
             "search": {"max_hidden": (12, 12), "epochs": 8, "n_iter_no_change": 8,
                        "finetune_epochs": 3, "batch_size": 64}},
    # The teacher suite in about a quarter of an hour on 2 CPU cores.
    "quick": {},
    # Closer to a paper-size study: more rows, wider and longer.
    "full": {"seeds": [0, 1, 2, 3, 4], "samples": 10_000, "trials": 30, "lassonet_seconds": 600,
             "search": {"max_hidden": (200, 200), "epochs": 200, "finetune_epochs": 50}},
}


def preset(name: str, **overrides: Any) -> CompareSettings:
    """The preset's settings with ``overrides`` applied; they must name the data, e.g.
    ``suite="teacher"``, ``data="table.csv", target="price"`` or ``manifest="suite.json"``. An
    override may name a search setting directly (``epochs=3``); ``search`` (settings, or a
    mapping of changes to :data:`SEARCH_DEFAULTS`) replaces the preset's search."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    values = dict(PRESETS[name])
    preset_search = values.pop("search", {})
    flat = {k: overrides.pop(k) for k in list(overrides) if k in _SEARCH_FIELDS}
    given = overrides.pop("search", None)
    if given is None:
        search = compare_search(**{**preset_search, **flat})
    elif isinstance(given, Mapping):  # changes to compare's defaults
        search = compare_search(**{**given, **flat})
    elif isinstance(given, SearchSettings):
        search = dataclasses.replace(given, **flat)
    else:
        search = given  # CompareSettings says what is wrong with it
    return CompareSettings(**{**values, **overrides, "search": search})
