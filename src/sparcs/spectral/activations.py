"""Activation functions by name.

Spectral architecture search needs f(0) = 0: at the perceptron start, and after pruning, a node
whose pre-activation is identically zero must emit zero so that it can be removed.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..errors import ConfigError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "activation_module",
    "activation_name",
    "maps_zero_to_zero",
    "resolve_activation",
]

Activation = Callable[[Tensor], Tensor]


def _identity(x: Tensor) -> Tensor:
    return x


# The one registry: each name's function, and the parameter-free module computing the same
# values, which compact exports use because modules script and export where callables do not.
_REGISTRY: dict[str, tuple[Activation, type[nn.Module]]] = {
    "relu": (torch.relu, nn.ReLU),
    "tanh": (torch.tanh, nn.Tanh),
    "identity": (_identity, nn.Identity),
    "leaky_relu": (F.leaky_relu, nn.LeakyReLU),
    "gelu": (F.gelu, nn.GELU),
    "silu": (F.silu, nn.SiLU),
}
ACTIVATIONS: dict[str, Activation] = {name: fn for name, (fn, _) in _REGISTRY.items()}


def activation_module(name: str) -> nn.Module:
    """A fresh module computing the named activation (``nn.ReLU()`` for ``"relu"``, …)."""
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown activation {name!r}; use one of {known}")
    return _REGISTRY[name][1]()


def resolve_activation(activation: str | Activation) -> Activation:
    """Return the callable for a name in :data:`ACTIVATIONS`, or the callable itself."""
    if isinstance(activation, str):
        try:
            return ACTIVATIONS[activation]
        except KeyError:
            known = ", ".join(sorted(ACTIVATIONS))
            raise ConfigError(
                f"unknown activation {activation!r}; use one of {known}, or pass a callable"
            ) from None
    if callable(activation):
        return activation
    raise ConfigError(f"activation must be a name or a callable, got {type(activation).__name__}")


def activation_name(activation: str | Activation) -> str | None:
    """The registered name of an activation, or None for a custom callable."""
    if isinstance(activation, str):
        return activation
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    return None


def maps_zero_to_zero(activation: Activation) -> bool:
    """Whether f(0) == 0, the condition under which dead nodes can be removed exactly."""
    with torch.no_grad():
        out = activation(torch.zeros(3, dtype=torch.float64))
    return bool(torch.all(out == 0))
