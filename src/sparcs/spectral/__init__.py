"""Spectral math and modules: the functional core, SpectralNetwork and SpectralLinear."""

from .activations import ACTIVATIONS, resolve_activation
from .linear import SpectralLinear
from .network import SpectralNetwork

__all__ = ["ACTIVATIONS", "SpectralLinear", "SpectralNetwork", "resolve_activation"]
