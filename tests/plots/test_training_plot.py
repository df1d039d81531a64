"""The loss-curve figure."""

from __future__ import annotations

import pytest

from sparcs.plots import training
from sparcs.plots.training import plot_loss_curve
from sparcs.training import History

pytest.importorskip("matplotlib")


def test_loss_curve_png(tmp_path, monkeypatch):
    saved = []
    real = training.save_figure
    monkeypatch.setattr(training, "save_figure",
                        lambda fig, path, **kw: saved.append(fig) or real(fig, path, **kw))
    history = History(loss=[1.0, 0.5, 0.25], val_loss=[1.1, 0.6, 0.4])
    path = plot_loss_curve(history, tmp_path / "sub" / "loss.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (ax,) = saved[-1].axes
    assert ax.get_title() == "Training" and ax.get_yscale() == "log"
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [history.loss, history.val_loss]
    assert ax.get_xlabel() == "epoch" and ax.get_legend() is not None
    # a dict works too, and a zero loss falls back to a linear axis instead of failing
    plot_loss_curve({"loss": [0.0, 1.0]}, tmp_path / "zero.png")
    (ax,) = saved[-1].axes
    assert ax.get_yscale() == "linear" and len(ax.get_lines()) == 1
    assert (tmp_path / "zero.png").stat().st_size > 0
