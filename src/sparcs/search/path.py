"""Training the candidates of one search: a single network, or a regularization path.

A path is every pair of a penalty from ``path_penalties`` and a starting point from
``path_seeds`` seeds, trained side by side as one batched :class:`SpectralEnsemble`. Each member
early-stops on its own validation loss, so it ends exactly where a single run with its penalty and
start would (:func:`sparcs.training.ensemble.fit_ensemble`). The engine then prunes every member
and keeps the smallest model within the tolerance of the best: model selection by
cross-validation, over architectures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from ..errors import DataError
from ..spectral.ensemble import SpectralEnsemble
from ..spectral.network import SpectralNetwork
from ..training.config import TrainConfig
from ..training.ensemble import fit_ensemble
from ..training.trainer import History, fit
from .prepare import Prepared
from .settings import SearchSettings

__all__ = ["Member", "Trained", "train", "train_members"]


@dataclass
class Member:
    """One trained candidate: its penalty c, the seed of its starting point, the network and its
    training records."""

    penalty: float
    seed: int
    network: SpectralNetwork
    history: History


def initial_network(sizes: list[int], seed: int, device: torch.device,
                    dtype: torch.dtype = torch.float32) -> SpectralNetwork:
    """The perceptron start of the search, drawn from ``seed`` (the global RNG is left alone)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SpectralNetwork(sizes, bias=True, activation="relu")
    return net.to(device=device, dtype=dtype)


def train_members(
    sizes: list[int],
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor] | None,
    settings: SearchSettings,
    config: TrainConfig,
    *,
    loss: str,
    device: torch.device,
    progress: bool,
    dtype: torch.dtype = torch.float32,
) -> list[Member]:
    """Train every (penalty, seed) pair of ``settings.path()`` with ``config``; one pair is a
    plain :func:`fit`. All members see the same data split and batch order (``settings.seed``)."""
    pairs = settings.path()
    nets = [initial_network(sizes, seed, device, dtype) for _, seed in pairs]
    if len(pairs) == 1:
        history = fit(nets[0], *train, config=config, loss=loss, validation=val,
                      progress=progress)
        return [Member(pairs[0][0], pairs[0][1], nets[0], history)]
    ensemble = SpectralEnsemble.from_networks(nets)
    penalties = torch.tensor([c for c, _ in pairs], dtype=ensemble.eigenvalues[0].dtype,
                             device=device)
    history = fit_ensemble(ensemble, *train, config=config, penalty=penalties, loss=loss,
                           validation=val, progress=progress)
    return [Member(c, seed, ensemble.member(m), history.member(m))
            for m, (c, seed) in enumerate(pairs)]


@dataclass
class Trained:
    """The second stage's record: the trained members, the sizes of their maximal network, the
    training loss and the training and validation rows as that loss takes them (``val`` is None
    without a validation part)."""

    members: list[Member]
    sizes: list[int]
    loss: str
    train: tuple[Tensor, Tensor]
    val: tuple[Tensor, Tensor] | None

    @property
    def judged(self) -> tuple[Tensor, Tensor]:
        """The rows that judge pruning: the validation part, or without one the training rows."""
        return self.val if self.val is not None else self.train


def train(data: Prepared, settings: SearchSettings, device: torch.device, *,
          progress: bool = False) -> Trained:
    """Train the search's members from the perceptron start on ``data``'s training rows,
    early-stopping on its validation rows. Patience and the best-epoch choice only start after
    ``recruit_steps`` optimizer steps, while the hidden layers switch on."""
    sizes = [data.X.shape[1], *settings.max_hidden, data.n_logits]
    loss = data.loss
    X_train, y_train = data.tensors(data.train_rows, device)
    val = data.tensors(data.val_rows, device) if len(data.val_rows) else None
    if loss == "binary_cross_entropy":
        y_train = y_train.reshape(-1, 1).to(X_train.dtype)
        if val is not None:
            val = (val[0], val[1].reshape(-1, 1).to(X_train.dtype))
    config = settings.train_config(validation=val is not None)
    steps_per_epoch = max(1, math.ceil(len(X_train) / config.batch_size))
    config = replace(config, min_epochs=min(
        config.epochs, math.ceil(int(settings.recruit_steps) / steps_per_epoch)))
    members = train_members(sizes, (X_train, y_train), val, settings, config, loss=loss,
                            device=device, progress=progress)
    if not all(math.isfinite(v) for m in members for v in m.history.loss[-1:]):
        raise DataError(
            "training diverged (the loss became NaN or infinite); lower lr or standardize the data"
        )
    return Trained(members, sizes, loss, (X_train, y_train), val)
