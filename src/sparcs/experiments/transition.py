"""Linear-to-nonlinear transition (paper Figs. 7, 11–15; docs/math.md §10.1).

The target blends a linear and a quadratic function of x ∈ [−1, 1]²,

    y = ½(1 − tanh(β(α − ½)))·mean_d x_d + ½(1 + tanh(β(α − ½)))·mean_d x_d²,

and a spectral network [2 + bias, 300, 1] starting as a perceptron (hidden eigenvalues 0) is
trained with the penalty c(‖λ_0‖₂ + ‖λ_1‖₂). Where the target is linear the hidden layer is not
needed and its eigenvalues stay ≈ 0; where it is quadratic the layer is recruited. Every
(β, α, sample) model of the grid is trained at once as one batched ensemble.

Sample s is one initialization and one draw of the inputs, shared by every (β, α) cell, so the
curves against α compare the same starts (common random numbers); samples are independent.

Example (a few seconds):
    sparcs reproduce transition --preset tiny --out runs/transition-tiny
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

import torch
from torch import Tensor

from ..app.markdown import Report
from ..app.rundir import RunDir
from ..errors import ConfigError, SparcsError
from ..io import write_csv
from ..options import option, seed_option, validate
from ..pruning.paths import path_strength_from
from ..spectral.ensemble import SpectralEnsemble
from ..spectral.network import SpectralNetwork
from ..training.config import TrainConfig, batch_option, epochs_option, lr_option, penalty_option
from ..training.ensemble import evaluate_ensemble, fit_ensemble
from .backends import Backend, connect, run_tasks

__all__ = ["Config", "PRESETS", "run", "target"]

PENALTY_LAYERS = [0, 1]

Cell = tuple[float, float, int]
"""(β, α, sample) of one model."""
Params = dict[str, list[Tensor]]
"""One network's ``eigenvectors`` and ``eigenvalues``."""


class ChunkResult(TypedDict):
    """What training one chunk gives: per-model metrics (one value per model of the chunk) and
    the parameters of its sample-0 models by their place in the chunk."""

    metrics: dict[str, Tensor]
    keep: dict[int, Params]


def _paper_alphas() -> list[float]:
    return [round(0.05 * i, 2) for i in range(21)]


@dataclass
class Config:
    """Settings of the ``transition`` experiment (each field is a ``--flag``)."""

    alphas: list[float] = option(
        default_factory=_paper_alphas, help="α values, e.g. 0,0.25,0.5,0.75,1",
        kind=list, items=float, min_items=1,
    )
    betas: list[float] = option(
        default_factory=lambda: [5.0, 1000.0], help="β values (sharpness)",
        kind=list, items=float, min_items=1,
    )
    samples: int = option(100, "independent initializations per cell", kind=int, low=1)
    points: int = option(10_000, "training points per sample", kind=int, low=1)
    hidden: int = option(300, "hidden width", kind=int, low=1)
    epochs: int = epochs_option(300, low=1)
    batch_size: int = batch_option(100)
    lr: float = lr_option(1e-3)
    penalty: float = penalty_option(1e-4, "c in c(‖λ_0‖₂ + ‖λ_1‖₂)")
    chunk_models: int = option(0, "models trained together (0: all at once)", kind=int, low=0)
    checkpoint_every: int = option(10, "epochs between checkpoints", kind=int, low=1)
    seed: int = seed_option("seed of inits, data and batch order")

    def __post_init__(self) -> None:
        validate(self)

    @property
    def num_models(self) -> int:
        return len(self.betas) * len(self.alphas) * self.samples


PRESETS: dict[str, Config] = {
    "paper": Config(),
    # The paper's grid and data size with 5 samples and 20 epochs: a batched check of the grid.
    "quick": Config(samples=5, epochs=20, checkpoint_every=5),
    "tiny": Config(
        alphas=[0.0, 0.5, 1.0], samples=2, points=200, hidden=16, epochs=2, batch_size=50,
        lr=1e-2, chunk_models=6, checkpoint_every=1,
    ),
}


def target(x: Tensor, alpha: Tensor | float, beta: Tensor | float) -> Tensor:
    """y(x) of docs/math.md §10.1 for inputs ``(..., n, d)``; alpha/beta broadcast over leading
    dims."""
    w = 0.5 * (1 + torch.tanh(torch.as_tensor(beta * (alpha - 0.5), dtype=x.dtype)))
    w = w.to(x.device).reshape(*w.shape, 1)
    return ((1 - w) * x.mean(-1) + w * x.square().mean(-1)).unsqueeze(-1)


