"""Which nodes of a spectral network still matter once small eigenvalues are zeroed
(docs/math.md §6).

A node is *live* when it is reachable from the input through non-zero weights (otherwise its
pre-activation is identically 0 and it emits f(0) = 0) and it reaches the output through non-zero
weights (otherwise its value cannot change the output). This is the greatest fixed point of
"has a non-zero incoming weight from a live node and a non-zero outgoing weight to a live node",
computed here in one forward and one backward sweep over the layers.

Zero tests are exact (``== 0``): thresholded eigenvalues are exact zeros, and the closed form of
the blocks turns them into exact zeros of whole rows and columns (0·φ − φ·0 is exactly 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import ConfigError
from ..spectral import functional as SF
from ..spectral.activations import maps_zero_to_zero
from ..spectral.network import SpectralNetwork

__all__ = ["Liveness", "analyse", "check_threshold", "thresholded_eigenvalues"]


def check_threshold(threshold: object) -> float:
    """Return ``threshold`` as a float, or raise ConfigError unless it is a finite number >= 0."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        if isinstance(threshold, Tensor) and threshold.numel() == 1:
            threshold = float(threshold)
        else:
            raise ConfigError(f"threshold must be a number >= 0, got {threshold!r}")
    value = float(threshold)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"threshold must be a finite number >= 0 (eigenvalues with |λ| <= threshold are "
            f"zeroed), got {threshold!r}"
        )
    return value


def require_zero_preserving(net: SpectralNetwork) -> None:
    """Pruning removes nodes that emit f(0); that is exact only when f(0) = 0."""
    if net.depth > 2 and not maps_zero_to_zero(net.activation_fn()):
        raise ConfigError(
            f"pruning needs an activation with f(0) = 0 (relu, tanh, identity, ...); "
            f"{net.activation!r} does not map 0 to 0, so dead nodes cannot be removed exactly"
        )


@torch.no_grad()
def thresholded_eigenvalues(
    net: SpectralNetwork, threshold: float = 0.0, keep: list[Tensor] | None = None
) -> list[Tensor]:
    """Detached copies of λ_k with |λ| <= threshold set to exactly 0 in every non-output layer.

    ``keep`` (bool masks for the non-output layers) overrides the threshold: entries outside the
    mask are zeroed. The output eigenvalues are never zeroed.
    """
    out = []
    last = net.depth - 1
    for k, lam in enumerate(net.eigenvalues):
        lam = lam.detach().clone()
        if k < last:
            mask = keep[k] if keep is not None else lam.abs() > threshold
            lam = torch.where(mask, lam, torch.zeros_like(lam))
        out.append(lam)
    return out


@dataclass
class Liveness:
    """Live-node masks and the blocks they were computed from (internal to sparcs.pruning).

    ``live[k]`` is a bool mask per layer; the input layer is all True (the compact model accepts
    the full input) and ``inputs_used`` says which input nodes (bias node last) reach the output.
    """

    eigenvalues: list[Tensor]
    blocks: dict[tuple[int, int], Tensor]
    live: list[Tensor]
    inputs_used: Tensor

    def restricted(self, i: int, j: int) -> Tensor:
        """W_{i←j} between the live nodes of layers i and j."""
        return self.blocks[(i, j)][self.live[i]][:, self.live[j]]


@torch.no_grad()
def analyse(
    net: SpectralNetwork, threshold: float = 0.0, keep: list[Tensor] | None = None
) -> Liveness:
    """Threshold the eigenvalues, build every block and find the live nodes."""
    require_zero_preserving(net)
    lams = thresholded_eigenvalues(net, threshold, keep)
    vecs = [phi.detach() for phi in net.eigenvectors]
    blocks = SF.weight_blocks(vecs, lams)
    depth = net.depth
    nonzero = {key: block != 0 for key, block in blocks.items()}

    # Forward: reachable from some input node through non-zero weights.
    fwd = [torch.ones_like(lams[0], dtype=torch.bool)]
    for i in range(1, depth):
        reach = torch.zeros_like(lams[i], dtype=torch.bool)
        for j in range(i):
            reach |= nonzero[(i, j)][:, fwd[j]].any(dim=1)
        fwd.append(reach)
    # Backward: reaches some output node through non-zero weights from forward-live nodes.
    bwd: list[Tensor] = [torch.zeros(0, dtype=torch.bool)] * depth
    bwd[depth - 1] = torch.ones_like(lams[-1], dtype=torch.bool)
    for j in range(depth - 2, -1, -1):
        reach = torch.zeros_like(lams[j], dtype=torch.bool)
        for i in range(j + 1, depth):
            target = bwd[i] & fwd[i] if i < depth - 1 else bwd[i]
            reach |= nonzero[(i, j)][target].any(dim=0)
        bwd[j] = reach
    live = [fwd[0].clone()]
    live += [fwd[k] & bwd[k] for k in range(1, depth - 1)]
    live.append(torch.ones_like(lams[-1], dtype=torch.bool))
    return Liveness(eigenvalues=lams, blocks=blocks, live=live, inputs_used=bwd[0].clone())


@dataclass
class ReceivingLayer:
    """What the compact model computes for one live layer ``index``: its live-node count,
    the dense blocks from its live source layers, and the folded bias-node column (or None)."""

    index: int
    width: int
    sources: list[int]
    weights: list[Tensor]
    bias: Tensor | None


def compact_plan(lv: Liveness, bias: bool) -> tuple[Tensor, list[ReceivingLayer]]:
    """The used input features (indices, bias node excluded) and one entry per live non-input
    layer, keeping only non-zero blocks between live nodes."""
    n_in = lv.live[0].numel() - int(bias)
    input_index = torch.nonzero(lv.inputs_used[:n_in]).flatten()
    plan: list[ReceivingLayer] = []
    depth = len(lv.live)
    live_layers = [0] + [k for k in range(1, depth) if bool(lv.live[k].any()) or k == depth - 1]
    for i in live_layers[1:]:
        sources, weights, bias_col = [], [], None
        for j in live_layers:
            if j >= i:
                break
            rows = lv.blocks[(i, j)][lv.live[i]]
            if j == 0:
                block = rows[:, input_index]
                if bias:
                    col = rows[:, n_in]
                    bias_col = col.clone() if bool((col != 0).any()) else None
            else:
                block = rows[:, lv.live[j]]
            if bool((block != 0).any()):
                sources.append(j)
                weights.append(block.clone())
        plan.append(ReceivingLayer(i, int(lv.live[i].sum()), sources, weights, bias_col))
    return input_index, plan

