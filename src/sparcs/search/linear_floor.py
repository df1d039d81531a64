"""The linear floor of a search: a regularized linear model, as a candidate of the same form.

The search's own linear model is the perceptron part of the trained network: fitted by Adam,
early-stopped and unregularized. On a small or linearly separable training set that overfits
where ridge or L2 logistic regression do not. :func:`linear_floor` fits ridge regression
(``alpha=1``) or L2 logistic regression (``C=1``) on the training rows and writes it into the
linear compact model of the trained network, so the search can keep it like any other candidate
(it wins when it is within the tolerance and no larger, or better).

>>> import torch, sparcs
>>> net = sparcs.SpectralNetwork([3, 8, 1], bias=True, dtype=torch.float64)
>>> X = torch.randn(500, 3, dtype=torch.float64)
>>> y = X @ torch.tensor([[1.0], [2.0], [0.0]], dtype=torch.float64)
>>> floor = linear_floor(net, X, y, loss="mse")
>>> floor.widths, bool(torch.allclose(floor(X), y, atol=0.1))
([3, 1], True)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..baselines import LogisticBaseline, RidgeBaseline
from ..pruning.compact import CompactNetwork, to_compact
from ..spectral.network import SpectralNetwork

__all__ = ["linear_floor"]


def linear_floor(net: SpectralNetwork, X: Tensor, y: Tensor, *, loss: str
                 ) -> CompactNetwork | None:
    """Ridge (``loss="mse"``) or L2 logistic regression (``"cross_entropy"``,
    ``"binary_cross_entropy"``) fitted on ``(X, y)``, as the linear compact model of ``net``
    (every non-output eigenvalue zeroed). None where that export is not a single linear layer."""
    hidden = [lam.detach().abs().max() for lam in net.eigenvalues[:-1] if lam.numel()]
    compact = to_compact(net, float(max(hidden)) if hidden else 0.0)
    layer = compact.layers[0]
    if len(compact.layers) != 1 or layer.bias is None:
        return None
    columns = compact.config["input_index"]
    Z = X[:, columns].detach().to("cpu", torch.float64).numpy()
    if loss == "mse":
        model = RidgeBaseline().fit(Z, y.detach().to("cpu", torch.float64).numpy())
        coef, intercept = model.coef_, model.intercept_
    else:
        codes = y.detach().reshape(-1).to("cpu").long().numpy()
        classes = 2 if loss == "binary_cross_entropy" else net.out_features
        model = LogisticBaseline().fit(Z, codes, classes)
        coef, intercept = model.coef_, model.intercept_
        if loss == "binary_cross_entropy":  # one logit: the difference of the two
            coef = coef[:, 1:] - coef[:, :1]
            intercept = intercept[1:] - intercept[:1]
    # The baselines standardize internally: fold their scaler into the weights.
    mean, scale = model.scaler_.mean, model.scaler_.scale
    weight = (coef / scale[:, None]).T
    bias = intercept - (mean / scale) @ coef
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.ascontiguousarray(weight), dtype=layer.weight.dtype))
        layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))
    return compact
