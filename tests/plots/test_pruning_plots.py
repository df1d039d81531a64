"""Architecture drawings, eigenvalue histograms and pruning curves write real PNG files."""

from __future__ import annotations

import sys

import pytest
import torch

import sparcs
from sparcs import ConfigError, SpectralNetwork
from sparcs.plots.architecture import draw_layers, draw_network
from sparcs.plots.canvas import PlotsUnavailableError, pyplot
from sparcs.plots.spectrum import eigenvalue_histograms, plot_pruning_curve
from sparcs.pruning import architecture_of
from sparcs.pruning.liveness import analyse

PNG = b"\x89PNG\r\n\x1a\n"


def _net() -> SpectralNetwork:
    torch.manual_seed(1)
    lam = torch.randn(12) * (torch.rand(12) < 0.5)
    return SpectralNetwork([2, 12, 6, 1], bias=True, dtype=torch.float64,
                           eigenvalue_init={1: lam, 2: torch.randn(6)})


def _is_png(path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG) and len(data) > 2000


@pytest.fixture
def figures(monkeypatch) -> list:
    """The figures the plot functions save, in order (their PNG files are written as usual)."""
    from sparcs.plots import architecture, canvas, spectrum

    saved: list = []

    def keep(fig, path, **kwargs):
        saved.append(fig)
        return canvas.save_figure(fig, path, **kwargs)

    for module in (architecture, spectrum):
        monkeypatch.setattr(module, "save_figure", keep)
    return saved


def test_draw_network(tmp_path, figures) -> None:
    from matplotlib.collections import LineCollection, PathCollection

    net = _net()
    out = draw_network(net, tmp_path / "net.png", cutoff=1e-2)
    assert _is_png(out)
    (ax,) = figures[-1].axes
    assert ax.get_title() == "|w| > 0.01, threshold 0"
    lv = analyse(net, 0.0)
    want = {True: 0, False: 0}  # direct input → output, and through hidden layers
    for (i, j), block in lv.blocks.items():
        mask = (block.abs() > 1e-2) & lv.live[i].unsqueeze(1) & lv.live[j].unsqueeze(0)
        want[(i, j) == (net.depth - 1, 0)] += int(mask.sum())
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sorted(len(c.get_segments()) for c in lines) == sorted(v for v in want.values() if v)
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in dots) == sum(net.layer_sizes)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "input", "hidden 1", "hidden 2", "output"]


def test_draw_layers_from_architecture_and_net(tmp_path, figures) -> None:
    from matplotlib.patches import FancyBboxPatch

    net = _net()
    arch = architecture_of(net, 0.1)
    assert _is_png(draw_layers(arch, tmp_path / "a.png"))
    (ax,) = figures[-1].axes
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 2 + len(arch.live_hidden_layers)
    from matplotlib.text import Annotation

    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(arrows) == len(arch.live_skips)
    labels = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    assert labels[:4] == ["input", "3", "layer 1", "4 of 12"]  # name and live width per box
    assert len(labels) == 2 * len(boxes) + len(arch.live_skips)  # and one norm per skip
    assert f"compact {arch.compact_parameters} parameters" in ax.get_title()
    assert _is_png(draw_layers(net, tmp_path / "b.png"))
    assert "threshold 0:" in figures[-1].axes[0].get_title()


def test_spectrum_and_curve(tmp_path, figures) -> None:
    net = _net()
    assert _is_png(eigenvalue_histograms(net, tmp_path / "hist.png", threshold=0.1))
    shown = [ax for ax in figures[-1].axes if ax.get_visible()]
    assert len(shown) == net.depth - 1
    for k, ax in enumerate(shown):
        zeros = int((net.eigenvalues[k] == 0).sum())
        assert ax.get_title().startswith(f"layer {k} (")
        assert ax.get_title().endswith(f"{zeros} of {net.layer_sizes[k]} zero")
        assert ax.get_xlabel() == "|λ|"
    X = torch.rand(50, 2, dtype=torch.float64)
    y = X.sum(1, keepdim=True)
    curve = sparcs.pruning_curve(net, X, y, num_thresholds=6)
    out = plot_pruning_curve(curve, tmp_path / "curve.png", tolerance=0.05,
                             chosen=curve[0]["threshold"])
    assert _is_png(out)
    (ax,) = figures[-1].axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["threshold sweep", "top-k sweep", "tolerance 0.05", "chosen"]
    sweep = ax.get_lines()[0]
    assert len(sweep.get_xdata()) == sum(r["mode"] == "threshold" for r in curve)
    assert ax.get_yscale() == "symlog"


def test_bad_arguments(tmp_path) -> None:
    with pytest.raises(ConfigError, match="draw_layers"):
        draw_network(SpectralNetwork([2, 2100, 1]), tmp_path / "big.png")
    with pytest.raises(ConfigError, match="cutoff"):
        draw_network(_net(), tmp_path / "x.png", cutoff=-1)
    with pytest.raises(ConfigError, match="empty"):
        plot_pruning_curve([], tmp_path / "x.png")
    with pytest.raises(ConfigError, match="layers"):
        eigenvalue_histograms(_net(), tmp_path / "x.png", layers=[7])
    with pytest.raises(ConfigError, match="Architecture"):
        draw_layers("not an architecture", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_missing_matplotlib_names_the_extra(monkeypatch, tmp_path) -> None:
    # Hide matplotlib and its submodules, as in an install without the plots extra.
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(PlotsUnavailableError, match=r"sparcs-nas\[plots\]"):
        draw_layers(_net(), tmp_path / "x.png")
    with pytest.raises(PlotsUnavailableError, match=r"sparcs-nas\[plots\]"):
        draw_network(_net(), tmp_path / "x.png")
    with pytest.raises(PlotsUnavailableError):
        eigenvalue_histograms(_net(), tmp_path / "x.png")
    with pytest.raises(ImportError):
        pyplot()
