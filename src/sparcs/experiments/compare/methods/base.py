"""What a method returns: one :class:`Outcome` per reported model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..nets import Size

__all__ = ["Outcome"]


@dataclass
class Outcome:
    """A model a method found, and what finding it cost.

    ``predict`` maps raw features to outputs in the target's units (regression) or to class
    scores (classification). ``size`` is None for models without a parameter count (trees).
    ``trainings`` counts trainings from scratch; ``epochs`` every epoch trained (fine-tuning
    included), None for a model not trained by epochs (linear, hgb); ``details`` are extra,
    method-specific facts for the trial file.
    """

    method: str
    predict: Callable[[np.ndarray], np.ndarray]
    size: Size | None
    trainings: int
    epochs: int | None
    details: dict | None = None
