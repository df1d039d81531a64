"""Parameter counts of plain and compact models, in one place.

>>> mlp_parameters([4, 8, 1])  # 4·8 + 8 + 8·1 + 1
49
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from torch import Tensor

if TYPE_CHECKING:
    from .liveness import ReceivingLayer

__all__ = ["dense_parameters", "mlp_parameters", "plan_parameters"]


def mlp_parameters(widths: Sequence[int]) -> int:
    """Weights and biases of a plain MLP with these layer widths (input first, no skips)."""
    return sum(a * b + b for a, b in itertools.pairwise(widths))


def dense_parameters(blocks: Iterable[Tensor], bias: Tensor | None) -> int:
    """Parameters of one compact layer: its dense weight blocks plus its bias vector."""
    return sum(w.numel() for w in blocks) + (0 if bias is None else bias.numel())


def plan_parameters(plan: Iterable[ReceivingLayer]) -> int:
    """Parameters of the compact model that ``plan`` (see ``liveness.compact_plan``) builds."""
    return sum(dense_parameters(layer.weights, layer.bias) for layer in plan)
