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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..devices import resolve_device
from ..errors import ConfigError, DataError
from ..losses import mean_loss, resolve_loss
from ..preprocessing import Scaler, split_indices
from ..pruning.compact import to_compact
from ..pruning.liveness import thresholded_eigenvalues
from ..pruning.rule import PruningRule
from ..pruning.size import mlp_parameters
from ..pruning.spectral_prune import prune
from ..pruning.structured import prune_in_rounds
from ..spectral.network import SpectralNetwork
from ..training.finetune import finetune_compact
from ..training.trainer import History
from .linear_floor import linear_floor
from .path import Member, train_members
from .predictor import CHUNK_ROWS, Predictor
from .settings import SearchSettings

__all__ = ["TASKS", "SearchResult", "fit_search"]

TASKS = ("regression", "classification")
# Structured pruning's fine-tune-and-prune-again rounds (the defaults).
_PRUNING = PruningRule()
# Below this many multiply-adds per layer and step (batch × width²), extra CPU threads cost more
# in synchronization than they save; on a busy machine several times more.
_SINGLE_THREAD_WORK = 2**24


@dataclass
class SearchResult:
    """A finished search: the trained network, its pruned compact form and how it was found.

    ``network`` is the trained, unpruned network; ``compact`` the pruned (and, with
    ``finetune_epochs``, fine-tuned) model; ``finetune_history`` the fine-tuning's records;
    ``path`` one record per member of a regularization path (penalty, seed, validation values
    trained and pruned, parameters, hidden widths, which one was kept); empty without a path;
    ``pruning_epochs`` the fine-tuning epochs run between structured-pruning rounds (all members);
    ``linear_floor`` whether the regularized linear model replaced the pruned one.
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
    path: list[dict] = field(default_factory=list)
    pruning_epochs: int = 0
    linear_floor: bool = False

    def predictor(self, model: str = "compact") -> Predictor:
        """The compact model (``model="full"``: the unpruned spectral network) behind this
        search's scalers: raw features in, targets or logits out."""
        net = self.compact if model == "compact" else self.network
        return Predictor(net, self.x_scaler, self.y_scaler, self.task)

    def outputs(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Targets (regression, original units) or logits (classification) for ``X``.

        ``model="full"`` uses the unpruned spectral network instead of the compact one.
        """
        return self.predictor(model).outputs(X)

    def predict(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Regression: ``(n, outputs)`` values. Classification: class codes ``(n,)``."""
        return self.predictor(model).predict(X)

    def predict_proba(self, X: np.ndarray, *, model: str = "compact") -> np.ndarray:
        """Class probabilities, rows summing to 1 (two columns for a one-logit binary model)."""
        return self.predictor(model).predict_proba(X)


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

    # Two classes need one logit (binary cross-entropy), not two.
    n_logits = 1 if task == "classification" and n_out == 2 else n_out
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
            [X.shape[1], *settings.max_hidden, n_logits], settings, device,
            x_scaler=x_scaler, y_scaler=y_scaler, progress=progress,
        )
    finally:
        torch.set_num_threads(threads)


def _loss_name(task: str, n_out: int) -> str:
    if task == "regression":
        return "mse"
    return "binary_cross_entropy" if n_out == 1 else "cross_entropy"


def _error_rate(pred: Tensor, target: Tensor) -> Tensor:
    """1 − accuracy for logits against one-hot (or, with one logit, 0/1) float targets."""
    if pred.shape[1] == 1:
        return ((pred > 0) != (target > 0.5)).to(pred.dtype).mean()
    return (pred.argmax(1) != target.argmax(1)).to(pred.dtype).mean()


def _criterion(
    task: str, n_out: int, val: tuple[Tensor, Tensor], settings: SearchSettings
) -> tuple[Any, Tensor, Callable[[float], float]]:
    """What pruning must keep: (loss, validation targets, the limit for a best value).

    ``tolerance_kind="loss"`` allows a relative increase of the task loss; ``"metric"`` an
    absolute drop of the validation R² (an MSE increase of tol · Var(y) on the standardized
    targets) or of the accuracy (an error-rate increase of tol).
    """
    X_val, y_val = val
    tol = float(settings.prune_tolerance)
    if settings.tolerance_kind == "metric" and task == "classification":
        codes = y_val.reshape(-1).long()
        target = (codes.reshape(-1, 1).to(X_val.dtype) if n_out == 1
                  else torch.nn.functional.one_hot(codes, n_out).to(X_val.dtype))
        return _error_rate, target, lambda base: base + tol
    loss = _loss_name(task, n_out)
    target = y_val.reshape(-1, 1).to(X_val.dtype) if loss == "binary_cross_entropy" else y_val
    if settings.tolerance_kind == "metric":
        variance = float(y_val.reshape(len(y_val), -1).var(0, unbiased=False).mean())
        return loss, target, lambda base: base + tol * variance
    return loss, target, lambda base: base + tol * abs(base)


