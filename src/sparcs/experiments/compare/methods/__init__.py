"""The compared methods by name: each maps a :class:`~..problems.Split`, the shared settings
and a device to one or more :class:`Outcome` rows."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import torch

from ....errors import ConfigError
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome
from .baselines import run_hgb, run_linear
from .direct import run_direct
from .mlp import run_mlp_prune, run_mlp_search
from .spectral import run_sparcs

__all__ = ["METHODS", "Outcome", "check_available", "variants"]

Method = Callable[[Split, CompareSettings, torch.device], list[Outcome]]

METHODS: dict[str, Method] = {
    "sparcs": run_sparcs,
    "direct": run_direct,
    "mlp-search": run_mlp_search,
    "mlp-prune": run_mlp_prune,
    "linear": run_linear,
    "hgb": run_hgb,
}

# Optional packages: (module, extra that installs it).
_NEEDS = {"mlp-search": ("optuna", "optuna"), "hgb": ("sklearn", "sklearn")}


_VARIANTS = {"mlp-search": ["mlp-search", "mlp-search-small"],
             "mlp-prune": ["mlp-prune", "mlp-full"]}


def variants(method: str) -> list[str]:
    """The row names a method reports."""
    return _VARIANTS.get(method, [method])


def check_available(methods: list[str]) -> None:
    """A clear error, before any training, when a chosen method's package is missing."""
    for name in methods:
        module, extra = _NEEDS.get(name, (None, None))
        if module and importlib.util.find_spec(module) is None:
            raise ConfigError(f"method {name} needs the {module} package: "
                              f"pip install 'sparcs-nas[{extra}]' (or leave it out of --methods)")
