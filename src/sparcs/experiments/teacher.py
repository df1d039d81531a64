r"""Teacher–student depth selection (paper Figs. 9, 10; SPEC §5.2).

A teacher y = R ReLU(R x) with a random rotation R needs exactly one hidden layer. A spectral
student [20, H, H, 20] starts as a perceptron and is trained with an eigenvalue penalty on both
hidden layers; spectral pruning at 5 % validation tolerance then shows how many hidden layers and
nodes it recruited. An optional grid (``--study``) measures what decides whether the redundant
first hidden layer dies: width H, penalty c and training length.

Presets: ``tiny`` (seconds, for CI), ``quick`` (H = 256, 50k points, 40 epochs and a small
layer-death grid; minutes on 2 CPU cores), ``paper`` (H = 2000, 100k + 100k points, 100 epochs, as
in the authors' code; meant for a GPU) and ``study`` (the larger layer-death grid on CPU).

The grid uses ``study_samples`` points per epoch; to look at longer training, add single longer
runs, e.g.

    sparcs reproduce teacher --preset study --study-widths 1024 --study-penalties 1e-4 \
        --study-samples 100000 --study-epochs 10,30 --out runs/teacher-study-long

Example (a few seconds):
    sparcs reproduce teacher --preset tiny --out runs/teacher-tiny
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..errors import ConfigError
from ..io import atomic_write_bytes, read_json, write_csv
from ..losses import resolve_loss
from ..progress import progress as progress_bar
from ..spectral.network import SpectralNetwork
from ..training.trainer import History, TrainConfig, epoch_batches, make_optimizer
from .rundir import RunDir

__all__ = [
    "PRESETS",
    "Config",
    "eigenvalue_stats",
    "linear_baseline_r2",
    "r2_score",
    "random_rotation",
    "run",
    "teacher_data",
    "train_resumable",
]

PENALTY_LAYERS = [1, 2]
STUDY_FIGURE = "layer-death study: mean |λ| per epoch"
_CHUNK = 8192


@dataclass
class Config:
    """Settings of the ``teacher`` experiment (each field is a ``--flag``)."""

    hidden: int = field(default=2000, metadata={"help": "width H of both hidden layers"})
    samples: int = field(
        default=100_000, metadata={"help": "training points (the validation split is carved out)"}
    )
    test_samples: int = field(default=100_000, metadata={"help": "test points for R²"})
    val_fraction: float = field(
        default=0.1, metadata={"help": "share of the training points kept for pruning"}
    )
    dim: int = field(default=20, metadata={"help": "input/output dimension of the teacher"})
    epochs: int = field(default=100, metadata={"help": "training epochs"})
    batch_size: int = field(default=1024, metadata={"help": "minibatch size (last one dropped)"})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    penalty: float = field(default=1e-4, metadata={"help": "c in c·(‖λ_1‖₂ + ‖λ_2‖₂)"})
    tolerance: float = field(
        default=0.05, metadata={"help": "pruning tolerance on the validation loss (0.05 = 5%%)"}
    )
    checkpoint_every: int = field(default=5, metadata={"help": "epochs between checkpoints"})
    study: bool = field(default=False, metadata={"help": "also run the layer-death grid"})
    study_widths: list[int] = field(
        default_factory=lambda: [64, 256], metadata={"help": "grid: hidden widths, e.g. 64,256"}
    )
    study_penalties: list[float] = field(
        default_factory=lambda: [1e-4, 1e-3], metadata={"help": "grid: penalties c"}
    )
    study_epochs: list[int] = field(
        default_factory=lambda: [10, 30],
        metadata={"help": "grid: epochs at which the eigenvalues are read (one run per config)"},
    )
    study_samples: int = field(default=20_000, metadata={"help": "grid: training points"})
    death_ratio: float = field(
        default=0.01,
        metadata={"help": "layer 1 counts as dead when mean|λ_1| <= ratio · mean|λ_2|"},
    )
    seed: int = field(default=0, metadata={"help": "seed of the teacher, data and student"})

    def __post_init__(self) -> None:
        positive = ("hidden", "samples", "test_samples", "dim", "batch_size",
                    "checkpoint_every", "study_samples")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.epochs < 0:
            raise ConfigError(f"epochs must be >= 0, got {self.epochs}")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        n_val = round(self.samples * self.val_fraction)
        if n_val < 1 or self.samples - n_val < self.batch_size:
            raise ConfigError(
                f"samples={self.samples} with val_fraction={self.val_fraction} leaves "
                f"{self.samples - n_val} training points for batch_size={self.batch_size} and "
                f"{n_val} for validation; raise --samples or lower --batch-size"
            )
        if not self.tolerance > 0:
            raise ConfigError(f"tolerance must be > 0, got {self.tolerance}")
        if not self.death_ratio > 0:
            raise ConfigError(f"death_ratio must be > 0, got {self.death_ratio}")
        if self.study:
            if not (self.study_widths and self.study_penalties and self.study_epochs):
                raise ConfigError("--study needs non-empty --study-widths, --study-penalties "
                                  "and --study-epochs")
            if min(self.study_widths) < 1 or min(self.study_epochs) < 1:
                raise ConfigError("study widths and epochs must be >= 1")
            if min(self.study_penalties) < 0:
                raise ConfigError("study penalties must be >= 0")
            if self.study_samples < self.batch_size:
                raise ConfigError(
                    f"study_samples={self.study_samples} is below batch_size={self.batch_size}"
                )

    def train_config(self, *, penalty: float | None = None, epochs: int | None = None,
                     seed: int | None = None) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs if epochs is None else epochs, batch_size=self.batch_size,
            lr=self.lr, penalty=self.penalty if penalty is None else penalty, penalty_norm=2.0,
            penalty_layers=list(PENALTY_LAYERS), drop_last=True,
            seed=self.seed if seed is None else seed,
        )


PRESETS: dict[str, Config] = {
    # CI: a few seconds, everything exercised (the study too, on two small configs).
    "tiny": Config(hidden=16, samples=2048, test_samples=1024, epochs=4, batch_size=256,
                   checkpoint_every=2, study=False, study_widths=[8], study_penalties=[1e-4, 1e-2],
                   study_epochs=[1, 2], study_samples=1024),
    # 2 CPU cores, <= 10 minutes; see the module report for the measured time.
    "quick": Config(hidden=256, samples=50_000, test_samples=20_000, epochs=40, study=True,
                    study_widths=[64, 256], study_penalties=[1e-4, 3e-3], study_epochs=[10, 30],
                    study_samples=20_000),
    # The authors' code: H = 2000, 100k + 100k points, 100 epochs (about 35 s on an H100).
    "paper": Config(),
    # The layer-death grid on its own, CPU-affordable (main run kept small).
    "study": Config(hidden=128, samples=20_000, test_samples=10_000, epochs=20, study=True,
                    study_widths=[64, 256, 1024], study_penalties=[1e-4, 1e-3, 3e-3, 1e-2],
                    study_epochs=[10, 30, 60], study_samples=20_000),
}


# ---------------------------------------------------------------------------- data


def random_rotation(dim: int, generator: torch.Generator) -> Tensor:
    """A Haar-random rotation in SO(dim), float64.

    QR of a Gaussian matrix with the signs of R's diagonal moved into Q (which makes Q Haar on
    O(dim)), then one column flipped when det < 0.

    >>> R = random_rotation(5, torch.Generator().manual_seed(0))
    >>> bool(torch.allclose(R @ R.T, torch.eye(5, dtype=torch.float64)))
    True
    """
    if dim < 1:
        raise ConfigError(f"rotation dimension must be >= 1, got {dim}")
    gauss = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(gauss)
    signs = torch.sign(torch.diagonal(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if torch.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def teacher_data(
    rotation: Tensor, n: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``n`` points x ~ U[−1, 1]^d and y = R ReLU(R x), float64."""
    X = torch.rand(n, rotation.shape[0], generator=generator, dtype=torch.float64) * 2 - 1
    return X, torch.relu(X @ rotation.T) @ rotation.T


