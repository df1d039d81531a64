"""Training curves: task loss (and validation loss) per epoch, then fine-tuning."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .canvas import figure, save_figure

__all__ = ["plot_loss_curve"]


def _as_dict(history: Any) -> Mapping[str, Any]:
    return history if isinstance(history, Mapping) else history.to_dict()


def plot_loss_curve(
    history: Any, path: str | os.PathLike, *, title: str = "Training",
    finetune: Any | None = None,
) -> Path:
    """Plot ``history.loss`` (and ``val_loss`` when present) against the epoch and save a PNG.

    ``history`` is a :class:`sparcs.History` or its ``to_dict()``. Epochs are numbered from 1.
    The epoch whose parameters were kept (``best_epoch``) is marked; ``finetune`` (the pruned
    network's fine-tuning history) continues the curves after a line at the pruning. The axis
    is logarithmic when every value is positive.
    """
    data = _as_dict(history)
    tuned = _as_dict(finetune) if finetune is not None else {}
    fig = figure(figsize=(6.4, 4))
    ax = fig.add_subplot()
    colours = {"loss": "tab:blue", "val_loss": "tab:orange"}
    labels = {"loss": "training loss", "val_loss": "validation loss"}
    plotted: list[float] = []
    ran = len(data.get("loss") or [])
    for key in ("loss", "val_loss"):
        values = list(data.get(key) or [])
        if values:
            ax.plot(range(1, len(values) + 1), values, color=colours[key], label=labels[key])
            plotted += values
        more = list(tuned.get(key) or [])
        if more:
            ax.plot(range(ran + 1, ran + len(more) + 1), more, color=colours[key], ls="--",
                    label=f"{labels[key]}, fine-tuning")
            plotted += more
    best = data.get("best_epoch")
    if best is not None and data.get("val_loss") and 1 <= best <= len(data["val_loss"]):
        ax.plot([best], [data["val_loss"][best - 1]], marker="o", ms=7, mfc="none",
                color="black", ls="none", label=f"kept: epoch {best}")
    elif best == 0:
        ax.text(0.02, 0.02, "kept: the untrained start", transform=ax.transAxes, fontsize=8)
    if tuned.get("loss"):
        ax.axvline(ran + 0.5, color="gray", ls=":", lw=1)
        ax.text(ran + 0.5, 0.98, " pruned", transform=ax.get_xaxis_transform(), fontsize=8,
                va="top", color="gray")
    ax.set_xlabel("epoch")
    ax.set_ylabel("task loss")
    if plotted and all(v > 0 for v in plotted):
        ax.set_yscale("log")
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(fig, Path(path), dpi=120)
