"""Parameters needed for the search in direct and spectral space (paper Fig. 8, docs/math.md §9).

A network of L layers of equal width n searched in direct space needs every skip block free,
Σ_{i>j} n_i n_j weights; the spectral parametrization needs Σ n_{k+1} n_k + Σ n_k, the size of a
plain MLP. The counts are checked against :class:`sparcs.SpectralNetwork`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..app.markdown import Report
from ..app.rundir import RunDir
from ..errors import ConfigError
from ..io import write_csv
from ..options import option, seed_option, validate
from ..spectral.network import SpectralNetwork

__all__ = ["Config", "PRESETS", "run", "parameter_counts"]


MAX_LAYERS = 200


@dataclass
class Config:
    """Settings of the ``scaling`` experiment (at most :data:`MAX_LAYERS` layers)."""

    width: int = option(100, "nodes per layer", kind=int, low=1)
    min_layers: int = option(2, "fewest layers (input and output count)", kind=int, low=2,
                             high=MAX_LAYERS)
    # The counts take O(L²) per depth, so a typo such as 100000 would hang without output.
    max_layers: int = option(11, "most layers", kind=int, low=2, high=MAX_LAYERS)
    seed: int = seed_option("unused: the counts are deterministic")

    def __post_init__(self) -> None:
        validate(self)
        if self.min_layers > self.max_layers:
            raise ConfigError(f"min_layers must be at most max_layers, got {self.min_layers} "
                              f"and {self.max_layers}")


PRESETS: dict[str, Config] = {
    "tiny": Config(width=10, min_layers=2, max_layers=5),
    "quick": Config(),
    "paper": Config(),
}


def parameter_counts(sizes: list[int]) -> tuple[int, int]:
    """(direct, spectral) parameter counts of a network with these layer sizes, by formula."""
    direct = sum(sizes[i] * sizes[j] for i in range(len(sizes)) for j in range(i))
    spectral = sum(a * b for a, b in zip(sizes[1:], sizes[:-1], strict=True)) + sum(sizes)
    return direct, spectral


def run(
    config: Config, rundir: RunDir, *, device: torch.device, progress: bool = True
) -> dict[str, Any]:
    """Write ``results.csv``, ``parameters.png`` and ``report.md``; return the summary."""
    rows = []
    for layers in range(config.min_layers, config.max_layers + 1):
        sizes = [config.width] * layers
        direct, spectral = parameter_counts(sizes)
        net = SpectralNetwork(sizes, device="meta")
        if (net.direct_parameters(), net.num_parameters()) != (direct, spectral):
            raise RuntimeError(f"parameter formulas disagree with SpectralNetwork for {sizes}")
        rows.append(
            {"layers": layers, "direct": direct, "spectral": spectral,
             "ratio": direct / spectral}
        )
    write_csv(rundir.file("results.csv"), rows)
    figures = []
    try:
        from ..plots.scaling import plot_parameter_counts

        figures.append(str(plot_parameter_counts(rows, rundir.file("parameters.png"))))
    except ImportError:
        pass  # matplotlib is an optional extra; the numbers are in results.csv

    last = rows[-1]
    report = Report("Parameters needed for the search (paper Fig. 8)")
    report.paragraph(
        f"Layers of width {config.width}, {config.min_layers} to {config.max_layers} layers "
        "(input and output included). Direct space: every skip block free, Σ_{i>j} n_i n_j. "
        "Spectral: Σ n_{k+1} n_k eigenvector entries plus Σ n_k eigenvalues."
    )
    if figures:
        report.image(figures[0], "parameter counts", base=rundir.path)
    report.table(rows, ["layers", "direct", "spectral", "ratio"])
    report.paragraph(
        f"At {last['layers']} layers the direct search needs {last['direct']:,} weights and the "
        f"spectral one {last['spectral']:,}: {last['ratio']:.2f}× fewer. Direct counts grow "
        "quadratically with depth, spectral ones linearly."
    )
    report.write(rundir.file("report.md"))
    return {
        "report": str(rundir.file("report.md")),
        "figures": figures,
        "results": str(rundir.file("results.csv")),
        f"ratio_at_{last['layers']}_layers": last["ratio"],
    }
