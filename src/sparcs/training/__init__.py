"""Training: one network (:func:`fit`), many at once (:func:`fit_ensemble`), and fine-tuning a
pruned network (:func:`finetune`)."""

from .config import TrainConfig
from .ensemble import EnsembleHistory, evaluate_ensemble, fit_ensemble
from .finetune import finetune
from .trainer import History, fit

__all__ = [
    "EnsembleHistory",
    "History",
    "TrainConfig",
    "evaluate_ensemble",
    "finetune",
    "fit",
    "fit_ensemble",
]
