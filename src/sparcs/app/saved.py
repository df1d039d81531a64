"""A search saved by ``sparcs search``: load it back and predict on new tables.

The folder holds ``model/`` (the compact network), ``columns.json`` (column encoding, scalers,
class labels), ``metrics.json`` and ``architecture.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from ..errors import DataError
from ..io import read_json
from ..preprocessing import Scaler
from ..search.predictor import Predictor
from .tabular import ColumnSchema, RawTable

__all__ = ["COLUMNS_FILE", "MODEL_DIR", "SavedSearch", "read_search_file"]

COLUMNS_FILE = "columns.json"
MODEL_DIR = "model"


def read_search_file(path: Path) -> Any:
    try:
        return read_json(path)
    except FileNotFoundError:
        raise DataError(
            f"{path.parent} is not a sparcs search folder ({path.name} is missing); run "
            "sparcs search first"
        ) from None
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(f"{path} cannot be read ({err}); the search folder is damaged") from None


@dataclass
class SavedSearch:
    """The compact model of a finished search and everything needed to apply it."""

    path: Path
    task: str
    schema: ColumnSchema
    feature_names: list[str]
    classes: list | None
    x_scaler: Scaler
    y_scaler: Scaler | None
    model: nn.Module

    @classmethod
    def load(cls, path: str | Path) -> SavedSearch:
        path = Path(path)
        if not path.is_dir():
            raise DataError(f"{path} is not a folder; give the --out folder of a sparcs search")
        columns = read_search_file(path / COLUMNS_FILE)
        from ..pruning.compact import CompactNetwork

        try:
            model = CompactNetwork.load(path / MODEL_DIR)
        except FileNotFoundError:
            raise DataError(
                f"{path} holds no saved model ({MODEL_DIR}/ is missing or incomplete); run "
                "sparcs search again"
            ) from None
        try:
            y_scaler = columns.get("y_scaler")
            return cls(
                path=path,
                task=columns["task"],
                schema=ColumnSchema.from_dict(columns["schema"]),
                feature_names=list(columns["feature_names"]),
                classes=columns.get("classes"),
                x_scaler=Scaler.from_dict(columns["x_scaler"]),
                y_scaler=Scaler.from_dict(y_scaler) if y_scaler else None,
                model=model,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise DataError(
                f"{path / COLUMNS_FILE} lacks or garbles an entry ({err!r}); the search folder "
                "is damaged: run sparcs search again"
            ) from None

    def features(self, table: RawTable) -> np.ndarray:
        """The model's feature matrix for ``table``, after checking its columns."""
        self.schema.check_columns(table)
        X = self.schema.encode(table)
        bad = ~np.isfinite(X)
        if bad.any():
            rows = int(bad.any(axis=1).sum())
            raise DataError(
                f"{table.path}: {int(bad.sum())} missing, NaN or infinite feature values in "
                f"{rows} rows; fill them in (predictions need every value)"
            )
        return X

    @property
    def predictor(self) -> Predictor:
        """The saved model behind its scalers: raw features in, targets or logits out."""
        return Predictor(self.model, self.x_scaler, self.y_scaler, self.task)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted values (regression) or class labels (classification)."""
        pred = self.predictor.predict(X)
        if self.task == "regression":
            return pred[:, 0]
        return np.asarray(self.classes, dtype=object)[pred]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes``."""
        return self.predictor.predict_proba(X)
