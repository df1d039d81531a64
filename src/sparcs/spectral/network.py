"""The spectral network module: a feed-forward net with every skip connection, parametrized by
the eigenvalues and eigenvectors of its adjacency matrix."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import Tensor

from ..errors import ConfigError, ShapeError
from . import functional as SF
from .activations import Activation
from .base import (
    EIGENVECTOR_INITS,
    Init,
    SpectralBase,
)

__all__ = ["EIGENVECTOR_INITS", "RULES", "SpectralNetwork"]

RULES = ("layerwise", "global")


class SpectralNetwork(SpectralBase):
    """A feed-forward network with all skip connections, parametrized spectrally.

    The adjacency matrix is A = Φ Λ Φ⁻¹ with Φ = I + M block-subdiagonal (blocks φ_k) and
    Λ = diag(λ_0, …, λ_{L−1}). Layer i receives W_{i←j} x_j from every earlier layer j.

    Args:
        sizes: layer sizes, input first, output last (at least 2).
        activation: ``"relu"``, ``"tanh"``, ``"identity"`` (or another name in
            :data:`sparcs.spectral.activations.ACTIVATIONS`) or any callable; applied to
            hidden layers. Architecture search and pruning assume f(0) = 0.
        bias: append a constant-1 node to the input layer (the paper's "bias neuron").
        rule: ``"layerwise"`` (paper eq. 4.4, O(L) evaluation) or ``"global"`` (z ← f(A z),
            L−1 times, with self-loops).
        eigenvalue_init: start values of λ, as a sequence of L entries or a mapping
            ``{layer: value}`` overriding the perceptron start (0 everywhere, 1 at the output).
            Each value is a scalar or a tensor of the layer's size.
        eigenvector_init: a name in :data:`EIGENVECTOR_INITS` or an in-place initializer
            such as ``torch.nn.init.normal_``.
        freeze_eigenvalues, freeze_eigenvectors: layer indices whose λ_k / φ_k are not trained.

    Example:
        >>> import torch
        >>> net = SpectralNetwork([3, 16, 16, 1], freeze_eigenvalues=[0])
        >>> net(torch.randn(5, 3)).shape
        torch.Size([5, 1])
        >>> [lam.detach().abs().max().item() for lam in net.eigenvalues]
        [0.0, 0.0, 0.0, 1.0]
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str | Activation = "relu",
        bias: bool = False,
        rule: str = "layerwise",
        eigenvalue_init: Init = None,
        eigenvector_init: str | Callable[[Tensor], object] = "xavier_uniform",
        freeze_eigenvalues: Iterable[int] = (),
        freeze_eigenvectors: Iterable[int] = (),
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__(
            sizes, activation=activation, bias=bias, eigenvalue_init=eigenvalue_init,
            eigenvector_init=eigenvector_init, freeze_eigenvalues=freeze_eigenvalues,
            freeze_eigenvectors=freeze_eigenvectors, dtype=dtype, device=device,
        )
        if rule not in RULES:
            raise ConfigError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
        self.rule = rule

    def forward(self, x: Tensor, *, eigenvalues: Sequence[Tensor] | None = None) -> Tensor:
        """Map ``(batch, sizes[0])`` to ``(batch, sizes[-1])`` by the network's rule.

        ``eigenvalues`` (one tensor per layer, shaped like ``self.eigenvalues``) replace the
        network's own for this call, e.g. to evaluate a thresholded copy without building it.
        """
        x = self.with_bias_node(self.check_input(x))
        lams = list(self.eigenvalues) if eigenvalues is None else list(eigenvalues)
        if eigenvalues is not None and (len(lams) != self.depth or any(
            lam.shape != own.shape for lam, own in zip(lams, self.eigenvalues, strict=False)
        )):
            raise ShapeError(
                f"eigenvalues must be {self.depth} tensors of shapes "
                f"{[tuple(lam.shape) for lam in self.eigenvalues]}"
            )
        fn = SF.layerwise_forward if self.rule == "layerwise" else SF.global_forward
        return fn(x, list(self.eigenvectors), lams, self._activation)

    # ------------------------------------------------------------------ inspection
    def adjacency(self) -> Tensor:
        """The dense N×N adjacency matrix A = Φ Λ Φ⁻¹. For small nets and tests."""
        return SF.adjacency_matrix(list(self.eigenvectors), list(self.eigenvalues))

    def layer_activity(self) -> list[float]:
        """Mean |λ_k| per layer, what training records after every epoch
        (``sparcs.training.LayerActivity``)."""
        return [float(lam.detach().abs().mean()) for lam in self.eigenvalues]

    def num_parameters(self, *, trainable_only: bool = False) -> int:
        """Spectral parameter count Σ n_{k+1} n_k + Σ n_k (like a plain MLP without skips)."""
        return sum(
            p.numel() for p in self.parameters() if p.requires_grad or not trainable_only
        )

    def direct_parameters(self) -> int:
        """Weights of the same net in direct space with every skip block free: Σ_{i>j} n_i n_j."""
        n = self.layer_sizes
        return sum(n[i] * n[j] for i in range(len(n)) for j in range(i))

    def extra_repr(self) -> str:
        frozen = []
        if self.frozen_eigenvalues:
            frozen.append(f"frozen_eigenvalues={self.frozen_eigenvalues}")
        if self.frozen_eigenvectors:
            frozen.append(f"frozen_eigenvectors={self.frozen_eigenvectors}")
        return ", ".join(
            [f"sizes={self.sizes}", f"activation={self.activation!r}", f"bias={self.has_bias_node}",
             f"rule={self.rule!r}", *frozen]
        )
