"""Spectral pruning (docs/math.md §8): zero small eigenvalues, watch the validation loss, keep the
smallest network within a validation-loss limit (or a relative tolerance).

>>> import torch, sparcs
>>> net = sparcs.SpectralNetwork([2, 16, 1], bias=True, dtype=torch.float64)
>>> X = torch.rand(64, 2, dtype=torch.float64); y = X.sum(1, keepdim=True)
>>> result = sparcs.prune(net, X, y, tolerance=0.05)
>>> result.architecture.hidden_widths  # the untrained net is a perceptron
[0]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..data import check_xy
from ..errors import ConfigError
from ..losses import LossFn, mean_loss, resolve_loss
from ..progress import progress as progress_bar
from ..spectral.activations import ACTIVATIONS
from ..spectral.network import SpectralNetwork
from .architecture import Architecture, architecture_of, from_liveness
from .compact import CompactNetwork, to_compact
from .liveness import analyse, check_threshold, compact_plan, require_zero_preserving

__all__ = ["PruneResult", "default_thresholds", "prune", "pruning_curve"]



@dataclass
class PruneResult:
    """The outcome of :func:`prune`.

    ``network`` is a pruned deep copy (small λ set to exactly 0); ``compact`` is its compact model,
    or None for the global rule, which has no compact form. ``limit`` is the validation-loss
    limit and ``tolerance`` the same as a relative increase over ``base_loss`` (one of them was
    given, the other is derived).
    """

    network: SpectralNetwork
    threshold: float
    curve: list[dict[str, Any]]
    architecture: Architecture
    compact: CompactNetwork | None
    base_loss: float
    loss: float
    tolerance: float = 0.05
    limit: float = math.inf

    @property
    def relative_increase(self) -> float:
        return _relative(self.loss, self.base_loss)

    def to_dict(self) -> dict[str, Any]:
        """Numbers only (the models are saved separately)."""
        return {
            "threshold": self.threshold,
            "tolerance": self.tolerance,
            "base_loss": self.base_loss,
            "loss": self.loss,
            "relative_increase": self.relative_increase,
            "architecture": self.architecture.to_dict(),
            "curve": self.curve,
        }


def _relative(loss: float, base: float) -> float:
    if base == 0:
        return 0.0 if loss == 0 else math.inf
    return (loss - base) / abs(base)


def _searched_magnitudes(net: SpectralNetwork) -> Tensor:
    """|λ| of every non-output layer, concatenated (frozen layers included)."""
    return torch.cat([lam.detach().abs().flatten() for lam in net.eigenvalues[:-1]])


def default_thresholds(net: SpectralNetwork, num_thresholds: int = 50) -> list[float]:
    """0 plus the distinct non-zero |λ| of the non-output layers, evenly subsampled (the largest,
    which zeros them all, is always kept)."""
    values = torch.unique(_searched_magnitudes(net))
    values = values[values > 0]
    if values.numel() > num_thresholds:
        idx = torch.linspace(0, values.numel() - 1, num_thresholds).round().long()
        values = values[torch.unique(idx)]
    return [0.0, *values.tolist()]


def _top_k_masks(net: SpectralNetwork, k: int) -> list[Tensor]:
    """Masks keeping the k largest |λ| over all non-output layers (ties: lower index first)."""
    mags = _searched_magnitudes(net)
    keep = torch.zeros_like(mags, dtype=torch.bool)
    if k > 0:
        order = torch.sort(mags, descending=True, stable=True).indices
        keep[order[:k]] = True
    return list(keep.split([lam.numel() for lam in net.eigenvalues[:-1]]))


def _loss(net: SpectralNetwork, lams: list[Tensor], X: Tensor, y: Tensor, loss_fn: LossFn) -> float:
    return mean_loss(lambda xb: net(xb, eigenvalues=lams), X, y, loss_fn)


def _row(
    net: SpectralNetwork, mode: str, threshold: float, k: int | None, keep: list[Tensor] | None,
    X: Tensor, y: Tensor, loss_fn: LossFn, base: float | None,
) -> dict[str, Any]:
    lv = analyse(net, threshold, keep)
    _, plan = compact_plan(lv, net.has_bias_node)
    arch = from_liveness(net, lv, plan, threshold)
    loss = _loss(net, lv.eigenvalues, X, y, loss_fn)
    active = arch.active_eigenvalues
    return {
        "mode": mode,
        "threshold": threshold,
        "k": int(sum(active[:-1])) if k is None else k,
        "num_active": int(sum(active[:-1])),
        "active_eigenvalues": active,
        "widths": arch.widths,
        "parameters": arch.compact_parameters,
        "val_loss": loss,
        "relative_increase": _relative(loss, loss if base is None else base),
    }


def _validate(
    net: SpectralNetwork, X_val: object, y_val: object, loss: str | LossFn
) -> tuple[Tensor, Tensor, LossFn]:
    if not isinstance(net, SpectralNetwork):
        raise ConfigError(f"expected a SpectralNetwork, got {type(net).__name__}")
    require_zero_preserving(net)
    loss_fn = resolve_loss(loss)
    ref = net.eigenvalues[0]
    classify = loss == "cross_entropy"
    X, y = check_xy(
        X_val, y_val, in_features=net.in_features,
        out_features=None if classify else net.out_features,
        dtype=ref.dtype, device=ref.device, y_dtype=torch.long if classify else None,
    )
    return X, y, loss_fn


def _int_list(values: Iterable[int], total: int) -> list[int]:
    out = []
    for k in values:
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ConfigError(f"top_k values must be integers >= 0, got {k!r}")
        out.append(min(k, total))
    return sorted(set(out), reverse=True)


def pruning_curve(
    net: SpectralNetwork,
    X_val: object,
    y_val: object,
    *,
    loss: str | LossFn = "mse",
    thresholds: Sequence[float] | None = None,
    top_k: Sequence[int] | None = None,
    num_thresholds: int = 50,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Validation loss of ``net`` as eigenvalues are zeroed (the paper's Fig. 10).

    Two sweeps, over the non-output layers' eigenvalues (the output λ are never zeroed):
    ``mode="threshold"`` zeros |λ| <= threshold (default: 0 and the distinct |λ|, subsampled to
    ``num_thresholds``); ``mode="top_k"`` keeps the k largest |λ| (default: ``num_thresholds``
    values of k from all to none). Pass an empty list to skip a sweep. Each row holds ``mode``,
    ``threshold``, ``k``, ``num_active``, ``active_eigenvalues`` (per layer), ``widths`` (live),
    ``parameters`` (compact), ``val_loss`` and ``relative_increase`` against the unpruned net.
    """
    X, y, loss_fn = _validate(net, X_val, y_val, loss)
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
        num_thresholds < 1
    ):
        raise ConfigError(f"num_thresholds must be a positive integer, got {num_thresholds!r}")
    if thresholds is None:
        thresholds = default_thresholds(net, num_thresholds)
    thresholds = sorted({check_threshold(t) for t in thresholds})
    total = int(_searched_magnitudes(net).numel())
    if top_k is None:
        top_k = torch.linspace(0, total, min(num_thresholds, total + 1)).round().long().tolist()
    ks = _int_list(top_k, total)
    base = _loss(net, [lam.detach() for lam in net.eigenvalues], X, y, loss_fn)
    jobs = [("threshold", t, None) for t in thresholds] + [("top_k", None, k) for k in ks]
    rows = []
    for mode, t, k in progress_bar(jobs, enable=progress, desc="pruning curve", leave=False):
        if mode == "threshold":
            rows.append(_row(net, mode, t, None, None, X, y, loss_fn, base))
        else:
            keep = _top_k_masks(net, k)
            dropped = _searched_magnitudes(net)[~torch.cat(keep)]
            equiv = float(dropped.max()) if dropped.numel() else 0.0
            rows.append(_row(net, mode, equiv, k, keep, X, y, loss_fn, base))
    return rows


