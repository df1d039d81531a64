"""Pictures of the recruited architecture: node-level for small nets (paper Fig. 15), layer-level
for large ones."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from ..errors import ConfigError
from ..pruning.architecture import Architecture, architecture_of
from ..pruning.liveness import analyse, check_threshold
from ..spectral.network import SpectralNetwork
from .canvas import figure, save_figure

__all__ = ["draw_layers", "draw_network"]

DIRECT_COLOUR = "tab:red"
HIDDEN_COLOUR = "tab:blue"
MAX_NODES = 2000
MAX_EDGES = 200_000


def _positions(sizes: list[int]) -> list[torch.Tensor]:
    """Vertical node positions per layer, centred on 0, spread over at most [-1, 1]."""
    widest = max(sizes)
    out = []
    for n in sizes:
        span = 2.0 * (n - 1) / max(widest - 1, 1)
        out.append(torch.linspace(-span / 2, span / 2, n) if n > 1 else torch.zeros(1))
    return out


def draw_network(
    net: SpectralNetwork,
    path: str | os.PathLike,
    *,
    threshold: float = 0.0,
    cutoff: float = 1e-2,
    title: str | None = None,
) -> Path:
    """Draw every node and every weight with |w| > ``cutoff`` (after zeroing |λ| <= threshold).

    Direct input→output weights are red; weights into or out of hidden layers are blue, darker for
    larger |w|. Dead nodes are hollow. For nets with thousands of nodes use :func:`draw_layers`.
    Returns the PNG path.
    """
    threshold = check_threshold(threshold)
    if not (isinstance(cutoff, int | float) and cutoff >= 0 and math.isfinite(cutoff)):
        raise ConfigError(f"cutoff must be a number >= 0, got {cutoff!r}")
    sizes = net.layer_sizes
    if sum(sizes) > MAX_NODES:
        raise ConfigError(
            f"the net has {sum(sizes)} nodes, too many to draw one by one (at most {MAX_NODES}); "
            "use sparcs.plots.architecture.draw_layers for a layer-level diagram"
        )
    lv = analyse(net, threshold)
    depth = net.depth
    ys = _positions(sizes)
    segments: dict[bool, list] = {True: [], False: []}
    strengths: dict[bool, list[float]] = {True: [], False: []}
    count = 0
    for (i, j), block in lv.blocks.items():
        mask = (block.abs() > cutoff) & lv.live[i].unsqueeze(1) & lv.live[j].unsqueeze(0)
        rows, cols = torch.nonzero(mask, as_tuple=True)
        count += rows.numel()
        if count > MAX_EDGES:
            raise ConfigError(
                f"more than {MAX_EDGES} weights exceed cutoff={cutoff:g}; raise the cutoff or use "
                "draw_layers"
            )
        direct = i == depth - 1 and j == 0
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            segments[direct].append(((j, float(ys[j][c])), (i, float(ys[i][r]))))
            strengths[direct].append(float(block[r, c].abs()))

    tallest = max(sizes)
    fig = figure(figsize=(2.2 * depth + 1, min(3 + 0.12 * tallest, 14)))  # checks matplotlib
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    ax = fig.add_subplot()
    top = max((s for v in strengths.values() for s in v), default=1.0)
    for direct, colour in ((False, HIDDEN_COLOUR), (True, DIRECT_COLOUR)):
        if not segments[direct]:
            continue
        alpha = [0.15 + 0.85 * min(s / top, 1.0) ** 0.5 for s in strengths[direct]]
        lines = LineCollection(
            segments[direct], colors=[(*_rgb(colour), a) for a in alpha],
            linewidths=[0.4 + 1.6 * a for a in alpha], zorder=1,
        )
        ax.add_collection(lines)
    marker = max(12, 120 / max(tallest, 1) ** 0.5)
    for k, y in enumerate(ys):
        live = lv.live[k]
        x = torch.full_like(y, float(k))
        ax.scatter(x[live], y[live], s=marker, c="black", zorder=2)
        ax.scatter(x[~live], y[~live], s=marker, facecolors="white", edgecolors="grey", zorder=2)
        if k == 0 and net.has_bias_node:
            ax.annotate("bias", (0, float(y[-1])), xytext=(-6, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=8)
    ax.set_xticks(range(depth))
    ax.set_xticklabels(
        ["input" if k == 0 else "output" if k == depth - 1 else f"hidden {k}" for k in range(depth)]
    )
    ax.set_yticks([])
    ax.set_xlim(-0.5, depth - 0.5)
    ax.set_ylim(-1.15, 1.15)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [
        Line2D([], [], color=DIRECT_COLOUR, label="input → output"),
        Line2D([], [], color=HIDDEN_COLOUR, label="through hidden layers"),
        Line2D([], [], marker="o", color="white", markeredgecolor="grey", label="dead node"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=3,
              frameon=False, fontsize=8)
    ax.set_title(title or f"|w| > {cutoff:g}, threshold {threshold:g}", fontsize=10)
    return save_figure(fig, path)


def _rgb(name: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(name)


def draw_layers(
    architecture: Architecture | SpectralNetwork,
    path: str | os.PathLike,
    *,
    title: str | None = None,
) -> Path:
    """One box per live layer with its width, one arrow per live skip block labelled with its
    Frobenius norm. Takes an :class:`Architecture` (or a net, read out at threshold 0)."""
    arch = architecture
    if isinstance(arch, SpectralNetwork):
        arch = architecture_of(arch)
    if not isinstance(arch, Architecture):
        raise ConfigError(
            f"expected an Architecture or a SpectralNetwork, got {type(arch).__name__}"
        )
    n = len(arch.widths)
    layers = [0, *arch.live_hidden_layers, n - 1]
    column = {k: 2.0 * c for c, k in enumerate(layers)}
    box_w, box_h = 1.0, 0.8

    fig = figure(figsize=(1.9 * len(layers) + 1, 3.6))  # checks matplotlib first
    from matplotlib.patches import FancyBboxPatch

    ax = fig.add_subplot()
    ax.set_aspect("equal")
    for k in layers:
        x = column[k]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, -box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.05", fc="#e8eef7", ec="black"))
        name = "input" if k == 0 else "output" if k == n - 1 else f"layer {k}"
        size = arch.layer_sizes[k] if arch.layer_sizes else arch.widths[k]
        width = f"{arch.widths[k]}" if arch.widths[k] == size else f"{arch.widths[k]} of {size}"
        ax.text(x, 0.08, name, ha="center", va="center", fontsize=9, weight="bold")
        ax.text(x, -0.17, width, ha="center", va="center", fontsize=8)
    top = max((norm for _, _, norm in arch.live_skips), default=1.0) or 1.0
    highest = 0.5
    for i, j, norm in arch.live_skips:
        if i not in column or j not in column:
            continue
        span = layers.index(i) - layers.index(j)
        width = 0.6 + 2.4 * norm / top
        if span == 1:
            start = (column[j] + box_w / 2 + 0.05, 0.0)
            end, rad = (column[i] - box_w / 2 - 0.05, 0.0), 0.0
            label_at = ((start[0] + end[0]) / 2, 0.12)
        else:
            start, end = (column[j], box_h / 2 + 0.05), (column[i], box_h / 2 + 0.05)
            rad = -0.25 - 0.05 * span
            label_at = ((start[0] + end[0]) / 2, start[1] - 0.5 * rad * (end[0] - start[0]))
            highest = max(highest, label_at[1])
        ax.annotate("", xy=end, xytext=start, arrowprops={
            "arrowstyle": "-|>", "lw": width, "color": "dimgray", "shrinkA": 0, "shrinkB": 0,
            "connectionstyle": f"arc3,rad={rad}"})
        ax.text(*label_at, f"{norm:.3g}", ha="center", va="bottom", fontsize=7,
                bbox={"fc": "white", "ec": "none", "pad": 0.5})
    ax.set_xlim(-box_w, column[n - 1] + box_w)
    ax.set_ylim(-box_h, highest + 0.4)
    ax.axis("off")
    ax.set_title(
        title or f"threshold {arch.threshold:g}: compact {arch.compact_parameters} parameters "
        f"(spectral {arch.spectral_parameters})", fontsize=9)
    return save_figure(fig, path)
