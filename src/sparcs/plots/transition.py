"""Figures of the ``transition`` experiment (paper Figs. 7, 11–15).

All functions take plain numbers or tensors, write one PNG atomically and return its path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .canvas import pyplot, save_and_close

__all__ = [
    "plot_datasets",
    "plot_fits",
    "plot_activity",
    "plot_architectures",
    "DIRECT_COLOUR",
    "HIDDEN_COLOUR",
]

# More live hidden nodes than this are drawn as one box with their count, not as a blob.
MAX_DRAWN_NODES = 24
DIRECT_COLOUR = "tab:blue"  # input → output without a hidden node
HIDDEN_COLOUR = "tab:orange"  # paths through the hidden layer


def _save(fig: Any, path: str | os.PathLike) -> Path:
    return save_and_close(fig, path, dpi=110)


def _plain_numbers() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:.3g}")


def _grid(res: int = 60) -> tuple[Tensor, Tensor, Tensor]:
    u = torch.linspace(-1, 1, res)
    g1, g2 = torch.meshgrid(u, u, indexing="xy")
    return g1, g2, torch.stack((g1.reshape(-1), g2.reshape(-1)), dim=-1)


def plot_datasets(
    x: Tensor,
    target: Callable[[Tensor, float, float], Tensor],
    alphas: Sequence[float],
    betas: Sequence[float],
    path: str | os.PathLike,
    max_points: int = 2000,
) -> Path:
    """Training inputs coloured by the target, one panel per (β, α), on one colour scale with
    its colorbar."""
    plt = pyplot()
    x = x[:max_points].double()
    fig, axes = plt.subplots(len(betas), len(alphas), squeeze=False, layout="constrained",
                             figsize=(2.4 * len(alphas) + 0.8, 2.3 * len(betas) + 0.3))
    ys = {(beta, alpha): target(x, alpha, beta).squeeze(-1) for beta in betas for alpha in alphas}
    lo = min(float(y.min()) for y in ys.values())
    hi = max(float(y.max()) for y in ys.values())
    points = None
    for r, beta in enumerate(betas):
        for c, alpha in enumerate(alphas):
            ax = axes[r][c]
            points = ax.scatter(x[:, 0], x[:, 1], c=ys[(beta, alpha)], s=3, cmap="viridis",
                                vmin=lo, vmax=hi)
            ax.set_title(f"β={beta:g}, α={alpha:g}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
    if points is not None:
        fig.colorbar(points, ax=axes, label="target y", shrink=0.9)
    fig.suptitle("datasets: x ~ U[−1,1]², colour = target y", fontsize=10)
    return _save(fig, path)


def plot_fits(
    predict: Mapping[float, Callable[[Tensor], Tensor]],
    target: Callable[[Tensor, float], Tensor],
    path: str | os.PathLike,
    title: str = "",
) -> Path:
    """Per α: the target, the trained network's prediction and the absolute error on a grid."""
    plt = pyplot()
    g1, _, pts = _grid()
    alphas = list(predict)
    fig, axes = plt.subplots(len(alphas), 3, squeeze=False, figsize=(9, 2.8 * len(alphas) + 0.4),
                             layout="constrained")
    extent = (-1, 1, -1, 1)
    for r, alpha in enumerate(alphas):
        with torch.no_grad():
            truth = target(pts, alpha).reshape(g1.shape)
            pred = predict[alpha](pts).reshape(g1.shape)
        err = (pred - truth).abs()
        lo, hi = float(truth.min()), float(truth.max())
        for c, (img, label) in enumerate(
            ((truth, "target"), (pred, "prediction"), (err, "absolute error"))
        ):
            ax = axes[r][c]
            kw = {"vmin": lo, "vmax": hi} if c < 2 else {"cmap": "magma"}
            im = ax.imshow(img.numpy(), origin="lower", extent=extent, **kw)
            bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
            # Full numbers on each tick: an offset ("1e-5") above the bar runs into the title.
            bar.ax.yaxis.set_major_formatter(_plain_numbers())
            ax.set_title(f"α={alpha:g}: {label}" + (f" (max {float(err.max()):.2g})" if c == 2
                                                    else ""), fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_activity(
    rows: Sequence[Mapping[str, Any]],
    key: str,
    path: str | os.PathLike,
    *,
    ylabel: str,
    log: bool = False,
) -> Path:
    """``rows[key]`` against α, one line per β, with ``key_se`` error bars."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    for beta in sorted({r["beta"] for r in rows}):
        sub = sorted((r for r in rows if r["beta"] == beta), key=lambda r: r["alpha"])
        ax.errorbar([r["alpha"] for r in sub], [r[key] for r in sub],
                    yerr=[r[f"{key}_se"] for r in sub], marker="o", ms=4, capsize=3,
                    label=f"β = {beta:g}")
    ax.set_xlabel("α (0: linear target, 1: quadratic)")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.axvline(0.5, color="grey", lw=0.8, ls=":")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def _draw_block(ax: Any, w10: Tensor, w21: Tensor, w20: Tensor, live: list[int],
                y_in: list[float], cutoff: float) -> None:
    """The live hidden nodes as one box with their count; one line per input into it (width:
    the norm of that input's weights into the box) and one out of it."""
    from matplotlib.patches import FancyBboxPatch

    into = w10[live].norm(dim=0)
    out = float(w21[0, live].norm())
    scale = max([float(into.max()), out, float(w20.abs().max()), 1e-12])
    for i, y in enumerate(y_in):
        if float(into[i]) > cutoff:
            ax.plot([0, 0.85], [y, 0.5], color=HIDDEN_COLOUR, lw=0.5 + 3 * float(into[i]) / scale)
        w = float(w20[0, i])
        if abs(w) > cutoff:
            ax.plot([0, 2], [y, 0.5], color=DIRECT_COLOUR, lw=0.5 + 3 * abs(w) / scale, zorder=1)
    ax.plot([1.15, 2], [0.5, 0.5], color=HIDDEN_COLOUR, lw=0.5 + 3 * out / scale)
    ax.add_patch(FancyBboxPatch((0.85, 0.2), 0.3, 0.6, boxstyle="round,pad=0.02", fc="#dddddd",
                                ec="grey", zorder=2))
    ax.text(1.0, 0.5, f"{len(live)}\nhidden", ha="center", va="center", fontsize=8, zorder=3)


def _draw_one(ax: Any, blocks: Mapping[tuple[int, int], Tensor], cutoff: float,
              max_nodes: int = MAX_DRAWN_NODES) -> int:
    w10, w21, w20 = blocks[(1, 0)], blocks[(2, 1)], blocks[(2, 0)]
    n_in, n_hidden = w10.shape[1], w10.shape[0]
    live = [j for j in range(n_hidden)
            if bool((w10[j].abs() > cutoff).any()) and abs(float(w21[0, j])) > cutoff]
    y_in = [(i + 1) / (n_in + 1) for i in range(n_in)]
    if len(live) > max_nodes:
        _draw_block(ax, w10, w21, w20, live, y_in, cutoff)
        ax.scatter([0] * n_in, y_in, s=60, c="black", zorder=3)
        ax.scatter([2], [0.5], s=60, c="black", zorder=3)
        ax.set_xlim(-0.2, 2.2)
        ax.set_ylim(0, 1)
        ax.axis("off")
        return len(live)
    y_hid = {j: (r + 1) / (len(live) + 1) for r, j in enumerate(live)}
    scale = max([float(w.abs().max()) for w in (w10, w21, w20)] + [1e-12])
    for i in range(n_in):
        for j in live:
            w = float(w10[j, i])
            if abs(w) > cutoff:
                ax.plot([0, 1], [y_in[i], y_hid[j]], color=HIDDEN_COLOUR,
                        lw=0.3 + 2 * abs(w) / scale, alpha=0.6)
        w = float(w20[0, i])
        if abs(w) > cutoff:
            ax.plot([0, 2], [y_in[i], 0.5], color=DIRECT_COLOUR, lw=0.5 + 2.5 * abs(w) / scale)
    for j in live:
        ax.plot([1, 2], [y_hid[j], 0.5], color=HIDDEN_COLOUR,
                lw=0.3 + 2 * abs(float(w21[0, j])) / scale, alpha=0.6)
    ax.scatter([0] * n_in, y_in, s=60, c="black", zorder=3)
    ax.scatter([1] * len(live), list(y_hid.values()), s=15, c="grey", zorder=3)
    ax.scatter([2], [0.5], s=60, c="black", zorder=3)
    ax.set_xlim(-0.2, 2.2)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return len(live)


def plot_architectures(
    blocks_by_alpha: Mapping[float, Mapping[tuple[int, int], Tensor]],
    path: str | os.PathLike,
    *,
    cutoff: float = 1e-2,
    title: str = "",
    beta: float | None = None,
) -> tuple[Path, dict[float, int]]:
    """Connections with |weight| > ``cutoff``: direct input → output in blue, through the hidden
    layer in orange (only hidden nodes with a live in- and out-connection are drawn; more than
    ``MAX_DRAWN_NODES`` are one box with their count). Returns the path and the live hidden node
    count per α. The input layer's last node is the bias. ``beta`` is named in the title."""
    plt = pyplot()
    alphas = list(blocks_by_alpha)
    fig, axes = plt.subplots(1, len(alphas), squeeze=False, figsize=(2.6 * len(alphas), 3.0))
    counts = {}
    for c, alpha in enumerate(alphas):
        counts[alpha] = _draw_one(axes[0][c], blocks_by_alpha[alpha], cutoff)
        axes[0][c].set_title(f"α={alpha:g}: {counts[alpha]} hidden", fontsize=9)
    shown = f"β = {beta:g}, sample 0: " if beta is not None else ""
    fig.suptitle(title or f"{shown}connections with |w| > {cutoff:g} "
                 f"({DIRECT_COLOUR[4:]}: direct, {HIDDEN_COLOUR[4:]}: via hidden)", fontsize=9)
    return _save(fig, path), counts
