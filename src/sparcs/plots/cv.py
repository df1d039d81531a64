"""The cross-validation curve a search chose its model on: held-out loss against model size."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .canvas import figure, save_figure

__all__ = ["plot_cv_curve"]

_LABELS = {"floor": "linear floor (ridge / logistic)", "constant": "constant"}


def plot_cv_curve(
    table: Sequence[Mapping[str, Any]], choice: Mapping[str, Any], path: str | os.PathLike, *,
    se: float = 1.0, loss: str = "held-out loss", title: str | None = None,
) -> Path:
    """Plot the mean held-out loss of every candidate against its parameters (log scale), with
    ±1 standard-error bars: one curve per penalty, the floor and the constant as single points.
    The best candidate and the chosen one are marked, and the rule's threshold (the best mean
    plus ``se`` standard errors) is a dotted line in the curve's own units. One curve per
    (penalty, seed) of the networks.

    ``table`` holds the records of :attr:`sparcs.search.engine.SearchResult.cv`, ``choice`` its
    ``choice``.
    """
    fig = figure(figsize=(6.6, 4.2))
    ax = fig.add_subplot()
    networks = [r for r in table if r["kind"] == "network"]
    pairs = list(dict.fromkeys((r["penalty"], r.get("seed")) for r in networks))
    for penalty, seed in pairs:
        mine = sorted((r for r in networks if (r["penalty"], r.get("seed")) == (penalty, seed)),
                      key=lambda r: r["parameters"])
        label = f"network, penalty {penalty:g}" + (
            f", seed {seed}" if len({s for _, s in pairs}) > 1 else "")
        ax.errorbar([r["parameters"] for r in mine], [r["mean"] for r in mine],
                    yerr=[r["se"] for r in mine], marker="o", markersize=3, capsize=2,
                    label=label)
    for r in table:
        if r["kind"] in _LABELS:
            ax.errorbar([r["parameters"]], [r["mean"]], yerr=[r["se"]], marker="s",
                        linestyle="none", capsize=2, label=_LABELS[r["kind"]])
    best, chosen = choice.get("best"), choice.get("chosen")
    if best:
        ax.axhline(choice["threshold"], color="grey", linestyle=":", linewidth=1,
                   label=f"best + {se:g} SE")
        ax.plot([best["parameters"]], [best["mean"]], marker="*", markersize=14,
                linestyle="none", color="gold", markeredgecolor="black", label="best")
    if chosen:
        ax.plot([chosen["parameters"]], [chosen["mean"]], marker="o", markersize=12,
                linestyle="none", markerfacecolor="none", markeredgecolor="red",
                markeredgewidth=2, label="chosen")
    ax.set_xscale("log")
    ax.set_xlabel("parameters of the compact model")
    ax.set_ylabel(f"{loss} (mean over folds ± 1 SE)")
    ax.set_title(title or "Cross-validation: held-out loss against model size")
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    return save_figure(fig, path)
