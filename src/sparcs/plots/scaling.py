"""Figure of the ``scaling`` experiment: parameter counts against depth (paper Fig. 8)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .canvas import pyplot, save_and_close

__all__ = ["plot_parameter_counts"]


def _save(fig: Any, path: str | os.PathLike) -> Path:
    return save_and_close(fig, path, dpi=120)


def plot_parameter_counts(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Direct and spectral parameter counts against the number of layers, log y."""
    plt = pyplot()
    layers = [r["layers"] for r in rows]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(layers, [r["direct"] for r in rows], "o-", label="direct space")
    ax.plot(layers, [r["spectral"] for r in rows], "s-", label="spectral")
    ax.set_yscale("log")
    ax.set_xlabel("layers")
    ax.set_ylabel("parameters for the search")
    ax.set_xticks(layers)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return _save(fig, path)
