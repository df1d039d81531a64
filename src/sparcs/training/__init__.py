"""Training: single networks (:func:`fit`); ensembles live in :mod:`sparcs.spectral.ensemble`."""

from .trainer import History, TrainConfig, fit

__all__ = ["History", "TrainConfig", "fit"]
