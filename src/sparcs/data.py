"""Validation and conversion of user data into tensors, with clear errors."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .errors import DataError, ShapeError

__all__ = ["as_tensor", "check_weight", "check_xy"]


def as_tensor(
    data: object,
    *,
    name: str = "X",
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    ndim: tuple[int, ...] = (2,),
) -> Tensor:
    """Convert array-like data to a finite tensor of the given rank, or raise a clear error.

    >>> as_tensor([[1, 2], [3, 4]]).shape
    torch.Size([2, 2])
    """
    if isinstance(data, Tensor):
        tensor = data
    else:
        try:
            array = np.asarray(data)
        except (TypeError, ValueError) as err:
            raise DataError(f"{name} could not be read as a numeric array: {err}") from None
        if array.dtype != bool and not np.issubdtype(array.dtype, np.number):
            raise DataError(
                f"{name} must be numeric, got an array of {array.dtype}; encode text columns "
                "as numbers first"
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if tensor.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ShapeError(f"{name} must be {want}, got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise DataError(f"{name} is empty: it needs at least one row")
    if tensor.is_floating_point() or tensor.is_complex():
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise DataError(f"{name} holds {bad} NaN or infinite values; remove or impute them")
    return tensor.to(dtype=dtype or torch.get_default_dtype(), device=device)


def check_xy(
    X: object,
    y: object,
    *,
    in_features: int | None = None,
    out_features: int | None = None,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    y_dtype: torch.dtype | None = None,
) -> tuple[Tensor, Tensor]:
    """Validate a pair (X, y): 2-D X, 1-D or 2-D y, same number of rows, finite, non-empty.

    A 1-D ``y`` is returned as a column when ``out_features`` is 1 (regression); ``y_dtype``
    keeps class indices as integers for classification.
    """
    Xt = as_tensor(X, name="X", dtype=dtype, device=device)
    yt = as_tensor(y, name="y", dtype=y_dtype or dtype, device=device, ndim=(1, 2))
    if Xt.shape[0] != yt.shape[0]:
        raise ShapeError(
            f"X and y must have the same number of rows, got {Xt.shape[0]} and {yt.shape[0]}"
        )
    if in_features is not None and Xt.shape[1] != in_features:
        raise ShapeError(f"X must have {in_features} columns, got {Xt.shape[1]}")
    if out_features is not None and yt.is_floating_point():
        if yt.ndim == 1 and out_features == 1:
            yt = yt.unsqueeze(1)
        if yt.ndim != 2 or yt.shape[1] != out_features:
            raise ShapeError(
                f"y must have shape (n, {out_features}), got {tuple(yt.shape)}"
            )
    return Xt, yt


def check_weight(
    weight: object, n: int, device: torch.device | str, name: str = "sample_weight",
    *, members: int | None = None,
) -> Tensor | None:
    """Row weights as a float tensor on ``device``: ``(n,)``, or with ``members`` also
    ``(members, n)`` (one row of weights per member); finite, >= 0 and not all 0. None stays
    None.

    >>> check_weight([1, 0, 1], 3, "cpu").tolist()
    [1.0, 0.0, 1.0]
    """
    if weight is None:
        return None
    w = as_tensor(weight, name=name, dtype=torch.float32, device=device, ndim=(1, 2))
    shapes = [(n,)] + ([(members, n)] if members is not None else [])
    if tuple(w.shape) not in shapes:
        raise ShapeError(f"{name} must have shape {' or '.join(map(str, shapes))}, "
                         f"got {tuple(w.shape)}")
    if bool((w < 0).any()):
        raise DataError(f"{name} holds negative weights; row weights must be >= 0")
    if not bool((w.sum(-1) > 0).all()):
        raise DataError(f"{name} weighs every row 0; give at least one row a positive weight")
    return w
