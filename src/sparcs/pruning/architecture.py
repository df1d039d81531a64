"""The architecture a trained spectral network recruited: live layers, nodes and skip blocks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..io import read_json, write_json
from ..spectral.network import SpectralNetwork
from .liveness import (
    Liveness,
    ReceivingLayer,
    analyse,
    check_threshold,
    compact_plan,
)
from .size import plan_parameters

__all__ = ["Architecture", "architecture_of"]


@dataclass
class Architecture:
    """The network that remains once eigenvalues with |λ| <= ``threshold`` are zeroed.

    Attributes:
        widths: live nodes per layer; the input counts every feature and the bias node, the
            output every output node.
        live_skips: ``(i, j, norm)`` for every block W_{i←j} that is non-zero between live
            nodes, with its Frobenius norm.
        spectral_parameters: parameters of the spectral network (Σ n_{k+1} n_k + Σ n_k).
        compact_parameters: parameters of the compact model (live dense blocks + bias vectors).
        live_nodes: a bool mask per layer.
        active_eigenvalues: non-zero eigenvalues per layer after thresholding.
        threshold: the threshold used.
        layer_sizes: the layer sizes as built (input includes the bias node).
        used_inputs: input features (bias node excluded) with a non-zero path to the output.
        bias: whether the input layer ends with a bias node.

    Example:
        >>> import sparcs
        >>> arch = architecture_of(sparcs.SpectralNetwork([2, 8, 1], bias=True))
        >>> arch.widths, arch.hidden_widths  # perceptron start: the hidden layer is dead
        ([3, 0, 1], [0])
    """

    widths: list[int]
    live_skips: list[tuple[int, int, float]]
    spectral_parameters: int
    compact_parameters: int
    live_nodes: list[Tensor]
    active_eigenvalues: list[int]
    threshold: float
    layer_sizes: list[int] = field(default_factory=list)
    used_inputs: int = 0
    bias: bool = False

    @property
    def hidden_widths(self) -> list[int]:
        """Live widths of the hidden layers; a dead layer shows 0."""
        return self.widths[1:-1]

    @property
    def live_hidden_layers(self) -> list[int]:
        """Indices of hidden layers with at least one live node."""
        return [k for k in range(1, len(self.widths) - 1) if self.widths[k] > 0]

    @property
    def depth(self) -> int:
        """Layers of the compact model, input and output included."""
        return len(self.live_hidden_layers) + 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "layer_sizes": list(self.layer_sizes),
            "bias": self.bias,
            "widths": list(self.widths),
            "hidden_widths": self.hidden_widths,
            "used_inputs": self.used_inputs,
            "active_eigenvalues": list(self.active_eigenvalues),
            "live_skips": [[i, j, norm] for i, j, norm in self.live_skips],
            "spectral_parameters": self.spectral_parameters,
            "compact_parameters": self.compact_parameters,
            "live_nodes": [mask.tolist() for mask in self.live_nodes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Architecture:
        return cls(
            widths=[int(w) for w in data["widths"]],
            live_skips=[(int(i), int(j), float(n)) for i, j, n in data["live_skips"]],
            spectral_parameters=int(data["spectral_parameters"]),
            compact_parameters=int(data["compact_parameters"]),
            live_nodes=[torch.tensor(m, dtype=torch.bool) for m in data["live_nodes"]],
            active_eigenvalues=[int(a) for a in data["active_eigenvalues"]],
            threshold=float(data["threshold"]),
            layer_sizes=[int(n) for n in data.get("layer_sizes", [])],
            used_inputs=int(data.get("used_inputs", 0)),
            bias=bool(data.get("bias", False)),
        )

    def to_json(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` atomically as JSON."""
        return write_json(path, self.to_dict())

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> Architecture:
        return cls.from_dict(read_json(path))

    def __str__(self) -> str:
        n = len(self.widths)
        rows = [("layer", "role", "size", "live", "active λ")]
        for k in range(n):
            role = "input" if k == 0 else "output" if k == n - 1 else "hidden"
            size = self.layer_sizes[k] if self.layer_sizes else self.widths[k]
            live = str(self.widths[k])
            if k == 0:
                live += f" ({self.used_inputs} used{' + bias' if self.bias else ''})"
            elif self.widths[k] == 0:
                live += " (dead)"
            rows.append((str(k), role, str(size), live, str(self.active_eigenvalues[k])))
        cols = [max(len(r[c]) for r in rows) for c in range(5)]
        lines = [f"Architecture (threshold={self.threshold:g})"]
        lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, cols, strict=True)).rstrip()
                  for r in rows]
        skips = ", ".join(f"{j}→{i} ({norm:.3g})" for i, j, norm in self.live_skips)
        lines.append(f"  live skips: {skips or 'none'}")
        lines.append(
            f"  parameters: spectral {self.spectral_parameters}, "
            f"compact {self.compact_parameters}"
        )
        return "\n".join(lines)


def architecture_of(net: SpectralNetwork, threshold: float = 0.0) -> Architecture:
    """Read out the live architecture of ``net`` with |λ| <= ``threshold`` zeroed (docs/math.md §6).

    The output eigenvalues are never zeroed. Needs an activation with f(0) = 0. For the global
    rule the readout is conservative: a node reported dead is dead, but the self-loops can make
    some reported-live nodes constant.
    """
    threshold = check_threshold(threshold)
    lv = analyse(net, threshold)
    _, plan = compact_plan(lv, net.has_bias_node)
    return from_liveness(net, lv, plan, threshold)


def from_liveness(
    net: SpectralNetwork, lv: Liveness, plan: list[ReceivingLayer], threshold: float
) -> Architecture:
    """Assemble an :class:`Architecture` from an analysis already done (avoids redoing it)."""
    depth = net.depth
    skips: list[tuple[int, int, float]] = []
    for i in range(1, depth):
        for j in range(i):
            if not (bool(lv.live[i].any()) and bool(lv.live[j].any())):
                continue
            block = lv.restricted(i, j)
            if bool((block != 0).any()):
                skips.append((i, j, float(torch.linalg.matrix_norm(block))))
    n_in = net.in_features
    return Architecture(
        widths=[int(mask.sum()) for mask in lv.live],
        live_skips=skips,
        spectral_parameters=net.num_parameters(),
        compact_parameters=plan_parameters(plan),
        live_nodes=[mask.cpu() for mask in lv.live],
        active_eigenvalues=[int((lam != 0).sum()) for lam in lv.eigenvalues],
        threshold=threshold,
        layer_sizes=net.layer_sizes,
        used_inputs=int(lv.inputs_used[:n_in].sum()),
        bias=net.has_bias_node,
    )