def _value(net: nn.Module, X: Tensor, target: Tensor, criterion: Any) -> float:
    """The pruning criterion of ``net`` on the validation rows (lower is better)."""
    if isinstance(criterion, str):
        return _val_loss(net, X, target, criterion)
    return float(criterion(_outputs(net, X), target))


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
    loss = _loss_name(task, sizes[-1])
    X_train, y_train = train
    if loss == "binary_cross_entropy":
        y_train = y_train.reshape(-1, 1).to(X_train.dtype)
        if val is not None:
            val = (val[0], val[1].reshape(-1, 1).to(X_train.dtype))
    # Without a validation part, pruning is judged on the training rows.
    X_val, y_val = val if val is not None else (X_train, y_train)
    config = settings.train_config(validation=val is not None)
    steps_per_epoch = max(1, math.ceil(len(X_train) / config.batch_size))
    config = replace(config, min_epochs=min(
        config.epochs, math.ceil(int(settings.recruit_steps) / steps_per_epoch)))
    members = train_members(sizes, (X_train, y_train), val, settings, config, loss=loss,
                            device=device, progress=progress)
    if not all(math.isfinite(v) for m in members for v in m.history.loss[-1:]):
        raise DataError(
            "training diverged (the loss became NaN or infinite); lower lr or standardize the data"
        )
    say = _say if progress else (lambda text: None)
    if len(members) == 1:
        say(f"training: {members[0].history.describe(int(settings.epochs))}")
    else:
        say(f"training: a path of {len(members)} networks (penalties × seeds), each stopped "
            f"on its own validation loss")

    chosen, path = members[0], []
    floor_kept = False
    finetune_history: History | None = None
    curve: list[dict] = []
    threshold = 0.0
    losses: dict[str, float] = {}
    if settings.prune_tolerance is None:
        compact = to_compact(chosen.network, 0.0)
    else:
        judged = f"{len(X_val)} validation rows" if val is not None else "the training rows"
        criterion, target, limit_of = _criterion(task, sizes[-1], (X_val, y_val), settings)
        bases = [_value(m.network, X_val, target, criterion) for m in members]
        limit = limit_of(min(bases))
        tune = partial(
            finetune_compact, X=X_train, y=y_train, validation=(X_val, y_val), loss=loss,
            batch_size=int(settings.batch_size), lr=float(settings.lr), seed=int(settings.seed),
            n_iter_no_change=settings.n_iter_no_change,
        )
        pruning_epochs: list[int] = []
        candidates: list[tuple[nn.Module, float]] = []
        outcomes: list[tuple[Member, tuple]] = []
        for member, base in zip(members, bases, strict=True):
            record = {"penalty": member.penalty, "seed": member.seed,
                      "epochs": len(member.history.loss), "trained": base, "pruned": None,
                      "parameters": None, "hidden_widths": [], "selected": False}
            path.append(record)
            if base > limit:  # worse than the best member by more than the tolerance
                continue
            say(f"pruning{_which(member, members)}: choosing the eigenvalue threshold on "
                f"{judged} ...")
            pruned = _prune_member(member.network, X_val, target, criterion, base, limit,
                                   sizes, tune, settings, say, pruning_epochs)
            size = pruned[0].num_parameters()
            value = _value(pruned[0], X_val, target, criterion)
            widths = pruned[0].architecture.hidden_widths if pruned[0].architecture else ()
            record.update(pruned=value, parameters=size, hidden_widths=list(widths))
            candidates.append((pruned[0], value))
            outcomes.append((member, pruned))
        chosen, (compact, curve, threshold, losses) = outcomes[_smallest_within(candidates, limit)]
        path[members.index(chosen)]["selected"] = True
        losses["limit"] = float(limit)
        if settings.prune_structure:
            losses["structured"] = _val_loss(compact, X_val, y_val, loss)
        if len(members) > 1:
            say(f"path: kept penalty {chosen.penalty:g}, seed {chosen.seed} — the smallest "
                f"model within the tolerance ({compact.num_parameters()} parameters)")
        if settings.finetune_epochs:
            say(f"fine-tuning the pruned network: up to {int(settings.finetune_epochs)} epochs")
            finetune_history = tune(compact, epochs=int(settings.finetune_epochs))
            losses["finetuned"] = _val_loss(compact, X_val, y_val, loss)
        floor = linear_floor(chosen.network, X_train, y_train, loss=loss) if (
            settings.linear_floor) else None
        if floor is not None:
            floor_value = _value(floor, X_val, target, criterion)
            losses["linear_floor"] = floor_value
            # Listed first, the regularized floor wins a full tie.
            pair = [(floor, floor_value), (compact, _value(compact, X_val, target, criterion))]
            if _smallest_within(pair, limit) == 0:
                say("kept the regularized linear model (ridge or L2 logistic regression): "
                    "within the tolerance and no larger than the pruned network")
                compact, floor_kept = floor, True
    # Name the eigenvalue threshold the search chose, also where structured pruning started from
    # the unthresholded export (whose read-out says 0).
    architecture = compact.architecture
    if architecture is not None and not floor_kept:
        # The active eigenvalues at that threshold too, not those of the export pruning began
        # from (which may be the unthresholded one).
        active = [int((lam != 0).sum())
                  for lam in thresholded_eigenvalues(chosen.network, threshold)]
        architecture = replace(architecture, threshold=threshold, active_eigenvalues=active)
        compact.architecture = architecture
    # Results live on the CPU so that fitted models pickle and load anywhere.
    net = chosen.network.to("cpu")
    compact = compact.to("cpu")
    return SearchResult(
        task=task,
        network=net,
        compact=compact,
        architecture=architecture,
        pruning_curve=curve,
        threshold=threshold,
        history=chosen.history,
        x_scaler=x_scaler,
        y_scaler=y_scaler,
        n_outputs=sizes[-1],
        n_validation=0 if val is None else len(val[0]),
        losses=losses,
        finetune_history=finetune_history,
        path=path if len(members) > 1 else [],
        pruning_epochs=sum(pruning_epochs) if settings.prune_tolerance is not None else 0,
        linear_floor=floor_kept,
    )


