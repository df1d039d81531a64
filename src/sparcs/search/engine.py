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

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from ..devices import resolve_device
from ..preprocessing import Scaler
from ..pruning.compact import to_compact
from ..pruning.liveness import thresholded_eigenvalues
from ..spectral.network import SpectralNetwork
from ..training.trainer import History
from .candidates import Candidate, prune_member
from .criterion import Criterion
from .finetune import Tuner
from .linear_floor import linear_floor
from .path import Member, Trained, train
from .predictor import Predictor
from .prepare import TASKS, Prepared, prepare
from .select import smallest_within
from .settings import SearchSettings

__all__ = ["TASKS", "SearchResult", "fit_search"]
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

    The stages: :func:`~.prepare.prepare` (split, scalers), :func:`~.path.train` (the members),
    :func:`~.candidates.prune_member` (each member pruned within the limit of the
    :class:`~.criterion.Criterion`), :func:`~.select.smallest_within` (the choice), and the
    fine-tuning with the linear floor (:class:`~.finetune.Tuner`).
    """
    settings = settings or SearchSettings()
    data = prepare(X, y, task=task, n_classes=n_classes,
                   validation_fraction=settings.validation_fraction, seed=settings.seed,
                   standardize=settings.standardize)
    device = resolve_device(settings.device)
    widest = max([data.X.shape[1] + 1, *settings.max_hidden, data.n_outputs])
    single = device.type == "cpu" and settings.batch_size * widest**2 <= _SINGLE_THREAD_WORK
    threads = torch.get_num_threads()
    if single:
        torch.set_num_threads(1)
    try:
        return _search(data, settings, device, _say if progress else _quiet, progress)
    finally:
        torch.set_num_threads(threads)


@dataclass
class _Outcome:
    """What the pruning, selection and fine-tuning stages give the result."""

    member: Member
    compact: nn.Module
    curve: list[dict] = field(default_factory=list)
    threshold: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)
    finetune_history: History | None = None
    path: list[dict] = field(default_factory=list)
    pruning_epochs: int = 0
    floor_kept: bool = False


def _search(data: Prepared, settings: SearchSettings, device: torch.device,
            say: Callable[[str], None], progress: bool) -> SearchResult:
    trained = train(data, settings, device, progress=progress)
    members = trained.members
    if len(members) == 1:
        say(f"training: {members[0].history.describe(int(settings.epochs))}")
    else:
        say(f"training: a path of {len(members)} networks (penalties × seeds), each stopped "
            f"on its own validation loss")
    if settings.prune_tolerance is None:
        outcome = _Outcome(members[0], to_compact(members[0].network, 0.0))
    else:
        outcome = _prune_select_finetune(data, trained, settings, say)
    return _result(data, trained, outcome)


def _prune_select_finetune(data: Prepared, trained: Trained, settings: SearchSettings,
                           say: Callable[[str], None]) -> _Outcome:
    members = trained.members
    judged = (f"{len(trained.val[0])} validation rows" if trained.val is not None
              else "the training rows")
    criterion = Criterion.build(data.task, data.n_logits, trained.judged,
                                tolerance=float(settings.prune_tolerance),
                                kind=settings.tolerance_kind)
    bases = [criterion.value(m.network) for m in members]
    limit = criterion.limit(min(bases))
    tune = Tuner(trained.train, trained.judged, loss=trained.loss,
                 batch_size=int(settings.batch_size), lr=float(settings.lr),
                 seed=int(settings.seed), n_iter_no_change=settings.n_iter_no_change)
    records, candidates = _candidates(members, bases, criterion, limit, tune, settings, judged,
                                      say)
    chosen = candidates[smallest_within([(c.model, c.value) for c in candidates], limit)]
    records[members.index(chosen.member)]["selected"] = True
    compact, losses = chosen.model, {**chosen.losses, "limit": float(limit)}
    if settings.prune_structure:
        losses["structured"] = tune.value(compact)
    if len(members) > 1:
        say(f"path: kept penalty {chosen.member.penalty:g}, seed {chosen.member.seed} — the "
            f"smallest model within the tolerance ({compact.num_parameters()} parameters)")
    history = None
    if settings.finetune_epochs:
        say(f"fine-tuning the pruned network: up to {int(settings.finetune_epochs)} epochs")
        history = tune(compact, int(settings.finetune_epochs))
        losses["finetuned"] = tune.value(compact)
    floor_kept = False
    floor = linear_floor(chosen.member.network, *trained.train, loss=trained.loss) if (
        settings.linear_floor) else None
    if floor is not None:
        floor_value = criterion.value(floor)
        losses["linear_floor"] = floor_value
        # Listed first, the regularized floor wins a full tie.
        if smallest_within([(floor, floor_value), (compact, criterion.value(compact))],
                           limit) == 0:
            say("kept the regularized linear model (ridge or L2 logistic regression): "
                "within the tolerance and no larger than the pruned network")
            compact, floor_kept = floor, True
    return _Outcome(chosen.member, compact, chosen.curve, chosen.threshold, losses, history,
                    records if len(members) > 1 else [],
                    sum(c.pruning_epochs for c in candidates), floor_kept)


def _candidates(
    members: list[Member], bases: list[float], criterion: Criterion, limit: float, tune: Tuner,
    settings: SearchSettings, judged: str, say: Callable[[str], None],
) -> tuple[list[dict], list[Candidate]]:
    """Every member within the limit, pruned; one path record per member."""
    records, candidates = [], []
    for member, base in zip(members, bases, strict=True):
        record = {"penalty": member.penalty, "seed": member.seed,
                  "epochs": len(member.history.loss), "trained": base, "pruned": None,
                  "parameters": None, "hidden_widths": [], "selected": False}
        records.append(record)
        if base > limit:  # worse than the best member by more than the tolerance
            continue
        which = "" if len(members) == 1 else (
            f" (penalty {member.penalty:g}, seed {member.seed})")
        say(f"pruning{which}: choosing the eigenvalue threshold on {judged} ...")
        candidate = prune_member(member, criterion, limit, tune=tune,
                                 structure=settings.prune_structure,
                                 finetune_epochs=int(settings.finetune_epochs), say=say)
        arch = candidate.model.architecture
        record.update(pruned=candidate.value, parameters=candidate.model.num_parameters(),
                      hidden_widths=list(arch.hidden_widths if arch else ()))
        candidates.append(candidate)
    return records, candidates


def _result(data: Prepared, trained: Trained, outcome: _Outcome) -> SearchResult:
    compact = outcome.compact
    architecture = compact.architecture
    if architecture is not None and not outcome.floor_kept:
        # Name the eigenvalue threshold the search chose, and the active eigenvalues at it, also
        # where structured pruning started from the unthresholded export (whose read-out says 0).
        active = [int((lam != 0).sum())
                  for lam in thresholded_eigenvalues(outcome.member.network, outcome.threshold)]
        architecture = replace(architecture, threshold=outcome.threshold,
                               active_eigenvalues=active)
        compact.architecture = architecture
    # Results live on the CPU so that fitted models pickle and load anywhere.
    return SearchResult(
        task=data.task,
        network=outcome.member.network.to("cpu"),
        compact=compact.to("cpu"),
        architecture=architecture,
        pruning_curve=outcome.curve,
        threshold=outcome.threshold,
        history=outcome.member.history,
        x_scaler=data.x_scaler,
        y_scaler=data.y_scaler,
        n_outputs=data.n_logits,
        n_validation=0 if trained.val is None else len(trained.val[0]),
        losses=outcome.losses,
        finetune_history=outcome.finetune_history,
        path=outcome.path,
        pruning_epochs=outcome.pruning_epochs,
        linear_floor=outcome.floor_kept,
    )


def _say(text: str) -> None:
    """A line on stderr between the progress bars, so that no phase runs silently."""
    print(text, file=sys.stderr, flush=True)


def _quiet(text: str) -> None:
    pass
