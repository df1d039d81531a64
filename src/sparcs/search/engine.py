"""A spectral architecture search on numpy arrays, with the architecture chosen by
cross-validation.

This is the engine behind :class:`sparcs.SparcsRegressor`, :class:`sparcs.SparcsClassifier`
and ``sparcs search``. It needs torch and numpy only (no scikit-learn). The stages:

1. :func:`~.prepare.prepare`: check the data, hold out the validation part, standardize;
   :func:`~.folds.make_folds` cuts the training rows into folds.
2. :func:`~.cv.train_members`: every (penalty, seed) on every fold, and the final member on all
   training rows, trained from the perceptron start as one batched ensemble, each early-stopping
   on its own validation rows.
3. :func:`~.cv.score_paths`: each fold member pruned to a shared grid of parameter budgets, the
   pruned models scored on the member's held-out fold; the linear floor and the constant are
   cross-validated on the same folds (:func:`~.floor.linear_cv`).
4. :func:`~.select.choose`: the smallest candidate within ``one_se`` standard errors of the best
   mean held-out loss; the floor is a hard bound.
5. The final member, with the chosen penalty, is pruned to the chosen budget and fine-tuned.

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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..devices import resolve_device
from ..losses import mean_loss, resolve_loss
from ..preprocessing import Scaler
from ..pruning.compact import CompactNetwork, to_compact
from ..pruning.rule import PruningRule
from ..spectral.network import SpectralNetwork
from ..training.finetune import finetune_compact
from ..training.trainer import History
from .cv import Member, Rows, Scores, batch_size, budget_grid, pruning_path, score_paths
from .cv import train_members as train_all
from .floor import LinearCV, constant_model, linear_cv, linear_model
from .folds import make_folds
from .predictor import Predictor
from .prepare import TASKS, Prepared, prepare
from .select import Candidate, Choice, choose
from .settings import SearchSettings

__all__ = ["TASKS", "SearchResult", "fit_search"]

# Below this many multiply-adds per layer and step (batch × width²), extra CPU threads cost more
# in synchronization than they save; on a busy machine several times more.
_SINGLE_THREAD_WORK = 2**24
# Fine-tuning epochs at every budget of a pruning path, from the final fine-tuning's.
_ROUNDS = PruningRule()


@dataclass
class SearchResult:
    """A finished search: the final network, its chosen compact form, and what the choice was
    made on.

    ``network`` is the final member's trained, unpruned network; ``compact`` the chosen model
    (a pruned network, or the linear floor or the constant, as compact models) after
    fine-tuning; ``kind`` says which. ``cv`` is the cross-validation table (one record per
    candidate: kind, penalty, budget, parameters, mean and standard error of the held-out loss,
    the loss per fold), ``choice`` the rule's outcome, ``members`` one record per trained
    network (penalty, seed, fold, epochs, held-out loss of the unpruned network), ``folds`` the
    number of folds (1: one validation split), ``losses`` the chosen model's validation values.
    """

    task: str
    network: SpectralNetwork
    compact: nn.Module
    architecture: Any
    history: History
    x_scaler: Scaler
    y_scaler: Scaler | None
    n_outputs: int
    kind: str = "network"
    n_validation: int = 0
    folds: int = 1
    losses: dict[str, float] = field(default_factory=dict)
    finetune_history: History | None = None
    cv: list[dict] = field(default_factory=list)
    choice: dict = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)
    epochs: int = 0  # every epoch trained: the ensemble's, and all fine-tuning

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
    """Search the architecture of ``SpectralNetwork([d, *max_hidden, out], bias=True)`` for
    ``(X, y)`` and return the chosen compact model (see the module docstring for the stages).

    ``X`` is a finite float array ``(n, d)``. For regression ``y`` is ``(n,)`` or ``(n, k)``;
    for classification it holds class codes ``0 … n_classes−1`` and the network outputs logits.
    ``progress`` shows progress bars and a line per stage on stderr.
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


