"""SPARCS: spectral architecture search.

A feed-forward network with every skip connection, parametrized by the eigenvalues and
eigenvectors of its block-lower-triangular adjacency matrix. An eigenvalue penalty recruits
hidden layers only where the data needs them; spectral pruning then cuts what stayed small.

>>> import torch, sparcs
>>> net = sparcs.SpectralNetwork([2, 32, 1], bias=True)
>>> net(torch.zeros(4, 2)).shape
torch.Size([4, 1])
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    ConfigError,
    DataError,
    OutputExistsError,
    ShapeError,
    SparcsError,
    TensorTypeError,
)
from .spectral import SpectralLinear, SpectralNetwork
from .training import History, TrainConfig, fit

__version__ = "0.1.0"

# Names whose modules pull in more code (or optional dependencies) load on first use.
_LAZY = {
    "Architecture": "sparcs.pruning.architecture",
    "CompactNetwork": "sparcs.pruning.compact",
    "architecture_of": "sparcs.pruning.architecture",
    "to_compact": "sparcs.pruning.compact",
    "PruneResult": "sparcs.pruning.spectral_prune",
    "prune": "sparcs.pruning.spectral_prune",
    "pruning_curve": "sparcs.pruning.spectral_prune",
    "SpectralEnsemble": "sparcs.spectral.ensemble",
    "fit_ensemble": "sparcs.training.ensemble",
    "SparcsClassifier": "sparcs.estimators.sklearn",
    "SparcsRegressor": "sparcs.estimators.sklearn",
}

__all__ = [
    "Architecture",
    "CompactNetwork",
    "ConfigError",
    "DataError",
    "History",
    "OutputExistsError",
    "PruneResult",
    "ShapeError",
    "SparcsClassifier",
    "SparcsError",
    "SparcsRegressor",
    "SpectralEnsemble",
    "SpectralLinear",
    "SpectralNetwork",
    "TensorTypeError",
    "TrainConfig",
    "architecture_of",
    "fit",
    "fit_ensemble",
    "prune",
    "pruning_curve",
    "to_compact",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sparcs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
