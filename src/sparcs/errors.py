"""Named exceptions. Every message says what was wrong and what to do about it."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "Interrupted",
    "OutputExistsError",
    "ShapeError",
    "SparcsError",
    "TensorTypeError",
    "WriteError",
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


class WriteError(SparcsError, OSError):
    """A result file could not be written (the message names the path the user gave)."""

    def __init__(self, path: object, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = path, reason

    def __str__(self) -> str:
        return str(self.args[0])


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with a message saying what the interrupted command kept and where."""
