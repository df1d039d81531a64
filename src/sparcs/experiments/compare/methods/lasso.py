"""``lassonet``: LassoNet (Lemhadri, Ruan, Abraham and Tibshirani, JMLR 2021), the closest
published peer: a sparse network with a regularization path, cross-validated, with
scikit-learn's API (``lassonet`` package, :class:`LassoNetRegressorCV` /
:class:`LassoNetClassifierCV`).

Its network is an MLP of the maximal hidden widths plus a linear skip from the inputs to the
outputs; the path raises the penalty λ on the input features (a hierarchical group lasso: a
feature's first-layer weights are bounded by M times its skip weight) until no feature is left,
and cross-validation picks λ. It selects input features, not hidden nodes.

What it gets, and why:

- Rows: the split's fit rows (train and validation parts), standardized by the split's scalers
  (fit on the train part, as for every network method). LassoNetCV chooses λ by its own
  k-fold cross-validation and holds out its own early-stopping part (10 % of each fit), so a
  separate validation part would go unused; the ``sparcs`` method, which cross-validates too,
  gets the same rows.
- Budget: the dense start trains like every network method (compare's ``epochs``,
  ``batch_size``, ``lr`` for Adam, patience ``n_iter_no_change`` unless early stopping is off),
  with the maximal network's hidden widths. Each λ on the path warm-starts from the previous
  one: up to :data:`PATH_EPOCHS` epochs, patience :data:`PATH_PATIENCE` (LassoNet's path
  optimizer: SGD, learning rate 1e-3, momentum 0.9).
- The path's start: LassoNet estimates λ_start (``lambda_start="auto"``) on every fold's dense
  network, by repeated proximal steps: 8–22 s each here, for a value that hardly depends on the
  data (3.28 on all eight datasets tried with hidden widths [64, 64], from the teachers to
  digits). It is estimated once per trial instead, with LassoNet's own
  ``LassoNet.lambda_start`` on a dense network fitted to the fit rows with the same options
  (LassoNet's rule: that value / the path's learning rate / 10), and every fold starts there;
  ``lassonet_lambda_start`` sets it instead.
- Time: ``lassonet_seconds`` per trial. LassoNet's defaults (λ × 1.02 per step, 5 folds,
  1000 + 100 epochs, a λ_start estimate per fold) took 190 s on a 506-row dataset on 2 busy
  cores. :func:`plan` estimates the cost from the problem's shape (a calibrated cost per
  optimizer step and per λ_start estimate) and spends what is left after the dense start on
  path steps: 5 folds if that leaves at least :data:`FIVE_FOLD_STEPS` λ steps, else 3 folds,
  and the finest path multiplier that fits (never finer than LassoNet's 1.02). A problem where
  even 3 folds and :data:`MIN_STEPS` steps do not fit is refused before any training (the trial
  fails with the estimate). The plan depends on the problem's shape and the settings only,
  never on the machine's speed, so every backend fits the same model; the trial's details
  record the plan, the estimate and the wall time.
- Seeds: ``random_state`` (LassoNet's early-stopping split), ``torch_seed`` (initialization
  and batch order) and the folds' shuffling come from the trial seed; torch's global random
  state is restored afterwards.

The chosen model is exported as a :class:`~sparcs.pruning.compact.CompactNetwork` (selected
inputs, live hidden nodes, the skip as a block from the inputs to the outputs), which predicts;
its parameters are the non-zero weights and biases of that model (the zeros LassoNet leaves
inside kept blocks do not count), its FLOPs 2 per non-zero weight and 1 per non-zero bias.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np
import torch

from ....errors import ConfigError
from ....pruning.compact import CompactNetwork
from ..nets import Size, compact_size
from ..problems import Split
from ..settings import CompareSettings
from .base import Outcome

__all__ = [
    "FIVE_FOLD_STEPS", "MIN_STEPS", "PATH_EPOCHS", "PATH_PATIENCE", "LassoNetPlan",
    "lassonet_compact", "nonzero_size", "notes", "plan", "run_lassonet",
]

# The path, per λ step (warm-started): at most this many epochs, stopping after PATH_PATIENCE
# without a 1 % lower validation objective (LassoNet's tol 0.99). The budget buys more steps
# rather than more epochs per step.
PATH_EPOCHS = 30
PATH_PATIENCE = 5
# Folds: 5 if the budget leaves at least FIVE_FOLD_STEPS λ steps, else 3; below MIN_STEPS
# steps with 3 folds the problem does not fit.
FIVE_FOLD_STEPS = 20
MIN_STEPS = 8
# The cost model, calibrated on 2 busy CPU cores with one torch thread (LassoNet 0.0.21, MLPs of
# 12–200 wide, 160–8,000 rows, 10–61 features): one optimizer step (or one validation pass)
# costs STEP_SECONDS plus ROW_SECONDS per row and parameter; a λ step trains STEP_EPOCHS
# epochs on average (its early stopping); the path runs from λ_start to λ_start × PATH_SPAN,
# where the last feature leaves; LassoNet's λ_start estimate costs START_SECONDS plus
# START_WEIGHT_SECONDS per first-layer weight.
STEP_SECONDS = 3e-3
ROW_SECONDS = 1.7e-10
STEP_EPOCHS = 18
PATH_SPAN = 3000.0
START_SECONDS = 8.0
START_WEIGHT_SECONDS = 3e-3
FINEST_MULTIPLIER = 1.02  # LassoNet's default step: λ × 1.02
PATH_LR = 1e-3  # LassoNet's path optimizer: SGD, learning rate 1e-3, momentum 0.9
LASSONET_M = 10.0  # LassoNet's default hierarchy parameter
EARLY_STOPPING_SHARE = 0.1  # LassoNet's val_size: each fit's own early-stopping part


def lassonet_module() -> Any:
    try:
        import lassonet
    except ImportError:
        raise ConfigError("method lassonet needs the lassonet package: pip install "
                          "'sparcs-nas[lassonet]'") from None
    return lassonet


@dataclass(frozen=True)
class LassoNetPlan:
    """LassoNet's options for one trial, and the cost estimate they come from."""

    folds: int
    path_multiplier: float
    path_steps: int  # the estimated λ steps of one path (PATH_SPAN at path_multiplier)
    hidden_dims: tuple[int, ...]
    batch_size: int
    init_epochs: int
    init_patience: int | None  # None: no early stopping
    path_epochs: int
    path_patience: int
    lambda_start: float | None  # None: estimated once per trial (LassoNet's rule)
    estimated_seconds: float
    budget_seconds: float

    def options(self) -> dict[str, Any]:
        """The keyword arguments of LassoNetRegressorCV / LassoNetClassifierCV it sets."""
        return {"hidden_dims": self.hidden_dims, "path_multiplier": self.path_multiplier,
                "batch_size": self.batch_size, "M": LASSONET_M,
                "n_iters": (self.init_epochs, self.path_epochs),
                "patience": (self.init_patience, self.path_patience)}


