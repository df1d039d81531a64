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
from .canvas import figure, save_figure

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
    fig = figure(figsize=(3.6 * cols, 2.8 * rows + 0.4))  # checks matplotlib first
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

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
        ax.autoscale(False, axis="x")  # the limits are set below; an empty panel has none
        ax.set_xscale("log")
        lo_x, hi_x = edges[0], edges[-1]
        if threshold is not None and threshold > 0:
            ax.axvline(threshold, color="tab:red", ls="--", lw=1.2,
                       label=f"pruning threshold {threshold:.3g}")
            lo_x, hi_x = min(lo_x, threshold / 1.5), max(hi_x, threshold * 1.5)
        ax.set_xlim(lo_x, hi_x)
        # Only decades are labelled: minor labels on a short log axis run into each other.
        short = math.log10(hi_x / lo_x) < 2  # few decades: label 1, 2 and 5 of each
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if short else (1.0,)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts
        role = "input" if k == 0 else "output" if k == net.depth - 1 else "hidden"
        note = ", frozen" if k in frozen else ""
        ax.set_title(f"layer {k} ({role}{note}): {zeros} of {m.numel()} zero", fontsize=9)
        ax.set_xlabel("|λ|")
        ax.set_ylabel("count")
    heading = "Trained eigenvalue magnitudes per layer"
    if threshold is not None and threshold > 0:
        heading += f"; dashed: pruning threshold {threshold:.3g} (smaller ones are removed)"
    fig.suptitle(heading, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pruning_curve(
    curve: Sequence[Mapping[str, Any]],
    path: str | os.PathLike,
    tolerance: float | None = None,
    *,
    chosen: Mapping[str, Any] | float | None = None,
    title: str | None = None,
) -> Path:
    """Relative validation-loss increase against the number of active eigenvalues.

    ``curve`` is the output of :func:`sparcs.pruning_curve` (or ``PruneResult.curve``); both
    sweeps are drawn. ``tolerance`` adds a horizontal line; ``chosen`` (a row, or a threshold)
    marks the selected network. The title says what was chosen unless ``title`` is given.
    """
    if not curve:
        raise ConfigError("the pruning curve is empty: nothing to plot")
    fig = figure(figsize=(6, 4.3))  # checks matplotlib first
    from matplotlib.ticker import FixedLocator, NullLocator

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
    if title is None:
        title = "Pruning curve: validation loss against eigenvalues kept"
        if chosen is not None:
            title += (f"\nchosen: {_active(chosen)} eigenvalues (threshold "
                      f"{float(chosen['threshold']):.3g}, loss "
                      f"{float(chosen['relative_increase']):+.2%})")
    ax.set_title(title, fontsize=10)
    # Linear near 0 (where no-change rows and slight improvements sit), logarithmic beyond;
    # the linear part is wide enough that its ticks (−t, 0, t) do not run into each other.
    values = [abs(float(r["relative_increase"])) for r in curve
              if math.isfinite(float(r["relative_increase"]))]
    linthresh = tolerance / 10 if tolerance else 1e-3
    ax.set_yscale("symlog", linthresh=linthresh, linscale=1.5)
    ticks = _symlog_ticks(linthresh, max(values, default=1.0))
    low = min((float(r["relative_increase"]) for r in curve
               if math.isfinite(float(r["relative_increase"]))), default=0.0)
    ax.yaxis.set_major_locator(FixedLocator([t for t in ticks if t >= min(low, 0) * 10]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("active eigenvalues (non-output layers)")
    ax.set_ylabel("relative validation-loss increase")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def _symlog_ticks(linthresh: float, top: float) -> list[float]:
    """0 and ±every decade above ``linthresh`` out to the data, none skipped: matplotlib's
    symlog locator drops decades when space is short, leaving the data's range unlabelled
    (±linthresh itself would sit on top of the 0 label)."""
    k0 = math.floor(math.log10(linthresh)) + 1
    k1 = max(k0, math.ceil(math.log10(max(top, linthresh))))
    decades = [10.0**k for k in range(k0, k1 + 1)]
    return sorted([0.0, *decades, *(-d for d in decades)])


def _active(row: Mapping[str, Any]) -> int:
    if "num_active" in row:
        return int(row["num_active"])
    return int(sum(row["active_eigenvalues"][:-1]))
