"""Tabular data for ``sparcs search`` / ``sparcs predict``: CSV (with a header) or ``.npz``.

Reading needs only the standard library and numpy. Every problem a user can cause (missing file,
empty file, absent target column, text in feature columns, NaN/inf, ...) raises
:class:`~sparcs.errors.DataError` with one line that says what is wrong and how to fix it.

:class:`ColumnSchema` records how raw columns became model features (order, one-hot categories),
so that ``sparcs predict`` applies exactly the same encoding to new data.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
>>> _ = path.write_text("a,colour,y\\n1,red,0.5\\n2,blue,1.5\\n")
>>> data = load_dataset(path, target="y", categorical="onehot", min_rows=1)
>>> data.schema.encoded_names
['a', 'colour=blue', 'colour=red']
>>> data.X.tolist()
[[1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError

__all__ = [
    "CATEGORICAL_MODES",
    "MIN_ROWS",
    "ColumnSchema",
    "Dataset",
    "RawTable",
    "encode_labels",
    "infer_task",
    "load_dataset",
    "read_table",
    "task_and_targets",
]

CATEGORICAL_MODES = ("error", "onehot")
# The fewest rows a search (and ``sparcs compare`` on a user's file) reads.
MIN_ROWS = 10
# Cells that mean "no value": pandas' default missing-value markers (``pd.read_csv``), compared
# exactly (case-sensitive) after trimming spaces, so a file reads as pandas reads it. ``none`` or
# ``?`` are text: ``none`` is a real category in some files (a leaf with no apex).
MISSING = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
# Words often meant as missing that pandas reads as text (any case; sparcs read the first six as
# missing before it followed pandas): in a column of numbers they are most likely missing cells,
# so such a column is refused rather than read as text (see :func:`_numbers_with_words`).
MISSING_LOOKALIKES = frozenset({"na", "nan", "n/a", "null", "none", "?", "-", "--", "."})
MAX_AUTO_CLASSES = 20
# More one-hot inputs than this from one column is worth a warning: usually an ID column.
WIDE_ONEHOT = 50


def _names(names: list[str], limit: int = 12) -> str:
    """Comma-separated names, shortened so that an error stays one readable line."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _parse_float(cell: str) -> float | None:
    """The number in a cell, NaN for a missing cell, None for text."""
    text = cell.strip()
    if text in MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class RawTable:
    """Columns as read from disk: CSV cells as strings, or the arrays of a ``.npz`` file."""

    path: Path
    columns: dict[str, list[str] | np.ndarray]
    kind: str  # "csv" or "npz"

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give a CSV or .npz file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; it needs a header line and data rows")


def _read_csv(path: Path) -> RawTable:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file; save it as CSV (UTF-8)") from None
    except csv.Error as err:
        raise DataError(f"{path} is not valid CSV: {err}") from None
    if not rows:
        raise DataError(f"{path} is empty; it needs a header line and data rows")
    header = [name.strip() for name in rows[0]]
    if len(header) == 1:
        # One column whose name holds another separator: the file is not comma-separated, and
        # every later message (target not found, columns differ) would point the wrong way.
        for sep, sep_name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in header[0]:
                raise DataError(
                    f"{path}: the header {header[0]!r} looks separated by {sep_name}, but sparcs "
                    "reads comma-separated CSV; save the file with commas as separators "
                    "(and '.' as the decimal point)"
                )
    if any(not name for name in header):
        raise DataError(f"{path}: the header has an empty column name (column "
                        f"{header.index('') + 1}); name every column")
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        raise DataError(f"{path}: duplicate column names in the header: {', '.join(dupes)}")
    body = rows[1:]
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: data row {line - 1} has {len(row)} fields but the header has "
                f"{len(header)}; every row needs one value per column"
            )
    columns = {name: [row[i] for row in body] for i, name in enumerate(header)}
    return RawTable(path, columns, "csv")


def _read_npz(path: Path) -> RawTable:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as err:
        raise DataError(f"{path} is not a readable .npz file: {err}") from None
    if "X" not in arrays:
        raise DataError(
            f"{path} holds arrays {', '.join(sorted(arrays)) or '(none)'}; it needs an array "
            "named X (features) and, to train, y (targets)"
        )
    X = arrays["X"]
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DataError(f"{path}: X must be 2-D (rows, features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise DataError(f"{path}: X has no rows")
    columns: dict[str, list[str] | np.ndarray] = {f"x{i}": X[:, i] for i in range(X.shape[1])}
    if "y" in arrays:
        y = arrays["y"]
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{path}: y must be 1-D (one target per row), got shape {y.shape}")
        if y.shape[0] != X.shape[0]:
            raise DataError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]}")
        columns["y"] = y
    return RawTable(path, columns, "npz")