def _epoch_seconds(rows: float, batch: int, parameters: int, val_rows: float) -> float:
    """One epoch: its full batches (LassoNet drops the last partial one), then one validation
    pass; each forward and backward pass costs about three forward passes."""
    batches = max(1, int(rows) // batch)
    return ((batches + 1) * STEP_SECONDS
            + ROW_SECONDS * parameters * (3 * batches * min(batch, rows) + val_rows))


def plan(n_rows: int, n_features: int, n_outputs: int, settings: CompareSettings) -> LassoNetPlan:
    """LassoNet's options for ``n_rows`` fit rows within ``settings.lassonet_seconds`` (see the
    module doc); a :class:`ConfigError` when even the smallest plan does not fit."""
    budget, seconds = settings.search, float(settings.lassonet_seconds)
    hidden = tuple(int(h) for h in budget.max_hidden)
    sizes = [n_features, *hidden, n_outputs]
    parameters = sum((a + 1) * b for a, b in itertools.pairwise(sizes)) + n_features * n_outputs
    start = settings.lassonet_lambda_start
    base = {"hidden_dims": hidden, "batch_size": int(budget.batch_size),
            "init_epochs": int(budget.epochs),
            "init_patience": int(budget.n_iter_no_change) if budget.early_stopping else None,
            "path_epochs": PATH_EPOCHS, "path_patience": PATH_PATIENCE, "lambda_start": start,
            "budget_seconds": seconds}

    def epochs_cost(rows: float) -> float:  # one epoch on ``rows`` fit rows
        train, val = rows * (1 - EARLY_STOPPING_SHARE), rows * EARLY_STOPPING_SHARE
        return _epoch_seconds(train, budget.batch_size, parameters, val)

    # the λ_start estimate: a dense fit on every fit row, then LassoNet's estimate
    before = 0.0 if start is not None else (
        budget.epochs * epochs_cost(n_rows) + START_SECONDS
        + START_WEIGHT_SECONDS * n_features * hidden[0])
    smallest = math.inf
    for folds, least in ((5, FIVE_FOLD_STEPS), (3, MIN_STEPS)):
        # every path: a dense start, then the λ steps (counted in full for the final path
        # too, which stops at the chosen λ)
        epoch = epochs_cost(n_rows * (1 - 1 / folds))
        paths = folds + 1
        dense = before + paths * budget.epochs * epoch
        per_step = paths * STEP_EPOCHS * epoch
        steps = min((seconds - dense) / per_step,
                    math.log(PATH_SPAN) / math.log(FINEST_MULTIPLIER))
        smallest = min(smallest, dense + least * per_step)
        if steps >= least:
            steps = math.floor(steps)
            multiplier = max(FINEST_MULTIPLIER, PATH_SPAN ** (1 / steps))
            return LassoNetPlan(folds=folds, path_multiplier=round(multiplier, 4),
                                path_steps=steps,
                                estimated_seconds=round(dense + steps * per_step, 1), **base)
    raise ConfigError(
        f"lassonet: {n_rows} rows do not fit lassonet_seconds={seconds:g}: even 3 folds and "
        f"{MIN_STEPS} path steps are estimated at {smallest:.0f} s; raise lassonet_seconds or "
        "leave lassonet out of the methods"
    )


@torch.no_grad()
def lassonet_compact(model: torch.nn.Module) -> CompactNetwork:
    """A fitted LassoNet network (``lassonet.model.LassoNet``: ``layers``, an MLP, plus
    ``skip``, a linear map from the inputs to the outputs) as a :class:`CompactNetwork` with the
    same function: the inputs it uses, the hidden nodes that can be non-zero and reach the
    output, and the skip as a second source block of the output layer.

    A hidden node can be non-zero if a non-zero weight feeds it from a node that can, or its
    bias is positive (ReLU); a layer whose source has no such node keeps only its biases."""
    skip = model.skip.weight.detach().cpu()
    Ws = [m.weight.detach().cpu() for m in model.layers]
    bs = [m.bias.detach().cpu() for m in model.layers]
    n_hidden = len(Ws) - 1
    able = [torch.ones(Ws[0].shape[1], dtype=torch.bool)]  # inputs: any value
    for i in range(n_hidden):
        able.append((Ws[i][:, able[i]] != 0).any(dim=1) | (bs[i] > 0))
    used = [torch.zeros_like(a) for a in able]
    reach = (Ws[-1] != 0).any(dim=0)  # nodes of the last hidden layer feeding the output
    for i in range(n_hidden, 0, -1):
        used[i] = able[i] & reach
        reach = (Ws[i - 1][used[i]] != 0).any(dim=0)
    used[0] = reach | (skip != 0).any(dim=0)
    idx = [torch.nonzero(u).flatten() for u in used]
    layers, weights, biases = [], [], []
    source: int | None = 0 if len(idx[0]) else None  # what feeds the next layer
    for i in range(1, n_hidden + 1):
        if not len(idx[i]):
            source = None
            continue
        rows = Ws[i - 1][idx[i]]
        weights.append(rows[:, idx[i - 1]] if source is not None else rows[:, :0])
        biases.append(bs[i - 1][idx[i]])
        layers.append({"layer": i, "width": len(idx[i]),
                       "sources": [] if source is None else [source], "bias": True})
        source = i
    sources, blocks = [], []
    if source:  # the last hidden layer has live nodes
        sources.append(source)
        blocks.append(Ws[-1][:, idx[source]])
    if len(idx[0]):
        sources.append(0)
        blocks.append(skip[:, idx[0]])
    out = Ws[-1].shape[0]
    weights.append(torch.cat(blocks, dim=1) if blocks else Ws[-1][:, :0])
    biases.append(bs[-1])
    layers.append({"layer": n_hidden + 1, "width": out, "sources": sources, "bias": True})
    compact = CompactNetwork({
        "in_features": int(Ws[0].shape[1]), "out_features": out, "activation": "relu",
        "input_index": idx[0].tolist(), "layers": layers,
        "dtype": str(Ws[0].dtype).removeprefix("torch."),
    })
    for module, w, b in zip(compact.layers, weights, biases, strict=True):
        module.weight.copy_(w)
        module.bias.copy_(b)
    return compact


def nonzero_size(compact: CompactNetwork, n_hidden: int) -> Size:
    """:func:`~..nets.compact_size` with only the non-zero weights and biases counted
    (FLOPs: 2 per non-zero weight, 1 per non-zero bias)."""
    size = compact_size(compact, n_hidden)
    weights = sum(int(torch.count_nonzero(m.weight)) for m in compact.layers)
    biases = sum(int(torch.count_nonzero(m.bias)) for m in compact.layers if m.bias is not None)
    return Size(parameters=weights + biases, flops=2 * weights + biases,
                hidden_widths=size.hidden_widths, skip_blocks=size.skip_blocks)


def notes(settings: CompareSettings) -> str:
    """lassonet's settings in words (the report's)."""
    return (
        f"lassonet: LassoNetRegressorCV / LassoNetClassifierCV on the fit rows (train and "
        f"validation parts, standardized), hidden widths {list(settings.search.max_hidden)} "
        "plus a linear skip; the dense start trains with the shared budget (epochs, batch, "
        f"learning rate, patience), each λ step up to {PATH_EPOCHS} epochs (patience "
        f"{PATH_PATIENCE}); within lassonet_seconds={settings.lassonet_seconds:g} per trial "
        f"(estimated) it takes 5 folds if at least {FIVE_FOLD_STEPS} λ steps fit, else 3, and "
        "the finest path multiplier that fits (the trial details give each trial's plan, "
        "estimate and wall time); M = 10 and no L2 penalty (LassoNet's defaults). It selects "
        "input features, not hidden nodes; parameters are the non-zero weights and biases."
    )


def run_lassonet(split: Split, settings: CompareSettings,
                 device: torch.device) -> list[Outcome]:
    lassonet = lassonet_module()
    from sklearn.model_selection import KFold, StratifiedKFold

    p, seed = split.problem, split.seed
    X = split.x_scaler.transform(split.X_fit)
    regression = p.task == "regression"
    y = (split.y_scaler.transform(split.Y(split.y_fit)) if regression
         else split.y_fit.astype(np.int64))
    n_outputs = y.shape[1] if regression else int(y.max()) + 1
    chosen = plan(len(X), X.shape[1], n_outputs, settings)
    common = {"random_state": seed, "torch_seed": seed, "device": device, "verbose": 0,
              "optim": (partial(torch.optim.Adam, lr=settings.search.lr),
                        partial(torch.optim.SGD, lr=PATH_LR, momentum=0.9)),
              **chosen.options()}
    single, cv = ((lassonet.LassoNetRegressor, lassonet.LassoNetRegressorCV) if regression
                  else (lassonet.LassoNetClassifier, lassonet.LassoNetClassifierCV))
    folds = (KFold if regression else StratifiedKFold)(chosen.folds, shuffle=True,
                                                        random_state=seed)
    start = time.perf_counter()
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lambda_start, dense = chosen.lambda_start, []
        if lambda_start is None:  # LassoNet's "auto" rule, once, on a dense fit of every row
            first = single(**common)
            dense = first.path(X, y, lambda_seq=[])
            lambda_start = first.model.lambda_start(M=LASSONET_M) / PATH_LR / 10
        estimator = cv(cv=folds, lambda_start=lambda_start, **common).fit(X, y)
    wall = time.perf_counter() - start
    compact = lassonet_compact(estimator.model).cpu()
    outputs = split.predictor(compact).outputs
    n_classes = p.n_classes or 0

    def predict(X_raw: np.ndarray) -> np.ndarray:
        Z = outputs(X_raw)
        if not regression and Z.shape[1] < n_classes:  # the last classes absent from fit rows
            Z = np.hstack([Z, np.full((len(Z), n_classes - Z.shape[1]), -1e300)])
        return Z

    paths = [*estimator.raw_paths_, estimator.path_]
    epochs = sum(item.n_iters for path in [dense, *paths] for item in path)
    details = {
        "plan": asdict(chosen), "lambda_start": float(lambda_start),
        "wall_seconds": round(wall, 1), "over_budget": wall > chosen.budget_seconds,
        "best_lambda": float(estimator.best_lambda_),
        "cv_score": float(estimator.best_cv_score_), "lambdas": len(estimator.lambdas_),
        "path_steps": [len(path) - 1 for path in paths],
        "selected_features": torch.nonzero(estimator.best_selected_).flatten().tolist(),
        "n_features": int(X.shape[1]), "compact_parameters": int(compact.num_parameters()),
        "left_out": "LassoNet's defaults for the path multiplier (1.02), the folds (5), the "
                    "epochs (1000 dense, 100 per step; patience 100 and 10), its hidden layer "
                    "(100) and a λ_start estimate per fold: see plan",
        "warnings": sorted({str(w.message).splitlines()[0] for w in caught}),
    }
    return [Outcome("lassonet", predict, nonzero_size(compact, len(settings.search.max_hidden)),
                    trainings=len(paths) + bool(dense), epochs=epochs, details=details)]