# ---------------------------------------------------------------------- the grid
def _grid(config: Config) -> list[Cell]:
    """(β, α, sample) of every model, in model order."""
    return [(b, a, s) for b in config.betas for a in config.alphas for s in range(config.samples)]


def _sample_draws(config: Config, samples: list[int], dtype: torch.dtype
                  ) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample (φ_0, φ_1, x): Xavier-uniform eigenvectors and inputs U[−1, 1]², each from a
    generator seeded by (seed, sample) alone, so any chunking gives the same models."""
    n0, h = 3, config.hidden
    phi0, phi1, xs = [], [], []
    for s in samples:
        g = torch.Generator().manual_seed(config.seed * 1_000_003 + s)
        b0, b1 = math.sqrt(6 / (n0 + h)), math.sqrt(6 / (h + 1))
        phi0.append((torch.rand(h, n0, generator=g, dtype=dtype) * 2 - 1) * b0)
        phi1.append((torch.rand(1, h, generator=g, dtype=dtype) * 2 - 1) * b1)
        xs.append(torch.rand(config.points, 2, generator=g, dtype=dtype) * 2 - 1)
    return torch.stack(phi0), torch.stack(phi1), torch.stack(xs)


def _build_chunk(config: Config, grid: list[Cell], device: torch.device | str
                 ) -> tuple[SpectralEnsemble, Tensor, Tensor]:
    samples = sorted({s for _, _, s in grid})
    where = {s: i for i, s in enumerate(samples)}
    phi0, phi1, xs = _sample_draws(config, samples, torch.float32)
    pick = torch.tensor([where[s] for _, _, s in grid])
    ens = SpectralEnsemble(len(grid), [2, config.hidden, 1], bias=True,
                           eigenvector_init=torch.nn.init.zeros_, device=device)
    with torch.no_grad():
        ens.eigenvectors[0].copy_(phi0[pick])
        ens.eigenvectors[1].copy_(phi1[pick])
    X = xs[pick].to(device)
    alpha = torch.tensor([a for _, a, _ in grid], dtype=torch.float64)
    beta = torch.tensor([b for b, _, _ in grid], dtype=torch.float64)
    y = target(X, alpha.to(torch.float32), beta.to(torch.float32))
    return ens, X, y


def _model_metrics(ens: SpectralEnsemble, X: Tensor, y: Tensor) -> dict[str, Tensor]:
    with torch.no_grad():
        lam = [t.detach() for t in ens.eigenvalues]
        phi = [t.detach() for t in ens.eigenvectors]
        searched = torch.cat([lam[k].abs() for k in PENALTY_LAYERS], dim=-1)
        return {
            "mean_abs_eigenvalue": searched.mean(-1).cpu().double(),
            "mean_abs_lambda0": lam[0].abs().mean(-1).cpu().double(),
            "mean_abs_lambda1": lam[1].abs().mean(-1).cpu().double(),
            # ‖Γ‖² of the single hidden layer (the bias node counts as an input).
            "gamma_norm_sq": path_strength_from(phi, lam)[..., 0].cpu().double(),
            "mse": evaluate_ensemble(ens, X, y).cpu(),
        }


def _train_chunk(
    config: Config, grid: list[Cell], device: torch.device | str, threads: int | None = None, *,
    progress: bool = False, resume: dict[str, Any] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> ChunkResult:
    """Train one chunk of models and return its metrics and the figures' models (CPU).

    In this process the scheduler adds the chunk's checkpoint hook and the state to resume
    from; on a Ray worker ``device`` is a name that the worker resolves and ``threads`` fixes
    torch's thread count (no checkpoints there: the driver saves finished chunks)."""
    if threads is not None:
        torch.set_num_threads(threads)
    ens, X, y = _build_chunk(config, grid, device)
    train = TrainConfig(epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
                        penalty=config.penalty, penalty_layers=PENALTY_LAYERS, seed=config.seed)
    fit_ensemble(
        ens, X, y, config=train, progress=progress, resume=resume, checkpoint=checkpoint,
        checkpoint_every=config.checkpoint_every,
    )
    return {
        "metrics": _model_metrics(ens, X, y),
        # Sample 0 of every cell, kept for the fit and architecture figures.
        "keep": {
            i: {"eigenvectors": [p[i].detach().cpu() for p in ens.eigenvectors],
                "eigenvalues": [p[i].detach().cpu() for p in ens.eigenvalues]}
            for i, (_, _, s) in enumerate(grid) if s == 0
        },
    }


