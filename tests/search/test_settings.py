"""One definition of the search's settings: estimator parameters, CLI flags and config.json."""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
import pytest

from sparcs.app.config import SearchConfig
from sparcs.cli.main import build_parser
from sparcs.errors import ConfigError
from sparcs.search.settings import SearchSettings

SETTINGS = {f.name: f for f in dataclasses.fields(SearchSettings)}
# The estimators follow scikit-learn's names for these two; every other parameter is a setting.
ESTIMATOR_ONLY = {"random_state", "verbose"}


def _default(f: dataclasses.Field):
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


@pytest.mark.parametrize("name", ["SparcsRegressor", "SparcsClassifier"])
def test_estimator_parameters_are_the_settings(name):
    import sparcs

    params = inspect.signature(getattr(sparcs, name).__init__).parameters
    names = set(params) - {"self"}
    assert names - ESTIMATOR_ONLY == set(SETTINGS) - {"seed"}
    for pname in names - ESTIMATOR_ONLY:
        assert params[pname].default == _default(SETTINGS[pname]), pname


def _search_flags() -> dict[str, object]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices["search"]
    return {a.dest: a for a in sub._actions if a.dest != "help"}


def test_cli_flags_are_the_config_fields():
    flags = _search_flags()
    config_fields = {f.name for f in dataclasses.fields(SearchConfig)}
    assert set(flags) == config_fields
    assert set(SETTINGS) <= set(flags)
    for name, action in flags.items():
        if name != "data":
            assert action.option_strings[0] == "--" + name.replace("_", "-")
            assert action.help, f"--{name} has no help"


def test_config_json_keys_are_the_config_fields(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    np.savez(tmp_path / "d.npz", X=X, y=X[:, 0] - X[:, 1])
    from sparcs.cli.main import main

    code = main(["search", str(tmp_path / "d.npz"), "--max-hidden", "4", "--epochs", "2",
                 "--finetune-epochs", "1", "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert set(saved) - {"sparcs_version"} == {f.name for f in dataclasses.fields(SearchConfig)}
    again = SearchConfig(**{k: v for k, v in saved.items() if k != "sparcs_version"})
    assert again.settings() == SearchSettings(max_hidden=(4,), epochs=2, finetune_epochs=1)


def test_flags_reach_the_settings():
    args = build_parser().parse_args(
        ["search", "d.csv", "--max-hidden", "3,5", "--no-prune", "--cv-folds", "3",
         "--one-se", "0.5", "--no-standardize", "--penalty-norm", "1"]
    )
    from sparcs.cli.common import dataclass_from_args

    config = dataclass_from_args(SearchConfig, SearchConfig(data=args.data), args)
    assert config.settings() == SearchSettings(
        max_hidden=(3, 5), prune=False, cv_folds=3, one_se=0.5, standardize=False,
        penalty_norm=1.0)


def test_from_attributes_refuses_missing_settings():
    class Partial:
        penalty = 0.1

    with pytest.raises(ConfigError, match="lacks the search settings max_hidden"):
        SearchSettings.from_attributes(Partial())
    full = {name: _default(f) for name, f in SETTINGS.items()}
    assert SearchSettings.from_attributes(Partial(), **{**full, "penalty": 0.1}).penalty == 0.1
    with pytest.raises(ConfigError, match="unknown search settings colour"):
        SearchSettings.from_attributes(SearchSettings(), colour=1)