def _smallest_within(candidates: list[tuple[nn.Module, float]], limit: float) -> int:
    """The search's one selection rule: the index of the candidate (model, validation value)
    with the fewest parameters among those within ``limit`` (ties: the lower value, then the
    first listed); the lowest value when none is within it."""
    order = range(len(candidates))
    within = [i for i in order if candidates[i][1] <= limit]
    if not within:
        return min(order, key=lambda i: candidates[i][1])
    return min(within, key=lambda i: (candidates[i][0].num_parameters(), candidates[i][1]))


def _which(member: Member, members: list[Member]) -> str:
    return "" if len(members) == 1 else f" (penalty {member.penalty:g}, seed {member.seed})"


def _prune_member(
    net: SpectralNetwork, X_val: Tensor, target: Tensor, criterion: Any, base: float,
    limit: float, sizes: list[int], tune: Callable[..., History], settings: SearchSettings,
    say: Callable[[str], None], epochs_run: list[int],
) -> tuple[nn.Module, list[dict], float, dict[str, float]]:
    """Eigenvalue pruning and (with ``prune_structure``) structured pruning of one trained
    network within ``limit``: (compact model, pruning curve, threshold, validation losses).
    The epochs of each fine-tuning between pruning rounds are appended to ``epochs_run``."""
    # prune() takes a tolerance relative to the network's own value; a zero base (no validation
    # errors) gets a huge one, and its rule still keeps only thresholds within the limit.
    relative = min((limit - base) / abs(base), 1e12) if base else 1e12
    result = prune(net, X_val, target, tolerance=max(relative, 1e-12), loss=criterion,
                   sweep_top_k=False)
    say(f"pruning: threshold {float(result.threshold):.3g} keeps hidden widths "
        f"{list(result.architecture.hidden_widths)} of {list(sizes[1:-1])}")
    compact = result.compact
    losses = {"base": float(result.base_loss), "pruned": float(result.loss)}
    if settings.prune_structure:
        say("pruning: removing the nodes, skip blocks and layers that carry little ...")
        round_epochs = _PRUNING.round_epochs(settings.finetune_epochs)
        compact = prune_in_rounds(
            [compact, to_compact(net, 0.0)], X_val, target, loss=criterion, limit=limit,
            tune=lambda model: epochs_run.append(len(tune(model, epochs=round_epochs).loss)),
            rule=_PRUNING, max_parameters=mlp_parameters(sizes),
        )
    return compact, list(result.curve), float(result.threshold), losses


def _say(text: str) -> None:
    """A line on stderr between the progress bars, so that no phase runs silently."""
    print(text, file=sys.stderr, flush=True)


@torch.no_grad()
def _outputs(net: nn.Module, X: Tensor) -> Tensor:
    net.eval()
    return torch.cat([net(X[i : i + CHUNK_ROWS]) for i in range(0, X.shape[0], CHUNK_ROWS)])


def _val_loss(net: nn.Module, X: Tensor, y: Tensor, loss: str) -> float:
    net.eval()
    return mean_loss(net, X, y, resolve_loss(loss))
