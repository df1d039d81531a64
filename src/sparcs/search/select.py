"""The search's one selection rule: the smallest candidate within the limit.

>>> class Model:  # anything with num_parameters(), as CompactNetwork has
...     def __init__(self, n): self.n = n
...     def num_parameters(self): return self.n
>>> smallest_within([(Model(9), 0.1), (Model(3), 0.9), (Model(5), 0.4)], limit=0.5)
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["smallest_within"]


def smallest_within(candidates: Sequence[tuple[Any, float]], limit: float) -> int:
    """The index of the candidate (model, validation value) with the fewest parameters among
    those within ``limit`` (ties: the lower value, then the first listed); the lowest value
    when none is within it."""
    order = range(len(candidates))
    within = [i for i in order if candidates[i][1] <= limit]
    if not within:
        return min(order, key=lambda i: candidates[i][1])
    return min(within, key=lambda i: (candidates[i][0].num_parameters(), candidates[i][1]))
