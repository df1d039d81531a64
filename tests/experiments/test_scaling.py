"""The scaling experiment: parameter counts of direct and spectral search (paper Fig. 8)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from sparcs import SpectralNetwork
from sparcs.cli.main import main
from sparcs.experiments import scaling


def test_counts_match_the_network() -> None:
    for sizes in ([5, 5], [3, 7, 2], [4, 6, 6, 6, 1]):
        net = SpectralNetwork(sizes)
        assert scaling.parameter_counts(sizes) == (net.direct_parameters(), net.num_parameters())


def test_tiny_preset_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "scaling"
    assert main(["reproduce", "scaling", "--preset", "tiny", "--out", str(out),
                 "--no-progress"]) == 0
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cfg = scaling.PRESETS["tiny"]
    assert [int(r["layers"]) for r in rows] == list(range(cfg.min_layers, cfg.max_layers + 1))
    n = cfg.width
    for r in rows:
        layers = int(r["layers"])
        # every ordered pair of layers is one n×n block in direct space
        assert int(r["direct"]) == n * n * layers * (layers - 1) // 2
        assert int(r["spectral"]) == n * n * (layers - 1) + n * layers
    assert int(rows[-1]["direct"]) > int(rows[-1]["spectral"])
    assert (out / "parameters.png").stat().st_size > 1000
    assert "parameters.png" in (out / "report.md").read_text()


def test_paper_width_and_depths(tmp_path: Path) -> None:
    out = tmp_path / "paper"
    assert main(["reproduce", "scaling", "--preset", "paper", "--out", str(out),
                 "--no-progress"]) == 0
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["layers"]) for r in rows] == list(range(2, 12))
    # spectral search grows linearly with depth, direct search quadratically
    spectral = [int(r["spectral"]) for r in rows]
    assert len({b - a for a, b in itertools.pairwise(spectral)}) == 1


def test_absurd_depth_is_refused_before_any_output(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["reproduce", "scaling", "--max-layers", "100000", "--out", str(out)]) == 2
    assert "max_layers must be an integer from 2 to 200, got 100000" in capsys.readouterr().err
    assert not out.exists()
