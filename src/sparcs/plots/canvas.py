"""matplotlib for the plots extra, loaded lazily: Agg figures, PNG files written atomically."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import SparcsError
from ..io import atomic_write_bytes

__all__ = ["PlotsUnavailableError", "figure", "pyplot", "save_and_close", "save_figure"]

INSTALL_HINT = "pip install 'sparcs-nas[plots]'"


class PlotsUnavailableError(SparcsError, ImportError):
    """matplotlib (the ``plots`` extra) is not installed."""


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailableError(
            f"plotting needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None
    return matplotlib


def pyplot() -> Any:
    """``matplotlib.pyplot`` with the Agg backend (unless pyplot was already set up elsewhere)."""
    matplotlib = _matplotlib()
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(**kwargs: Any) -> Any:
    """A ``matplotlib.figure.Figure`` on an Agg canvas: no pyplot state, never shown."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Render ``fig`` as PNG and write it atomically to ``path``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


def save_and_close(fig: Any, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Lay out, save and close a figure made with ``pyplot`` (pyplot keeps it alive otherwise).
    A figure made with its own layout engine (``layout="constrained"``) keeps it."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    try:
        return save_figure(fig, path, dpi=dpi)
    finally:
        pyplot().close(fig)
