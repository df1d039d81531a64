"""What the figures show, read from their matplotlib artists (issue 8 §5), not just PNG bytes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sparcs import SpectralNetwork
from sparcs.plots import architecture as arch_plots
from sparcs.plots import cv as cv_plots
from sparcs.plots import spectrum, training
from sparcs.plots import transition as tr_plots
from sparcs.pruning import architecture_of
from sparcs.training.trainer import History


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plotting modules save, in order."""
    saved = []

    def keep(module, name):
        original = getattr(module, name)

        def wrapper(fig, path, **kwargs):
            saved.append(fig)
            if name == "save_and_close":  # lay out like the original, keep the figure open
                if fig.get_layout_engine() is None:
                    fig.tight_layout()
                fig.canvas.draw()
                from sparcs.plots.canvas import save_figure
                return save_figure(fig, path)
            fig.canvas.draw()
            return original(fig, path, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    for module in (spectrum, training, arch_plots, cv_plots):
        keep(module, "save_figure")
    keep(tr_plots, "save_and_close")
    return saved


def _net(seed: int = 0) -> SpectralNetwork:
    torch.manual_seed(seed)
    net = SpectralNetwork([3, 8, 8, 1], bias=True)
    with torch.no_grad():
        for lam in net.eigenvalues[:-1]:
            lam.copy_(torch.logspace(-3, 0, lam.numel()))
    return net


def _curve():
    rows = []
    for k, inc in enumerate([50.0, 3.0, 0.2, 0.04, 0.002, -0.03, 0.0]):
        rows.append({"mode": "threshold", "threshold": 1.0 / (k + 1), "num_active": 3 * k,
                     "relative_increase": inc})
        rows.append({"mode": "top_k", "threshold": 1.0 / (k + 1), "num_active": 3 * k,
                     "relative_increase": inc * 1.1})
    return rows


def _labels(ax, axis="y"):
    return [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")() if t.get_text()]


def test_pruning_curve_has_a_title_and_labels_every_decade_of_the_data(tmp_path, figures):
    curve = _curve()
    spectrum.plot_pruning_curve(curve, tmp_path / "p.png", tolerance=0.05, chosen=0.25)
    (ax,) = figures[-1].axes
    title = ax.get_title()
    assert title.startswith("Pruning curve") and "chosen: 9 eigenvalues" in title
    assert "threshold 0.25" in title and "+4.00%" in title
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    # 0, ±1e-2 (the data's negative side), then every decade up to 1e2: none skipped
    assert {0.0, 1e-2, 1e-1, 1.0, 10.0, 100.0, -1e-2} <= set(np.round(ticks, 12))
    assert 5e-3 not in ticks and -5e-3 not in ticks  # ±linthresh would sit on the 0 label
    assert len(_labels(ax)) == len(ax.get_yticks())  # every tick labelled


def test_eigenvalue_histograms_draw_the_threshold_and_readable_ticks(tmp_path, figures):
    spectrum.eigenvalue_histograms(_net(), tmp_path / "e.png", threshold=0.05)
    fig = figures[-1]
    assert "pruning threshold 0.05" in fig._suptitle.get_text()
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("pruning threshold")]
        assert len(lines) == 1 and lines[0].get_xdata()[0] == pytest.approx(0.05)
        lo, hi = ax.get_xlim()
        assert lo < 0.05 < hi
        assert not [t for t in ax.get_xminorticklabels() if t.get_text()]
    # a threshold beyond the data still shows: the axis grows to it
    spectrum.eigenvalue_histograms(_net(), tmp_path / "e2.png", threshold=5.0)
    assert all(ax.get_xlim()[1] > 5.0 for ax in figures[-1].axes)


def test_loss_curve_marks_the_kept_epoch_and_plots_fine_tuning(tmp_path, figures):
    history = History(loss=[1.0, 0.5, 0.4, 0.45], val_loss=[1.1, 0.6, 0.5, 0.55], best_epoch=3)
    tuned = History(loss=[0.3, 0.2], val_loss=[0.35, 0.3])
    training.plot_loss_curve(history, tmp_path / "l.png", finetune=tuned)
    (ax,) = figures[-1].axes
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines["training loss"].get_xdata()) == [1, 2, 3, 4]  # numbered from 1
    assert list(lines["training loss, fine-tuning"].get_xdata()) == [5, 6]
    assert list(lines["validation loss, fine-tuning"].get_ydata()) == [0.35, 0.3]
    kept = lines["kept: epoch 3"]
    assert list(kept.get_xdata()) == [3] and list(kept.get_ydata()) == [0.5]
    assert any(t.get_text().strip() == "pruned" for t in ax.texts)
    training.plot_loss_curve(History(loss=[1.0], val_loss=[2.0], best_epoch=0), tmp_path / "z")
    assert "untrained start" in figures[-1].axes[0].texts[0].get_text()


