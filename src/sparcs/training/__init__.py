"""Training: one network (:func:`fit`), many at once (:func:`fit_ensemble`), and fine-tuning a
pruned network (:func:`finetune`).

Modules: ``config`` (:class:`TrainConfig`), ``stopping`` (:class:`EarlyStopping`, the one
early-stopping rule), ``penalized`` (:class:`Penalized`, what :func:`fit` needs of a model),
``_loop`` (the one epoch loop), ``trainer`` (:func:`fit`, :class:`History`), ``ensemble`` and
``finetune``.
"""

from .config import TrainConfig
from .ensemble import EnsembleHistory, evaluate_ensemble, fit_ensemble
from .finetune import finetune
from .penalized import LayerActivity, Penalized
from .stopping import EarlyStopping
from .trainer import History, fit

__all__ = [
    "EarlyStopping",
    "EnsembleHistory",
    "History",
    "LayerActivity",
    "Penalized",
    "TrainConfig",
    "evaluate_ensemble",
    "finetune",
    "fit",
    "fit_ensemble",
]
