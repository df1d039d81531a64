"""The two-layer spectral layer of Giambagli et al. (2021), a drop-in for ``nn.Linear``."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..errors import ConfigError, ShapeError

__all__ = ["SpectralLinear"]


class SpectralLinear(nn.Module):
    """y = W x + b with W = φ diag(λ_in) − diag(λ_out) φ: W[i, j] = φ[i, j] (λ_in[j] − λ_out[i]).

    This is the block W_{1←0} of a two-layer :class:`SpectralNetwork`. It trains
    ``in_features · out_features + in_features + out_features`` spectral parameters (plus the
    bias) and plugs into ``nn.Sequential`` wherever ``nn.Linear`` does.

    The default start (λ_in = 0, λ_out = −1) makes W = φ, with φ initialized like ``nn.Linear``'s
    weight, so swapping the layer in leaves a model's starting behaviour unchanged in law.

    Example:
        >>> import torch
        >>> layer = SpectralLinear(4, 3)
        >>> layer(torch.randn(2, 4)).shape
        torch.Size([2, 3])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        in_eigenvalue_init: float = 0.0,
        out_eigenvalue_init: float = -1.0,
        train_in_eigenvalues: bool = True,
        train_out_eigenvalues: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if int(in_features) <= 0 or int(out_features) <= 0:
            raise ConfigError(
                f"in_features and out_features must be positive, got {in_features}, {out_features}"
            )
        factory = {"device": device, "dtype": dtype}
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.eigenvectors = nn.Parameter(torch.empty(out_features, in_features, **factory))
        self.in_eigenvalues = nn.Parameter(
            torch.full((in_features,), float(in_eigenvalue_init), **factory),
            requires_grad=train_in_eigenvalues,
        )
        self.out_eigenvalues = nn.Parameter(
            torch.full((out_features,), float(out_eigenvalue_init), **factory),
            requires_grad=train_out_eigenvalues,
        )
        self.bias = nn.Parameter(torch.empty(out_features, **factory)) if bias else None
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Initialize φ and the bias as ``nn.Linear`` initializes its weight and bias."""
        nn.init.kaiming_uniform_(self.eigenvectors, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    @property
    def weight(self) -> Tensor:
        """The direct-space weight matrix, shape ``(out_features, in_features)``."""
        return self.eigenvectors * (
            self.in_eigenvalues.unsqueeze(0) - self.out_eigenvalues.unsqueeze(1)
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ShapeError(
                f"SpectralLinear expects inputs with last dimension {self.in_features}, "
                f"got shape {tuple(x.shape)}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
