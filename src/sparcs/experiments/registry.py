"""The paper's experiments by name, imported lazily.

Every experiment module exposes ``Config`` (a dataclass whose fields are the CLI flags),
``PRESETS`` (``{"tiny", "quick", "paper", ...}`` → Config) and
``run(config, rundir, *, device, progress=True) -> dict`` (the summary).
A missing or broken module only breaks its own experiment.

Example:
    >>> sorted(EXPERIMENTS)
    ['scaling', 'teacher', 'transition']
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import ConfigError

__all__ = ["EXPERIMENTS", "load"]

EXPERIMENTS: dict[str, str] = {
    "transition": "sparcs.experiments.transition",
    "teacher": "sparcs.experiments.teacher",
    "scaling": "sparcs.experiments.scaling",
}

_REQUIRED = ("Config", "PRESETS", "run")


def load(name: str) -> ModuleType:
    """Import and return the module of experiment ``name``."""
    try:
        module_name = EXPERIMENTS[name]
    except KeyError:
        known = ", ".join(EXPERIMENTS)
        raise ConfigError(f"unknown experiment {name!r}; use one of {known}") from None
    module = importlib.import_module(module_name)
    missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
    if missing:
        raise ConfigError(f"experiment {name!r} is incomplete: {module_name} lacks {missing}")
    return module
