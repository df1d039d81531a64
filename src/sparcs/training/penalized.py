"""What :func:`sparcs.training.fit` needs of a model beyond being a ``torch.nn.Module``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from torch import Tensor

__all__ = ["LayerActivity", "Penalized"]


@runtime_checkable
class Penalized(Protocol):
    """A model :func:`~sparcs.training.fit` trains: it maps ``(n, in)`` rows to
    ``(n, out_features)`` outputs and adds c · ``architecture_penalty(p, layers)`` to the loss.

    ``p`` and ``layers`` are ``TrainConfig.penalty_norm`` and ``TrainConfig.penalty_layers``.
    A :class:`~sparcs.spectral.network.SpectralNetwork`'s penalty is Σ_k ‖λ_k‖_p over the
    searched layers (docs/math.md §5).
    """

    @property
    def out_features(self) -> int: ...

    def __call__(self, x: Tensor) -> Tensor: ...

    def architecture_penalty(self, p: float = 2, layers: Iterable[int] | None = None) -> Tensor:
        ...


@runtime_checkable
class LayerActivity(Protocol):
    """Optional for a :class:`Penalized` model: how active each layer is, one number per layer,
    recorded after every epoch in ``History.mean_abs_eigenvalues`` (a spectral network's mean
    |λ_k|)."""

    def layer_activity(self) -> list[float]: ...
