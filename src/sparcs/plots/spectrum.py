"""Eigenvalue spectra (paper Fig. 9) and pruning curves (paper Fig. 10)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError
from ..spectral.network import SpectralNetwork
from ._mpl import figure, save_figure

__all__ = ["eigenvalue_histograms", "plot_pruning_curve"]


def eigenvalue_histograms(
    net: SpectralNetwork,
    path: str | os.PathLike,
    *,
    layers: Sequence[int] | None = None,
    bins: int = 30,
    threshold: float | None = None,
) -> Path:
    """One histogram of |λ| per layer (default: every non-output layer), on a log axis.

    Exact zeros cannot sit on a log axis; each panel's title counts them. ``threshold`` draws a
    vertical line at a pruning threshold.
    """
    chosen = list(range(net.depth - 1)) if layers is None else list(layers)
    if not chosen or any(not isinstance(k, int) or not 0 <= k < net.depth for k in chosen):
        raise ConfigError(f"layers must be indices in 0..{net.depth - 1}, got {layers!r}")
    if not isinstance(bins, int) or bins < 1:
        raise ConfigError(f"bins must be a positive integer, got {bins!r}")
    mags = [net.eigenvalues[k].detach().abs().double().cpu() for k in chosen]
    nonzero = torch.cat([m[m > 0] for m in mags])
    lo = float(nonzero.min()) if nonzero.numel() else 1e-6
    hi = float(nonzero.max()) if nonzero.numel() else 1.0
    if hi <= lo:
        lo, hi = lo / 2, hi * 2
    edges = torch.logspace(math.log10(lo), math.log10(hi), bins + 1).tolist()
    frozen = set(net.frozen_eigenvalues)

    cols = min(len(chosen), 3)
    rows = math.ceil(len(chosen) / cols)
    fig = figure(figsize=(3.6 * cols, 2.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[len(chosen):]:
        ax.set_visible(False)
    for ax, k, m in zip(axes.flat, chosen, mags, strict=False):
        values = m[m > 0]
        zeros = m.numel() - values.numel()
        if values.numel():
            ax.hist(values.numpy(), bins=edges, color="tab:blue", edgecolor="white", lw=0.3)
        else:
            ax.text(0.5, 0.5, "all zero", transform=ax.transAxes, ha="center", va="center")
        if threshold is not None and threshold > 0:
            ax.axvline(threshold, color="tab:red", ls="--", lw=1, label="threshold")
        ax.set_xscale("log")
        ax.set_xlim(edges[0], edges[-1])
        role = "input" if k == 0 else "output" if k == net.depth - 1 else "hidden"
        note = ", frozen" if k in frozen else ""
        ax.set_title(f"layer {k} ({role}{note}): {zeros} of {m.numel()} zero", fontsize=9)
        ax.set_xlabel("|λ|")
        ax.set_ylabel("count")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pruning_curve(
    curve: Sequence[Mapping[str, Any]],
    path: str | os.PathLike,
    tolerance: float | None = None,
    *,
    chosen: Mapping[str, Any] | float | None = None,
) -> Path:
    """Relative validation-loss increase against the number of active eigenvalues.

    ``curve`` is the output of :func:`sparcs.pruning_curve` (or ``PruneResult.curve``); both
    sweeps are drawn. ``tolerance`` adds a horizontal line; ``chosen`` (a row, or a threshold)
    marks the selected network.
    """
    if not curve:
        raise ConfigError("the pruning curve is empty: nothing to plot")
    fig = figure(figsize=(6, 4))
    ax = fig.add_subplot()
    styles = {"threshold": ("tab:blue", "o", "-"), "top_k": ("tab:orange", "s", "--")}
    for mode, (colour, marker, line) in styles.items():
        rows = [r for r in curve if r.get("mode", "threshold") == mode]
        pts = sorted(
            (_active(r), float(r["relative_increase"])) for r in rows
            if math.isfinite(float(r["relative_increase"]))
        )
        if not pts:
            continue
        xs, ys = zip(*pts, strict=True)
        label = "threshold sweep" if mode == "threshold" else "top-k sweep"
        ax.plot(xs, ys, marker=marker, ls=line, color=colour, ms=3.5, lw=1, label=label)
    if tolerance is not None:
        ax.axhline(tolerance, color="tab:red", ls=":", lw=1, label=f"tolerance {tolerance:g}")
    if chosen is not None:
        if not isinstance(chosen, Mapping):
            match = [r for r in curve if r.get("mode", "threshold") == "threshold"
                     and r["threshold"] == chosen]
            chosen = match[0] if match else None
        if chosen is not None:
            ax.plot([_active(chosen)], [float(chosen["relative_increase"])], marker="*", ms=12,
                    color="tab:green", ls="none", label="chosen")
    # Linear near 0 (where no-change rows and slight improvements sit), logarithmic beyond.
    linthresh = tolerance / 10 if tolerance else 1e-3
    ax.set_yscale("symlog", linthresh=linthresh)
    ax.set_xlabel("active eigenvalues (non-output layers)")
    ax.set_ylabel("relative validation-loss increase")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def _active(row: Mapping[str, Any]) -> int:
    if "num_active" in row:
        return int(row["num_active"])
    return int(sum(row["active_eigenvalues"][:-1]))
