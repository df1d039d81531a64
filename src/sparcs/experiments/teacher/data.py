"""The teacher y = R ReLU(R x), its data splits, and the scores R² and linear baseline."""

from __future__ import annotations

import torch
from torch import Tensor

from ...errors import ConfigError
from ...metrics import r2_score
from .config import Config

__all__ = [
    "linear_baseline_r2",
    "make_data",
    "predict",
    "random_rotation",
    "teacher_data",
]

_CHUNK = 8192

def random_rotation(dim: int, generator: torch.Generator) -> Tensor:
    """A Haar-random rotation in SO(dim), float64.

    QR of a Gaussian matrix with the signs of R's diagonal moved into Q (which makes Q Haar on
    O(dim)), then one column flipped when det < 0.

    >>> R = random_rotation(5, torch.Generator().manual_seed(0))
    >>> bool(torch.allclose(R @ R.T, torch.eye(5, dtype=torch.float64)))
    True
    """
    if dim < 1:
        raise ConfigError(f"rotation dimension must be >= 1, got {dim}")
    gauss = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(gauss)
    signs = torch.sign(torch.diagonal(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if torch.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def teacher_data(
    rotation: Tensor, n: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``n`` points x ~ U[−1, 1]^d and y = R ReLU(R x), float64."""
    X = torch.rand(n, rotation.shape[0], generator=generator, dtype=torch.float64) * 2 - 1
    return X, torch.relu(X @ rotation.T) @ rotation.T


def linear_baseline_r2(
    X_train: Tensor, y_train: Tensor, X_test: Tensor, y_test: Tensor
) -> float:
    """Test R² of ordinary least squares with an intercept, fitted on the training points."""
    ones = torch.ones(X_train.shape[0], 1, dtype=torch.float64)
    A = torch.cat([X_train.double().cpu(), ones], 1)
    coef = torch.linalg.lstsq(A, y_train.double().cpu(), driver="gelsd").solution
    A_test = torch.cat([X_test.double().cpu(), torch.ones(X_test.shape[0], 1, dtype=torch.float64)],
                       1)
    return r2_score(y_test.cpu(), A_test @ coef)


@torch.no_grad()
def predict(model: torch.nn.Module, X: Tensor) -> Tensor:
    """Predictions in chunks (keeps memory flat for 100k test points on a GPU)."""
    model.eval()
    return torch.cat([model(X[i : i + _CHUNK]) for i in range(0, X.shape[0], _CHUNK)])



def make_data(config: Config, device: torch.device) -> dict[str, Tensor]:
    """The rotation, float64 training/test points, and float32 train/validation/test splits on
    ``device`` (the validation split is the last ``val_fraction`` of the training points)."""
    gen = torch.Generator().manual_seed(config.seed)
    rotation = random_rotation(config.dim, gen)
    X, y = teacher_data(rotation, config.samples, gen)
    X_test, y_test = teacher_data(rotation, config.test_samples, gen)
    n_val = round(config.samples * config.val_fraction)
    f32 = {"dtype": torch.float32, "device": device}
    return {
        "rotation": rotation, "X_all": X, "y_all": y, "X_test64": X_test, "y_test64": y_test,
        "X": X[:-n_val].to(**f32), "y": y[:-n_val].to(**f32),
        "X_val": X[-n_val:].to(**f32), "y_val": y[-n_val:].to(**f32),
        "X_test": X_test.to(**f32), "y_test": y_test.to(**f32),
    }
