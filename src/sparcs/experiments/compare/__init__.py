"""``sparcs compare``: architecture-search methods head to head on the same data, splits, seeds
and budget; accuracy, compact size and search cost side by side.

>>> from sparcs.experiments.compare import preset
>>> preset("tiny", suite="teacher", methods=["linear"]).methods
['linear']
"""

from __future__ import annotations

from .methods import METHOD_NAMES, METHODS
from .problems import Problem, load_problems
from .runner import COLUMNS, CompareRun, run_compare
from .settings import PRESETS, SUITES, CompareSettings, preset

__all__ = [
    "COLUMNS",
    "METHODS",
    "METHOD_NAMES",
    "PRESETS",
    "SUITES",
    "CompareRun",
    "CompareSettings",
    "Problem",
    "load_problems",
    "preset",
    "run_compare",
]
