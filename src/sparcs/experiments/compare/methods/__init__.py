"""The compared methods: one :class:`Method` record each, in report order.

A method's run function maps a :class:`~..problems.Split`, the shared settings and a device to
one :class:`~.base.Outcome` per model it reports (its ``variants``). Adding a method is adding
its module here and one record to :data:`REGISTRY`: the settings' ``METHOD_NAMES``, the row
names, the check for optional packages and the runner all read the records.

This package's ``__init__`` imports none of the method modules (they import the settings, and
the settings import the names from here): a record names its run function, which is imported
on first use.

>>> METHODS["mlp-prune"].variants
('mlp-prune', 'mlp-prune-taylor', 'mlp-full')
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ....errors import ConfigError
from .base import Outcome

__all__ = [
    "METHODS", "METHOD_NAMES", "REGISTRY", "Method", "Outcome", "check_available", "variants",
]


@dataclass(frozen=True)
class Method:
    """One compared method.

    ``runner`` is its run function, or ``"module:function"`` of one inside this package
    (imported on first use).
    ``more_variants`` are the names of the rows it reports after its own (``variants``: all of
    them, in its outcomes' order). ``needs`` is an optional package it imports, as (module,
    ``sparcs-nas`` extra that installs it). ``notes``, like ``runner``, names a function
    ``(settings) -> str`` that states the method's own settings for the report.
    """

    name: str
    runner: str | Callable[..., list[Outcome]]
    more_variants: tuple[str, ...] = ()
    needs: tuple[str, str] | None = None
    notes: str | Callable[[Any], str] | None = None

    @property
    def variants(self) -> tuple[str, ...]:
        """The row names it reports."""
        return (self.name, *self.more_variants)

    @property
    def run(self) -> Callable[..., list[Outcome]]:
        """The run function ``(split, settings, device) -> list[Outcome]``."""
        return _resolve(self.runner)

    def describe(self, settings: Any) -> str | None:
        """The method's own settings in words, for the report (None: it has none)."""
        return None if self.notes is None else _resolve(self.notes)(settings)

    def __call__(self, split: Any, settings: Any, device: Any) -> list[Outcome]:
        """Run the method: ``run(split, settings, device)``."""
        return self.run(split, settings, device)

    def check_available(self) -> None:
        """A clear error when the package this method needs is not installed."""
        if self.needs is None:
            return
        module, extra = self.needs
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"method {self.name} needs the {module} package: "
                              f"pip install 'sparcs-nas[{extra}]' (or leave it out of --methods)")


def _resolve(target: str | Callable[..., Any]) -> Callable[..., Any]:
    """A callable, or ``"module:function"`` of one inside this package (imported now)."""
    if callable(target):
        return target
    module, function = target.split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


REGISTRY: tuple[Method, ...] = (
    Method("sparcs", "spectral:run_sparcs"),
    Method("direct", "direct:run_direct"),
    Method("mlp-search", "mlp:run_mlp_search", ("mlp-search-small",), needs=("optuna", "optuna")),
    Method("mlp-prune", "prune:run_mlp_prune", ("mlp-prune-taylor", "mlp-full"),
           needs=("torch_pruning", "pruning"), notes="prune:notes"),
    Method("lassonet", "lasso:run_lassonet", needs=("lassonet", "lassonet"), notes="lasso:notes"),
    Method("linear", "baselines:run_linear"),
    Method("hgb", "baselines:run_hgb", needs=("sklearn", "sklearn")),
)

METHODS: dict[str, Method] = {m.name: m for m in REGISTRY}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)


def variants(method: str) -> list[str]:
    """The row names a method reports."""
    return list(METHODS[method].variants)


def check_available(methods: list[str]) -> None:
    """A clear error, before any training, when a chosen method's package is missing."""
    for name in methods:
        METHODS[name].check_available()
