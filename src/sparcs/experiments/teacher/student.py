"""The spectral student [d, H, H, d] and a summary of its eigenvalues."""

from __future__ import annotations

import torch

from ...spectral.network import SpectralNetwork
from .config import Config

__all__ = ["eigenvalue_stats", "make_student"]


def eigenvalue_stats(net: SpectralNetwork, small: float = 1e-3) -> dict[str, dict[str, float]]:
    """Mean/median/max |λ| and the fraction below ``small`` for every layer."""
    out = {}
    for k, lam in enumerate(net.eigenvalues):
        a = lam.detach().abs().double().cpu()
        out[f"layer_{k}"] = {
            "size": a.numel(), "mean_abs": float(a.mean()), "median_abs": float(a.median()),
            "max_abs": float(a.max()), "fraction_below_1e-3": float((a < small).double().mean()),
        }
    return out


def make_student(config: Config, hidden: int, device: torch.device, seed: int) -> SpectralNetwork:
    """[d, H, H, d], no bias, ReLU, perceptron start, λ_0 frozen at 0, drawn from ``seed`` (the
    global RNG is left alone)."""
    # The Xavier init of φ draws from the generator of the device it is built on, and
    # manual_seed seeds every CUDA device's: fork them all.
    cuda = range(torch.cuda.device_count()) if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        return SpectralNetwork([config.dim, hidden, hidden, config.dim], activation="relu",
                               bias=False, freeze_eigenvalues=[0], device=device)
