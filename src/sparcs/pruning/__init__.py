"""Architecture readout, spectral pruning and compact export (docs/math.md §6–8).

>>> import sparcs
>>> net = sparcs.SpectralNetwork([2, 8, 1], bias=True)
>>> architecture_of(net).hidden_widths
[0]
"""

from .architecture import Architecture, architecture_of
from .compact import CompactNetwork, to_compact
from .paths import path_strength, path_strength_from, path_tensor
from .rule import PruningRule
from .size import mlp_parameters
from .spectral_prune import PruneResult, prune, pruning_curve
from .structured import StructuredResult, prune_in_rounds, structured_prune

__all__ = [
    "Architecture",
    "CompactNetwork",
    "PruneResult",
    "PruningRule",
    "StructuredResult",
    "architecture_of",
    "mlp_parameters",
    "path_strength",
    "path_strength_from",
    "path_tensor",
    "prune",
    "prune_in_rounds",
    "pruning_curve",
    "structured_prune",
    "to_compact",
]