def read_table(path: str | Path) -> RawTable:
    """Read a CSV file with a header line, or a ``.npz`` file with arrays ``X`` (and ``y``)."""
    path = Path(path)
    _check_file(path)
    return _read_npz(path) if path.suffix.lower() == ".npz" else _read_csv(path)


def _numeric_column(values: list[str] | np.ndarray) -> np.ndarray | None:
    """float64 values of a column (NaN for missing cells), or None if it holds text."""
    if isinstance(values, np.ndarray):
        if values.dtype == bool or np.issubdtype(values.dtype, np.number):
            return values.astype(np.float64)
        values = [str(v) for v in values]
    out = np.empty(len(values), dtype=np.float64)
    for i, cell in enumerate(values):
        number = _parse_float(cell)
        if number is None:
            return None
        out[i] = number
    return out


@dataclass
class ColumnSchema:
    """How the raw columns of a table map to the model's numeric features.

    ``features`` are raw column names in model order; a column listed in ``categorical`` is
    one-hot encoded with those categories (one feature ``"name=category"`` each).
    """

    features: list[str]
    target: str | None = None
    categorical: dict[str, list[str]] = field(default_factory=dict)
    kind: str = "csv"

    @property
    def encoded_names(self) -> list[str]:
        names: list[str] = []
        for col in self.features:
            cats = self.categorical.get(col)
            names.extend([f"{col}={c}" for c in cats] if cats is not None else [col])
        return names

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ColumnSchema:
        return cls(
            features=list(data["features"]),
            target=data.get("target"),
            categorical={k: list(v) for k, v in data.get("categorical", {}).items()},
            kind=data.get("kind", "csv"),
        )

    def check_columns(self, table: RawTable) -> None:
        """Raise a :class:`DataError` naming missing and unexpected columns, if any."""
        if table.kind == "npz" or self.kind == "npz":
            have = sum(1 for n in table.names if n != "y")
            if have != len(self.features):
                raise DataError(
                    f"{table.path}: X has {have} columns but the model was fitted on "
                    f"{len(self.features)}; give data with the same columns as in fitting"
                )
            return
        present = [n for n in table.names if n != self.target]
        missing = [n for n in self.features if n not in table.columns]
        extra = [n for n in present if n not in self.features]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing columns: {_names(missing)}")
            if extra:
                parts.append(f"unexpected columns: {_names(extra)}")
            raise DataError(
                f"{table.path}: the columns differ from those used in fitting ("
                + "; ".join(parts)
                + f"); expected {_names(self.features)}"
            )

    def encode(self, table: RawTable) -> np.ndarray:
        """The float64 feature matrix of ``table`` (NaN where a cell is missing).

        Raises :class:`DataError` for text in a numeric column or an unseen category.
        """
        if table.kind == "npz":
            cols = [table.columns[n] for n in table.names if n != "y"]
            parts = [_numeric_or_error(table.path, f"X[:, {i}]", c) for i, c in enumerate(cols)]
            return np.column_stack(parts) if parts else np.empty((table.n_rows, 0))
        parts = []
        for col in self.features:
            values = table.columns[col]
            cats = self.categorical.get(col)
            if cats is None:
                parts.append(_numeric_or_error(table.path, col, values)[:, None])
            else:
                parts.append(_one_hot(table.path, col, values, cats))
        return np.hstack(parts) if parts else np.empty((table.n_rows, 0))


def _numeric_or_error(path: Path, name: str, values: list[str] | np.ndarray) -> np.ndarray:
    out = _numeric_column(values)
    if out is None:
        example = next(str(v) for v in values if _parse_float(str(v)) is None)
        raise DataError(
            f"{path}: column {name} holds text ({example!r}) but was numeric when the model was "
            "fitted; fix the values"
        )
    return out


def _one_hot(path: Path, name: str, values: list[str] | np.ndarray, cats: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(cats)}
    out = np.zeros((len(values), len(cats)))
    unseen: set[str] = set()
    for row, cell in enumerate(values):
        text = str(cell).strip()
        if text in MISSING:
            out[row] = np.nan
        elif text in index:
            out[row, index[text]] = 1.0
        else:
            unseen.add(text)
    if unseen:
        shown = ", ".join(repr(v) for v in sorted(unseen)[:5])
        raise DataError(
            f"{path}: column {name} has categories not seen in fitting ({shown}); known "
            f"categories: {', '.join(cats)}"
        )
    return out


@dataclass
class Dataset:
    """Features and targets ready for training, plus how they were made."""

    X: np.ndarray  # float64 (n, d), finite
    y: np.ndarray  # float64 or object (text labels), 1-D, finite
    schema: ColumnSchema
    n_dropped: int = 0
    notes: list[str] = field(default_factory=list)  # warnings for the user, in words

    @property
    def feature_names(self) -> list[str]:
        return self.schema.encoded_names


