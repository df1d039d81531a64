"""The compact model: a plain PyTorch module with only the live layers, nodes and skip blocks.

Unlike eigenvalue masking, this really shrinks the model: each live layer i computes
x_i = f(Σ_j W_{i←j} x_j + b_i) with dense W_{i←j} between live nodes only, for the live source
layers j whose block is non-zero; the bias node's column becomes the bias vector b_i.
"""

# No ``from __future__ import annotations``: TorchScript needs the real class annotations.
import contextlib
import copy
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..errors import ConfigError, DataError, ShapeError, SparcsError, TensorTypeError
from ..io import atomic_write_bytes, read_json, save_torch, write_json
from ..spectral.activations import ACTIVATIONS, activation_module
from ..spectral.network import SpectralNetwork
from .architecture import Architecture, from_liveness
from .liveness import analyse, check_threshold, compact_plan

__all__ = [
    "COMPACT_ACTIVATIONS", "CompactLayer", "CompactNetwork", "export_onnx", "quiet_onnx_export",
    "require_onnx", "to_compact",
]

# Every named activation exports: the compact model applies it as a module.
COMPACT_ACTIVATIONS = tuple(ACTIVATIONS)
WEIGHTS_FILE = "weights.pt"
ARCHITECTURE_FILE = "architecture.json"
FORMAT = "sparcs.compact"
# Loggers of torch's ONNX exporter and the packages it runs; quieted during an export only.
ONNX_EXPORT_LOGGERS = ("torch.onnx", "torch.export", "torch._export", "onnxscript", "onnx_ir")
# Warnings the exporter's internals raise about their own use of torch (nothing a user can do).
ONNX_EXPORT_WARNINGS = (FutureWarning, DeprecationWarning, PendingDeprecationWarning)


class CompactLayer(nn.Module):
    """One live layer: ``f(W · cat(x_s for s in sources) + b)``.

    ``sources`` index the list of earlier outputs (0 = the used input features).
    """

    sources: list[int]

    def __init__(
        self,
        sources: list[int],
        in_features: int,
        out_features: int,
        *,
        bias: bool,
        activation: str,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.sources = [int(s) for s in sources]
        self.activation = activation
        self.act = activation_module(activation)
        factory = {"dtype": dtype, "device": device}
        self.weight = nn.Parameter(torch.zeros(out_features, in_features, **factory))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out_features, **factory))
        else:
            self.register_parameter("bias", None)

    def forward(self, xs: list[Tensor]) -> Tensor:
        if len(self.sources) == 0:
            inp = xs[0].narrow(1, 0, 0)  # only the bias feeds this layer
        else:
            inp = torch.cat([xs[s] for s in self.sources], dim=1)
        return self.act(F.linear(inp, self.weight, self.bias))

    def extra_repr(self) -> str:
        out_f, in_f = self.weight.shape
        return (
            f"sources={self.sources}, in={in_f}, out={out_f}, bias={self.bias is not None}, "
            f"activation={self.activation!r}"
        )


