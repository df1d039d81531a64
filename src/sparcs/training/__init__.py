"""Training: one network (:func:`fit`), many at once (:func:`fit_ensemble`), and fine-tuning a
pruned network (:func:`finetune`).

Modules: ``config`` (:class:`TrainConfig`), ``stopping`` (:class:`EarlyStopping`, the one
early-stopping rule), ``_loop`` (the one epoch loop), ``trainer`` (:func:`fit`,
:class:`History`), ``ensemble`` and ``finetune``.
"""

from .config import TrainConfig
from .ensemble import EnsembleHistory, evaluate_ensemble, fit_ensemble
from .finetune import finetune
from .stopping import EarlyStopping
from .trainer import History, fit

__all__ = [
    "EarlyStopping",
    "EnsembleHistory",
    "History",
    "TrainConfig",
    "evaluate_ensemble",
    "finetune",
    "fit",
    "fit_ensemble",
]