def _ray_backend(backend: Backend, device: torch.device | str) -> tuple[Backend, str]:
    """The backend with one GPU per task where the cluster has GPUs and ``device`` is not the
    CPU, and the device name the workers resolve."""
    ray = connect(backend)
    wants_gpu = str(device) != "cpu"
    gpus = 1.0 if wants_gpu and ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
    if str(device).startswith("cuda") and not gpus:
        raise ConfigError("--device cuda was asked for, but the Ray cluster has no GPU")
    return dataclasses.replace(backend, gpus=gpus), "cuda" if gpus else "cpu"


def _chunk_name(index: int) -> str:
    return f"chunk{index:03d}"


def _trained_chunks(
    config: Config, rundir: RunDir, chunks: list[list[Cell]], device: torch.device | str,
    progress: bool, backend: Backend,
) -> Iterator[tuple[int, ChunkResult]]:
    """(index, result) of every chunk: first those saved by an earlier session, then the others
    as they finish, each saved as it arrives (``checkpoints/chunkNNN-results.pt``), so a rerun
    only trains the missing ones. Locally, chunks train in order and a chunk's training is
    checkpointed too, so an interrupted chunk resumes mid-way; with Ray each missing chunk is
    one task (one GPU each where the cluster has GPUs)."""
    saved = {i: rundir.load_checkpoint(f"{_chunk_name(i)}-results") for i in range(len(chunks))}
    finished = {i for i, result in saved.items() if result is not None}
    for index in sorted(finished):
        yield index, saved[index]
    local = backend.name == "local"
    if local:
        tasks = [(i, (config, grid, device)) for i, grid in enumerate(chunks)]
    else:
        backend, device_name = _ray_backend(backend, device)
        tasks = [(i, (config, grid, device_name, backend.threads)) for i, grid in enumerate(chunks)]

    def in_process(index: int) -> dict[str, Any]:
        if progress and len(chunks) > 1:
            print(f"chunk {index + 1}/{len(chunks)}: {len(chunks[index])} models")
        name = _chunk_name(index)
        return {"progress": progress, "resume": rundir.load_checkpoint(name),
                "checkpoint": partial(rundir.save_checkpoint, name)}

    failed: dict[int, str] = {}
    for outcome in run_tasks(_train_chunk, tasks, backend, skip=finished,
                             in_process=in_process if local else None):
        if outcome.ok:
            rundir.save_checkpoint(f"{_chunk_name(outcome.key)}-results", outcome.value)
            yield outcome.key, outcome.value
        elif local and outcome.exception is not None:
            raise outcome.exception  # a local run stops at its first failing chunk
        else:
            failed[outcome.key] = outcome.error or ""
    if failed:
        first = min(failed)
        raise SparcsError(
            f"{len(failed)} of {len(chunks)} chunks failed (chunk {first}: {failed[first]}); "
            "the finished chunks are saved: rerun the same command to train the missing ones"
        )


