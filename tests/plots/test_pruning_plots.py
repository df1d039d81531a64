"""Architecture drawings, eigenvalue histograms and pruning curves write real PNG files."""

from __future__ import annotations

import sys

import pytest
import torch

import sparcs
from sparcs import ConfigError, SpectralNetwork
from sparcs.plots._mpl import PlotsUnavailableError, pyplot
from sparcs.plots.architecture import draw_layers, draw_network
from sparcs.plots.spectrum import eigenvalue_histograms, plot_pruning_curve
from sparcs.pruning import architecture_of

PNG = b"\x89PNG\r\n\x1a\n"


def _net() -> SpectralNetwork:
    torch.manual_seed(1)
    lam = torch.randn(12) * (torch.rand(12) < 0.5)
    return SpectralNetwork([2, 12, 6, 1], bias=True, dtype=torch.float64,
                           eigenvalue_init={1: lam, 2: torch.randn(6)})


def _is_png(path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG) and len(data) > 2000


def test_draw_network(tmp_path) -> None:
    out = draw_network(_net(), tmp_path / "net.png", cutoff=1e-2)
    assert _is_png(out)


def test_draw_layers_from_architecture_and_net(tmp_path) -> None:
    net = _net()
    assert _is_png(draw_layers(architecture_of(net, 0.1), tmp_path / "a.png"))
    assert _is_png(draw_layers(net, tmp_path / "b.png"))


def test_spectrum_and_curve(tmp_path) -> None:
    net = _net()
    assert _is_png(eigenvalue_histograms(net, tmp_path / "hist.png", threshold=0.1))
    X = torch.rand(50, 2, dtype=torch.float64)
    y = X.sum(1, keepdim=True)
    curve = sparcs.pruning_curve(net, X, y, num_thresholds=6)
    out = plot_pruning_curve(curve, tmp_path / "curve.png", tolerance=0.05,
                             chosen=curve[0]["threshold"])
    assert _is_png(out)


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
