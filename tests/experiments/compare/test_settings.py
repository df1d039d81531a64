"""Compare's settings contain a search's settings: compare's defaults for them, the flags
generated from them, what compare asks more of them, and what the sparcs method runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sparcs.cli.common import dataclass_from_args
from sparcs.cli.main import build_parser
from sparcs.errors import ConfigError
from sparcs.experiments.compare import CompareSettings, preset
from sparcs.experiments.compare.methods import spectral
from sparcs.experiments.compare.settings import PER_TRIAL, SEARCH_DEFAULTS, compare_search
from sparcs.search.settings import SearchSettings

from .helpers import teacher

# The flags sparcs compare had before its budget became a SearchSettings: all must stay.
FLAGS_BEFORE = {
    "target", "task", "categorical", "dropna", "suite", "methods", "seeds", "samples",
    "test_fraction", "validation_fraction", "max_hidden", "epochs", "batch_size", "lr",
    "n_iter_no_change", "tolerance", "finetune_epochs", "penalty", "group_penalty", "trials",
    "device",
}


def _compare_flags() -> dict[str, object]:
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["compare"]
    return {a.dest: a for a in sub._actions if a.option_strings and a.dest != "help"}


@pytest.mark.parametrize(("name", "budget"), [
    ("quick", {"max_hidden": (64, 64), "epochs": 100, "batch_size": 128, "lr": 1e-3,
               "n_iter_no_change": 20, "finetune_epochs": 30}),
    ("tiny", {"max_hidden": (12, 12), "epochs": 8, "batch_size": 64, "lr": 1e-3,
              "n_iter_no_change": 8, "finetune_epochs": 3}),
    ("full", {"max_hidden": (200, 200), "epochs": 200, "batch_size": 128, "lr": 1e-3,
              "n_iter_no_change": 20, "finetune_epochs": 50}),
])
def test_presets_keep_compares_own_budget(name: str, budget: dict) -> None:
    s = preset(name, suite="teacher")
    assert {k: getattr(s.search, k) for k in budget} == budget
    assert s.search.penalty == 1e-4 and s.search.validation_fraction == 0.1
    assert s.search.device == "auto" and s.search.early_stopping is True
    assert s.tolerance == 0.05 and s.group_penalty == 1e-3 and s.test_fraction == 0.2
    assert CompareSettings(suite="teacher").search == compare_search()
    assert compare_search() == SearchSettings(**SEARCH_DEFAULTS)


def test_preset_routes_search_settings_and_takes_a_whole_search() -> None:
    s = preset("tiny", suite="teacher", epochs=3, path_seeds=2, trials=4)
    assert (s.search.epochs, s.search.path_seeds, s.trials) == (3, 2, 4)
    assert s.search.max_hidden == (12, 12)  # the preset's value stays
    own = SearchSettings(max_hidden=(5,), epochs=2)
    assert preset("tiny", suite="teacher", search=own).search == own
    assert preset("tiny", suite="teacher", search=own, lr=0.1).search.lr == 0.1
    assert preset("quick", suite="teacher", search={"epochs": 7}).search == compare_search(
        epochs=7)


@pytest.mark.parametrize(("change", "message"), [
    ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
    ({"validation_fraction": 0.0}, "validation_fraction must be a finite number in (0, 1), "
                                   "got 0.0"),
    ({"n_iter_no_change": None}, "n_iter_no_change must be an integer >= 1, got None"),
    ({"max_hidden": ()}, "max_hidden must be a list of one or more integers >= 1, got ()"),
    ({"device": "cuda:0"}, "device must be one of auto, cpu, cuda, got 'cuda:0'"),
])
def test_compare_asks_more_of_the_search_than_the_search(change: dict, message: str) -> None:
    SearchSettings(**change)  # the search itself allows it
    with pytest.raises(ConfigError) as info:
        preset("tiny", **{"suite": "teacher", **change})
    assert str(info.value) == message


@pytest.mark.parametrize(("change", "message"), [
    ({"seeds": [0, 0]}, "seeds lists 0 twice, in [0, 0]"),
    ({"seeds": []}, "seeds must be a list of one or more integers >= 0, got []"),
    ({"methods": ["sparcs", "nas"]}, "methods must be a list of one or more values from "
                                     "sparcs, direct, mlp-search, mlp-prune, lassonet, linear, "
                                     "hgb, got "
                                     "['sparcs', 'nas']"),
    ({"task": "ranking"}, "task must be one of auto, regression, classification, got 'ranking'"),
    ({"samples": 0}, "samples must be an integer >= 1, got 0"),
    ({"tolerance": float("inf")}, "tolerance must be a finite number > 0, got inf"),
    ({"search": 3}, "search must be SearchSettings settings, got 3"),
    ({"data": "x.csv"}, "give one of a data file (DATA), --suite teacher|sklearn or --manifest "
                        "FILE; got a data file (DATA) and --suite"),
    ({"suite": None}, "give one of a data file (DATA), --suite teacher|sklearn or --manifest "
                      "FILE"),
    ({"manifest": "m.json"}, "give one of a data file (DATA), --suite teacher|sklearn or "
                             "--manifest FILE; got --suite and --manifest"),
    ({"roles": ["holdout"]}, "--roles selects entries of a manifest: give --manifest FILE"),
    ({"roles": ["a", "a"]}, "roles lists 'a' twice, in ['a', 'a']"),
    ({"suite": None, "manifest": "m.json", "target": "y"},
     "--target is for a data file; a manifest names each dataset's target"),
])
def test_bad_compare_settings_name_the_field(change: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        preset("tiny", **{"suite": "teacher", **change})
    assert str(info.value) == message


def test_flags_come_from_the_settings_and_the_contained_search() -> None:
    flags = _compare_flags()
    assert set(flags) >= FLAGS_BEFORE
    assert not set(PER_TRIAL) & set(flags)  # each trial sets them
    search_flags = {f.name for f in dataclasses.fields(SearchSettings)} - set(PER_TRIAL)
    assert search_flags <= set(flags)
    assert flags["device"].choices == ("auto", "cpu", "cuda")
    assert flags["lr"].help == "Adam learning rate (mlp-search tunes it)"
    assert flags["penalty_norm"].help.startswith("sparcs: ")
    args = build_parser().parse_args(
        ["compare", "--suite", "teacher", "--epochs", "5", "--path-seeds", "2",
         "--no-linear-floor", "--max-hidden", "3,4", "--trials", "2", "--seeds", "4,5"])
    s = dataclass_from_args(CompareSettings, preset("tiny", suite="teacher"), args,
                            skip=("data", "suite", "methods"))
    assert s.search == compare_search(max_hidden=(3, 4), epochs=5, path_seeds=2,
                                      linear_floor=False, n_iter_no_change=8,
                                      finetune_epochs=3, batch_size=64)
    assert (s.trials, s.seeds, s.samples) == (2, [4, 5], 240)


def test_config_json_nests_the_search_without_what_each_trial_sets() -> None:
    saved = preset("tiny", suite="teacher").to_dict()
    assert saved["search"]["epochs"] == 8 and saved["search"]["max_hidden"] == [12, 12]
    assert not set(PER_TRIAL) & set(saved["search"])
    # A setting each trial overrides changes no result, so it leaves the config as it was.
    other = dataclasses.replace(preset("tiny", suite="teacher").search, seed=5)
    assert preset("tiny", suite="teacher", search=other).to_dict() == saved


def test_the_sparcs_method_runs_the_compare_search(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[SearchSettings] = []

    def capture(X: np.ndarray, y: np.ndarray, *, settings: SearchSettings, **kwargs: object):
        seen.append(settings)
        raise RuntimeError("stop")

    monkeypatch.setattr(spectral, "fit_search", capture)
    s = preset("tiny", suite="teacher", path_seeds=2, tolerance=0.07)
    split = teacher(1).split(3, s.test_fraction, s.search.validation_fraction)
    with pytest.raises(RuntimeError, match="stop"):
        spectral.run_sparcs(split, s, torch.device("cpu"))
    # the search as a user gets it: compare's budget, the trial's seed; not compare's tolerance
    assert seen == [dataclasses.replace(s.search, seed=3, device="cpu")]
