"""Named exceptions. Every message says what was wrong and what to do about it."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "OutputExistsError",
    "ShapeError",
    "SparcsError",
    "TensorTypeError",
]


class SparcsError(Exception):
    """Base class of every error raised on purpose by sparcs."""


class ConfigError(SparcsError, ValueError):
    """An option has an invalid value (unknown name, out of range, inconsistent)."""


class ShapeError(SparcsError, ValueError):
    """A tensor or array has the wrong shape for the model it is given to."""


class TensorTypeError(SparcsError, TypeError):
    """An input is not a tensor, or its dtype or device differs from the model's."""


class DataError(SparcsError, ValueError):
    """Input data cannot be used as given (missing file, empty, NaN/inf, non-numeric...)."""


class OutputExistsError(SparcsError, FileExistsError):
    """An output folder already holds results that would be overwritten."""
