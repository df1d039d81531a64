"""Training curves: task loss (and validation loss) per epoch."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._mpl import figure, save_figure

__all__ = ["plot_loss_curve"]


def plot_loss_curve(history: Any, path: str | os.PathLike, *, title: str = "Training") -> Path:
    """Plot ``history.loss`` (and ``val_loss`` when present) against the epoch and save a PNG.

    ``history`` is a :class:`sparcs.History` or its ``to_dict()``. The axis is logarithmic when
    every value is positive.
    """
    data: Mapping[str, Any] = history if isinstance(history, Mapping) else history.to_dict()
    fig = figure(figsize=(6, 4))
    ax = fig.add_subplot()
    series = [(key, label, list(data.get(key) or []))
              for key, label in (("loss", "training loss"), ("val_loss", "validation loss"))]
    for _, label, values in series:
        if values:
            ax.plot(range(1, len(values) + 1), values, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("task loss")
    if all(v > 0 for _, _, values in series for v in values) and any(v for *_, v in series):
        ax.set_yscale("log")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax.grid(alpha=0.3)
    return save_figure(fig, Path(path), dpi=120)