def test_architecture_title_states_the_threshold_it_was_given(tmp_path, figures):
    arch = architecture_of(_net(), 0.0)
    arch_plots.draw_layers(arch, tmp_path / "a.png", title="pruning threshold 0.0516")
    assert figures[-1].axes[0].get_title() == "pruning threshold 0.0516"


def test_search_figures_show_what_the_choice_was_made_on(tmp_path, figures):
    from sparcs.cli.main import main

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    lines = ["a,b,y"] + [f"{a:.4f},{b:.4f},{abs(a) + b:.4f}" for a, b in X]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    assert main(["search", str(tmp_path / "d.csv"), "--target", "y", "--out",
                 str(tmp_path / "r"), "--max-hidden", "16", "--epochs", "30", "--lr", "0.02",
                 "--penalty", "0.003", "--no-progress"]) == 0
    import json

    cv = json.loads((tmp_path / "r" / "cv.json").read_text())
    chosen, best = cv["choice"]["chosen"], cv["choice"]["best"]
    axes = {ax.get_title(): ax for fig in figures for ax in fig.axes}
    ax = axes["Cross-validation: held-out loss against model size"]
    assert ax.get_xscale() == "log" and "held-out squared error" in ax.get_ylabel()
    labels = ax.get_legend_handles_labels()[1]
    assert {"best", "chosen", "linear floor (ridge / logistic)", "constant"} <= set(labels)
    # the threshold line is in the curve's own units: the best mean plus one_se SE
    se = cv["one_se"]
    lines = [line for line in ax.get_lines() if line.get_label() == f"best + {se:g} SE"]
    assert lines and lines[0].get_ydata()[0] == pytest.approx(best["mean"] + se * best["se"])
    marker = next(line for line in ax.get_lines() if line.get_label() == "chosen")
    assert marker.get_xdata()[0] == pytest.approx(chosen["parameters"])
    assert marker.get_ydata()[0] == pytest.approx(chosen["mean"])
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## How the model was chosen" in report and "**chosen**" in report
    assert any(t.startswith("Chosen model (") for t in axes)


def _blocks(n_hidden: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return {(1, 0): torch.randn(n_hidden, 3, generator=g), (2, 1): torch.randn(1, n_hidden,
            generator=g), (2, 0): torch.randn(1, 3, generator=g)}


def test_architectures_name_beta_and_draw_large_layers_as_a_counted_block(tmp_path, figures):
    _, counts = tr_plots.plot_architectures({0.0: _blocks(300), 1.0: _blocks(6)},
                                            tmp_path / "a.png", beta=1000)
    fig = figures[-1]
    assert fig._suptitle.get_text().startswith("β = 1000")
    big, small = fig.axes
    n_big = counts[0.0]  # hidden nodes with a live weight in and out (|w| > 0.01)
    assert 280 < n_big <= 300 and counts[1.0] <= 6
    assert any(f"{n_big}\nhidden" == t.get_text() for t in big.texts) and len(big.patches) == 1
    # the block: 3 inputs in, 3 direct, 1 out — not 300 × 4 lines
    assert len(big.get_lines()) <= 7
    assert not small.patches and len(small.get_lines()) >= 2 * counts[1.0]


def test_datasets_have_one_colour_scale_with_a_colorbar(tmp_path, figures):
    x = torch.rand(50, 2) * 2 - 1

    def target(p, a, b):
        return (a * (p**2).sum(-1, keepdim=True) + (1 - a) * p.sum(-1, keepdim=True))

    tr_plots.plot_datasets(x, target, [0.0, 1.0], [5.0], tmp_path / "d.png")
    fig = figures[-1]
    bars = [ax for ax in fig.axes if ax.get_ylabel() == "target y"]
    assert len(bars) == 1
    limits = {c.get_clim() for ax in fig.axes if ax not in bars for c in ax.collections}
    assert len(limits) == 1


def test_fits_colorbars_have_no_offset_text_over_the_titles(tmp_path, figures):
    def target(p, a):
        return 1e-5 * (a + p.sum(-1, keepdim=True))

    nets = {0.0: lambda p: 1e-5 * p.sum(-1, keepdim=True), 1.0: lambda p: 1e-5 + 0 * p[:, :1]}
    tr_plots.plot_fits(nets, target, tmp_path / "f.png", title="β = 1000, sample 0")
    fig = figures[-1]
    bars = [ax for ax in fig.axes if not ax.get_title()]
    assert len(bars) == 6
    for bar in bars:  # the numbers sit on the ticks, not in an offset above the bar
        assert bar.yaxis.get_offset_text().get_text() == ""
    # (the α=0 error panel is exactly 0, so its bar spans the default ±0.1)
    assert sum(any("e-05" in t.get_text() for t in bar.get_yticklabels()) for bar in bars) == 5
