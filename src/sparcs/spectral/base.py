"""What every stack of spectral parameters shares: sizes, bias node, activation, the parameters
themselves, start values, freezing and input checks. :class:`SpectralNetwork` (one network,
batch shape ``()``) and ``SpectralEnsemble`` (M stacked networks, batch shape ``(M,)``) both
build on it."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor, nn

from ..errors import ConfigError, ShapeError, TensorTypeError
from . import functional as SF
from .activations import Activation, activation_name, resolve_activation

__all__ = ["EIGENVECTOR_INITS", "SpectralBase", "check_dtype", "check_layers", "check_sizes"]

EIGENVECTOR_INITS: dict[str, Callable[[Tensor], object]] = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "orthogonal": nn.init.orthogonal_,
}

EigenvalueInit = float | Tensor
Init = Sequence[EigenvalueInit] | Mapping[int, EigenvalueInit] | None


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """Layer sizes as a list of positive ints, at least two, or a ConfigError."""
    try:
        out = [int(s) for s in sizes]
    except (TypeError, ValueError):
        raise ConfigError(f"sizes must be a list of positive integers, got {sizes!r}") from None
    if len(out) < 2:
        raise ConfigError(
            f"a spectral network needs at least 2 layers (input and output), got sizes={out}"
        )
    if any(s <= 0 for s in out) or any(s != t for s, t in zip(out, sizes, strict=True)):
        raise ConfigError(f"every layer size must be a positive integer, got sizes={list(sizes)}")
    return out


def check_layers(indices: Iterable[int], count: int, what: str) -> list[int]:
    """Layer indices in ``range(count)`` (negative ones count from the end), or a ConfigError."""
    out = []
    for k in indices:
        if not isinstance(k, int) or not -count <= k < count:
            raise ConfigError(f"{what} index {k!r} is out of range: there are {count} of them")
        out.append(k % count)
    return out


def check_dtype(dtype: object) -> torch.dtype:
    """A floating-point torch dtype (None: the default dtype), or a ConfigError: parameters
    are trained, and only floating-point tensors take gradients."""
    if dtype is None:
        return torch.get_default_dtype()
    if isinstance(dtype, torch.dtype) and dtype.is_floating_point:
        return dtype
    raise ConfigError(
        f"dtype must be a floating-point torch dtype such as torch.float32 or torch.float64, "
        f"got {dtype!r}"
    )


def start_value(value: object, lam: Tensor, layer: int) -> Tensor:
    """One layer's eigenvalue start value as a tensor like ``lam``, or a ConfigError."""
    try:
        return torch.as_tensor(value, dtype=lam.dtype, device=lam.device)
    except (TypeError, ValueError, RuntimeError):
        raise ConfigError(
            f"eigenvalue_init for layer {layer} must be a number or a tensor, got {value!r}"
        ) from None


def resolve_eigenvector_init(init: str | Callable[[Tensor], object]) -> Callable[[Tensor], object]:
    """The in-place initializer for a name in :data:`EIGENVECTOR_INITS`, or the callable."""
    if isinstance(init, str):
        try:
            return EIGENVECTOR_INITS[init]
        except KeyError:
            known = ", ".join(EIGENVECTOR_INITS)
            raise ConfigError(
                f"unknown eigenvector_init {init!r}; use one of {known} "
                "or an in-place initializer such as torch.nn.init.normal_"
            ) from None
    if callable(init):
        return init
    raise ConfigError("eigenvector_init must be a name or an in-place initializer")


def eigenvalue_start(eigenvalue_init: Init, depth: int) -> dict[int, EigenvalueInit]:
    """Start value per layer: the perceptron start (0, output 1) with ``eigenvalue_init`` applied.

    ``eigenvalue_init`` is None, a sequence of one entry per layer, or a mapping
    ``{layer: value}`` overriding single layers.
    """
    values: dict[int, EigenvalueInit] = {k: 0.0 for k in range(depth - 1)}
    values[depth - 1] = 1.0
    if isinstance(eigenvalue_init, Mapping):
        for k, v in eigenvalue_init.items():
            values[check_layers([k], depth, "eigenvalue_init layer")[0]] = v
    elif eigenvalue_init is not None:
        scalar = isinstance(eigenvalue_init, Tensor | float | int)
        if scalar or len(eigenvalue_init) != depth:
            raise ConfigError(
                f"eigenvalue_init needs one entry per layer ({depth}), or a mapping "
                "{layer: value}"
            )
        values = dict(enumerate(eigenvalue_init))
    return values


