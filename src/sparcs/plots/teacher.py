"""Figures of the ``teacher`` experiment beyond the shared spectrum plots: training dynamics
(loss and per-epoch mean |λ| of each hidden layer, which shows when a layer dies) and the
layer-death study's trajectories."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .canvas import figure, save_figure

__all__ = ["plot_study_trajectories", "plot_training_dynamics"]


def _positive(values: Sequence[float]) -> bool:
    return bool(values) and all(v > 0 for v in values)


def plot_training_dynamics(
    history: Mapping[str, Any], path: str | os.PathLike, *, hidden_layers: Sequence[int] = (1, 2)
) -> Path:
    """Left: training and validation loss per epoch. Right: mean |λ| of each hidden layer per
    epoch (log scale), so the epoch at which a layer dies is visible. ``history`` is a
    :class:`sparcs.History` dict."""
    fig = figure(figsize=(10, 4))
    ax_loss, ax_lam = fig.subplots(1, 2)
    for key, label in (("loss", "training loss"), ("val_loss", "validation loss")):
        values = list(history.get(key) or [])
        if values:
            ax_loss.plot(range(1, len(values) + 1), values, label=label)
    if _positive(list(history.get("loss") or []) + list(history.get("val_loss") or [])):
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="epoch", ylabel="MSE", title="loss")
    means = list(history.get("mean_abs_eigenvalues") or [])
    all_values = []
    for k in hidden_layers:
        series = [row[k] for row in means if k < len(row)]
        if series:
            all_values += series
            ax_lam.plot(range(1, len(series) + 1), series, label=f"hidden layer {k}: mean |λ_{k}|")
    if _positive(all_values):
        ax_lam.set_yscale("log")
    ax_lam.set(xlabel="epoch", ylabel="mean |λ|", title="eigenvalue activity per hidden layer")
    for ax in (ax_loss, ax_lam):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    return save_figure(fig, path)


def plot_study_trajectories(
    trajectories: Mapping[str, Sequence[Sequence[float]]], path: str | os.PathLike
) -> Path:
    """One panel per width H: mean |λ_1| (solid) and mean |λ_2| (dashed) against the epoch, one
    colour per penalty c. Keys are ``"H|c"``, values per-epoch pairs ``[mean|λ_1|, mean|λ_2|]``."""
    by_width: dict[int, dict[float, Sequence[Sequence[float]]]] = {}
    for key, series in trajectories.items():
        hidden, penalty = key.split("|")
        by_width.setdefault(int(hidden), {})[float(penalty)] = series
    penalties = sorted({c for runs in by_width.values() for c in runs})
    colour = {c: f"C{i % 10}" for i, c in enumerate(penalties)}
    widths = sorted(by_width)
    fig = figure(figsize=(4.2 * max(len(widths), 1), 4))
    axes = fig.subplots(1, max(len(widths), 1), sharey=True, squeeze=False)[0]
    values: list[float] = []
    for ax, hidden in zip(axes, widths, strict=False):
        for c, series in sorted(by_width[hidden].items()):
            epochs = range(1, len(series) + 1)
            lam1, lam2 = [s[0] for s in series], [s[1] for s in series]
            values += lam1 + lam2
            ax.plot(epochs, lam1, color=colour[c], label=f"c={c:g}: |λ_1|")
            ax.plot(epochs, lam2, color=colour[c], linestyle="--", label=f"c={c:g}: |λ_2|")
        ax.set(xlabel="epoch", title=f"H = {hidden}")
        ax.grid(alpha=0.3)
    if _positive(values):
        for ax in axes:
            ax.set_yscale("log")
    axes[0].set_ylabel("mean |λ|  (solid: layer 1, dashed: layer 2)")
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=7)
    return save_figure(fig, path)
