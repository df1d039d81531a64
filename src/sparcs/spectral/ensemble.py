"""Many independent spectral networks of the same sizes, stored as one batched module.

Every tensor carries a leading model dimension M: eigenvectors ``(M, n_{k+1}, n_k)``, eigenvalues
``(M, n_k)``, inputs ``(M, batch, n_0)``. The forward pass is the same
:func:`sparcs.spectral.functional.layerwise_forward` as a single :class:`SpectralNetwork`, now on
batched matrix products. :func:`sparcs.training.ensemble.fit_ensemble` trains them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import Tensor

from ..errors import ConfigError
from . import functional as SF
from .activations import Activation
from .base import (
    Init,
    SpectralBase,
)
from .network import SpectralNetwork

__all__ = ["SpectralEnsemble"]


class SpectralEnsemble(SpectralBase):
    """M independent spectral networks of the same sizes, stored as stacked tensors.

    Args:
        num_models: M, the number of members.
        sizes, activation, bias, eigenvector_init, freeze_eigenvalues, freeze_eigenvectors,
            dtype, device: as for :class:`SpectralNetwork` (layerwise rule only).
        eigenvalue_init: start values of λ overriding the perceptron start, as a sequence of L
            entries or a mapping ``{layer: value}``; a value is a scalar, a ``(n_k,)`` tensor
            shared by all members, or an ``(M, n_k)`` tensor.

    Members are initialized one after another from the global RNG, so after
    ``torch.manual_seed(s)`` the ensemble equals ``[SpectralNetwork(sizes) for _ in range(M)]``
    built after the same seed.

    Example:
        >>> import torch
        >>> ens = SpectralEnsemble(3, [3, 16, 1])
        >>> ens(torch.randn(3, 5, 3)).shape
        torch.Size([3, 5, 1])
        >>> ens.member(0)(torch.randn(5, 3)).shape
        torch.Size([5, 1])
    """

    def __init__(
        self,
        num_models: int,
        sizes: Sequence[int],
        *,
        activation: str | Activation = "relu",
        bias: bool = False,
        eigenvalue_init: Init = None,
        eigenvector_init: str | Callable[[Tensor], object] = "xavier_uniform",
        freeze_eigenvalues: Iterable[int] = (),
        freeze_eigenvectors: Iterable[int] = (),
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        if not isinstance(num_models, int) or isinstance(num_models, bool) or num_models < 1:
            raise ConfigError(f"num_models must be a positive integer, got {num_models!r}")
        super().__init__(
            sizes, batch_shape=(num_models,), activation=activation, bias=bias,
            eigenvalue_init=eigenvalue_init, eigenvector_init=eigenvector_init,
            freeze_eigenvalues=freeze_eigenvalues, freeze_eigenvectors=freeze_eigenvectors,
            dtype=dtype, device=device,
        )
        self.num_models = num_models
        self.rule = "layerwise"

    def __len__(self) -> int:
        return self.num_models

    # ------------------------------------------------------------------ conversion
    def member(self, m: int) -> SpectralNetwork:
        """An independent :class:`SpectralNetwork` copy of member ``m``."""
        if not -self.num_models <= m < self.num_models:
            raise ConfigError(f"member {m} is out of range: the ensemble has {self.num_models}")
        ref = self.eigenvalues[0]
        net = SpectralNetwork(
            self.sizes, activation=self._activation_arg, bias=self.has_bias_node,
            dtype=ref.dtype, device=ref.device,
        )
        with torch.no_grad():
            for dst, src in zip(net.eigenvectors, self.eigenvectors, strict=True):
                dst.copy_(src[m])
            for dst, src in zip(net.eigenvalues, self.eigenvalues, strict=True):
                dst.copy_(src[m])
        net.freeze(eigenvalues=self.frozen_eigenvalues, eigenvectors=self.frozen_eigenvectors)
        return net

    @classmethod
    def from_networks(cls, nets: Sequence[SpectralNetwork]) -> SpectralEnsemble:
        """Stack networks of equal sizes, bias, activation and frozen layers into an ensemble."""
        nets = list(nets)
        if not nets:
            raise ConfigError("from_networks needs at least one network")
        first = nets[0]
        for i, net in enumerate(nets):
            if net.rule != "layerwise":
                raise ConfigError(f"network {i} uses rule {net.rule!r}; ensembles are layerwise")
            same = (
                net.sizes == first.sizes
                and net.has_bias_node == first.has_bias_node
                and net.activation == first.activation
                and net.frozen_eigenvalues == first.frozen_eigenvalues
                and net.frozen_eigenvectors == first.frozen_eigenvectors
                and net.eigenvalues[0].dtype == first.eigenvalues[0].dtype
            )
            if not same:
                raise ConfigError(
                    f"network {i} differs from network 0 in sizes, bias, activation, dtype or "
                    "frozen layers; an ensemble needs identical architectures"
                )
        ref = first.eigenvalues[0]
        ens = cls(
            len(nets), first.sizes, activation=first.activation_fn(), bias=first.has_bias_node,
            eigenvector_init=torch.nn.init.zeros_, dtype=ref.dtype, device=ref.device,
        )
        with torch.no_grad():
            for k, phi in enumerate(ens.eigenvectors):
                phi.copy_(torch.stack([net.eigenvectors[k].detach() for net in nets]))
            for k, lam in enumerate(ens.eigenvalues):
                lam.copy_(torch.stack([net.eigenvalues[k].detach() for net in nets]))
        ens.freeze(eigenvalues=first.frozen_eigenvalues, eigenvectors=first.frozen_eigenvectors)
        return ens

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor) -> Tensor:
        """Map ``(M, batch, sizes[0])`` (or a shared ``(batch, sizes[0])``) to
        ``(M, batch, sizes[-1])``."""
        x = self.with_bias_node(self.check_input(x))
        out = SF.layerwise_forward(
            x, list(self.eigenvectors), list(self.eigenvalues), self._activation
        )
        return out.expand(self.num_models, *out.shape[-2:])

    # ------------------------------------------------------------------ inspection
    def mean_abs_eigenvalues(self) -> Tensor:
        """Mean |λ_k| per layer and member: shape ``(L, M)``."""
        return torch.stack([lam.detach().abs().mean(-1) for lam in self.eigenvalues])

    def extra_repr(self) -> str:
        return (f"num_models={self.num_models}, sizes={self.sizes}, "
                f"activation={self.activation!r}, bias={self.has_bias_node}")