def fold_count(settings: SearchSettings, n: int, n_val: int) -> int:
    """The folds of a search on ``n`` training rows, ``n_val`` of them validation rows:
    ``cv_folds``, or one validation split above ``cv_max_rows`` rows (or where the rows are too
    few to cut, or a single validation row could not serve every fold)."""
    if n > int(settings.cv_max_rows) or n_val == 1:
        return 1
    k = min(int(settings.cv_folds), n // 4)
    return k if k >= 2 else 1


def _search(data: Prepared, settings: SearchSettings, device: torch.device,
            say: Callable[[str], None], progress: bool) -> SearchResult:
    n = len(data.X)
    k = fold_count(settings, n, len(data.val_rows))
    codes = data.targets if data.task == "classification" else None
    folds = make_folds(n, k, val_rows=data.val_rows, seed=int(settings.seed), codes=codes)
    rows = Rows.of(data, folds, device)
    say(f"training {len(settings.path()) * len(folds.members)} networks as one ensemble: "
        + (f"{k} folds and the final network" if k > 1 else "one validation split")
        + (f" for {len(settings.path())} (penalty, seed) pairs" if len(settings.path()) > 1
           else ""))
    members = train_all(data, rows, settings, device, progress=progress)
    finals = [m for m in members if m.fold is None]
    say(f"training: {finals[0].history.describe(int(settings.epochs))}")
    records = [_member_record(m) for m in members]
    epochs = max(len(m.history.loss) for m in members)
    if not settings.prune:
        final = finals[0]
        compact = to_compact(final.network, 0.0)
        return _result(data, rows, final, compact, "network", records=records, epochs=epochs)

    sizes = [data.X.shape[1], *settings.max_hidden, data.n_logits]
    budgets = budget_grid(sizes, int(settings.budgets))
    # Every budget's model is fine-tuned a little before it is scored where folds make the
    # scores (small data); on one split (large data) only the chosen model is, which keeps
    # the search's cost near its training's.
    tune_epochs = _ROUNDS.round_epochs(int(settings.finetune_epochs)) if k > 1 else 0
    scores = score_paths(members, rows, budgets, settings, tune_epochs, say, progress=progress)
    for record, member in zip(records, members, strict=True):
        record["held_out_loss"] = next(
            (s.full for s in scores if s.member is member), None)
    linear = linear_cv(data, folds) if settings.linear_floor else None
    table = _table(scores, budgets, linear, data)
    choice = choose(table, float(settings.one_se))
    say(_describe(choice, k))
    epochs += tune_epochs * len(budgets) * len(scores)
    final = next(m for m in finals if choice.chosen.kind != "network"
                 or (m.penalty, m.seed) == (choice.chosen.penalty, choice.chosen.seed))
    model = _final_model(choice, table, final, data, rows, scores, linear, budgets, settings,
                         tune_epochs, say, progress)
    result = _result(data, rows, final, model.compact, choice.chosen.kind, records=records,
                     epochs=epochs + model.epochs, history=model.history, table=table,
                     choice=choice, folds=k)
    result.losses |= model.losses
    return result


@dataclass
class _Final:
    """The last stage's record: the returned model, its fine-tuning and what it cost."""

    compact: nn.Module
    history: History | None = None
    epochs: int = 0
    losses: dict[str, float] = field(default_factory=dict)


def _final_model(
    choice: Choice, table: list[Candidate], final: Member, data: Prepared, rows: Rows,
    scores: list[Scores], linear: LinearCV | None, budgets: list[int],
    settings: SearchSettings, tune_epochs: int, say: Callable[[str], None], progress: bool,
) -> _Final:
    """The chosen candidate as a model of the final member: the floor, the constant, or its
    network pruned to the chosen budget and fine-tuned. A network worse than the floor on the
    validation rows gives way to the floor (``choice`` then says so)."""
    chosen = choice.chosen
    if chosen.kind == "constant":
        return _Final(constant_model(final.network, data))
    if chosen.kind == "floor":
        assert linear is not None
        return _Final(linear_model(final.network, linear.coef[linear.best],
                                   linear.intercept[linear.best]))
    out = _Final(_final_network(final, rows, scores, budgets, chosen.budget, settings,
                                tune_epochs))
    if settings.finetune_epochs:
        say(f"fine-tuning the chosen network: up to {int(settings.finetune_epochs)} epochs")
        out.losses["before_finetune"] = _validation_loss(out.compact, rows)
        out.history = _finetune(out.compact, final, rows, settings,
                                int(settings.finetune_epochs), progress=progress)
        out.epochs = len(out.history.loss)
    if linear is not None and _validation_loss(out.compact, rows) > linear.val_loss[linear.best]:
        # The floor holds for the final network too: on the validation rows it is worse than
        # the floor fitted without them, so that is what the search returns.
        say("the final network is worse than the linear floor on the validation rows: "
            "keeping the floor")
        choice.chosen = next(c for c in table if c.kind == "floor")
        choice.floor_bound = True
        return _Final(linear_model(final.network, linear.coef[linear.best],
                                   linear.intercept[linear.best]), epochs=out.epochs)
    return out


def _member_record(member: Member) -> dict:
    return {"penalty": member.penalty, "seed": member.seed, "fold": member.fold,
            "epochs": len(member.history.loss), "best_epoch": member.history.best_epoch}


def _table(scores: list[Scores], budgets: list[int], linear: LinearCV | None,
           data: Prepared) -> list[Candidate]:
    """The cross-validation table: every penalty at every budget, the floor, the constant."""
    table = []
    for penalty, seed in dict.fromkeys((s.member.penalty, s.member.seed) for s in scores):
        mine = [s for s in scores if (s.member.penalty, s.member.seed) == (penalty, seed)]
        for j, budget in enumerate(budgets):
            table.append(Candidate(
                "network", penalty, budget, float(np.mean([s.parameters[j] for s in mine])),
                [s.losses[j] for s in mine], seed))
    if linear is not None:
        size = (data.X.shape[1] + 1) * data.n_logits
        table.append(Candidate("floor", None, size, size, linear.losses[linear.best].tolist()))
        table.append(Candidate("constant", None, data.n_logits, data.n_logits,
                               linear.constant.tolist()))
    return table


def _describe(choice: Choice, k: int) -> str:
    c, b = choice.chosen, choice.best
    where = f"{k}-fold cross-validation" if k > 1 else "the validation split"
    if c.kind == "network":
        what = f"the network of at most {c.budget} parameters (penalty {c.penalty:g}, seed " \
               f"{c.seed})"
    else:
        what = {"floor": "the regularized linear model", "constant": "the constant"}[c.kind]
    bound = "; the floor bounds the networks" if choice.floor_bound else ""
    return (f"chose {what} by {where}: held-out loss {c.mean:.4g} ± {c.se:.2g}, the best "
            f"{b.mean:.4g}{bound}")


def _final_network(final: Member, rows: Rows, scores: list[Scores], budgets: list[int],
                   budget: int, settings: SearchSettings, tune_epochs: int) -> CompactNetwork:
    """The final member pruned to ``budget``: from its scored path with one split, otherwise
    along its own path (structures chosen on its validation rows)."""
    j = budgets.index(budget)
    scored = next((s for s in scores if s.member is final), None)
    if scored is not None:
        return scored.models[j]
    return pruning_path(final, rows, budgets[: j + 1], settings, tune_epochs)[-1]


def _finetune(model: CompactNetwork, final: Member, rows: Rows, settings: SearchSettings,
              epochs: int, *, progress: bool = False) -> History:
    train, _ = rows.weights(None)
    return finetune_compact(
        model, rows.X, rows.y, validation=rows.validation(None), loss=rows.loss, epochs=epochs,
        batch_size=batch_size(settings, len(rows.X)), lr=float(settings.lr),
        seed=int(settings.seed), n_iter_no_change=settings.n_iter_no_change,
        sample_weight=train, progress=progress,
    )


def _validation_loss(model: nn.Module, rows: Rows) -> float:
    model.eval()
    return mean_loss(model, *rows.validation(None), resolve_loss(rows.loss))


def _result(data: Prepared, rows: Rows, final: Member, compact: nn.Module, kind: str, *,
            records: list[dict], epochs: int, history: History | None = None,
            table: list[Candidate] | None = None, choice: Choice | None = None,
            folds: int = 1) -> SearchResult:
    X_val, y_val = rows.validation(None)
    losses = {}
    if len(X_val):
        compact.eval()
        final.network.eval()
        fn = resolve_loss(rows.loss)
        losses = {"validation": mean_loss(compact, X_val, y_val, fn),
                  "validation_full": mean_loss(final.network, X_val, y_val, fn)}
    if choice is not None:
        losses |= {"cv": choice.chosen.mean, "cv_se": choice.chosen.se,
                   "cv_best": choice.best.mean}
    # Results live on the CPU so that fitted models pickle and load anywhere.
    return SearchResult(
        task=data.task,
        network=final.network.to("cpu"),
        compact=compact.to("cpu"),
        architecture=getattr(compact, "architecture", None),
        history=final.history,
        x_scaler=data.x_scaler,
        y_scaler=data.y_scaler,
        n_outputs=data.n_logits,
        kind=kind,
        n_validation=len(X_val),
        folds=folds,
        losses=losses,
        finetune_history=history,
        cv=[c.to_dict() for c in table or []],
        choice=choice.to_dict() if choice is not None else {},
        members=records,
        epochs=epochs,
    )


def _say(text: str) -> None:
    """A line on stderr between the progress bars, so that no phase runs silently."""
    print(text, file=sys.stderr, flush=True)


def _quiet(text: str) -> None:
    pass
