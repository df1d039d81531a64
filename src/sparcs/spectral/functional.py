"""Spectral network math as pure functions (docs/math.md §2–3).

Every function broadcasts over leading dimensions, so the same code runs one network
(φ_k: ``(n_{k+1}, n_k)``, λ_k: ``(n_k,)``, x: ``(batch, n_0)``) or an ensemble of M networks
(φ_k: ``(M, n_{k+1}, n_k)``, λ_k: ``(M, n_k)``, x: ``(M, batch, n_0)``).

Conventions: layers are 0-indexed; Φ = I + M with block (k+1, k) equal to φ_k; A = Φ Λ Φ⁻¹.
Activations are applied to hidden layers only: the input and output layers are linear.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .activations import Activation

__all__ = [
    "adjacency_matrix",
    "global_forward",
    "layerwise_forward",
    "materialized_forward",
    "weight_blocks",
]


def _t(m: Tensor) -> Tensor:
    return m.transpose(-1, -2)


def layerwise_forward(
    x: Tensor,
    eigenvectors: Sequence[Tensor],
    eigenvalues: Sequence[Tensor],
    activation: Activation,
) -> Tensor:
    """Evaluate x_i = f_i(Σ_{j<i} W_{i←j} x_j) in O(L) products, without forming any skip block.

    With v_i = Σ_{j≤i} (−1)^{i−j} φ_{i−1}⋯φ_j x_j (so v_0 = x_0), docs/math.md §3.2 gives

        pre_i = φ_{i−1}(λ_{i−1} ⊙ v_{i−1}) − λ_i ⊙ φ_{i−1} v_{i−1} = H_i v_{i−1},
        v_i   = x_i − φ_{i−1} v_{i−1},

    with the head H_i = φ_{i−1} diag(λ_{i−1}) − diag(λ_i) φ_{i−1} = W_{i←i−1}. The λ scalings
    act on the small weights, not on (batch × width) activations, so a layer costs two plain
    products, about 2× an MLP layer; and when the output is narrow, the output layer folds
    v_{L−2} = x_{L−2} − φ_{L−3} v_{L−3} into its weights, so the last hidden layer needs only one.
    """
    depth = len(eigenvalues)
    v, hidden = x, x
    folded: Tensor | None = None  # v_{L−3}, when v_{L−2} is folded into the output weights
    for k, phi in enumerate(eigenvectors):
        head = _head(phi, eigenvalues[k], eigenvalues[k + 1])
        if k + 1 == depth - 1:  # the linear output layer
            if folded is None:
                return torch.matmul(v, _t(head))
            fold = torch.matmul(head, eigenvectors[k - 1])
            return torch.matmul(hidden, _t(head)) - torch.matmul(folded, _t(fold))
        hidden = activation(torch.matmul(v, _t(head)))
        if k + 2 == depth - 1 and _fold_pays(x.shape[-2], phi.shape[-2], eigenvectors[-1]):
            folded = v
        else:
            v = hidden - torch.matmul(v, _t(phi))
    return hidden


def _head(phi: Tensor, lam_in: Tensor, lam_out: Tensor) -> Tensor:
    """H = φ diag(λ_in) − diag(λ_out) φ = φ ⊙ (λ_in[None, :] − λ_out[:, None])."""
    return phi * (lam_in.unsqueeze(-2) - lam_out.unsqueeze(-1))


def _fold_pays(batch: int, width: int, last_phi: Tensor) -> bool:
    """Whether folding φ_{L−3} into the output weights saves work over forming v_{L−2}.

    Forming v_{L−2} costs a batch × width × n_{L−3} product; folding costs an output × width ×
    n_{L−3} weight product and a batch × n_{L−3} × output one. It pays for narrow outputs.
    """
    out = last_phi.shape[-2]
    return out * (batch + width) < batch * width


def _apply_eigvec_inverse(z: list[Tensor], eigenvectors: Sequence[Tensor]) -> list[Tensor]:
    """Solve Φ u = z by forward block substitution: u_k = z_k − φ_{k−1} u_{k−1}."""
    u = [z[0]]
    for k, phi in enumerate(eigenvectors):
        u.append(z[k + 1] - torch.matmul(u[k], _t(phi)))
    return u


def _apply_eigvec(w: list[Tensor], eigenvectors: Sequence[Tensor]) -> list[Tensor]:
    """Compute Φ w blockwise: (Φ w)_k = w_k + φ_{k−1} w_{k−1}."""
    return [w[0]] + [w[k + 1] + torch.matmul(w[k], _t(phi)) for k, phi in enumerate(eigenvectors)]


def global_forward(
    x: Tensor,
    eigenvectors: Sequence[Tensor],
    eigenvalues: Sequence[Tensor],
    activation: Activation,
) -> Tensor:
    """Apply z ← f(A z) L−1 times to z = (x, 0, …, 0) and return the output block.

    A z is computed as Φ(Λ(Φ⁻¹ z)) by block substitution, so A is never formed. The
    diagonal self-loops λ act at every step, unlike in :func:`layerwise_forward`.
    """
    depth = len(eigenvalues)
    batch_shape = x.shape[:-1]
    z = [x] + [x.new_zeros((*batch_shape, lam.shape[-1])) for lam in eigenvalues[1:]]
    for _ in range(depth - 1):
        u = _apply_eigvec_inverse(z, eigenvectors)
        w = [uk * lam.unsqueeze(-2) for uk, lam in zip(u, eigenvalues, strict=True)]
        y = _apply_eigvec(w, eigenvectors)
        z = [y[0]] + [activation(yk) for yk in y[1:-1]] + [y[-1]]
    return z[-1]


def weight_blocks(
    eigenvectors: Sequence[Tensor], eigenvalues: Sequence[Tensor]
) -> dict[tuple[int, int], Tensor]:
    """All direct-space blocks W_{i←j}, i > j, by the closed form of docs/math.md §2.

    W_{i←j} = (−1)^{i−j} (diag(λ_i) φ_{i−1} − φ_{i−1} diag(λ_{i−1})) φ_{i−2} ⋯ φ_j.
    This costs O(L²) matrix products; use it for inspection, not in a training loop.
    """
    blocks: dict[tuple[int, int], Tensor] = {}
    for i in range(1, len(eigenvalues)):
        phi = eigenvectors[i - 1]
        head = _head(phi, eigenvalues[i - 1], eigenvalues[i])
        tail = head
        for j in range(i - 1, -1, -1):
            # H = −(diag(λ_i) φ − φ diag(λ_{i−1})), so the sign is (−1)^{i−j+1}.
            blocks[(i, j)] = tail if (i - j) % 2 == 1 else -tail
            if j > 0:
                tail = torch.matmul(tail, eigenvectors[j - 1])
    return blocks


def adjacency_matrix(eigenvectors: Sequence[Tensor], eigenvalues: Sequence[Tensor]) -> Tensor:
    """The dense N×N adjacency A = Φ Λ Φ⁻¹ (lower block triangular), for small nets and tests."""
    sizes = [lam.shape[-1] for lam in eigenvalues]
    offsets = [0]
    for n in sizes:
        offsets.append(offsets[-1] + n)
    lead = eigenvalues[0].shape[:-1]
    ref = eigenvalues[0]
    a = ref.new_zeros((*lead, offsets[-1], offsets[-1]))
    for k, lam in enumerate(eigenvalues):
        sl = slice(offsets[k], offsets[k + 1])
        a[..., sl, sl] = torch.diag_embed(lam)
    for (i, j), w in weight_blocks(eigenvectors, eigenvalues).items():
        a[..., offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] = w
    return a


def materialized_forward(
    x: Tensor,
    eigenvectors: Sequence[Tensor],
    eigenvalues: Sequence[Tensor],
    activation: Activation,
) -> Tensor:
    """The layerwise rule computed from materialized blocks: O(L²) products per step.

    Numerically the same function as :func:`layerwise_forward`; kept as a reference and as the
    baseline of ``benchmarks/bench_forward.py``.
    """
    blocks = weight_blocks(eigenvectors, eigenvalues)
    depth = len(eigenvalues)
    xs = [x]
    for i in range(1, depth):
        pre = sum(torch.matmul(xs[j], _t(blocks[(i, j)])) for j in range(i))
        xs.append(pre if i == depth - 1 else activation(pre))
    return xs[-1]
