"""The spectral network module: a feed-forward net with every skip connection, parametrized by
the eigenvalues and eigenvectors of its adjacency matrix."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import Tensor, nn

from ..errors import ConfigError, ShapeError
from . import functional as SF
from .activations import Activation
from .base import (
    EIGENVECTOR_INITS,
    Init,
    SpectralBase,
    check_dtype,
    eigenvalue_start,
    resolve_eigenvector_init,
    start_value,
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
        super().__init__(sizes, activation=activation, bias=bias)
        if rule not in RULES:
            raise ConfigError(f"unknown rule {rule!r}; use one of {', '.join(RULES)}")
        self.rule = rule
        factory = {"dtype": check_dtype(dtype), "device": device}
        n = self.layer_sizes
        self.eigenvectors = nn.ParameterList(
            [nn.Parameter(torch.empty(n[k + 1], n[k], **factory)) for k in range(len(n) - 1)]
        )
        self.eigenvalues = nn.ParameterList(
            [nn.Parameter(torch.empty(nk, **factory)) for nk in n]
        )
        self.reset_parameters(eigenvalue_init=eigenvalue_init, eigenvector_init=eigenvector_init)
        self.freeze(eigenvalues=freeze_eigenvalues, eigenvectors=freeze_eigenvectors)

    # ------------------------------------------------------------------ initialization
    @torch.no_grad()
    def reset_parameters(
        self,
        *,
        eigenvalue_init: Init = None,
        eigenvector_init: str | Callable[[Tensor], object] = "xavier_uniform",
    ) -> None:
        """Re-initialize: eigenvectors by ``eigenvector_init``, eigenvalues at the perceptron
        start (λ = 0, output λ = 1) unless ``eigenvalue_init`` overrides them."""
        init = resolve_eigenvector_init(eigenvector_init)
        for phi in self.eigenvectors:
            init(phi)
        values = eigenvalue_start(eigenvalue_init, self.depth)
        for k, lam in enumerate(self.eigenvalues):
            value = start_value(values[k], lam, k)
            if value.ndim > 0 and value.shape != lam.shape:
                raise ConfigError(
                    f"eigenvalue_init for layer {k} has shape {tuple(value.shape)}, "
                    f"expected a scalar or {tuple(lam.shape)}"
                )
            lam.copy_(value.expand_as(lam))

    # ------------------------------------------------------------------ forward
    def _prepare_input(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise ShapeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        ref = self.eigenvalues[0]
        if x.ndim != 2 or x.shape[-1] != self.in_features:
            raise ShapeError(
                f"input must have shape (batch, {self.in_features}), got {tuple(x.shape)}"
            )
        if x.dtype != ref.dtype:
            raise ShapeError(
                f"input dtype {x.dtype} does not match the network's {ref.dtype}; "
                f"convert with x.to({ref.dtype}) or the network with net.to({x.dtype})"
            )
        if x.device != ref.device:
            raise ShapeError(
                f"input is on {x.device} but the network is on {ref.device}; move one of them"
            )
        x = self.with_bias_node(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(batch, sizes[0])`` to ``(batch, sizes[-1])`` by the network's rule."""
        x = self._prepare_input(x)
        fn = SF.layerwise_forward if self.rule == "layerwise" else SF.global_forward
        return fn(x, list(self.eigenvectors), list(self.eigenvalues), self._activation)

    # ------------------------------------------------------------------ inspection
    def adjacency(self) -> Tensor:
        """The dense N×N adjacency matrix A = Φ Λ Φ⁻¹. For small nets and tests."""
        return SF.adjacency_matrix(list(self.eigenvectors), list(self.eigenvalues))

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
            [f"sizes={self.sizes}", f"activation={self.activation!r}", f"bias={self.bias}",
             f"rule={self.rule!r}", *frozen]
        )