def r2_score(pred: Tensor, target: Tensor) -> float:
    """Coefficient of determination, averaged uniformly over output columns (float64)."""
    target = target.detach().double()
    pred = pred.detach().to(device=target.device, dtype=torch.float64)
    ss_res = ((target - pred) ** 2).sum(0)
    ss_tot = ((target - target.mean(0)) ** 2).sum(0)
    return float((1 - ss_res / ss_tot.clamp_min(torch.finfo(torch.float64).tiny)).mean())


def linear_baseline_r2(
    X_train: Tensor, y_train: Tensor, X_test: Tensor, y_test: Tensor
) -> float:
    """Test R² of ordinary least squares with an intercept, fitted on the training points."""
    ones = torch.ones(X_train.shape[0], 1, dtype=torch.float64)
    A = torch.cat([X_train.double().cpu(), ones], 1)
    coef = torch.linalg.lstsq(A, y_train.double().cpu(), driver="gelsd").solution
    A_test = torch.cat([X_test.double().cpu(), torch.ones(X_test.shape[0], 1, dtype=torch.float64)],
                       1)
    return r2_score(A_test @ coef, y_test.cpu())


@torch.no_grad()
def predict(model: torch.nn.Module, X: Tensor) -> Tensor:
    """Predictions in chunks (keeps memory flat for 100k test points on a GPU)."""
    model.eval()
    return torch.cat([model(X[i : i + _CHUNK]) for i in range(0, X.shape[0], _CHUNK)])


