"""The loss-curve figure."""

from __future__ import annotations

import pytest

from sparcs.plots.training import plot_loss_curve
from sparcs.training import History

pytest.importorskip("matplotlib")


def test_loss_curve_png(tmp_path):
    history = History(loss=[1.0, 0.5, 0.25], val_loss=[1.1, 0.6, 0.4])
    path = plot_loss_curve(history, tmp_path / "sub" / "loss.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a dict works too, and a zero loss falls back to a linear axis instead of failing
    plot_loss_curve({"loss": [0.0, 1.0]}, tmp_path / "zero.png")
    assert (tmp_path / "zero.png").stat().st_size > 0
