"""A spectral architecture search on numpy arrays: standardize, train, prune, compact.

This is the engine behind :class:`sparcs.SparcsRegressor`, :class:`sparcs.SparcsClassifier`
and ``sparcs search``. It needs torch and numpy only (no scikit-learn).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 3)); y = X @ [1.0, -2.0, 0.5]
>>> fitted = fit_search(X, y, task="regression",
...                     settings=SearchSettings(max_hidden=(8,), epochs=5, device="cpu"))
>>> fitted.predict(X[:2]).shape
(2, 1)
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..devices import resolve_device
from ..errors import ConfigError, DataError
from ..estimators.metrics import softmax
from ..losses import mean_loss, resolve_loss
from ..pruning.architecture import architecture_of
from ..pruning.compact import to_compact
from ..spectral.network import SpectralNetwork
from ..training.finetune import finetune
from ..training.trainer import History, fit
from ._data import Scaler, split_indices
from .settings import SearchSettings

__all__ = ["TASKS", "SearchResult", "fit_search", "run_model"]

TASKS = ("regression", "classification")
_PREDICT_CHUNK = 65536
# Below this many multiply-adds per layer and step (batch × width²), extra CPU threads cost more
# in synchronization than they save; on a busy machine several times more.
_SINGLE_THREAD_WORK = 2**24


@dataclass
class SearchResult:
    """A finished search: the trained network, its pruned compact form and how it was found.

    ``network`` is the trained, unpruned network; ``compact`` the pruned (and, with
    ``finetune_epochs``, fine-tuned) model; ``finetune_history`` the fine-tuning's records.
    """

    task: str
    network: SpectralNetwork
    compact: nn.Module
    architecture: Any
    pruning_curve: list[dict]
    threshold: float
    history: History
    x_scaler: Scaler
    y_scaler: Scaler | None
    n_outputs: int
    n_validation: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    finetune_history: History | None = None

    def outputs(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Targets (regression, original units) or logits (classification) for ``X``.

        ``model="full"`` uses the unpruned spectral network instead of the compact one.
        """
        net = self.compact if model == "compact" else self.network
        Z = run_model(net, self.x_scaler.transform(np.asarray(X, dtype=np.float64)))
        if self.task == "regression" and self.y_scaler is not None:
            Z = self.y_scaler.inverse(Z)
        return Z

    def predict(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Regression: ``(n, outputs)`` values. Classification: class codes ``(n,)``."""
        Z = self.outputs(X, model=model)
        return Z if self.task == "regression" else Z.argmax(axis=1)

    def predict_proba(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Class probabilities (softmax of the logits), rows summing to 1."""
        return softmax(self.outputs(X, model=model))


def _param_of(net: nn.Module) -> Tensor | None:
    for tensor in (*net.parameters(), *net.buffers()):
        if tensor.is_floating_point():
            return tensor
    return None


@torch.no_grad()
def run_model(net: nn.Module, X: np.ndarray) -> np.ndarray:
    """Outputs of ``net`` on the rows of ``X`` (float64 numpy), in chunks, without gradients."""
    ref = _param_of(net)
    dtype = ref.dtype if ref is not None else torch.float32
    device = ref.device if ref is not None else torch.device("cpu")
    net.eval()
    outs = []
    for i in range(0, max(len(X), 1), _PREDICT_CHUNK):
        chunk = torch.as_tensor(X[i : i + _PREDICT_CHUNK], dtype=dtype, device=device)
        outs.append(net(chunk).detach().to("cpu", torch.float64).numpy())
    return np.concatenate(outs, axis=0)


def fit_search(
    X: np.ndarray,
    y: np.ndarray,
    *,
    task: str,
    n_classes: int | None = None,
    settings: SearchSettings | None = None,
    progress: bool = False,
) -> SearchResult:
    """Train ``SpectralNetwork([d, *max_hidden, out], bias=True)`` from the perceptron start,
    prune it on a held-out validation part and build the compact model.

    ``X`` is a finite float array ``(n, d)``. For regression ``y`` is ``(n,)`` or ``(n, k)``;
    for classification it holds class codes ``0 … n_classes−1`` and the network outputs logits.
    ``progress`` shows a progress bar while training.
    """
    settings = settings or SearchSettings()
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise DataError(f"X holds {int((~np.isfinite(X)).sum())} NaN or infinite values")
    if y.shape[0] != X.shape[0]:
        raise DataError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    device = resolve_device(settings.device)

    if task == "classification":
        codes = y.astype(np.int64).reshape(-1)
        n_out = int(n_classes if n_classes is not None else codes.max() + 1)
        if n_out < 2:
            raise DataError("classification needs at least 2 classes; y holds only one class")
        train_idx, val_idx = split_indices(
            len(X), settings.validation_fraction, settings.seed, stratify=codes
        )
        targets = codes
        y_scaler = None
    else:
        Y = y.astype(np.float64).reshape(len(y), -1)
        if not np.isfinite(Y).all():
            raise DataError(f"y holds {int((~np.isfinite(Y)).sum())} NaN or infinite values")
        n_out = Y.shape[1]
        train_idx, val_idx = split_indices(len(X), settings.validation_fraction, settings.seed)
        y_scaler = Scaler.fit(Y[train_idx], enabled=settings.standardize)
        targets = y_scaler.transform(Y)

    x_scaler = Scaler.fit(X[train_idx], enabled=settings.standardize)
    Xs = x_scaler.transform(X)
    dtype = torch.float32  # float64 would halve the speed for no visible gain in the metrics

    def tensors(rows: np.ndarray) -> tuple[Tensor, Tensor]:
        xt = torch.as_tensor(Xs[rows], dtype=dtype, device=device)
        if task == "classification":
            return xt, torch.as_tensor(targets[rows], dtype=torch.long, device=device)
        return xt, torch.as_tensor(targets[rows], dtype=dtype, device=device)

    widest = max([X.shape[1] + 1, *settings.max_hidden, n_out])
    single = device.type == "cpu" and settings.batch_size * widest**2 <= _SINGLE_THREAD_WORK
    threads = torch.get_num_threads()
    if single:
        torch.set_num_threads(1)
    try:
        return _fit_and_prune(
            task, tensors(train_idx), tensors(val_idx) if len(val_idx) else None,
            [X.shape[1], *settings.max_hidden, n_out], settings, device,
            x_scaler=x_scaler, y_scaler=y_scaler, progress=progress,
        )
    finally:
        torch.set_num_threads(threads)


def _fit_and_prune(
    task: str,
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor] | None,
    sizes: list[int],
    settings: SearchSettings,
    device: torch.device,
    *,
    x_scaler: Scaler,
    y_scaler: Scaler | None,
    progress: bool,
) -> SearchResult:
    loss = "cross_entropy" if task == "classification" else "mse"
    X_train, y_train = train
    # Without a validation part, pruning is judged on the training rows.
    X_val, y_val = val if val is not None else train
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        net = SpectralNetwork(sizes, bias=True, activation="relu")
    net = net.to(device)
    history = fit(
        net,
        X_train,
        y_train,
        config=settings.train_config(validation=val is not None),
        loss=loss,
        validation=val,
        progress=progress,
    )
    if not all(math.isfinite(v) for v in history.loss[-1:]):
        raise DataError(
            "training diverged (the loss became NaN or infinite); lower lr or standardize the data"
        )
    say = _say if progress else (lambda text: None)
    say(f"training: {history.describe(int(settings.epochs))}")

    from ..pruning.spectral_prune import prune  # the pruning stage operates on the trained model

    finetune_history: History | None = None
    if settings.prune_tolerance is None:
        compact = to_compact(net, 0.0)
        architecture = architecture_of(net, 0.0)
        curve: list[dict] = []
        threshold = 0.0
        losses: dict[str, float] = {}
    else:
        judged = f"{len(X_val)} validation rows" if val is not None else "the training rows"
        say(f"pruning: choosing the eigenvalue threshold on {judged} ...")
        result = prune(net, X_val, y_val, tolerance=settings.prune_tolerance, loss=loss)
        say(f"pruning: threshold {float(result.threshold):.3g} keeps hidden widths "
            f"{list(result.architecture.hidden_widths)} of {list(sizes[1:-1])}")
        compact, architecture = result.compact, result.architecture
        curve, threshold = list(result.curve), float(result.threshold)
        losses = {"base": float(result.base_loss), "pruned": float(result.loss)}
        if settings.finetune_epochs:
            # Every fine-tuning epoch runs: the validation part already chose the pruning, and
            # choosing the fine-tuning's epoch on it as well overfit it (benchmarks/
            # bench_quality.py: lower test scores on small data than a fixed count).
            say(f"fine-tuning the pruned network: {int(settings.finetune_epochs)} epochs")
            tuned, finetune_history = finetune(
                result.network, X_train, y_train, validation=val, loss=loss,
                progress=progress,
                config=replace(settings.train_config(), epochs=int(settings.finetune_epochs),
                               restore_best=False, n_iter_no_change=None),
            )
            tuned.eval()
            losses["finetuned"] = mean_loss(tuned, X_val, y_val, resolve_loss(loss))
            if not math.isfinite(losses["finetuned"]):
                raise DataError("fine-tuning diverged (the loss became NaN or infinite); lower lr")
            compact = to_compact(tuned, 0.0)
            # The same live layers as at the pruning threshold (the pruned λ are exactly 0);
            # report that threshold, not the 0 of the read-out.
            architecture = replace(compact.architecture, threshold=threshold)
            compact.architecture = architecture
    # Results live on the CPU so that fitted models pickle and load anywhere.
    net = net.to("cpu")
    compact = compact.to("cpu")
    return SearchResult(
        task=task,
        network=net,
        compact=compact,
        architecture=architecture,
        pruning_curve=curve,
        threshold=threshold,
        history=history,
        x_scaler=x_scaler,
        y_scaler=y_scaler,
        n_outputs=sizes[-1],
        n_validation=0 if val is None else len(val[0]),
        losses=losses,
        finetune_history=finetune_history,
    )


def _say(text: str) -> None:
    """A line on stderr between the progress bars, so that no phase runs silently."""
    print(text, file=sys.stderr, flush=True)