def eigenvalue_stats(net: SpectralNetwork, small: float = 1e-3) -> dict[str, dict[str, float]]:
    """Mean/median/max |λ| and the fraction below ``small`` for every layer."""
    out = {}
    for k, lam in enumerate(net.eigenvalues):
        a = lam.detach().abs().double().cpu()
        out[f"layer_{k}"] = {
            "size": a.numel(), "mean_abs": float(a.mean()), "median_abs": float(a.median()),
            "max_abs": float(a.max()), "fraction_below_1e-3": float((a < small).double().mean()),
        }
    return out


def make_student(config: Config, hidden: int, device: torch.device, seed: int) -> SpectralNetwork:
    """[d, H, H, d], no bias, ReLU, perceptron start, λ_0 frozen at 0."""
    torch.manual_seed(seed)  # Xavier init of φ draws from the global generator
    return SpectralNetwork([config.dim, hidden, hidden, config.dim], activation="relu",
                           bias=False, freeze_eigenvalues=[0], device=device)


# ---------------------------------------------------------------------------- training


def _train_epoch(net: SpectralNetwork, optimizer: torch.optim.Optimizer, X: Tensor, y: Tensor,
                 generator: torch.Generator, cfg: TrainConfig) -> tuple[float, float]:
    """One epoch of Adam on MSE + c·Σ‖λ_k‖₂, exactly as :func:`sparcs.fit` does it."""
    loss_fn = resolve_loss("mse")
    net.train()
    task_sum = pen_sum = 0.0
    seen = 0
    for idx in epoch_batches(X.shape[0], cfg.batch_size, generator, drop_last=cfg.drop_last):
        idx = idx.to(X.device)
        task = loss_fn(net(X[idx]), y[idx])
        pen = net.eigenvalue_penalty(cfg.penalty_norm, cfg.penalty_layers)
        objective = task + cfg.penalty * pen if cfg.penalty else task
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        optimizer.step()
        task_sum += float(task.detach()) * len(idx)
        pen_sum += float(pen.detach()) * len(idx)
        seen += len(idx)
    net.eval()
    return task_sum / max(seen, 1), pen_sum / max(seen, 1)


def train_resumable(
    net: SpectralNetwork, X: Tensor, y: Tensor, cfg: TrainConfig, *,
    validation: tuple[Tensor, Tensor] | None = None, rundir: RunDir | None = None,
    name: str = "train", every: int = 5, progress: bool = False,
) -> tuple[History, float]:
    """Train like :func:`sparcs.fit`, checkpointing model, Adam state, batch-order generator and
    history every ``every`` epochs (and on Ctrl-C); resume from the checkpoint if one exists.

    Returns the history and the training time in seconds, summed over resumed sessions. Resumed
    training is bit-identical to uninterrupted training on the same device.
    """
    optimizer = make_optimizer(net, cfg.lr)
    generator = torch.Generator().manual_seed(cfg.seed)
    history, start, elapsed = History(), 0, 0.0
    state = rundir.load_checkpoint(name) if rundir is not None else None
    if state is not None:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        history = History(**state["history"])
        start, elapsed = int(state["epoch"]), float(state["train_time"])

    def save(epoch: int, seconds: float) -> None:
        if rundir is None:
            return
        rundir.save_checkpoint(name, {
            "epoch": epoch, "train_time": seconds, "history": history.to_dict(),
            "model": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "optimizer": optimizer.state_dict(), "generator": generator.get_state(),
        })
        rundir.write_json(f"{name}_history.json" if name != "train" else "history.json",
                          history.to_dict())  # readable partial results

    t0, done = time.perf_counter(), start
    bar = progress_bar(range(start, cfg.epochs), enable=progress, desc=name, leave=False,
                       initial=start, total=cfg.epochs)
    try:
        for epoch in bar:
            loss, pen = _train_epoch(net, optimizer, X, y, generator, cfg)
            history.loss.append(loss)
            history.penalty.append(pen)
            history.mean_abs_eigenvalues.append(
                [float(lam.detach().abs().mean()) for lam in net.eigenvalues])
            if validation is not None:
                pred = predict(net, validation[0])
                history.val_loss.append(float(resolve_loss("mse")(pred, validation[1])))
            done = epoch + 1
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{loss:.3g}")
            if done % every == 0 or done == cfg.epochs:
                save(done, elapsed + time.perf_counter() - t0)
    except KeyboardInterrupt:
        # Keep every finished epoch: the next run with the same --out resumes here.
        save(done, elapsed + time.perf_counter() - t0)
        raise
    finally:
        if hasattr(bar, "close"):
            bar.close()
    return history, elapsed + time.perf_counter() - t0