def _pruned_copy(net: SpectralNetwork, threshold: float) -> SpectralNetwork:
    pruned = copy.deepcopy(net)
    with torch.no_grad():
        lams = analyse(net, threshold).eigenvalues
        for lam, new in zip(pruned.eigenvalues, lams, strict=True):
            lam.copy_(new)
    return pruned


def prune(
    net: SpectralNetwork,
    X_val: object,
    y_val: object,
    *,
    limit: float | None = None,
    tolerance: float | None = None,
    loss: str | LossFn = "mse",
    num_thresholds: int = 50,
    sweep_top_k: bool = True,
    progress: bool = False,
) -> PruneResult:
    """The smallest network (fewest compact parameters; ties → larger threshold) whose
    validation loss is at most ``limit`` (lower is better); the unpruned network (threshold 0)
    where none is. ``net`` itself is left untouched.

    Instead of a limit, a relative ``tolerance`` (the default, 0.05) allows the limit
    ``base + tolerance·|base|``, ``base`` being the unpruned network's loss. It is compared as it
    always was, ``(loss − base)/|base| <= tolerance``, which on a threshold at the border can
    differ in the last bit from ``loss <= limit``.

    After the coarse threshold sweep of :func:`pruning_curve`, the thresholds between the chosen
    one and the next grid value are searched by bisection, so the choice is not limited by the
    grid's resolution. ``sweep_top_k=False`` leaves the top-k sweep (which only the curve
    shows) out of the curve, halving the work.

    >>> import torch, sparcs
    >>> net = sparcs.SpectralNetwork([2, 16, 1], bias=True, dtype=torch.float64)
    >>> X = torch.rand(64, 2, dtype=torch.float64); y = X.sum(1, keepdim=True)
    >>> prune(net, X, y, limit=-1.0).threshold  # no loss is below -1: nothing pruned
    0.0
    """
    if limit is not None:
        if tolerance is not None:
            raise ConfigError("prune takes a limit or a tolerance, not both")
        number = isinstance(limit, int | float) and not isinstance(limit, bool)
        if not number or not math.isfinite(limit):
            raise ConfigError(f"limit must be a finite loss value, got {limit!r}")
        # A threshold is within when row[key] <= bound.
        key, bound = "val_loss", float(limit)
    else:
        tolerance = 0.05 if tolerance is None else tolerance
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or tolerance <= 0
        ):
            raise ConfigError(f"tolerance must be a number > 0 (0.05 = 5 %), got {tolerance!r}")
        key, bound = "relative_increase", float(tolerance)
    X, y, loss_fn = _validate(net, X_val, y_val, loss)
    base = _loss(net, [lam.detach() for lam in net.eigenvalues], X, y, loss_fn)
    if not math.isfinite(base):
        # Relative increases against a NaN/inf loss are NaN: no threshold could be chosen.
        raise ConfigError(
            f"the unpruned network's validation loss is {base}, so no pruning threshold can be "
            "chosen; check the network for diverged (NaN or infinite) parameters or outputs"
        )
    curve = pruning_curve(net, X, y, loss=loss, num_thresholds=num_thresholds,
                          top_k=None if sweep_top_k else [], progress=progress)
    rows = [r for r in curve if r["mode"] == "threshold"]
    best = _best(rows, key, bound)
    # Refine between the chosen threshold and the next grid threshold, assuming the loss grows
    # with the threshold there.
    mags = torch.unique(_searched_magnitudes(net))
    above = [r["threshold"] for r in rows if r["threshold"] > best["threshold"]]
    if above:
        inner = mags[(mags > best["threshold"]) & (mags < min(above))].tolist()
        lo, hi = 0, len(inner) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            row = _row(net, "threshold", inner[mid], None, None, X, y, loss_fn, base)
            curve.append(row)
            if row[key] <= bound:
                best = _best([best, row], key, bound)
                lo = mid + 1
            else:
                hi = mid - 1
    curve.sort(key=lambda r: (r["mode"], r["threshold"] if r["mode"] == "threshold" else -r["k"]))
    threshold = best["threshold"]
    pruned = _pruned_copy(net, threshold)
    compact = to_compact(net, threshold) if net.rule == "layerwise" and _exportable(net) else None
    arch = compact.architecture if compact is not None else architecture_of(net, threshold)
    relative = key == "relative_increase"
    return PruneResult(
        network=pruned,
        threshold=threshold,
        curve=curve,
        architecture=arch,
        compact=compact,
        base_loss=base,
        loss=best["val_loss"],
        tolerance=bound if relative else _relative(bound, base),
        limit=base + bound * abs(base) if relative else bound,
    )


def _exportable(net: SpectralNetwork) -> bool:
    return ACTIVATIONS.get(net.activation) is net.activation_fn()


def _best(rows: list[dict[str, Any]], key: str, bound: float) -> dict[str, Any]:
    ok = [r for r in rows if r[key] <= bound]
    # Threshold 0 zeros nothing (its relative increase is 0, so a tolerance always admits it):
    # where nothing is within a limit, the unpruned network stands.
    return min(ok or [r for r in rows if r["threshold"] == 0.0],
               key=lambda r: (r["parameters"], -r["threshold"]))