def _target_values(values: list[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(target array, missing mask): numbers when every present cell is a number, else text."""
    numeric = _numeric_column(values)
    if numeric is not None:
        return numeric, ~np.isfinite(numeric)
    text = np.array([str(v).strip() for v in values], dtype=object)
    missing = np.array([t in MISSING for t in text], dtype=bool)
    return text, missing


def load_dataset(
    path: str | Path,
    target: str | None = None,
    *,
    categorical: str = "error",
    dropna: bool = False,
    min_rows: int = 10,
) -> Dataset:
    """Read a CSV or ``.npz`` file into a :class:`Dataset`, with a clear error for bad input.

    For CSV, ``target`` names the target column; the other columns are features. Text feature
    columns are an error unless ``categorical="onehot"``. Rows with NaN, inf or missing cells
    are an error unless ``dropna=True`` drops them. At least ``min_rows`` rows must remain.
    """
    if categorical not in CATEGORICAL_MODES:
        raise ConfigError(
            f"unknown --categorical {categorical!r}; use one of {', '.join(CATEGORICAL_MODES)}"
        )
    table = read_table(path)
    if table.kind == "npz":
        if "y" not in table.columns:
            raise DataError(f"{table.path} has no array y; save the targets as y next to X")
        target_name = "y"
    else:
        if not target:
            raise DataError(
                f"--target is required for CSV data; available columns: {_names(table.names, 40)}"
            )
        if target not in table.columns:
            raise DataError(
                f"target column {target!r} is not in {table.path.name}; available columns: "
                f"{_names(table.names, 40)}"
            )
        target_name = target
    feature_cols = [n for n in table.names if n != target_name]
    if not feature_cols:
        raise DataError(f"{table.path} has no feature columns besides the target {target_name!r}")

    numeric: dict[str, np.ndarray] = {}
    text_cols: list[str] = []
    for col in feature_cols:
        values = _numeric_column(table.columns[col])
        if values is None:
            text_cols.append(col)
        else:
            numeric[col] = values
    target_numeric = _numeric_column(table.columns[target_name]) is not None
    _check_decimal_commas(table.path, table.columns,
                          text_cols + ([] if target_numeric else [target_name]))
    _check_missing_lookalikes(table.path, table.columns,
                              text_cols + ([] if target_numeric else [target_name]))
    cats: dict[str, list[str]] = {}
    notes: list[str] = []
    if text_cols:
        if categorical != "onehot":
            examples = ", ".join(
                f"{c} (e.g. {_first_text(table.columns[c])!r})" for c in text_cols[:5]
            )
            more = f" and {len(text_cols) - 5} more" if len(text_cols) > 5 else ""
            raise DataError(
                f"non-numeric feature columns: {examples}{more}; pass --categorical onehot to "
                "one-hot encode them, or drop them from the file"
            )
        for col in text_cols:
            present = {str(v).strip() for v in table.columns[col]}
            cats[col] = sorted(v for v in present if v not in MISSING)
            if len(cats[col]) > WIDE_ONEHOT:
                notes.append(
                    f"one-hot encoding column {col} adds {len(cats[col])} inputs, one per "
                    f"distinct value in {table.n_rows} rows; if it is an identifier (ID-like "
                    "columns are the usual cause), drop it from the file"
                )
    schema = ColumnSchema(
        features=feature_cols, target=target_name, categorical=cats, kind=table.kind
    )
    X = schema.encode(table)
    y, y_missing = _target_values(table.columns[target_name])

    bad_x = ~np.isfinite(X)
    bad_rows = bad_x.any(axis=1) | y_missing
    n_bad = int(bad_rows.sum())
    y_inf = np.isinf(y) if y.dtype != object else np.zeros(len(y), dtype=bool)
    if n_bad and not dropna:
        n_nan = int(np.isnan(X).sum()) + int((y_missing & ~y_inf).sum())
        n_inf = int(np.isinf(X).sum()) + int(y_inf.sum())
        where = [c for c in schema.encoded_names if bad_x[:, schema.encoded_names.index(c)].any()]
        if y_missing.any():
            where.append(f"{target_name} (target)")
        shown = ", ".join(where[:6]) + (" ..." if len(where) > 6 else "")
        raise DataError(
            f"found {n_nan} missing/NaN and {n_inf} infinite values in {n_bad} rows "
            f"(columns: {shown}); pass --dropna to drop those rows, or fix the data"
        )
    if n_bad:
        keep = ~bad_rows
        X, y = X[keep], y[keep]
    if len(y) < min_rows:
        extra = f" after dropping {n_bad} rows with missing values" if n_bad else ""
        raise DataError(
            f"{table.path} has {len(y)} usable rows{extra}; at least {min_rows} are needed"
        )
    return Dataset(X=X, y=y, schema=schema, n_dropped=n_bad, notes=notes)


# "1,5", "-0,25", "1.234,5": a number written with a decimal comma (European locales).
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+([eE][+-]?\d+)?")


def _decimal_comma_example(values: list[str] | np.ndarray) -> str | None:
    """An example cell when every text cell of a column is a decimal-comma number, else None."""
    example = None
    for cell in values:
        text = str(cell).strip()
        if _parse_float(text) is not None:
            continue
        if not _DECIMAL_COMMA.fullmatch(text):
            return None
        example = example or text
    return example


def _check_decimal_commas(path: Path, columns: dict, names: list[str]) -> None:
    found = [(n, ex) for n in names if (ex := _decimal_comma_example(columns[n])) is not None]
    if found:
        shown = ", ".join(f"{n} (e.g. {ex!r})" for n, ex in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        what = "column {} holds" if len(found) == 1 else "columns {} hold"
        raise DataError(
            f"{path}: {what.format(shown + more)} numbers with a decimal comma; sparcs reads "
            "'.' as the decimal point: save the file with '.' decimals (e.g. 1.5, not 1,5)"
        )


def _numbers_with_words(values: list[str] | np.ndarray) -> dict[str, int] | None:
    """{word: cells} when a column holds numbers and, besides them and missing cells, only
    words of :data:`MISSING_LOOKALIKES` (``?``, ``none``, ...); else None."""
    words: dict[str, int] = {}
    numbers = 0
    for cell in values:
        text = str(cell).strip()
        number = _parse_float(text)
        if number is None:
            if text.lower() not in MISSING_LOOKALIKES:
                return None
            words[text] = words.get(text, 0) + 1
        elif not math.isnan(number):
            numbers += 1
    return words if words and numbers else None


def _check_missing_lookalikes(path: Path, columns: dict, names: list[str]) -> None:
    for name in names:
        words = _numbers_with_words(columns[name])
        if words is not None:
            shown = ", ".join(f"{w!r} ({n} cells)" for w, n in words.items())
            raise DataError(
                f"{path}: column {name} holds numbers and the text {shown}, which sparcs does "
                "not read as missing (it reads missing cells as pandas does: empty, NA, NaN, "
                "N/A, null, None, ...); write those cells as empty or NA"
            )


def _first_text(values: list[str] | np.ndarray) -> str:
    return next(str(v).strip() for v in values if _parse_float(str(v)) is None)


def infer_task(y: np.ndarray) -> str:
    """``"classification"`` for text targets, or for integer values with at most 20 distinct
    ones and at least 5 rows per value on average; ``"regression"`` otherwise."""
    if y.dtype == object:
        return "classification"
    values = np.unique(y)
    is_integer = bool(np.all(np.equal(np.mod(values, 1), 0)))
    few = len(values) <= MAX_AUTO_CLASSES and 5 * len(values) <= len(y)
    return "classification" if is_integer and few else "regression"


def encode_labels(y: np.ndarray) -> tuple[list, np.ndarray]:
    """(sorted class labels, integer codes). Integer-valued numbers become ``int`` labels, so
    classes read ``0, 1`` rather than ``0.0, 1.0``; text labels stay text."""
    if y.dtype != object and np.all(np.equal(np.mod(y, 1), 0)):
        y = y.astype(np.int64)
    classes, codes = np.unique(y, return_inverse=True)
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    return labels, codes.astype(np.int64)


def task_and_targets(data: Dataset, task: str) -> tuple[str, np.ndarray, list | None]:
    """(task, targets, class labels) of a loaded table: codes for classification, floats for
    regression. ``task="auto"`` infers it (:func:`infer_task`); a target that cannot be learned
    (constant, one class, too many classes, text to regress) raises :class:`DataError`."""
    name = data.schema.target
    if data.y.dtype != object and np.ptp(data.y) == 0:
        raise DataError(
            f"target column {name!r} is constant ({data.y[0]:g} in every row); there is "
            "nothing to learn"
        )
    if task == "auto":
        task = infer_task(data.y)
    if task == "classification":
        classes, codes = encode_labels(data.y)
        if len(classes) < 2:
            raise DataError(
                f"target column {name!r} has only one class ({classes[0]!r}); classification "
                "needs at least 2"
            )
        # With fewer than 2 rows per class on average most classes cannot be both trained on
        # and tested: typically a continuous target given --task classification by mistake.
        if 2 * len(classes) > len(codes):
            raise DataError(
                f"target column {name!r} has {len(classes)} distinct values in {len(codes)} "
                "rows, too many classes to learn; use --task regression for a numeric target"
            )
        return task, codes, classes
    if data.y.dtype == object:
        raise DataError(
            f"target column {name!r} holds text, which cannot be regressed; use --task "
            "classification"
        )
    return task, data.y.astype(np.float64), None
