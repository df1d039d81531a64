"""The search's one selection rule, on the cross-validation table.

Every candidate (a penalty at a parameter budget, the linear floor, the constant) has one
held-out loss per fold. The rule, :func:`choose`, takes the candidate with the lowest mean
loss and then the smallest candidate whose mean is within ``se`` standard errors of it (the
one-standard-error rule of ``cv.glmnet`` at ``se=1``; the best itself at ``se=0``). The linear
floor is a hard bound: a network whose mean loss is above the floor's is never chosen, and the
constant is a candidate only where it beats the floor.

>>> rows = [Candidate("network", 1e-4, 100, 100, [0.50, 0.52, 0.48]),
...         Candidate("network", 1e-4, 30, 30, [0.51, 0.50, 0.50]),
...         Candidate("floor", None, 11, 11, [0.80, 0.82, 0.79])]
>>> choose(rows, se=1.0).chosen.budget  # within one SE of the best, and smaller
30
>>> choose(rows, se=0.0).chosen.budget
100
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "Candidate", "Choice", "choose"]

KINDS = ("network", "floor", "constant")


@dataclass
class Candidate:
    """One row of the cross-validation table: its kind, penalty and seed (networks), parameter
    budget, parameters (the mean over folds of the models' actual sizes) and held-out losses
    (one per fold)."""

    kind: str
    penalty: float | None
    budget: int
    parameters: float
    losses: list[float]
    seed: int | None = None

    @property
    def mean(self) -> float:
        return float(np.mean(self.losses))

    @property
    def se(self) -> float:
        """The standard error of the mean over folds (0 for a single split)."""
        n = len(self.losses)
        return float(np.std(self.losses, ddof=1) / math.sqrt(n)) if n > 1 else 0.0

    def to_dict(self) -> dict:
        return {"kind": self.kind, "penalty": self.penalty, "seed": self.seed,
                "budget": self.budget, "parameters": self.parameters, "mean": self.mean,
                "se": self.se, "losses": list(self.losses)}


@dataclass
class Choice:
    """The chosen candidate, the best one, and the loss threshold the rule allowed."""

    chosen: Candidate
    best: Candidate
    threshold: float
    floor_bound: bool  # the floor replaced a network whose mean loss was above its own

    def to_dict(self) -> dict:
        return {"chosen": self.chosen.to_dict(), "best": self.best.to_dict(),
                "threshold": self.threshold, "floor_bound": self.floor_bound}


def choose(candidates: Sequence[Candidate], se: float) -> Choice:
    """The smallest candidate within ``se`` standard errors of the best mean held-out loss
    (ties: the lower mean, then the first listed); the floor where that candidate is a network
    worse than it; the constant only where its mean beats the floor's."""
    floor = next((c for c in candidates if c.kind == "floor"), None)
    pool = [c for c in candidates if c.kind != "constant"
            or floor is None or c.mean < floor.mean]
    if not pool:
        raise ValueError("choose needs at least one candidate")
    best = min(pool, key=lambda c: c.mean)
    threshold = best.mean + se * best.se
    order = {id(c): i for i, c in enumerate(pool)}
    chosen = min((c for c in pool if c.mean <= threshold),
                 key=lambda c: (c.parameters, c.mean, order[id(c)]))
    bound = floor is not None and chosen.kind == "network" and chosen.mean > floor.mean
    return Choice(floor if bound else chosen, best, threshold, bound)
