"""Where to compute: the one place that turns a device name into a ``torch.device``."""

from __future__ import annotations

import os

import torch

from .errors import ConfigError

__all__ = ["check_training_memory", "resolve_device"]


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


def _total_memory(device: str) -> int | None:
    """Bytes of memory on the device that will train, or None when unknown."""
    try:
        if resolve_device(device).type == "cuda":
            return int(torch.cuda.mem_get_info()[1])
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError, RuntimeError):
        return None


def check_training_memory(sizes: list[int], batch_size: int, n_rows: int, device: str) -> None:
    """Refuse a maximal network that cannot fit in memory, before the system kills the run."""
    params = sum(a * b for a, b in zip(sizes[1:], sizes[:-1], strict=True)) + sum(sizes)
    rows = min(max(batch_size, 1), n_rows) + min(n_rows, 65536)  # a batch and an eval chunk
    need = 4 * (4 * params + 6 * rows * sum(sizes))  # float32: weights, grads, Adam; activations
    total = _total_memory(device)
    if total is not None and need > total // 2:
        raise ConfigError(
            f"the maximal network {sizes} needs about {need / 2**30:.3g} GiB to train, more than "
            f"half of this machine's {total / 2**30:.3g} GiB; lower the hidden widths or the "
            "batch size"
        )
