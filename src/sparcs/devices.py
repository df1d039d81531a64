"""Where to compute: the one place that turns a device name into a ``torch.device``."""

from __future__ import annotations

import torch

from .errors import ConfigError

__all__ = ["resolve_device"]


def resolve_device(name: str | torch.device) -> torch.device:
    """``"auto"`` picks CUDA when available; asking for CUDA without a GPU is a clear error."""
    if isinstance(name, torch.device):
        device = name
    elif name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(name)
        except (RuntimeError, TypeError):
            raise ConfigError(f"unknown device {name!r}; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device cuda was asked for, but no CUDA device is available; use cpu")
    return device