def _reason(err: BaseException) -> str:
    """The first line of an error's message, or its type when the message is empty."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0].rstrip(":") if lines else type(err).__name__


class CompactNetwork(nn.Module):
    """A pruned spectral network as a plain module (see :func:`to_compact`).

    It takes the full input ``(batch, in_features)`` and keeps only live hidden layers.
    It scripts (``torch.jit.script``), saves to a folder and loads back.

    Example:
        >>> import torch, sparcs
        >>> net = sparcs.SpectralNetwork([3, 8, 2], bias=True)  # hidden layer dead at the start
        >>> compact = to_compact(net)
        >>> compact.widths, compact.num_parameters()
        ([3, 2], 8)
        >>> torch.allclose(compact(torch.ones(1, 3)), net(torch.ones(1, 3)))
        True
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        try:
            self.in_features = int(config["in_features"])
            self.out_features = int(config["out_features"])
            activation = str(config["activation"])
            input_index = [int(c) for c in config["input_index"]]
            layers = config["layers"]
            dtype = getattr(torch, str(config.get("dtype", "float32")))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DataError(f"invalid compact-network configuration: {err!r}") from None
        if activation not in COMPACT_ACTIVATIONS:
            raise ConfigError(
                f"compact activation must be one of {', '.join(COMPACT_ACTIVATIONS)}, "
                f"got {activation!r}"
            )
        self.config = {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "activation": activation,
            "input_index": input_index,
            "layers": [dict(layer) for layer in layers],
            "dtype": str(dtype).removeprefix("torch."),
        }
        self.activation = activation
        self.select_inputs = input_index != list(range(self.in_features))
        self.register_buffer("input_index", torch.tensor(input_index, dtype=torch.long))
        position = {0: 0}
        widths = [len(input_index)]
        modules = []
        for p, layer in enumerate(layers, start=1):
            sources = [position[int(s)] for s in layer["sources"]]
            last = p == len(layers)
            modules.append(
                CompactLayer(
                    sources,
                    sum(widths[s] for s in sources),
                    int(layer["width"]),
                    bias=bool(layer["bias"]),
                    activation="identity" if last else activation,
                    dtype=dtype,
                )
            )
            position[int(layer["layer"])] = p
            widths.append(int(layer["width"]))
        self.layers = nn.ModuleList(modules)
        self.widths = widths
        self.architecture: Architecture | None = None

    @torch.jit.unused
    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise TensorTypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ShapeError(
                f"input must have shape (batch, {self.in_features}), got {tuple(x.shape)}"
            )
        dtype = self.layers[0].weight.dtype
        if x.dtype != dtype:
            raise TensorTypeError(f"input dtype {x.dtype} does not match the model's {dtype}")

    def forward(self, x: Tensor) -> Tensor:
        """Map ``(batch, in_features)`` to ``(batch, out_features)``."""
        if not torch.jit.is_scripting():
            self._check_input(x)
        h = x.index_select(1, self.input_index) if self.select_inputs else x
        xs: list[Tensor] = [h]
        for layer in self.layers:
            xs.append(layer(xs))
        return xs[-1]

    @torch.jit.unused
    def num_parameters(self) -> int:
        """Stored weights and biases (the input-index buffer is not a parameter)."""
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ persistence
    @torch.jit.unused
    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``weights.pt`` (the ``state_dict``) and ``architecture.json`` into ``directory``.

        Each file is written atomically; the JSON goes last, so a folder with a readable
        ``architecture.json`` always has matching weights.
        """
        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise DataError(f"{directory} exists and is not a folder; choose another path")
        state = {k: v.detach().cpu() for k, v in self.state_dict().items()}
        save_torch(directory / WEIGHTS_FILE, state)
        meta = {
            "format": FORMAT,
            "version": 1,
            "config": self.config,
            "architecture": None if self.architecture is None else self.architecture.to_dict(),
        }
        write_json(directory / ARCHITECTURE_FILE, meta)
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "CompactNetwork":
        """Restore a model written by :meth:`save` (on the CPU)."""
        directory = Path(directory)
        meta_path, weights_path = directory / ARCHITECTURE_FILE, directory / WEIGHTS_FILE
        for path in (meta_path, weights_path):
            if not path.is_file():
                raise DataError(f"{path} not found: is {directory} a folder written by save()?")
        try:
            meta = read_json(meta_path)
        except (OSError, ValueError) as err:
            raise DataError(
                f"{meta_path} is damaged ({_reason(err)}); save the model again"
            ) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise DataError(f"{meta_path} is not a sparcs compact-network description")
        model = cls(meta.get("config") or {})
        try:
            state = torch.load(weights_path, map_location="cpu", weights_only=True)
        except Exception:  # torch raises several error types, with long or empty messages
            size = weights_path.stat().st_size
            raise DataError(
                f"{weights_path} is damaged: its {size} bytes are not a complete torch weights "
                "file (empty, truncated or overwritten); save the model again"
            ) from None
        try:
            model.load_state_dict(state)
        except (RuntimeError, TypeError, AttributeError) as err:
            raise DataError(
                f"{weights_path} does not match {meta_path} ({_reason(err)}); save the model again"
            ) from None
        if meta.get("architecture") is not None:
            try:
                model.architecture = Architecture.from_dict(meta["architecture"])
            except (KeyError, TypeError, ValueError) as err:
                raise DataError(f"{meta_path} has an invalid architecture entry: {err!r}") from None
        return model

    @torch.jit.unused
    def to_onnx(self, path: str | os.PathLike, *, opset_version: int | None = None) -> Path:
        """Export to ONNX with a dynamic batch size (needs the ``onnx`` extra).

        The file's input ``x`` is ``(batch, in_features)`` and its output ``y`` is
        ``(batch, out_features)``, in the model's dtype; see :func:`export_onnx`.
        """
        example = torch.zeros(2, self.in_features, dtype=self.layers[0].weight.dtype)
        return export_onnx(self, example, path, opset_version=opset_version)

    def extra_repr(self) -> str:
        return f"widths={self.widths}, activation={self.activation!r}"


def require_onnx() -> None:
    """Raise a :class:`SparcsError` naming the extra to install when ONNX export cannot run."""
    missing = []
    for name in ("onnx", "onnxscript"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise SparcsError(
            f"ONNX export needs the {' and '.join(missing)} package"
            f"{'s' if len(missing) > 1 else ''}: pip install 'sparcs-nas[onnx]'"
        )


@contextlib.contextmanager
def quiet_onnx_export() -> Iterator[None]:
    """Silence what torch's ONNX exporter prints that no user can act on, for this block only.

    Each export logs warnings about optional packages it does not need (torchvision's
    operators) and raises deprecation warnings about torch's own internals. Inside the block the
    exporter's loggers (:data:`ONNX_EXPORT_LOGGERS`) pass errors only and the warning categories
    of :data:`ONNX_EXPORT_WARNINGS` are ignored; afterwards the loggers' levels and the warning
    filters are exactly as they were.
    """
    loggers = [logging.getLogger(name) for name in ONNX_EXPORT_LOGGERS]
    levels = [logger.level for logger in loggers]
    try:
        with warnings.catch_warnings():
            for category in ONNX_EXPORT_WARNINGS:
                warnings.simplefilter("ignore", category)
            for logger in loggers:
                logger.setLevel(logging.ERROR)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def export_onnx(
    module: nn.Module,
    example: Tensor,
    path: str | os.PathLike,
    *,
    input_name: str = "x",
    output_name: str = "y",
    opset_version: int | None = None,
) -> Path:
    """Write ``module`` (one tensor in, one out) as an ONNX file with a dynamic batch size.

    ``example`` is an input ``(batch, features)`` of the right dtype; the first dimension is
    exported as the dynamic axis ``batch``. The file is written atomically, with the weights
    inside it, and the export prints nothing (:func:`quiet_onnx_export`). Needs the ``onnx``
    extra (onnx and onnxscript).
    """
    require_onnx()
    path = Path(path)
    model = copy.deepcopy(module).cpu().eval()
    kwargs: dict[str, Any] = {"input_names": [input_name], "output_names": [output_name]}
    if opset_version is not None:
        kwargs["opset_version"] = opset_version
    batch = torch.export.Dim("batch", min=1)
    with quiet_onnx_export():
        program = torch.onnx.export(
            model, (example.detach().cpu(),), None, dynamo=True, verbose=False,
            dynamic_shapes=({0: batch},), **kwargs,
        )
        data = program.model_proto.SerializeToString()
    return atomic_write_bytes(path, data)


@torch.no_grad()
def to_compact(net: SpectralNetwork, threshold: float = 0.0) -> CompactNetwork:
    """The compact model of ``net`` with |λ| <= ``threshold`` zeroed (output λ excepted).

    It computes the same function as the thresholded spectral network under the layerwise rule.
    """
    threshold = check_threshold(threshold)
    if net.rule != "layerwise":
        raise ConfigError(
            f"compact export supports the layerwise rule only; this network uses rule="
            f"{net.rule!r}, whose repeated z ← f(A z) with self-loops has no feed-forward form"
        )
    if ACTIVATIONS.get(net.activation) is not net.activation_fn():
        raise ConfigError(
            f"compact export needs a named activation ({', '.join(COMPACT_ACTIVATIONS)}); "
            f"the network uses {net.activation!r}"
        )
    lv = analyse(net, threshold)
    input_index, plan = compact_plan(lv, net.has_bias_node)
    config = {
        "in_features": net.in_features,
        "out_features": net.out_features,
        "activation": net.activation,
        "input_index": input_index.tolist(),
        "layers": [
            {"layer": r.index, "width": r.width, "sources": r.sources, "bias": r.bias is not None}
            for r in plan
        ],
        "dtype": str(net.eigenvalues[0].dtype).removeprefix("torch."),
    }
    model = CompactNetwork(config)
    for module, r in zip(model.layers, plan, strict=True):
        if r.weights:
            module.weight.copy_(torch.cat(r.weights, dim=1))
        if r.bias is not None:
            module.bias.copy_(r.bias)
    model.architecture = from_liveness(net, lv, plan, threshold)
    return model.to(net.eigenvalues[0].device)