# ---------------------------------------------------------------------------- experiment


def _data(config: Config, device: torch.device) -> dict[str, Tensor]:
    gen = torch.Generator().manual_seed(config.seed)
    rotation = random_rotation(config.dim, gen)
    X, y = teacher_data(rotation, config.samples, gen)
    X_test, y_test = teacher_data(rotation, config.test_samples, gen)
    n_val = round(config.samples * config.val_fraction)
    f32 = {"dtype": torch.float32, "device": device}
    return {
        "rotation": rotation, "X_all": X, "y_all": y, "X_test64": X_test, "y_test64": y_test,
        "X": X[:-n_val].to(**f32), "y": y[:-n_val].to(**f32),
        "X_val": X[-n_val:].to(**f32), "y_val": y[-n_val:].to(**f32),
        "X_test": X_test.to(**f32), "y_test": y_test.to(**f32),
    }


def run(config: Config, rundir: RunDir, *, device: torch.device, progress: bool = True
        ) -> dict[str, Any]:
    """Train, prune, export and report into ``rundir``; return the summary (results.json)."""
    from ..pruning.prune import prune

    if rundir.done and rundir.has("results.json"):
        return read_json(rundir.file("results.json"))
    data = _data(config, device)
    net = make_student(config, config.hidden, device, config.seed)
    history, train_time = train_resumable(
        net, data["X"], data["y"], config.train_config(), validation=(data["X_val"], data["y_val"]),
        rundir=rundir, name="train", every=config.checkpoint_every, progress=progress)
    rundir.write_json("history.json", history.to_dict())

    result = prune(net, data["X_val"], data["y_val"], tolerance=config.tolerance,
                   progress=progress)
    arch = result.architecture
    compact_dir = rundir.file("compact")
    if result.compact is not None:
        result.compact.save(compact_dir)
    pred_full = predict(net, data["X_test"])
    pred_pruned = predict(result.network, data["X_test"])
    hidden_pruned = [int(w) for w in arch.hidden_widths]
    results: dict[str, Any] = {
        "r2_full": r2_score(pred_full, data["y_test64"]),
        "r2_pruned": r2_score(pred_pruned, data["y_test64"]),
        "r2_linear": linear_baseline_r2(data["X_all"], data["y_all"], data["X_test64"],
                                        data["y_test64"]),
        "active_hidden_layers": sum(w > 0 for w in hidden_pruned),
        "live_hidden_layers": [int(k) for k in arch.live_hidden_layers],
        "hidden_widths_pruned": hidden_pruned,
        "first_hidden_layer_died": hidden_pruned[0] == 0,
        "threshold": float(result.threshold),
        "val_loss_full": float(result.base_loss),
        "val_loss_pruned": float(result.loss),
        "relative_increase": float(result.relative_increase),
        "eigenvalues": eigenvalue_stats(net),
        "parameters": {
            "spectral": net.num_parameters(), "direct": net.direct_parameters(),
            "compact": int(arch.compact_parameters),
            "compact_saved": result.compact.num_parameters() if result.compact else None,
        },
        "final_train_loss": history.loss[-1] if history.loss else None,
        "epochs": config.epochs,
        "train_time_s": train_time,
        "device": str(device),
        "threads": torch.get_num_threads(),
    }
    rundir.write_json("results.json", results)
    rundir.write_json("pruning.json", result.to_dict())
    write_csv(rundir.file("pruning_curve.csv"), [
        {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        for row in result.curve])
    atomic_write_bytes(rundir.file("architecture.txt"), (str(arch) + "\n").encode())

    study_rows = run_study(config, rundir, data["rotation"], device=device,
                           progress=progress) if config.study else []
    figures = _figures(net, history, result.curve, result.threshold, config, rundir)
    _write_report(config, results, study_rows, figures, rundir)
    return results


# ---------------------------------------------------------------------------- layer-death study


def _collapsed(lam1: float, lam2: float, ratio: float, small: float = 1e-3) -> str:
    """Which hidden layer's eigenvalues collapsed: only λ_1 → 0 removes a layer (layer 2 keeps
    receiving φ_1 Λ_1 x_1 when λ_2 = 0, SPEC §1), both → 0 leaves a linear network."""
    if max(lam1, lam2) < small:
        return "both"
    if lam1 <= ratio * lam2:
        return "layer 1"
    if lam2 <= ratio * lam1:
        return "layer 2"
    return "none"


def _study_grid(config: Config) -> list[tuple[int, float]]:
    return [(h, c) for h in config.study_widths for c in config.study_penalties]


def run_study(config: Config, rundir: RunDir, rotation: Tensor, *, device: torch.device,
              progress: bool = False) -> list[dict[str, Any]]:
    """Train one student per (width, penalty) for max(study_epochs) epochs on fresh teacher data;
    read mean |λ_1|, mean |λ_2| and test R² at each of ``study_epochs``. Finished configs are kept
    in a checkpoint and in ``study.csv`` so an interrupted grid resumes."""
    gen = torch.Generator().manual_seed(config.seed + 1)
    X, y = teacher_data(rotation, config.study_samples, gen)
    X_test, y_test = teacher_data(rotation, max(config.study_samples // 4, 1000), gen)
    X, y, X_test_f = (t.to(torch.float32).to(device) for t in (X, y, X_test))
    state = rundir.load_checkpoint("study") or {"rows": [], "trajectories": {}}
    done = {(r["hidden"], r["penalty"]) for r in state["rows"]}
    marks = sorted(set(config.study_epochs))
    grid = _study_grid(config)
    for hidden, penalty in progress_bar(grid, enable=progress, desc="layer-death study"):
        if (hidden, penalty) in done:
            continue
        net = make_student(config, hidden, device, config.seed)
        cfg = config.train_config(penalty=penalty, epochs=marks[-1])
        optimizer = make_optimizer(net, cfg.lr)
        generator = torch.Generator().manual_seed(cfg.seed)
        means: list[list[float]] = []
        t0 = time.perf_counter()
        for epoch in range(1, marks[-1] + 1):
            _train_epoch(net, optimizer, X, y, generator, cfg)
            lam1, lam2 = (float(net.eigenvalues[k].detach().abs().mean()) for k in (1, 2))
            means.append([lam1, lam2])
            if epoch in marks:
                state["rows"].append({
                    "hidden": hidden, "penalty": penalty, "epochs": epoch,
                    "steps": epoch * (X.shape[0] // cfg.batch_size),
                    "mean_abs_lambda1": lam1, "mean_abs_lambda2": lam2,
                    "max_abs_lambda1": float(net.eigenvalues[1].detach().abs().max()),
                    "ratio": lam1 / lam2 if lam2 > 0 else float("inf"),
                    "layer1_died": bool(lam1 <= config.death_ratio * lam2),
                    "collapsed": _collapsed(lam1, lam2, config.death_ratio),
                    "r2": r2_score(predict(net, X_test_f), y_test),
                    "seconds": time.perf_counter() - t0,
                })
        state["trajectories"][f"{hidden}|{penalty}"] = means
        rundir.save_checkpoint("study", state)
        write_csv(rundir.file("study.csv"), state["rows"])
    rows = sorted(state["rows"], key=lambda r: (r["hidden"], r["penalty"], r["epochs"]))
    write_csv(rundir.file("study.csv"), rows)
    rundir.write_json("study_trajectories.json", state["trajectories"])
    return rows


# ---------------------------------------------------------------------------- figures and report


def _figures(net: SpectralNetwork, history: History, curve: list[dict[str, Any]],
             threshold: float, config: Config, rundir: RunDir) -> dict[str, str]:
    """Write the PNGs; matplotlib is an optional extra, so without it a note replaces them."""
    from ..plots import spectrum
    from ..plots import teacher as plots

    jobs = [
        ("eigenvalue histograms per hidden layer (Fig. 9)", lambda: spectrum.eigenvalue_histograms(
            net, rundir.file("eigenvalues.png"), layers=list(PENALTY_LAYERS), threshold=threshold)),
        ("pruning curve (Fig. 10)", lambda: spectrum.plot_pruning_curve(
            curve, rundir.file("pruning_curve.png"), tolerance=config.tolerance,
            chosen=threshold)),
        ("loss and mean |λ| per hidden layer, per epoch", lambda: plots.plot_training_dynamics(
            history.to_dict(), rundir.file("training.png"))),
    ]
    if config.study:
        jobs.append((STUDY_FIGURE, lambda: plots.plot_study_trajectories(
            read_json(rundir.file("study_trajectories.json")), rundir.file("study.png"))))
    figures: dict[str, str] = {}
    for name, job in jobs:
        try:
            figures[name] = str(job())
        except ImportError as err:
            figures["_skipped"] = str(err)
            break
    return figures


def _death_epoch(history: History, ratio: float) -> int | None:
    """First epoch from which mean|λ_1| <= ratio · mean|λ_2| holds to the end, if any."""
    means = history.mean_abs_eigenvalues
    dead = [row[1] <= ratio * row[2] for row in means]
    if not dead or not dead[-1]:
        return None
    epoch = len(dead)
    while epoch > 1 and dead[epoch - 2]:
        epoch -= 1
    return epoch


def _depth_finding(widths: list[int]) -> str:
    if widths[0] == 0 and any(w > 0 for w in widths[1:]):
        return ("the redundant first hidden layer died, so the student found the teacher's depth "
                "(one hidden layer).")
    if not any(widths):
        return "both hidden layers were pruned away: the pruned student is linear."
    return ("the first hidden layer stayed active at this width, penalty and training length, "
            "so the student did not reduce to the teacher's depth of one hidden layer.")


def _write_report(config: Config, results: dict[str, Any], study_rows: list[dict[str, Any]],
                  figures: dict[str, str], rundir: RunDir) -> None:
    from .report import Report

    history = History(**read_json(rundir.file("history.json")))
    ev = results["eigenvalues"]
    lam1, lam2 = ev["layer_1"]["mean_abs"], ev["layer_2"]["mean_abs"]
    widths = results["hidden_widths_pruned"]
    rep = Report("Teacher–student depth selection (paper Figs. 9, 10)")
    rep.paragraph(
        f"Teacher y = R ReLU(R x), R a Haar-random rotation of SO({config.dim}), x ~ U[−1, 1]^"
        f"{config.dim}; {config.samples} training points ({config.val_fraction:.0%} of them held "
        f"out for pruning) and {config.test_samples} test points. Student: spectral network "
        f"[{config.dim}, {config.hidden}, {config.hidden}, {config.dim}], ReLU, no bias, "
        f"perceptron start, λ_0 frozen at 0; Adam lr {config.lr:g}, batch {config.batch_size}, "
        f"{config.epochs} epochs, penalty {config.penalty:g}·(‖λ_1‖₂ + ‖λ_2‖₂). Trained on "
        f"{results['device']} in {results['train_time_s']:.1f} s."
    )
    rep.heading("Results")
    rep.table([
        {"quantity": "R² full student (test)", "value": results["r2_full"]},
        {"quantity": "R² pruned student (test)", "value": results["r2_pruned"]},
        {"quantity": "R² linear least squares (test)", "value": results["r2_linear"]},
        {"quantity": "mean |λ_1| (first hidden layer)", "value": lam1},
        {"quantity": "mean |λ_2| (second hidden layer)", "value": lam2},
        {"quantity": "pruning threshold", "value": results["threshold"]},
        {"quantity": "live hidden widths after pruning", "value": str(widths)},
        {"quantity": "parameters: spectral / direct / compact",
         "value": "{spectral} / {direct} / {compact}".format(**results["parameters"])},
    ])
    death = _death_epoch(history, config.death_ratio)
    findings = [
        f"After training, mean |λ_1| = {lam1:.3g} and mean |λ_2| = {lam2:.3g} "
        f"(ratio {lam1 / lam2 if lam2 else float('inf'):.3g}); "
        f"{ev['layer_1']['fraction_below_1e-3']:.1%} of λ_1 and "
        f"{ev['layer_2']['fraction_below_1e-3']:.1%} of λ_2 are below 1e-3.",
        f"Spectral pruning at {config.tolerance:.0%} tolerance (threshold "
        f"{results['threshold']:.3g}) keeps {results['active_hidden_layers']} hidden layer(s), "
        f"live widths {widths}: "
        + _depth_finding(widths),
        (f"mean |λ_1| fell below {config.death_ratio:g}·mean |λ_2| from epoch {death} on."
         if death is not None else
         f"mean |λ_1| never stayed below {config.death_ratio:g}·mean |λ_2| until the end of "
         "training."),
        f"Test R²: pruned {results['r2_pruned']:.4f}, full {results['r2_full']:.4f}, linear "
        f"{results['r2_linear']:.4f} (the paper reports ≥ 0.98 after pruning against a clearly "
        "lower linear score).",
    ]
    rep.bullets(findings)
    rep.paragraph("The compact model of the pruned student is saved in `compact/` "
                  "(`sparcs.CompactNetwork.load`).")
    if "_skipped" in figures:
        rep.paragraph(f"Figures were skipped: {figures['_skipped']}")
    for alt, path in figures.items():
        if not alt.startswith("_") and alt != STUDY_FIGURE:
            rep.heading(alt[0].upper() + alt[1:], level=3)
            rep.image(path, alt, base=rundir.path)
    if study_rows:
        _study_section(rep, config, study_rows)
        if STUDY_FIGURE in figures:
            rep.image(figures[STUDY_FIGURE], STUDY_FIGURE, base=rundir.path)
    rep.write(rundir.file("report.md"))


def _study_section(rep: Any, config: Config, rows: list[dict[str, Any]]) -> None:
    rep.heading("What decides whether the redundant layer dies")
    rows = [{**r, "collapsed": _collapsed(r["mean_abs_lambda1"], r["mean_abs_lambda2"],
                                          config.death_ratio)} for r in rows]
    rep.paragraph(
        f"One student per (H, c), {config.study_samples} training points of the same teacher, "
        f"batch {config.batch_size}, read at epochs {sorted(set(config.study_epochs))}. "
        f"'died' means mean |λ_1| <= {config.death_ratio:g}·mean |λ_2|. Numbers also in "
        "`study.csv`."
    )
    rep.paragraph(
        "'collapsed' names the hidden layer whose mean |λ| fell below that ratio times the "
        "other's ('both': both below 1e-3). Only a collapsed layer 1 removes a layer: with "
        "λ_2 = 0, layer 2 still receives φ_1 Λ_1 x_1, so the student keeps both hidden layers."
    )
    rep.table(rows, ["hidden", "penalty", "epochs", "steps", "mean_abs_lambda1",
                     "mean_abs_lambda2", "ratio", "collapsed", "layer1_died", "r2"], digits=3)
    last = max(r["epochs"] for r in rows)
    final = [r for r in rows if r["epochs"] == last]

    def tally(group: list[dict[str, Any]]) -> str:
        counts: dict[str, int] = {}
        for r in group:
            counts[r["collapsed"]] = counts.get(r["collapsed"], 0) + 1
        best = max(r["r2"] for r in group)
        return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f" (best R² {best:.3f})"

    lines = [f"At epoch {last}, layer 1 died in {sum(r['layer1_died'] for r in final)} of "
             f"{len(final)} configurations; collapsed: {tally(final)}."]
    for key, name in (("penalty", "penalty c"), ("hidden", "width H")):
        groups: dict[Any, list[dict[str, Any]]] = {}
        for r in final:
            groups.setdefault(r[key], []).append(r)
        lines.append(f"By {name} at epoch {last}: "
                     + "; ".join(f"{v:g} → {tally(groups[v])}" for v in sorted(groups)) + ".")
    by_config: dict[tuple[int, float], list[dict[str, Any]]] = {}
    for r in rows:
        by_config.setdefault((r["hidden"], r["penalty"]), []).append(r)
    shrinking = sum(
        g[-1]["ratio"] < g[0]["ratio"] for g in by_config.values() if len(g) > 1)
    multi = sum(len(g) > 1 for g in by_config.values())
    if multi:
        lines.append(f"With more epochs the ratio |λ_1|/|λ_2| fell in {shrinking} of {multi} "
                     "configurations.")
    rep.bullets(lines)
