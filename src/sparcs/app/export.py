"""``sparcs export``: a saved search as an ONNX file that predicts from the encoded features.

The file holds the whole predictor of the search, not only its compact network: the features are
standardized with the search's x scaler inside the graph, and its output is the prediction in the
target's units (regression) or one probability per class (classification; a one-logit binary
model gives two columns, as ``predict_proba`` does). Input and output are float64, so that the
file computes exactly what ``sparcs predict`` does, scalers included.

One-hot encoding of text columns stays outside the file: a table is encoded first (one input
column per numeric column, and per category of a text column). Beside ``model.onnx`` the export
writes ``model.columns.json``, which lists the input columns in order, the raw columns and their
categories, the task, the classes and what the output columns mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import OutputExistsError, WriteError
from ..io import write_json
from ..preprocessing import Scaler
from ..pruning.compact import export_onnx, require_onnx
from .outfolder import check_output_file
from .saved import SavedSearch

__all__ = [
    "COLUMNS_FORMAT",
    "INPUT_NAME",
    "ExportedSearch",
    "ScaledModel",
    "columns_path",
    "export_search",
]

COLUMNS_FORMAT = "sparcs.onnx-columns"
INPUT_NAME = "features"
OUTPUT_NAMES = {"regression": "prediction", "classification": "probabilities"}
ENCODING = (
    "The ONNX file does not encode text columns: build its float64 input with one column per "
    "entry of input.columns, in that order. A numeric raw column is its value; a text column "
    "listed in raw_columns.categorical becomes one column 'name=category' per category, 1 where "
    "the row's cell (trimmed) is that category and 0 otherwise. Every value is needed (no "
    "missing cells); a category not listed was not seen in fitting and cannot be encoded."
)


class ScaledModel(nn.Module):
    """A compact model between its scalers: raw encoded features in (float64), predictions out.

    ``standardize → model → unscale`` (regression) or ``→ softmax`` (classification; one logit:
    the two columns ``(1 − σ(z), σ(z))``), as :class:`~sparcs.search.predictor.Predictor` does.
    The scaling runs in float64 and the model in its own dtype.
    """

    def __init__(
        self, model: nn.Module, x_scaler: Scaler, y_scaler: Scaler | None, task: str
    ) -> None:
        super().__init__()
        self.model = model
        self.dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
        f64 = {"dtype": torch.float64}
        self.register_buffer("x_mean", torch.as_tensor(x_scaler.mean, **f64))
        self.register_buffer("x_scale", torch.as_tensor(x_scaler.scale, **f64))
        self.unscale = task == "regression" and y_scaler is not None
        if self.unscale:
            self.register_buffer("y_mean", torch.as_tensor(y_scaler.mean, **f64))
            self.register_buffer("y_scale", torch.as_tensor(y_scaler.scale, **f64))
        self.task = task

    def forward(self, x: Tensor) -> Tensor:
        z = self.model(((x - self.x_mean) / self.x_scale).to(self.dtype)).to(torch.float64)
        if self.task == "regression":
            return z * self.y_scale + self.y_mean if self.unscale else z
        if z.shape[1] == 1:
            p = torch.sigmoid(z)
            return torch.cat([1.0 - p, p], dim=1)
        return torch.softmax(z, dim=1)


def columns_path(onnx_path: Path) -> Path:
    """The description written beside an ONNX file: ``model.onnx`` → ``model.columns.json``."""
    name = onnx_path.name
    stem = name[: -len(".onnx")] if onnx_path.suffix.lower() == ".onnx" else name
    return onnx_path.with_name(f"{stem}.columns.json")


@dataclass(frozen=True)
class ExportedSearch:
    """What :func:`export_search` wrote, and the description it wrote beside it."""

    onnx: Path
    columns: Path
    description: dict[str, Any]

    def summary(self) -> list[str]:
        """Lines for the user: the two files, the input and output, the encoding left to them."""
        d = self.description
        inp, out = d["input"], d["output"]
        raw = d["raw_columns"]
        lines = [
            f"wrote {self.onnx}: input {inp['name']!r} (batch, {len(inp['columns'])}) float64, "
            f"output {out['name']!r} (batch, {len(out['columns'])}) float64: {out['meaning']}",
            f"wrote {self.columns}: the input columns in order, the raw columns and their "
            "categories, the task and the outputs",
        ]
        if raw["categorical"]:
            cats = ", ".join(f"{name} ({len(c)} categories)"
                             for name, c in raw["categorical"].items())
            lines.append(
                f"the ONNX file does not one-hot encode text columns: encode {cats} first, one "
                f"column 'name=category' each, in the order of {self.columns.name}"
            )
        else:
            lines.append(
                "the ONNX file takes the numeric columns as they are (no text columns to "
                f"encode), in the order of {self.columns.name}"
            )
        return lines


def describe(saved: SavedSearch, onnx_name: str) -> dict[str, Any]:
    """The content of ``model.columns.json`` for a saved search exported to ``onnx_name``."""
    schema = saved.schema
    names = list(saved.feature_names)
    if saved.task == "regression":
        target = schema.target if schema.target and schema.kind != "npz" else "prediction"
        out_columns = [target]
        meaning = f"the predicted {target}, in the target's units"
    else:
        classes = list(saved.classes or [])
        out_columns = [f"p({label})" for label in classes]
        meaning = ("class probabilities, one column per class in the order of classes (rows sum "
                   "to 1)")
    numeric = [c for c in schema.features if c not in schema.categorical]
    return {
        "format": COLUMNS_FORMAT,
        "version": 1,
        "model": onnx_name,
        "task": saved.task,
        "target": schema.target,
        "classes": saved.classes if saved.task == "classification" else None,
        "input": {"name": INPUT_NAME, "dtype": "float64", "shape": ["batch", len(names)],
                  "columns": names},
        "output": {"name": OUTPUT_NAMES[saved.task], "dtype": "float64",
                   "shape": ["batch", len(out_columns)], "columns": out_columns,
                   "meaning": meaning},
        "raw_columns": {"kind": schema.kind, "order": list(schema.features), "numeric": numeric,
                        "categorical": {k: list(v) for k, v in schema.categorical.items()}},
        "encoding": ENCODING,
    }


def _check_paths(search: Path, paths: list[Path], overwrite: bool) -> None:
    folder = search.resolve()
    for path in paths:
        where = path.resolve()
        if where == folder or folder in where.parents:
            raise OutputExistsError(
                f"--onnx {path} is inside the search folder {search}, which sparcs never writes "
                "into; give a path outside it"
            )
    for path in paths:
        check_output_file(path, overwrite=overwrite, keep=[search], flag="--onnx",
                          example="model.onnx")


def export_search(
    saved: SavedSearch, path: str | Path, *, overwrite: bool = False
) -> ExportedSearch:
    """Write ``path`` (the ONNX file) and its ``.columns.json`` beside it for ``saved``.

    Refuses to write inside the search folder, over a folder, or over an existing file without
    ``overwrite``; needs the ``onnx`` extra. If the second file cannot be written, the first is
    removed again.
    """
    path = Path(path)
    cols = columns_path(path)
    _check_paths(saved.path, [path, cols], overwrite)
    require_onnx()
    module = ScaledModel(saved.model, saved.x_scaler, saved.y_scaler, saved.task)
    example = torch.zeros(2, len(saved.feature_names), dtype=torch.float64)
    description = describe(saved, path.name)
    try:
        export_onnx(module, example, path, input_name=INPUT_NAME,
                    output_name=OUTPUT_NAMES[saved.task])
        try:
            write_json(cols, description)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    except WriteError as err:
        raise WriteError(err.path, f"{err.reason}; choose another --onnx") from None
    return ExportedSearch(path, cols, description)