# ---------------------------------------------------------------------- aggregation
def _cell_rows(config: Config, per_model: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ["mean_abs_eigenvalue", "gamma_norm_sq", "mse", "mean_abs_lambda0", "mean_abs_lambda1"]
    rows = []
    for beta in config.betas:
        for alpha in config.alphas:
            cell = [r for r in per_model if r["beta"] == beta and r["alpha"] == alpha]
            if not cell:
                continue
            row: dict[str, Any] = {"beta": beta, "alpha": alpha, "samples": len(cell)}
            for key in keys:
                vals = torch.tensor([r[key] for r in cell], dtype=torch.float64)
                row[key] = float(vals.mean())
                se = vals.std(unbiased=True) / math.sqrt(len(cell)) if len(cell) > 1 else 0.0
                row[f"{key}_se"] = float(se)
            rows.append(row)
    for beta in config.betas:  # normalized activity: relative to the largest over α
        cell_rows = [r for r in rows if r["beta"] == beta]
        for key in ("mean_abs_eigenvalue", "gamma_norm_sq"):
            top = max((r[key] for r in cell_rows), default=0.0) or 1.0
            for r in cell_rows:
                r[f"{key}_norm"] = r[key] / top
                r[f"{key}_norm_se"] = r[f"{key}_se"] / top
    return rows


COLUMNS = [
    "beta", "alpha", "samples", "mean_abs_eigenvalue", "mean_abs_eigenvalue_se",
    "gamma_norm_sq", "gamma_norm_sq_se", "mse", "mse_se", "mean_abs_eigenvalue_norm",
    "mean_abs_eigenvalue_norm_se", "gamma_norm_sq_norm", "gamma_norm_sq_norm_se",
    "mean_abs_lambda0", "mean_abs_lambda0_se", "mean_abs_lambda1", "mean_abs_lambda1_se",
]
MODEL_COLUMNS = ["model", "beta", "alpha", "sample", "mean_abs_eigenvalue", "mean_abs_lambda0",
                 "mean_abs_lambda1", "gamma_norm_sq", "mse"]


def _write_results(rundir: RunDir, config: Config, per_model: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    rows = _cell_rows(config, per_model)
    write_csv(rundir.file("models.csv"), per_model, MODEL_COLUMNS)
    write_csv(rundir.file("results.csv"), rows, COLUMNS)
    return rows


def transition_contrast(rows: list[dict[str, Any]], beta: float, key: str = "mean_abs_eigenvalue",
                        low: float = 0.4, high: float = 0.6) -> float | None:
    """max activity at α ≤ low divided by min activity at α ≥ high (None without both sides)."""
    lo = [r[key] for r in rows if r["beta"] == beta and r["alpha"] <= low + 1e-9]
    hi = [r[key] for r in rows if r["beta"] == beta and r["alpha"] >= high - 1e-9]
    if not lo or not hi:
        return None
    return max(lo) / min(hi) if min(hi) > 0 else math.inf


# ---------------------------------------------------------------------- figures and report
def _nearest(values: list[float], wanted: list[float]) -> list[float]:
    out: list[float] = []
    for w in wanted:
        best = min(values, key=lambda v: abs(v - w))
        if best not in out:
            out.append(best)
    return out


def _network(config: Config, params: Params) -> SpectralNetwork:
    net = SpectralNetwork([2, config.hidden, 1], bias=True)
    with torch.no_grad():
        for dst, src in zip(net.eigenvectors, params["eigenvectors"], strict=True):
            dst.copy_(src)
        for dst, src in zip(net.eigenvalues, params["eigenvalues"], strict=True):
            dst.copy_(src)
    return net.eval()


def _figures(config: Config, rundir: RunDir, rows: list[dict[str, Any]],
             kept: dict[tuple[float, float], Params]) -> tuple[list[Path], dict[float, int]]:
    from ..plots import transition as plots

    figures = []
    beta = max(config.betas)
    x = _sample_draws(config, [0], torch.float32)[2][0]
    figures.append(plots.plot_datasets(
        x, target, [0.0, 0.25, 0.5, 0.75, 1.0], config.betas, rundir.file("datasets.png")))
    shown = [a for a in _nearest(config.alphas, [0.0, 0.5, 1.0]) if (beta, a) in kept]
    nets = {a: _network(config, kept[(beta, a)]) for a in shown}
    if nets:
        figures.append(plots.plot_fits(
            {a: net for a, net in nets.items()}, lambda p, a: target(p, a, beta),
            rundir.file("fits.png"), title=f"β = {beta:g}, sample 0"))
    figures.append(plots.plot_activity(
        rows, "mean_abs_eigenvalue_norm", rundir.file("eigenvalues.png"),
        ylabel="normalized mean |λ_0, λ_1|"))
    positive = all(r["gamma_norm_sq"] > 0 for r in rows)
    figures.append(plots.plot_activity(
        rows, "gamma_norm_sq", rundir.file("gamma.png"), ylabel="‖Γ‖²", log=positive))
    live: dict[float, int] = {}
    drawn = [a for a in _nearest(config.alphas, [0.0, 0.25, 0.5, 0.75, 1.0]) if (beta, a) in kept]
    if drawn:
        blocks = {a: _network(config, kept[(beta, a)]).blocks() for a in drawn}
        path, live = plots.plot_architectures(
            {a: {k: w.detach() for k, w in b.items()} for a, b in blocks.items()},
            rundir.file("architectures.png"), beta=beta)
        figures.append(path)
    return figures, live


def _write_report(config: Config, rundir: RunDir, rows: list[dict[str, Any]], figures: list[Path],
                  live: dict[float, int], elapsed: float) -> None:
    report = Report("Linear-to-nonlinear transition (paper Figs. 7, 11–15)")
    report.paragraph(
        f"{config.num_models} models ({len(config.betas)} β × {len(config.alphas)} α × "
        f"{config.samples} samples), sizes [2 + bias, {config.hidden}, 1], ReLU, Adam lr "
        f"{config.lr:g}, batch {config.batch_size}, {config.epochs} epochs, {config.points} "
        f"points per sample, penalty {config.penalty:g}·(‖λ_0‖₂ + ‖λ_1‖₂). All models were "
        f"trained as batched ensembles in {elapsed:.0f} s (this session). Sample s is one "
        "initialization and one input draw shared by every (β, α) cell."
    )
    report.heading("Findings")
    findings = []
    for beta in config.betas:
        sub = [r for r in rows if r["beta"] == beta]
        ratio = transition_contrast(rows, beta)
        lo = [r for r in sub if r["alpha"] <= 0.4 + 1e-9]
        hi = [r for r in sub if r["alpha"] >= 0.6 - 1e-9]
        values = [r["mean_abs_eigenvalue"] for r in sub]
        text = f"β = {beta:g}: mean |λ| ranges from {min(values):.3g} to {max(values):.3g}"
        if lo and hi and ratio is not None:
            verdict = "below" if ratio < 0.05 else "not below"
            text += (
                "; the largest activity at α ≤ 0.4 "
                f"({max(r['mean_abs_eigenvalue'] for r in lo):.3g}) is {100 * ratio:.2g}% "
                "of the smallest at α ≥ 0.6 "
                f"({min(r['mean_abs_eigenvalue'] for r in hi):.3g}), {verdict} 5%"
            )
        findings.append(text + ".")
    mse_max = max(rows, key=lambda r: r["mse"])
    findings.append(
        f"Fits: the largest mean training MSE is {mse_max['mse']:.3g} "
        f"(β = {mse_max['beta']:g}, α = {mse_max['alpha']:g})."
    )
    if live:
        findings.append("Live hidden nodes (|w| > 1e-2 in and out), β = "
                        f"{max(config.betas):g}, sample 0: "
                        + ", ".join(f"α = {a:g}: {n}" for a, n in live.items()) + ".")
    report.bullets(findings)
    report.heading("Figures")
    if not figures:
        report.paragraph("Skipped: matplotlib is not installed (pip install 'sparcs-nas[plots]').")
    for fig in figures:
        report.image(fig, base=rundir.path)
    report.heading("Results")
    report.paragraph("Means over samples, ± standard errors in results.csv; one row per model "
                     "in models.csv. ‖Γ‖² counts the bias node as an input; MSE is on the "
                     "training points.")
    for beta in config.betas:
        report.heading(f"β = {beta:g}", level=3)
        report.table([r for r in rows if r["beta"] == beta],
                     ["alpha", "mean_abs_eigenvalue", "mean_abs_eigenvalue_se", "gamma_norm_sq",
                      "mse", "mean_abs_eigenvalue_norm"])
    report.write(rundir.file("report.md"))


# ---------------------------------------------------------------------- run
def run(
    config: Config, rundir: RunDir, *, device: torch.device | str, progress: bool = True,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """Train the grid in chunks (each resumable), then write CSVs, figures and ``report.md``.

    With a Ray ``backend`` each chunk (``chunk_models`` models) is one Ray task, and ``device``
    may be a name that each worker resolves; the results are those of a local run.
    """
    start = time.perf_counter()
    grid = _grid(config)
    size = config.chunk_models or len(grid)
    chunks = [grid[i : i + size] for i in range(0, len(grid), size)]
    per_chunk: dict[int, list[dict[str, Any]]] = {}
    kept: dict[tuple[float, float], Params] = {}
    for index, result in _trained_chunks(config, rundir, chunks, device, progress,
                                         backend or Backend()):
        chunk = chunks[index]
        m = result["metrics"]
        per_chunk[index] = [
            {"model": index * size + i, "beta": beta, "alpha": alpha, "sample": s,
             **{k: float(v[i]) for k, v in m.items()}}
            for i, (beta, alpha, s) in enumerate(chunk)
        ]
        for i, params in result["keep"].items():
            beta, alpha, _ = chunk[i]
            kept[(beta, alpha)] = params
        # Completed chunks are always on disk as CSV, in model order: an interrupted run leaves
        # valid results.
        rows = _write_results(rundir, config, [r for i in sorted(per_chunk) for r in per_chunk[i]])
    elapsed = time.perf_counter() - start

    try:
        figures, live = _figures(config, rundir, rows, kept)
    except ImportError:  # matplotlib is optional: the numbers are in the CSVs
        figures, live = [], {}
    _write_report(config, rundir, rows, figures, live, elapsed)
    summary: dict[str, Any] = {
        "report": str(rundir.file("report.md")),
        "results": str(rundir.file("results.csv")),
        "figures": [str(f) for f in figures],
        "train_seconds": round(elapsed, 1),
    }
    for beta in config.betas:
        ratio = transition_contrast(rows, beta)
        if ratio is not None:
            summary[f"activity_ratio_beta_{beta:g}"] = ratio
    return summary