class SpectralBase(nn.Module):
    """Eigenvectors φ_k and eigenvalues λ_k of one spectral network, or of a stack of them.

    Every parameter carries the leading ``batch_shape``: ``()`` for one network, ``(M,)`` for an
    ensemble of M. φ_k has shape ``(*batch_shape, n_{k+1}, n_k)`` and λ_k ``(*batch_shape, n_k)``.
    Construction, initialization, freezing and input checks live here once; subclasses add the
    forward pass.
    """

    eigenvectors: nn.ParameterList
    eigenvalues: nn.ParameterList

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        batch_shape: tuple[int, ...] = (),
        activation: str | Activation,
        bias: bool,
        eigenvalue_init: Init = None,
        eigenvector_init: str | Callable[[Tensor], object] = "xavier_uniform",
        freeze_eigenvalues: Iterable[int] = (),
        freeze_eigenvectors: Iterable[int] = (),
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.sizes = check_sizes(sizes)
        self.has_bias_node = bool(bias)
        self._activation = resolve_activation(activation)
        name = activation if isinstance(activation, str) else activation_name(activation)
        self.activation: str = name or getattr(activation, "__name__", "custom")
        self._activation_arg = activation
        self.batch_shape = tuple(batch_shape)
        factory = {"dtype": check_dtype(dtype), "device": device}
        n = self.layer_sizes
        self.eigenvectors = nn.ParameterList(
            [nn.Parameter(torch.empty(*self.batch_shape, n[k + 1], n[k], **factory))
             for k in range(len(n) - 1)]
        )
        self.eigenvalues = nn.ParameterList(
            [nn.Parameter(torch.empty(*self.batch_shape, nk, **factory)) for nk in n]
        )
        self.reset_parameters(eigenvalue_init=eigenvalue_init, eigenvector_init=eigenvector_init)
        self.freeze(eigenvalues=freeze_eigenvalues, eigenvectors=freeze_eigenvectors)

    @torch.no_grad()
    def reset_parameters(
        self,
        *,
        eigenvalue_init: Init = None,
        eigenvector_init: str | Callable[[Tensor], object] = "xavier_uniform",
    ) -> None:
        """Re-initialize: eigenvectors by ``eigenvector_init``, eigenvalues at the perceptron
        start (λ = 0, output λ = 1) unless ``eigenvalue_init`` overrides them.

        A stack is initialized member by member (member-major), so after the same
        ``torch.manual_seed`` it equals its members built one after another; the fan of each
        slice is that of one network's φ_k. An ``eigenvalue_init`` value is a scalar, a tensor of
        the layer's size (shared by all members) or one of the full stacked shape.
        """
        init = resolve_eigenvector_init(eigenvector_init)
        for index in itertools.product(*(range(b) for b in self.batch_shape)):
            for phi in self.eigenvectors:
                init(phi[index] if index else phi)
        values = eigenvalue_start(eigenvalue_init, self.depth)
        for k, lam in enumerate(self.eigenvalues):
            value = start_value(values[k], lam, k)
            allowed = list(dict.fromkeys([(), tuple(lam.shape[-1:]), tuple(lam.shape)]))
            if tuple(value.shape) not in allowed:
                shapes = " or ".join(str(a) for a in allowed[1:])
                raise ConfigError(
                    f"eigenvalue_init for layer {k} has shape {tuple(value.shape)}, "
                    f"expected a scalar or {shapes}"
                )
            lam.copy_(value.expand_as(lam))

    def check_input(self, x: Tensor) -> Tensor:
        """``x`` checked against the model: a tensor of shape ``(batch, n_0)`` (shared by all
        members of a stack) or ``(*batch_shape, batch, n_0)``, in the parameters' dtype and on
        their device; a ShapeError or TensorTypeError says what is wrong."""
        if not isinstance(x, Tensor):
            raise TensorTypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
        nb = len(self.batch_shape)
        shape_ok = x.ndim == 2 or (
            nb > 0 and x.ndim == nb + 2 and tuple(x.shape[:nb]) == self.batch_shape
        )
        if not shape_ok or x.shape[-1] != self.in_features:
            stacked = [f"({', '.join(map(str, self.batch_shape))}, batch, {self.in_features})"]
            shapes = " or ".join([*(stacked if nb else []), f"(batch, {self.in_features})"])
            raise ShapeError(f"input must have shape {shapes}, got {tuple(x.shape)}")
        ref = self.eigenvalues[0]
        what = "network" if not nb else "ensemble"
        if x.dtype != ref.dtype:
            raise TensorTypeError(
                f"input dtype {x.dtype} does not match the {what}'s {ref.dtype}; "
                f"convert with x.to({ref.dtype}) or the {what} with .to({x.dtype})"
            )
        if x.device != ref.device:
            raise TensorTypeError(
                f"input is on {x.device} but the {what} is on {ref.device}; move one of them"
            )
        return x

    @property
    def layer_sizes(self) -> list[int]:
        """Node counts per layer as built: the input layer includes the bias node, if any."""
        return [self.sizes[0] + int(self.has_bias_node), *self.sizes[1:]]

    @property
    def depth(self) -> int:
        """Number of layers L, input and output included."""
        return len(self.sizes)

    @property
    def in_features(self) -> int:
        return self.sizes[0]

    @property
    def out_features(self) -> int:
        return self.sizes[-1]

    def with_bias_node(self, x: Tensor) -> Tensor:
        """``x`` with the constant-1 bias column appended, when the network has a bias node."""
        if not self.has_bias_node:
            return x
        return torch.cat((x, x.new_ones((*x.shape[:-1], 1))), dim=-1)

    def activation_fn(self) -> Activation:
        """The activation applied to hidden layers, as a callable."""
        return self._activation

    def freeze(self, *, eigenvalues: Iterable[int] = (), eigenvectors: Iterable[int] = ()) -> None:
        """Stop training λ_k / φ_k for the given layers (they stay in ``state_dict``)."""
        self._set_trainable(eigenvalues, eigenvectors, False)

    def unfreeze(
        self, *, eigenvalues: Iterable[int] = (), eigenvectors: Iterable[int] = ()
    ) -> None:
        """Train λ_k / φ_k for the given layers again."""
        self._set_trainable(eigenvalues, eigenvectors, True)

    def _set_trainable(
        self, eigenvalues: Iterable[int], eigenvectors: Iterable[int], flag: bool
    ) -> None:
        for k in check_layers(eigenvalues, self.depth, "eigenvalue"):
            self.eigenvalues[k].requires_grad_(flag)
        for k in check_layers(eigenvectors, self.depth - 1, "eigenvector"):
            self.eigenvectors[k].requires_grad_(flag)

    @property
    def frozen_eigenvalues(self) -> list[int]:
        return [k for k, lam in enumerate(self.eigenvalues) if not lam.requires_grad]

    @property
    def frozen_eigenvectors(self) -> list[int]:
        return [k for k, phi in enumerate(self.eigenvectors) if not phi.requires_grad]

    def searched_layers(self) -> list[int]:
        """Layers whose eigenvalues the penalty acts on by default: all trainable but the output."""
        return [k for k in range(self.depth - 1) if self.eigenvalues[k].requires_grad]

    def blocks(self) -> dict[tuple[int, int], Tensor]:
        """The dense weight blocks W_{i←j} (i > j), keyed by ``(i, j)``, 0-indexed; an ensemble's
        blocks carry its leading model dimension."""
        return SF.weight_blocks(list(self.eigenvectors), list(self.eigenvalues))

    def eigenvalue_penalty(self, p: float = 2, layers: Iterable[int] | None = None) -> Tensor:
        """Σ_k ‖λ_k‖_p over the searched layers (plain norm, not its power; docs/math.md §5).

        A scalar for one network, one value per member for an ensemble.
        """
        if not (isinstance(p, int | float) and p > 0 and math.isfinite(p)):
            raise ConfigError(f"penalty norm p must be a positive number (1 or 2), got {p!r}")
        chosen = (
            self.searched_layers()
            if layers is None
            else check_layers(layers, self.depth, "penalty layer")
        )
        ref = self.eigenvalues[0]
        total = ref.new_zeros(ref.shape[:-1])
        for k in chosen:
            total = total + torch.linalg.vector_norm(self.eigenvalues[k], ord=p, dim=-1)
        return total

    def architecture_penalty(self, p: float = 2, layers: Iterable[int] | None = None) -> Tensor:
        """The penalty training adds (``sparcs.training.Penalized``): the
        :meth:`eigenvalue_penalty`."""
        return self.eigenvalue_penalty(p, layers)
