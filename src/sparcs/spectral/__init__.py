"""Spectral math and modules: the functional core, SpectralNetwork, SpectralEnsemble and
SpectralLinear."""

from .activations import ACTIVATIONS, resolve_activation
from .ensemble import SpectralEnsemble
from .linear import SpectralLinear
from .network import SpectralNetwork

__all__ = [
    "ACTIVATIONS",
    "SpectralEnsemble",
    "SpectralLinear",
    "SpectralNetwork",
    "resolve_activation",
]
